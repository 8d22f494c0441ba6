//! What changed between two versions of a record, field by field.

use serde::Serialize;
use serde_json::Value;

use crate::case::CaseDoc;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: String,
    pub from: Value,
    pub to: Value,
}

/// The top-level fields whose value differs, in document order; `old = None` for a creation.
pub fn diff(old: Option<&CaseDoc>, new: &CaseDoc) -> Vec<FieldChange> {
    let as_map = |d: &CaseDoc| match serde_json::to_value(d) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    let old = old.map(as_map).unwrap_or_default();
    let mut changes: Vec<FieldChange> = as_map(new)
        .into_iter()
        .filter_map(|(field, to)| {
            let from = old.get(&field).cloned().unwrap_or(Value::Null);
            let empty = |v: &Value| v.is_null() || v.as_array().is_some_and(|a| a.is_empty());
            (from != to && !(empty(&from) && empty(&to))).then_some(FieldChange { field, from, to })
        })
        .collect();
    changes.sort_by_key(|c| field_order(&c.field));
    changes
}

fn field_order(field: &str) -> usize {
    const ORDER: &[&str] = &[
        "given_name",
        "family_name",
        "other_names",
        "sex",
        "date_of_birth",
        "estimated_age",
        "nationality",
        "languages",
        "separation_status",
        "displacement_status",
        "risk_level",
        "specific_needs",
        "family",
        "location",
        "registration_date",
        "caseworker_id",
        "placements",
        "services",
    ];
    ORDER
        .iter()
        .position(|f| *f == field)
        .unwrap_or(ORDER.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_changed_field_with_both_values() {
        let old = CaseDoc {
            given_name: Some("Amal".into()),
            risk_level: Some("low".into()),
            ..CaseDoc::default()
        };
        let new = CaseDoc {
            risk_level: Some("high".into()),
            languages: vec!["ar".into()],
            ..old.clone()
        };
        let changes = diff(Some(&old), &new);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["languages", "risk_level"]);
        assert_eq!(changes[1].from, Value::from("low"));
        assert_eq!(changes[1].to, Value::from("high"));
        assert!(diff(Some(&new), &new).is_empty());
    }

    #[test]
    fn a_creation_lists_only_the_fields_given() {
        let new = CaseDoc {
            given_name: Some("Amal".into()),
            ..CaseDoc::default()
        };
        let fields: Vec<String> = diff(None, &new).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, ["given_name"]);
    }
}
