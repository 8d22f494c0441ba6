//! The write door's logic, shared by every backend: policy, validation, merge, history and the
//! audit event, decided before any SQL runs. Backends only carry out a [`RecordWrite`].
//!
//! Cases and tracing requests share the steps that do not depend on the document
//! ([`merged`] for an update's checks and merge, [`change`] for its history entry and audit
//! event); each record kind adds only what is its own (the caseworker of a case, the index
//! columns).

use std::fmt::Display;

use haven_domain::Problems;
use haven_domain::access::Permission;
use haven_domain::access::{PermissionSet, RoleSpec};
use haven_domain::audit::{AuditAction, AuditEvent};
use haven_domain::case::{self, CaseDoc, CaseStatus, ValidCase};
use haven_domain::consent::{self, ConsentDoc, ConsentRecord, Need};
use haven_domain::history::{FieldChange, diff};
use haven_domain::ids::{AgencyId, CaseId, TracingRequestId, UserId};
use haven_domain::policy::{authorize, authorize_in};
use haven_domain::sensitivity::RecordKind;
use haven_domain::tracing_request::{self, RequestStatus, TracingRequestDoc, ValidTracingRequest};
use haven_domain::user::{Actor, User};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};

use crate::error::{StoreError, StoreResult};
use crate::scope::Table;
use crate::types::{
    AccessGrant, Alert, CaseRecord, Consent, HistoryEntry, Resealed, TracingRequestRecord,
};

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
    /// What the case's open detention alert must become, when its placements changed.
    pub detention: DetentionSync,
}

/// The `detention` alert of a case follows its placements: raised in the transaction that
/// records a placement in detention, resolved in the one that ends it. Derived from the
/// placements (`casework::placement`), so the alert cannot disagree with the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetentionSync {
    /// The placements did not change: leave the alerts alone.
    Unchanged,
    /// The child is detained since `since`: an open alert for that spell must exist.
    Detained {
        since: Date,
        kind: haven_domain::casework::placement::Arrangement,
    },
    /// The child is not detained: any open detention alert is resolved.
    Free,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TracingRequestIndex {
    /// The P-code of the place of separation.
    pub separation_pcode: Option<String>,
    pub date_of_inquiry: Date,
}

// --- Shared by every record kind -----------------------------------------------------------------

/// The checks every update makes before it looks at the patch's content: the actor may change
/// this kind of record, the record is still at `expected_version`, and the patch is an object.
/// (The backend found the record through the actor's scope, so out of scope is already absent.)
/// Returns the current document with the patch applied, read back as `D`.
pub fn merged<D: Serialize + DeserializeOwned>(
    actor: &Actor,
    permission: Permission,
    current_version: i64,
    expected_version: i64,
    current: &D,
    patch: &Value,
) -> StoreResult<D> {
    authorize(actor, permission)?;
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

// --- Administration -----------------------------------------------------------------------------

/// The check before `by` does something needing `permission` to what belongs to `agency`; the
/// console (`None`) may do anything.
pub fn check_admin(
    by: Option<&Actor>,
    permission: Permission,
    agency: AgencyId,
) -> StoreResult<()> {
    match by {
        None => Ok(()),
        Some(actor) => Ok(authorize_in(actor, permission, agency)?),
    }
}

/// The permission check that comes before looking anything up, so a caller without it is told
/// so (403) rather than that the thing is missing; the console (`None`) may do anything.
pub fn may(by: Option<&Actor>, permission: Permission) -> StoreResult<()> {
    match by {
        None => Ok(()),
        Some(actor) => Ok(authorize(actor, permission)?),
    }
}

/// The check before `by` hands out (or defines) `role`: they must hold all of it.
pub fn check_grant(by: Option<&Actor>, role: &RoleSpec) -> StoreResult<()> {
    match by {
        Some(a) if !role.within(a.permissions, a.scope, a.sees) => Err(StoreError::Denied(
            format!("the role {} grants more than {} holds", role.name, a.role),
        )),
        _ => Ok(()),
    }
}

/// Longest group name accepted, in characters.
pub const MAX_GROUP_NAME_CHARS: usize = 100;

pub fn group_name(raw: &str) -> StoreResult<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_GROUP_NAME_CHARS {
        return Err(Problems::single(
            "name",
            format!("must be 1 to {MAX_GROUP_NAME_CHARS} characters"),
        )
        .into());
    }
    Ok(name.to_string())
}

