//! Which fields of a record are sensitive, and of which class. One table serves two purposes: a
//! role that does not see a class gets records without those fields (absent, not blanked), and the
//! store encrypts every classified field at rest.

use serde_json::Value;

use crate::access::{FieldClass, FieldClassSet};

/// A path into a record's JSON document: object keys, with `*` for every element of an array.
pub type Path = &'static [&'static str];

/// The kinds of record that carry classified fields, by their store name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Case,
    TracingRequest,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Case => "case",
            Self::TracingRequest => "tracing_request",
        }
    }
}

use FieldClass::*;

const CASE_FIELDS: &[(Path, FieldClass)] = &[
    (&["given_name"], Identifying),
    (&["family_name"], Identifying),
    (&["other_names"], Identifying),
    (&["date_of_birth"], Identifying),
    (&["family", "*", "given_name"], Identifying),
    (&["family", "*", "family_name"], Identifying),
    (&["family", "*", "other_names"], Identifying),
    (&["family", "*", "date_of_birth"], Identifying),
    (&["family", "*", "contact"], Contact),
    (&["specific_needs"], Protection),
    (
        &["legal_identity", "birth_registration", "certificate_number"],
        Identifying,
    ),
    (&["legal_identity", "documents", "*", "number"], Identifying),
    // Legal status (irregular, expiring) and the route and reasons for leaving (persecution,
    // trafficking) are what could harm the child if read by the wrong person.
    (&["legal_identity", "legal_status"], Protection),
    (&["route"], Protection),
    // Not part of the document: the case-management workflow kept beside it (assessment
    // summaries, supervisors' comments, BID panels). Classified so that its history entries are
    // sealed and hidden from roles that do not see protection details.
    (&["workflow"], Protection),
];

const TRACING_REQUEST_FIELDS: &[(Path, FieldClass)] = &[
    (&["inquirer", "given_name"], Identifying),
    (&["inquirer", "family_name"], Identifying),
    (&["inquirer", "other_names"], Identifying),
    (&["inquirer", "contact"], Contact),
    (&["child", "given_name"], Identifying),
    (&["child", "family_name"], Identifying),
    (&["child", "other_names"], Identifying),
    (&["child", "date_of_birth"], Identifying),
    (&["separation", "circumstances"], Protection),
];

/// Every classified field of a kind of record.
pub fn fields(kind: RecordKind) -> &'static [(Path, FieldClass)] {
    match kind {
        RecordKind::Case => CASE_FIELDS,
        RecordKind::TracingRequest => TRACING_REQUEST_FIELDS,
    }
}

/// Removes from `doc` every field whose class `sees` does not include.
pub fn redact(kind: RecordKind, doc: &mut Value, sees: FieldClassSet) {
    for (path, class) in fields(kind) {
        if !sees.contains(*class) {
            remove(doc, path);
        }
    }
}

/// Whether a change to the top-level field `field` may be shown to someone seeing `sees`: not
/// when anything classified under it is hidden (a history entry carries the whole field).
pub fn top_field_visible(kind: RecordKind, field: &str, sees: FieldClassSet) -> bool {
    fields(kind)
        .iter()
        .all(|(path, class)| path.first() != Some(&field) || sees.contains(*class))
}

/// Calls `f` on every value present at a classified path of `doc` (nulls skipped), with the
/// concrete path (array positions filled in) for binding the value to its place.
pub fn for_each_classified(kind: RecordKind, doc: &mut Value, f: &mut dyn FnMut(&str, &mut Value)) {
    for (path, _) in fields(kind) {
        visit(doc, path, String::new(), f);
    }
}

fn visit(doc: &mut Value, path: &[&str], at: String, f: &mut dyn FnMut(&str, &mut Value)) {
    let Some((head, rest)) = path.split_first() else {
        if !doc.is_null() {
            f(&at, doc);
        }
        return;
    };
    let join = |seg: &str| {
        if at.is_empty() {
            seg.to_string()
        } else {
            format!("{at}.{seg}")
        }
    };
    match (*head, doc) {
        ("*", Value::Array(items)) => {
            for (i, item) in items.iter_mut().enumerate() {
                visit(item, rest, join(&i.to_string()), f);
            }
        }
        (key, Value::Object(map)) => {
            if let Some(child) = map.get_mut(key) {
                visit(child, rest, join(key), f);
            }
        }
        _ => {}
    }
}

fn remove(doc: &mut Value, path: &[&str]) {
    match (path, doc) {
        ([last], Value::Object(map)) => {
            map.remove(*last);
        }
        (["*", rest @ ..], Value::Array(items)) => {
            for item in items {
                remove(item, rest);
            }
        }
        ([key, rest @ ..], Value::Object(map)) => {
            if let Some(child) = map.get_mut(*key) {
                remove(child, rest);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn hidden_fields_are_absent_not_blank() {
        let mut doc = json!({
            "given_name": "Amal", "sex": "female", "other_names": [],
            "family": [{"relation": "mother", "given_name": "Huda", "contact": "+000"}],
        });
        let sees: FieldClassSet = [Contact].into_iter().collect();
        redact(RecordKind::Case, &mut doc, sees);
        assert_eq!(
            doc,
            json!({"sex": "female", "family": [{"relation": "mother", "contact": "+000"}]})
        );
    }

    #[test]
    fn a_top_field_is_hidden_when_anything_under_it_is() {
        let sees: FieldClassSet = [Identifying].into_iter().collect();
        assert!(top_field_visible(RecordKind::Case, "given_name", sees));
        assert!(!top_field_visible(RecordKind::Case, "family", sees));
        assert!(top_field_visible(
            RecordKind::Case,
            "sex",
            FieldClassSet::NONE
        ));
    }

    #[test]
    fn classified_values_are_visited_with_their_concrete_path() {
        let mut doc = json!({
            "given_name": "Amal", "date_of_birth": null,
            "family": [{"relation": "mother"}, {"relation": "father", "given_name": "Omar"}],
        });
        let mut seen = Vec::new();
        for_each_classified(RecordKind::Case, &mut doc, &mut |path, v| {
            seen.push((path.to_string(), v.clone()));
        });
        assert_eq!(
            seen,
            [
                ("given_name".to_string(), json!("Amal")),
                ("family.1.given_name".to_string(), json!("Omar")),
            ]
        );
    }
}
