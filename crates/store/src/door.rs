//! The write door's logic, shared by every backend: policy, validation, merge, history and the
//! audit event, decided before any SQL runs. Backends only carry out a [`RecordWrite`].
//!
//! Cases and tracing requests share the steps that do not depend on the document
//! ([`merged`] for an update's checks and merge, [`change`] for its history entry and audit
//! event); each record kind adds only what is its own (the caseworker of a case, the index
//! columns).

use std::fmt::Display;

use haven_domain::Problems;
use haven_domain::audit::{AuditAction, AuditEvent};
use haven_domain::case::{self, CaseDoc, CaseStatus, ValidCase};
use haven_domain::history::{FieldChange, diff};
use haven_domain::ids::{AgencyId, CaseId, TracingRequestId, UserId};
use haven_domain::policy::{Action, authorize};
use haven_domain::tracing_request::{self, RequestStatus, TracingRequestDoc, ValidTracingRequest};
use haven_domain::user::Actor;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};

use crate::error::{StoreError, StoreResult};
use crate::types::{CaseRecord, HistoryEntry, TracingRequestRecord};

/// The record type of a case: its audit target kind and its `record_history.record_type`.
pub const CASE: &str = "case";
/// The record type of a tracing request.
pub const TRACING_REQUEST: &str = "tracing_request";

/// Everything one write of a record stores, in one transaction.
#[derive(Debug, Clone)]
pub struct RecordWrite<R, I> {
    /// The record as it will be after the write.
    pub record: R,
    /// The values the store indexes for filtering.
    pub index: I,
    pub history: HistoryEntry,
    pub audit: AuditEvent,
}

pub type CaseWrite = RecordWrite<CaseRecord, CaseIndex>;
pub type TracingRequestWrite = RecordWrite<TracingRequestRecord, TracingRequestIndex>;

#[derive(Debug, Clone, PartialEq)]
pub struct CaseIndex {
    pub risk_level: Option<&'static str>,
    pub separation_status: Option<&'static str>,
    pub location_pcode: Option<String>,
    pub registration_date: Date,
    /// Must name a user of the case's agency; the backend checks inside the transaction when
    /// [`Self::caseworker_unverified`] says so.
    pub caseworker_id: UserId,
    /// False when the caseworker is known to be of the agency already: the acting user
    /// registering in their own agency, or the caseworker the case already had.
    pub caseworker_unverified: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TracingRequestIndex {
    /// The P-code of the place of separation.
    pub separation_pcode: Option<String>,
    pub date_of_inquiry: Date,
}

// --- Shared by every record kind -----------------------------------------------------------------

/// The checks every update makes before it looks at the patch's content: the record is in the
/// actor's scope (out of scope looks exactly like absent), still at `expected_version`, and the
/// patch is an object. Returns the current document with the patch applied, read back as `D`.
pub fn merged<D: Serialize + DeserializeOwned>(
    actor: &Actor,
    action: Action,
    owner: AgencyId,
    current_version: i64,
    expected_version: i64,
    current: &D,
    patch: &Value,
) -> StoreResult<D> {
    authorize(actor, action, Some(owner)).map_err(|_| StoreError::NotFound)?;
    if current_version != expected_version {
        return Err(StoreError::Conflict {
            current: current_version,
        });
    }
    if !patch.is_object() {
        return Err(Problems::single("", "a merge patch must be a JSON object").into());
    }
    let mut doc = serde_json::to_value(current)
        .map_err(|e| StoreError::Corrupt(format!("cannot serialise a stored document: {e}")))?;
    merge_patch(&mut doc, patch);
    Ok(haven_domain::problems::from_json(doc)?)
}

/// The history entry and the audit event of one write of a record of type `kind`: the fields
/// that changed from `old` (`None` on creation) to `new`. The audit event names the fields,
/// never their content.
#[allow(clippy::too_many_arguments)]
pub fn change<D: Serialize>(
    actor: &Actor,
    action: AuditAction,
    kind: &'static str,
    id: impl Display,
    version: i64,
    at: OffsetDateTime,
    old: Option<&D>,
    new: &D,
) -> (HistoryEntry, AuditEvent) {
    let changes: Vec<FieldChange> = diff(old, new);
    let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    let audit = AuditEvent::new(Some(actor.user_id), action)
        .target(kind, id)
        .details(json!({ "version": version, "fields": fields }));
    let history = HistoryEntry {
        version,
        at,
        actor_id: actor.user_id,
        action: if old.is_none() { "create" } else { "update" }.to_string(),
        changes,
    };
    (history, audit)
}

/// A UUIDv7 from the store's clock: random enough to be unguessable (74 random bits), ordered by
/// time so that new records append to the id index instead of landing on a random page of it.
fn time_ordered_id(now: OffsetDateTime) -> uuid::Uuid {
    let secs = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        secs,
        now.nanosecond(),
    ))
}

// --- Cases --------------------------------------------------------------------------------------