/// A token may be limited to part of its user's role, never extended beyond it.
pub fn check_token_permissions(
    owner: &User,
    permissions: Option<PermissionSet>,
) -> StoreResult<()> {
    match permissions {
        Some(p) if !p.is_subset(owner.role.permissions) => Err(Problems::single(
            "permissions",
            format!(
                "the role {} does not include: {}",
                owner.role.name,
                p.iter()
                    .filter(|x| !owner.role.permissions.contains(*x))
                    .map(Permission::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .into()),
        _ => Ok(()),
    }
}

/// Shortest break-the-glass reason accepted: enough words for a reviewer to judge it.
pub const MIN_REASON_CHARS: usize = 10;
pub const MAX_REASON_CHARS: usize = 1000;

pub fn break_glass_reason(raw: &str) -> StoreResult<String> {
    let reason = raw.trim();
    let n = reason.chars().count();
    if !(MIN_REASON_CHARS..=MAX_REASON_CHARS).contains(&n) {
        return Err(Problems::single(
            "reason",
            format!("must say why, in {MIN_REASON_CHARS} to {MAX_REASON_CHARS} characters"),
        )
        .into());
    }
    Ok(reason.to_string())
}

pub(crate) fn table_of(kind: RecordKind) -> Table {
    match kind {
        RecordKind::Case => Table::Cases,
        RecordKind::TracingRequest => Table::TracingRequests,
    }
}

/// Associated data binding a sealed TOTP secret to its user.
pub(crate) fn totp_aad(user: UserId) -> String {
    format!("users:{user}:totp_secret")
}

/// Associated data binding a sealed break-the-glass reason to its grant.
pub(crate) fn grant_aad(grant: uuid::Uuid) -> String {
    format!("access_grants:{grant}:reason")
}

/// An alert about an account (`subject`), for the admins of its agency.
pub(crate) fn account_alert(
    kind: &str,
    agency: AgencyId,
    subject: UserId,
    count: u32,
    at: OffsetDateTime,
) -> Alert {
    Alert {
        id: uuid::Uuid::new_v4(),
        kind: kind.to_string(),
        agency_id: agency,
        record_type: None,
        record_id: None,
        subject_user: Some(subject),
        details: json!({ "count": count }),
        raised_at: at,
    }
}

/// An alert about a record opened by break-the-glass, for the record's supervisors.
pub(crate) fn record_alert(
    kind: &str,
    agency: AgencyId,
    grant: &AccessGrant,
    by: &Actor,
    at: OffsetDateTime,
) -> Alert {
    Alert {
        id: uuid::Uuid::new_v4(),
        kind: kind.to_string(),
        agency_id: agency,
        record_type: Some(grant.record_type.clone()),
        record_id: Some(grant.record_id),
        subject_user: Some(by.user_id),
        details: json!({ "grant": grant.id.to_string(), "expires_at": crate::audit::format_at(grant.expires_at) }),
        raised_at: at,
    }
}

/// The audit event of a read: who saw which records (ids only) and why.
pub fn read_event(
    actor: &Actor,
    action: AuditAction,
    kind: &'static str,
    ids: &[String],
) -> AuditEvent {
    let event = AuditEvent::new(Some(actor.user_id), action);
    match ids {
        [one] => event.target(kind, one),
        many => event.details(json!({ "kind": kind, "ids": many })),
    }
}

// --- Consent -------------------------------------------------------------------------------------

/// A new consent on `case` (already found in the actor's scope): validated for the child's age,
/// with its audit event. The consent's content stays out of the audit entry.
pub fn prepare_consent(
    actor: &Actor,
    case: &CaseRecord,
    doc: ConsentDoc,
    now: OffsetDateTime,
) -> StoreResult<(Consent, AuditEvent)> {
    authorize(actor, Permission::CaseUpdate)?;
    let today = now.date();
    let valid = consent::validate(doc, case::age(&case.doc, today), today)?;
    let id = time_ordered_id(now);
    let record = ConsentRecord {
        id,
        basis: valid.basis,
        purposes: valid.purposes,
        recipients: valid.recipients,
        given_on: valid.given_on,
        withdrawn_on: None,
    };
    let audit = AuditEvent::new(Some(actor.user_id), AuditAction::ConsentRecord)
        .target(CASE, case.id)
        .details(json!({
            "consent": id.to_string(),
            "basis": record.basis.as_str(),
            "purposes": record.purposes.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            "recipients": record.recipients.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        }));
    let consent = Consent {
        case_id: case.id,
        record,
        doc: valid.doc,
        recorded_by: actor.user_id,
        recorded_at: now,
    };
    Ok((consent, audit))
}

/// Withdrawing a consent: from `on` (today when absent), never before it was given nor in the
/// future, and only once.
pub fn prepare_withdrawal(
    actor: &Actor,
    current: &Consent,
    on: Option<&str>,
    now: OffsetDateTime,
) -> StoreResult<(Consent, AuditEvent)> {
    authorize(actor, Permission::CaseUpdate)?;
    let today = now.date();
    let on = match on {
        None => today,
        Some(raw) => {
            haven_domain::dates::parse_date(raw).map_err(|e| Problems::single("withdrawn_on", e))?
        }
    };
    if on > today {
        return Err(Problems::single("withdrawn_on", "is in the future").into());
    }
    if on < current.record.given_on {
        return Err(Problems::single("withdrawn_on", "is before the consent was given").into());
    }
    if current.record.withdrawn_on.is_some() {
        return Err(Problems::single("withdrawn_on", "the consent is already withdrawn").into());
    }
    let mut next = current.clone();
    next.record.withdrawn_on = Some(on);
    let audit = AuditEvent::new(Some(actor.user_id), AuditAction::ConsentWithdraw)
        .target(CASE, current.case_id)
        .details(json!({ "consent": current.record.id.to_string() }));
    Ok((next, audit))
}

/// The rule before any use of a case's data that needs consent: the case's consents allow it, or
/// an actor holding `consent.override` states why they act without. `Ok(Some(event))` is the
/// override's audit event, to write in the same transaction as the use.
pub fn require_consent(
    actor: &Actor,
    case: CaseId,
    consents: &[ConsentRecord],
    need: Need,
    override_reason: Option<&str>,
    today: time::Date,
) -> StoreResult<Option<AuditEvent>> {
    if consent::check(consents, need, today).is_some() {
        return Ok(None);
    }
    let Some(reason) = override_reason else {
        return Err(StoreError::ConsentRequired(need.describe()));
    };
    authorize(actor, Permission::ConsentOverride)?;
    let reason = break_glass_reason(reason)?;
    Ok(Some(
        AuditEvent::new(Some(actor.user_id), AuditAction::ConsentOverride)
            .target(CASE, case)
            .details(json!({ "need": need.describe(), "reason_chars": reason.chars().count() })),
    ))
}

/// Associated data binding a sealed consent body to its consent.
pub(crate) fn consent_aad(consent: uuid::Uuid) -> String {
    format!("consents:{consent}:body")
}

/// Rows `Store::reseal_all` rewrites per transaction.
pub const RESEAL_BATCH: usize = 500;

/// The audit event of a key rotation's re-sealing: counts only.
pub fn reseal_event(done: &Resealed) -> AuditEvent {
    AuditEvent::new(None, AuditAction::KeysRotate).details(json!({
        "records": done.records,
        "history_entries": done.history_entries,
        "secrets": done.secrets,
    }))
}

/// The audit event of a refused read: the record exists but not in the actor's scope.
pub fn refused_event(
    actor: &Actor,
    attempted: AuditAction,
    kind: &'static str,
    id: impl Display,
) -> AuditEvent {
    AuditEvent::new(Some(actor.user_id), AuditAction::AuthorizationFailure)
        .target(kind, id)
        .details(json!({ "attempted": attempted.as_str() }))
}

pub(crate) fn kind_of(table: Table) -> RecordKind {
    match table {
        Table::Cases => RecordKind::Case,
        Table::TracingRequests => RecordKind::TracingRequest,
    }
}

/// A UUIDv7 from the store's clock: random enough to be unguessable (74 random bits), ordered by
/// time so that new records append to the id index instead of landing on a random page of it.
pub(crate) fn time_ordered_id(now: OffsetDateTime) -> uuid::Uuid {
    let secs = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        secs,
        now.nanosecond(),
    ))
}

// --- Cases --------------------------------------------------------------------------------------

pub fn prepare_create(actor: &Actor, doc: CaseDoc, now: OffsetDateTime) -> StoreResult<CaseWrite> {
    authorize(actor, Permission::CaseCreate)?;
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
    finish(actor, record, None, valid, AuditAction::CaseCreate)
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
        Permission::CaseUpdate,
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
    )?;
    Ok((!write.history.changes.is_empty()).then_some(write))
}

