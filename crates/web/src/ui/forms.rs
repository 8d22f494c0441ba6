//! Posted forms: reading them, and putting the store's problems next to the fields they concern,
//! in the user's language.

use std::collections::BTreeMap;

use axum::body::Body;
use haven_domain::Problems;

use super::Lang;
use crate::error::ApiError;

/// A form's fields as posted (names may repeat; the first value counts for [`get`]).
#[derive(Debug, Default, Clone)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub async fn read(body: Body, limit: usize) -> Result<Self, ApiError> {
        let bytes = axum::body::to_bytes(body, limit)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        serde_urlencoded::from_bytes(&bytes)
            .map(FormData)
            .map_err(|e| ApiError::InvalidJson(e.to_string()))
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    /// The field's value, `""` when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value posted under `name` (checkboxes), trimmed, blanks left out.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }

    /// Whether `value` was posted under `name` (a ticked checkbox).
    pub fn has_value(&self, name: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == value)
    }

    /// The field's value trimmed, `None` when absent or blank.
    pub fn opt(&self, name: &str) -> Option<String> {
        let v = self.get(name).trim();
        (!v.is_empty()).then(|| v.to_string())
    }
}

/// Problems by form field, translated. The store names fields by their path in the record
/// (`placements.0.start_date`, `estimated_age.years`); `fields` maps path prefixes to the
/// form's field names, and whatever maps to none is shown above the form.
#[derive(Debug, Default)]
pub struct FieldErrors {
    by_field: BTreeMap<String, Vec<String>>,
    pub general: Vec<String>,
}

impl FieldErrors {
    pub fn from_problems(lang: Lang, problems: &Problems, fields: &[(&str, &str)]) -> Self {
        let mut out = Self::default();
        for e in problems.errors() {
            let message = translate(lang, &e.problem);
            let field = fields
                .iter()
                .filter(|(path, _)| e.path == *path || e.path.starts_with(&format!("{path}.")))
                .max_by_key(|(path, _)| path.len())
                .map(|(_, f)| *f);
            match field {
                Some(f) => out.by_field.entry(f.to_string()).or_default().push(message),
                None => out.general.push(format!("{}: {message}", e.path)),
            }
        }
        out
    }

    pub fn single(field: &str, message: String) -> Self {
        let mut out = Self::default();
        out.by_field.insert(field.to_string(), vec![message]);
        out
    }

    /// The field's problems, joined; `""` when it has none.
    pub fn of(&self, field: &str) -> String {
        self.by_field
            .get(field)
            .map(|m| m.join(" "))
            .unwrap_or_default()
    }

    pub fn has(&self, field: &str) -> bool {
        self.by_field.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.by_field.is_empty() && self.general.is_empty()
    }
}

/// A problem in the user's language when the locale has a message for it: the id is
/// `problem-` and the English text in lower-case words joined by `-`, cut at 60 characters
/// (`is required` → `problem-is-required`). Others are shown as the store wrote them.
pub fn translate(lang: Lang, problem: &str) -> String {
    let id = problem_id(problem);
    if lang.has(&id) {
        lang.t(&id)
    } else {
        problem.to_string()
    }
}

pub fn problem_id(problem: &str) -> String {
    let mut slug = String::from("problem-");
    for word in problem
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if slug.len() > 8 {
            slug.push('-');
        }
        slug.push_str(&word.to_ascii_lowercase());
    }
    slug.chars()
        .take(60)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_land_on_their_fields_in_the_users_language() {
        let mut p = Problems::new();
        p.push("placements.0.start_date", "is required");
        p.push("given_name", "something new the store says");
        p.push("elsewhere", "is required");
        let e = FieldErrors::from_problems(
            Lang::Fr,
            &p,
            &[
                ("placements.0", "kind"),
                ("placements.0.start_date", "start_date"),
                ("given_name", "given_name"),
            ],
        );
        assert_eq!(e.of("start_date"), "est obligatoire");
        assert_eq!(e.of("given_name"), "something new the store says");
        assert_eq!(e.general, ["elsewhere: est obligatoire"]);
        assert_eq!(problem_id("is in the future"), "problem-is-in-the-future");
    }
}
