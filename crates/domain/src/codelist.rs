//! Versioned code lists shipped as data (`crates/domain/data/*.toml`), not as Rust enums, so a
//! deployment can read what a code means and a new code does not need a new release.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeList {
    pub name: String,
    pub version: String,
    pub codes: Vec<Code>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    pub code: String,
    pub label: String,
}

impl CodeList {
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    pub fn contains(&self, code: &str) -> bool {
        self.codes.iter().any(|c| c.code == code)
    }

    pub fn label(&self, code: &str) -> Option<&str> {
        self.codes
            .iter()
            .find(|c| c.code == code)
            .map(|c| c.label.as_str())
    }
}

/// The code lists this build ships, by name.
pub fn builtin() -> &'static BTreeMap<String, CodeList> {
    static LISTS: OnceLock<BTreeMap<String, CodeList>> = OnceLock::new();
    LISTS.get_or_init(|| {
        [include_str!("../data/specific_needs.toml")]
            .into_iter()
            // The shipped files are checked by a unit test; a broken one is a build defect.
            .filter_map(|text| CodeList::parse(text).ok())
            .map(|list| (list.name.clone(), list))
            .collect()
    })
}

/// UNHCR specific-needs codes.
pub fn specific_needs() -> Option<&'static CodeList> {
    builtin().get("specific_needs")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_lists_parse_and_have_unique_codes() {
        let text = include_str!("../data/specific_needs.toml");
        let list = CodeList::parse(text).expect("specific_needs.toml parses");
        let mut codes: Vec<&str> = list.codes.iter().map(|c| c.code.as_str()).collect();
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n, "duplicate code in specific_needs.toml");
        assert!(specific_needs().is_some_and(|l| l.contains("SC-UC")));
        assert_eq!(
            specific_needs().and_then(|l| l.label("FU-TR")),
            Some("Tracing required")
        );
    }
}
