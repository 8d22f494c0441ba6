//! What changed between two versions of a record, field by field.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: String,
    pub from: Value,
    pub to: Value,
}

/// The top-level fields of a document whose value differs, in the order the document declares
/// them; `old = None` for a creation. A field that is absent, `null`, an empty list or an object
/// of only empty values counts as empty, and empty to empty is no change. Works for any record document (a case, a tracing
/// request) that serialises to a JSON object.
pub fn diff<T: Serialize>(old: Option<&T>, new: &T) -> Vec<FieldChange> {
    let old: Vec<(String, Value)> = old.map(fields).unwrap_or_default();
    let mut seen = Vec::new();
    let mut changes: Vec<FieldChange> = fields(new)
        .into_iter()
        .filter_map(|(field, to)| {
            let from = old
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, v)| v.clone())
                .unwrap_or(Value::Null);
            seen.push(field.clone());
            changed(&from, &to).then_some(FieldChange { field, from, to })
        })
        .collect();
    // A field the old version had and the new one does not write at all (skipped when empty).
    changes.extend(
        old.into_iter()
            .filter(|(f, _)| !seen.contains(f))
            .filter(|(_, from)| changed(from, &Value::Null))
            .map(|(field, from)| FieldChange {
                field,
                from,
                to: Value::Null,
            }),
    );
    changes
}

fn changed(from: &Value, to: &Value) -> bool {
    from != to && !(empty(from) && empty(to))
}

/// `null`, `[]`, or an object with nothing but empty values (a section left blank).
fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.values().all(empty),
        _ => false,
    }
}

/// The document's top-level fields in serialisation order (declaration order for a struct).
/// `serde_json::Map` sorts its keys, so the JSON text is read back through [`Ordered`].
fn fields<T: Serialize>(doc: &T) -> Vec<(String, Value)> {
    serde_json::to_string(doc)
        .ok()
        .and_then(|text| serde_json::from_str::<Ordered>(&text).ok())
        .map(|o| o.0)
        .unwrap_or_default()
}

/// A JSON object's entries in the order they were written.
struct Ordered(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::CaseDoc;
    use crate::tracing_request::{SeparationEvent, TracingRequestDoc};

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

    #[test]
    fn any_document_diffs_in_declaration_order() {
        let old = TracingRequestDoc::default();
        let new = TracingRequestDoc {
            separation: SeparationEvent {
                circumstances: vec!["flight".into()],
                ..SeparationEvent::default()
            },
            date_of_inquiry: Some("2026-11-23".into()),
            ..TracingRequestDoc::default()
        };
        let fields: Vec<String> = diff(Some(&old), &new)
            .into_iter()
            .map(|c| c.field)
            .collect();
        assert_eq!(fields, ["separation", "date_of_inquiry"]);
        // Declaration order, not alphabetical: `separation` before `date_of_inquiry`.
        #[derive(Serialize)]
        struct Doc {
            zeta: u8,
            alpha: Option<u8>,
        }
        let fields: Vec<String> = diff(
            None,
            &Doc {
                zeta: 1,
                alpha: Some(2),
            },
        )
        .into_iter()
        .map(|c| c.field)
        .collect();
        assert_eq!(fields, ["zeta", "alpha"]);
    }
}