pub(crate) fn finish(
    actor: &Actor,
    mut record: CaseRecord,
    old: Option<&CaseDoc>,
    valid: ValidCase,
    action: AuditAction,
) -> StoreResult<CaseWrite> {
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
    if caseworker_unverified || (old.is_some() && !unchanged) {
        // Handing a case to someone else (or taking it over) is assignment.
        authorize(actor, Permission::CaseAssign)?;
    }
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
    let detention = crate::casework::detention_sync(old, &doc, record.updated_at.date());
    record.doc = doc;
    Ok(RecordWrite {
        record,
        index: CaseIndex {
            risk_level: risk_level.map(|r| r.as_str()),
            separation_status: separation_status.map(|s| s.as_str()),
            location_pcode,
            registration_date,
            caseworker_id,
            caseworker_unverified,
            detention,
        },
        history,
        audit,
    })
}

// --- Tracing requests ---------------------------------------------------------------------------

pub fn prepare_tracing_create(
    actor: &Actor,
    doc: TracingRequestDoc,
    now: OffsetDateTime,
) -> StoreResult<TracingRequestWrite> {
    authorize(actor, Permission::TracingCreate)?;
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
        Permission::TracingUpdate,
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
    use haven_domain::access::{CASEWORKER, DATA_OFFICER, seeded_roles};
    use haven_domain::ids::AgencyId;
    use haven_domain::user::User;
    use time::macros::datetime;

    fn actor_with(role: &str) -> Actor {
        let role = seeded_roles().into_iter().find(|r| r.name == role).unwrap();
        Actor::from(&User {
            id: UserId::new_random(),
            email: "cw@example.org".into(),
            display_name: "Caseworker".into(),
            agency_id: AgencyId::new_random(),
            role,
            active: true,
            mfa_enrolled: false,
        })
    }

    fn actor() -> Actor {
        actor_with(CASEWORKER)
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
    fn roles_without_the_permission_are_refused() {
        let Err(StoreError::Denied(_)) = prepare_create(&actor_with(DATA_OFFICER), doc(), NOW)
        else {
            panic!("a data officer cannot register a child");
        };
        let a = actor();
        let other = UserId::new_random();
        let assigned =
            case::doc_from_json(json!({"given_name": "Amal", "caseworker_id": other.to_string()}))
                .unwrap();
        let Err(StoreError::Denied(_)) = prepare_create(&a, assigned, NOW) else {
            panic!("a caseworker cannot assign a case to someone else");
        };
    }

    #[test]
    fn update_refuses_stale_versions() {
        let a = actor();
        let rec = prepare_create(&a, doc(), NOW).unwrap().record;
        let patch = json!({"risk_level": "high"});
        assert!(matches!(
            prepare_update(&a, &rec, 2, &patch, NOW),
            Err(StoreError::Conflict { current: 1 })
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
