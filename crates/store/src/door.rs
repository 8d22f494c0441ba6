//! The write door's logic, shared by every backend: policy, validation, merge, history and the
//! audit event, decided before any SQL runs. Backends only carry out a [`CaseWrite`].

use haven_domain::Problems;
use haven_domain::audit::{AuditAction, AuditEvent};
use haven_domain::case::{CaseDoc, CaseStatus, ValidCase, doc_from_json, validate};
use haven_domain::history::{FieldChange, diff};
use haven_domain::ids::{CaseId, UserId};
use haven_domain::policy::{Action, authorize};
use haven_domain::user::Actor;
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};

use crate::error::{StoreError, StoreResult};
use crate::types::{CaseRecord, HistoryEntry};

/// Everything one case write stores, in one transaction.
#[derive(Debug, Clone)]
pub struct CaseWrite {
    /// The record as it will be after the write.
    pub record: CaseRecord,
    /// The values the store indexes for filtering.
    pub index: CaseIndex,
    pub history: HistoryEntry,
    pub audit: AuditEvent,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseIndex {
    pub risk_level: Option<&'static str>,
    pub separation_status: Option<&'static str>,
    pub location_pcode: Option<String>,
    pub registration_date: Date,
    /// Must name a user of the case's agency; the backend checks inside the transaction.
    pub caseworker_id: UserId,
}

pub fn prepare_create(actor: &Actor, doc: CaseDoc, now: OffsetDateTime) -> StoreResult<CaseWrite> {
    authorize(actor, Action::CreateCase, None)?;
    let valid = validate(doc, now.date())?;
    let record = CaseRecord {
        id: CaseId::new_random(),
        version: 1,
        agency_id: actor.agency_id,
        status: CaseStatus::Open,
        created_by: actor.user_id,
        created_at: now,
        updated_at: now,
        doc: CaseDoc::default(),
    };
    Ok(finish(actor, record, None, valid, AuditAction::CaseCreate))
}

/// `Ok(None)` when the patch changes nothing: no new version, no history entry.
pub fn prepare_update(
    actor: &Actor,
    current: &CaseRecord,
    expected_version: i64,
    patch: &Value,
    now: OffsetDateTime,
) -> StoreResult<Option<CaseWrite>> {
    // Out of scope looks exactly like absent.
    authorize(actor, Action::UpdateCase, Some(current.agency_id))
        .map_err(|_| StoreError::NotFound)?;
    if current.version != expected_version {
        return Err(StoreError::Conflict {
            current: current.version,
        });
    }
    if !patch.is_object() {
        return Err(Problems::single("", "a merge patch must be a JSON object").into());
    }
    let mut merged = serde_json::to_value(&current.doc)
        .map_err(|e| StoreError::Corrupt(format!("case {}: {e}", current.id)))?;
    merge_patch(&mut merged, patch);
    let valid = validate(doc_from_json(merged)?, now.date())?;
    let mut record = current.clone();
    record.version += 1;
    record.updated_at = now;
    let write = finish(
        actor,
        record,
        Some(&current.doc),
        valid,
        AuditAction::CaseUpdate,
    );
    Ok((!write.history.changes.is_empty()).then_some(write))
}

fn finish(
    actor: &Actor,
    mut record: CaseRecord,
    old: Option<&CaseDoc>,
    valid: ValidCase,
    action: AuditAction,
) -> CaseWrite {
    let ValidCase {
        mut doc,
        risk_level,
        separation_status,
        location_pcode,
        registration_date,
        caseworker_id,
    } = valid;
    // On creation the registering user is the caseworker unless another is named; on update an
    // omitted caseworker keeps the one the record has (merge patch), so this only fills a gap.
    let caseworker_id = caseworker_id.unwrap_or(actor.user_id);
    doc.caseworker_id = Some(caseworker_id.to_string());
    let changes: Vec<FieldChange> = diff(old, &doc);
    let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    let audit = AuditEvent::new(Some(actor.user_id), action)
        .target("case", record.id)
        .details(json!({ "version": record.version, "fields": fields }));
    let history = HistoryEntry {
        version: record.version,
        at: record.updated_at,
        actor_id: actor.user_id,
        action: if old.is_none() { "create" } else { "update" }.to_string(),
        changes,
    };
    record.doc = doc;
    CaseWrite {
        record,
        index: CaseIndex {
            risk_level: risk_level.map(|r| r.as_str()),
            separation_status: separation_status.map(|s| s.as_str()),
            location_pcode,
            registration_date,
            caseworker_id,
        },
        history,
        audit,
    }
}

/// RFC 7396 JSON merge patch: objects merge recursively, `null` removes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(target_map) = target {
        for (key, value) in patch_map {
            if value.is_null() {
                target_map.remove(key);
            } else {
                merge_patch(target_map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// Cursors are opaque to clients; inside they are the last row's sequence number.
pub fn encode_cursor(seq: i64) -> String {
    format!("c{seq}")
}

pub fn decode_cursor(cursor: &str) -> StoreResult<i64> {
    cursor
        .strip_prefix('c')
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| Problems::single("cursor", "is not a cursor this server gave out").into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use haven_domain::ids::AgencyId;
    use haven_domain::user::Role;
    use time::macros::datetime;

    fn actor() -> Actor {
        Actor {
            user_id: UserId::new_random(),
            agency_id: AgencyId::new_random(),
            role: Role::Caseworker,
        }
    }

    fn doc() -> CaseDoc {
        doc_from_json(json!({"given_name": "Amal", "risk_level": "low"})).unwrap()
    }

    const NOW: OffsetDateTime = datetime!(2026-11-23 10:00 UTC);

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}}));
    }

    #[test]
    fn create_names_the_registering_user_as_caseworker_and_audits_field_names_only() {
        let a = actor();
        let w = prepare_create(&a, doc(), NOW).unwrap();
        assert_eq!(w.record.version, 1);
        assert_eq!(w.index.caseworker_id, a.user_id);
        assert_eq!(
            w.audit.details,
            json!({"version": 1, "fields": ["given_name", "risk_level", "registration_date", "caseworker_id"]})
        );
        assert!(!w.audit.details.to_string().contains("Amal"));
    }

    #[test]
    fn update_refuses_stale_versions_and_foreign_cases() {
        let a = actor();
        let rec = prepare_create(&a, doc(), NOW).unwrap().record;
        let patch = json!({"risk_level": "high"});
        assert!(matches!(
            prepare_update(&a, &rec, 2, &patch, NOW),
            Err(StoreError::Conflict { current: 1 })
        ));
        assert!(matches!(
            prepare_update(&actor(), &rec, 1, &patch, NOW),
            Err(StoreError::NotFound)
        ));
        let w = prepare_update(&a, &rec, 1, &patch, NOW).unwrap().unwrap();
        assert_eq!(w.record.version, 2);
        assert_eq!(w.history.changes.len(), 1);
        assert_eq!(w.index.risk_level, Some("high"));
        assert!(
            prepare_update(&a, &rec, 1, &json!({"risk_level": "low"}), NOW)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn invalid_patches_name_the_field() {
        let a = actor();
        let rec = prepare_create(&a, doc(), NOW).unwrap().record;
        let Err(StoreError::Invalid(p)) =
            prepare_update(&a, &rec, 1, &json!({"nationality": "XX", "bogus": 1}), NOW)
        else {
            panic!("expected invalid");
        };
        assert_eq!(p.errors()[0].path, "bogus");
        let Err(StoreError::Invalid(p)) =
            prepare_update(&a, &rec, 1, &json!({"nationality": "XX"}), NOW)
        else {
            panic!("expected invalid");
        };
        assert_eq!(p.errors()[0].path, "nationality");
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(decode_cursor(&encode_cursor(42)).unwrap(), 42);
        assert!(decode_cursor("42").is_err());
        assert!(decode_cursor("c-1").is_err());
    }
}