pub fn prepare_create(actor: &Actor, doc: CaseDoc, now: OffsetDateTime) -> StoreResult<CaseWrite> {
    authorize(actor, Action::CreateCase, None)?;
    let valid = case::validate(doc, now.date())?;
    let record = CaseRecord {
        id: CaseId(time_ordered_id(now)),
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
    let doc = merged(
        actor,
        Action::UpdateCase,
        current.agency_id,
        current.version,
        expected_version,
        &current.doc,
        patch,
    )?;
    let valid = case::validate(doc, now.date())?;
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
    let is_actor = caseworker_id == actor.user_id && record.agency_id == actor.agency_id;
    let unchanged = old.is_some_and(|o| o.caseworker_id == doc.caseworker_id);
    let caseworker_unverified = !is_actor && !unchanged;
    let (history, audit) = change(
        actor,
        action,
        CASE,
        record.id,
        record.version,
        record.updated_at,
        old,
        &doc,
    );
    record.doc = doc;
    RecordWrite {
        record,
        index: CaseIndex {
            risk_level: risk_level.map(|r| r.as_str()),
            separation_status: separation_status.map(|s| s.as_str()),
            location_pcode,
            registration_date,
            caseworker_id,
            caseworker_unverified,
        },
        history,
        audit,
    }
}

// --- Tracing requests ---------------------------------------------------------------------------

pub fn prepare_tracing_create(
    actor: &Actor,
    doc: TracingRequestDoc,
    now: OffsetDateTime,
) -> StoreResult<TracingRequestWrite> {
    authorize(actor, Action::CreateTracingRequest, None)?;
    let valid = tracing_request::validate(doc, now.date())?;
    let record = TracingRequestRecord {
        id: TracingRequestId(time_ordered_id(now)),
        version: 1,
        agency_id: actor.agency_id,
        status: RequestStatus::Open,
        created_by: actor.user_id,
        created_at: now,
        updated_at: now,
        doc: TracingRequestDoc::default(),
    };
    Ok(finish_tracing(
        actor,
        record,
        None,
        valid,
        AuditAction::TracingRequestCreate,
    ))
}

/// `Ok(None)` when the patch changes nothing, as for cases.
pub fn prepare_tracing_update(
    actor: &Actor,
    current: &TracingRequestRecord,
    expected_version: i64,
    patch: &Value,
    now: OffsetDateTime,
) -> StoreResult<Option<TracingRequestWrite>> {
    let doc = merged(
        actor,
        Action::UpdateTracingRequest,
        current.agency_id,
        current.version,
        expected_version,
        &current.doc,
        patch,
    )?;
    let valid = tracing_request::validate(doc, now.date())?;
    let mut record = current.clone();
    record.version += 1;
    record.updated_at = now;
    let write = finish_tracing(
        actor,
        record,
        Some(&current.doc),
        valid,
        AuditAction::TracingRequestUpdate,
    );
    Ok((!write.history.changes.is_empty()).then_some(write))
}

fn finish_tracing(
    actor: &Actor,
    mut record: TracingRequestRecord,
    old: Option<&TracingRequestDoc>,
    valid: ValidTracingRequest,
    action: AuditAction,
) -> TracingRequestWrite {
    let ValidTracingRequest {
        doc,
        separation_pcode,
        date_of_inquiry,
    } = valid;
    let (history, audit) = change(
        actor,
        action,
        TRACING_REQUEST,
        record.id,
        record.version,
        record.updated_at,
        old,
        &doc,
    );
    record.doc = doc;
    RecordWrite {
        record,
        index: TracingRequestIndex {
            separation_pcode,
            date_of_inquiry,
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
        case::doc_from_json(json!({"given_name": "Amal", "risk_level": "low"})).unwrap()
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
    fn tracing_requests_share_the_update_rules_and_audit_field_names_only() {
        let a = actor();
        let doc = tracing_request::doc_from_json(json!({
            "inquirer": {"given_name": "Fatima", "relation": "mother"},
            "child": {"given_name": "Amal"},
        }))
        .unwrap();
        let w = prepare_tracing_create(&a, doc, NOW).unwrap();
        assert_eq!(
            w.audit.target,
            Some((TRACING_REQUEST, w.record.id.to_string()))
        );
        assert_eq!(
            w.audit.details,
            json!({"version": 1, "fields": ["inquirer", "child", "date_of_inquiry"]})
        );
        assert!(!w.audit.details.to_string().contains("Amal"));
        let rec = w.record;
        let patch = json!({"separation": {"circumstances": ["flight"]}});
        assert!(matches!(
            prepare_tracing_update(&a, &rec, 2, &patch, NOW),
            Err(StoreError::Conflict { current: 1 })
        ));
        assert!(matches!(
            prepare_tracing_update(&actor(), &rec, 1, &patch, NOW),
            Err(StoreError::NotFound)
        ));
        let w = prepare_tracing_update(&a, &rec, 1, &patch, NOW)
            .unwrap()
            .unwrap();
        assert_eq!(w.record.version, 2);
        assert_eq!(w.history.changes[0].field, "separation");
        let Err(StoreError::Invalid(p)) =
            prepare_tracing_update(&a, &rec, 1, &json!({"child": {"sex": "girl"}}), NOW)
        else {
            panic!("expected invalid");
        };
        assert_eq!(p.errors()[0].path, "child.sex");
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(decode_cursor(&encode_cursor(42)).unwrap(), 42);
        assert!(decode_cursor("42").is_err());
        assert!(decode_cursor("c-1").is_err());
    }
}
