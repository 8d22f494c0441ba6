//! The code lists case management uses, shipped as data in `crates/domain/data/` in the same
//! versioned form as `specific_needs.toml` ([`crate::codelist`]): records keep the code, the list
//! says what it means, and a deployment can read or extend a list without a new release.
//! Codes here are lower-case `snake_case`; incident types carry their category before a dot.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::codelist::CodeList;

pub const CLOSURE_REASONS: &str = "closure_reasons";
pub const BID_DECISIONS: &str = "bid_decisions";
pub const SERVICE_TYPES: &str = "service_types";
pub const IDENTITY_DOCUMENT_TYPES: &str = "identity_document_types";
pub const LEGAL_STATUSES: &str = "legal_statuses";
pub const DRIVERS: &str = "drivers";
pub const INCIDENT_TYPES: &str = "incident_types";
pub const BIAS_MOTIVATIONS: &str = "bias_motivations";
pub const INCIDENT_SETTINGS: &str = "incident_settings";
pub const PERPETRATOR_CATEGORIES: &str = "perpetrator_categories";
pub const TRAFFICKING_RECRUITMENT: &str = "trafficking_recruitment";
pub const TRAFFICKING_MEANS_OF_CONTROL: &str = "trafficking_means_of_control";
pub const TRAFFICKING_EXPLOITATION: &str = "trafficking_exploitation";
pub const FLAG_REASONS: &str = "flag_reasons";

const FILES: &[(&str, &str)] = &[
    (
        CLOSURE_REASONS,
        include_str!("../../data/closure_reasons.toml"),
    ),
    (BID_DECISIONS, include_str!("../../data/bid_decisions.toml")),
    (SERVICE_TYPES, include_str!("../../data/service_types.toml")),
    (
        IDENTITY_DOCUMENT_TYPES,
        include_str!("../../data/identity_document_types.toml"),
    ),
    (
        LEGAL_STATUSES,
        include_str!("../../data/legal_statuses.toml"),
    ),
    (DRIVERS, include_str!("../../data/drivers.toml")),
    (
        INCIDENT_TYPES,
        include_str!("../../data/incident_types.toml"),
    ),
    (
        BIAS_MOTIVATIONS,
        include_str!("../../data/bias_motivations.toml"),
    ),
    (
        INCIDENT_SETTINGS,
        include_str!("../../data/incident_settings.toml"),
    ),
    (
        PERPETRATOR_CATEGORIES,
        include_str!("../../data/perpetrator_categories.toml"),
    ),
    (
        TRAFFICKING_RECRUITMENT,
        include_str!("../../data/trafficking_recruitment.toml"),
    ),
    (
        TRAFFICKING_MEANS_OF_CONTROL,
        include_str!("../../data/trafficking_means_of_control.toml"),
    ),
    (
        TRAFFICKING_EXPLOITATION,
        include_str!("../../data/trafficking_exploitation.toml"),
    ),
    (FLAG_REASONS, include_str!("../../data/flag_reasons.toml")),
];

/// The case-management code lists this build ships, by name.
pub fn builtin() -> &'static BTreeMap<String, CodeList> {
    static LISTS: OnceLock<BTreeMap<String, CodeList>> = OnceLock::new();
    LISTS.get_or_init(|| {
        FILES
            .iter()
            // The shipped files are checked by a unit test; a broken one is a build defect.
            .filter_map(|(_, text)| CodeList::parse(text).ok())
            .map(|list| (list.name.clone(), list))
            .collect()
    })
}

/// One shipped list by name (the constants above).
pub fn list(name: &str) -> Option<&'static CodeList> {
    builtin().get(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_list_parses_under_its_name_with_unique_snake_case_codes() {
        for (name, text) in FILES {
            let list = CodeList::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(list.name, *name);
            assert!(!list.codes.is_empty(), "{name} is empty");
            let mut codes: Vec<&str> = list.codes.iter().map(|c| c.code.as_str()).collect();
            assert!(
                codes
                    .iter()
                    .all(|c| c.bytes().all(|b| b.is_ascii_lowercase()
                        || b == b'_'
                        || b == b'.'
                        || b.is_ascii_digit())),
                "{name}: codes must be lower-case snake_case"
            );
            let n = codes.len();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), n, "duplicate code in {name}");
        }
        assert_eq!(builtin().len(), FILES.len());
    }

    #[test]
    fn the_lists_hold_what_the_guidelines_name() {
        assert!(list(SERVICE_TYPES).is_some_and(|l| l.contains("civil_registry")));
        assert!(list(INCIDENT_SETTINGS).is_some_and(|l| {
            [
                "school",
                "health_facility",
                "police",
                "border",
                "community",
                "online",
            ]
            .iter()
            .all(|c| l.contains(c))
        }));
        assert_eq!(
            list(DRIVERS).and_then(|l| l.label("disaster_climate")),
            Some("Disaster or climate change")
        );
    }
}
