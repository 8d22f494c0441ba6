//! Validation problems, each tied to the path of the field it concerns.

use serde::Serialize;

/// One problem with one field. `path` uses dots and indices: `family.0.given_name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub path: String,
    pub problem: String,
}

/// Every problem found in one input; validation never stops at the first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(path: impl Into<String>, problem: impl Into<String>) -> Self {
        let mut p = Self::new();
        p.push(path, problem);
        p
    }

    pub fn push(&mut self, path: impl Into<String>, problem: impl Into<String>) {
        self.0.push(FieldError {
            path: path.into(),
            problem: problem.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a problem names the field at `path`.
    pub fn has(&self, path: &str) -> bool {
        self.0.iter().any(|e| e.path == path)
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }

    pub fn into_errors(self) -> Vec<FieldError> {
        self.0
    }

    /// `Ok(value)` when nothing was found wrong.
    pub fn into_result<T>(self, value: T) -> Result<T, Problems> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.path, e.problem))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for Problems {}

/// Reads a wire type from JSON; when the shape is wrong (an unknown field, a number where text
/// belongs), the problem names the field with the same path style as validation (`family.0.age`).
pub fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, Problems> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e
            .path()
            .to_string()
            .replace('[', ".")
            .replace(']', "")
            .trim_start_matches('.')
            .to_string();
        let message = e.inner().to_string();
        let problem = if message.starts_with("unknown field") {
            "is not a known field".to_string()
        } else {
            message
        };
        Problems::single(path, problem)
    })
}
