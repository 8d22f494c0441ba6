//! Reading rows back, shared by both backends: anything that does not decode is
//! [`StoreError::Corrupt`], never a panic.

use haven_domain::Problems;
use std::fmt::Display;

use haven_domain::access::{FieldClassSet, PermissionSet, RoleSpec, ScopeLevel};
use haven_domain::case::{CaseDoc, CaseStatus};
use haven_domain::history::FieldChange;
use haven_domain::ids::{AgencyId, CaseId, TracingRequestId, UserId};
use haven_domain::tracing_request::{RequestStatus, TracingRequestDoc};
use haven_domain::user::User;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::door;
use crate::error::{StoreError, StoreResult, shape};
use crate::sealing::Sealer;
use crate::types::{CaseRecord, Page, PageRequest, TracingRequestRecord};
use haven_domain::sensitivity::RecordKind;

/// One column, or [`StoreError::Corrupt`] naming it.
pub(crate) fn col<'r, R, T>(row: &'r R, name: &str) -> StoreResult<T>
where
    R: sqlx::Row,
    T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
{
    row.try_get(name)
        .map_err(|e| StoreError::Corrupt(format!("column {name}: {e}")))
}

pub(crate) fn parse_uuid(raw: &str, what: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(raw)
        .map_err(|e| StoreError::Corrupt(format!("{what} '{raw}' is not a uuid: {e}")))
}

pub(crate) fn parse_at(raw: &str, what: &str) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::parse(raw, &Rfc3339)
        .map_err(|e| StoreError::Corrupt(format!("{what} '{raw}' is not a time: {e}")))
}

/// A role row, its columns already read.
pub(crate) struct RawRole {
    pub name: String,
    pub description: String,
    /// JSON arrays of names.
    pub permissions: String,
    pub scope: String,
    pub sees: String,
}

impl RawRole {
    pub fn into_role(self) -> StoreResult<RoleSpec> {
        let corrupt =
            |what: &str, e: String| StoreError::Corrupt(format!("role {}: {what}: {e}", self.name));
        let names = |json: &str, what: &str| {
            serde_json::from_str::<Vec<String>>(json).map_err(|e| corrupt(what, e.to_string()))
        };
        let permissions = PermissionSet::parse_all(&names(&self.permissions, "permissions")?)
            .map_err(|bad| corrupt("permissions", format!("{bad:?}")))?;
        let sees = FieldClassSet::parse_all(&names(&self.sees, "sees")?)
            .map_err(|bad| corrupt("sees", format!("{bad:?}")))?;
        let scope = ScopeLevel::parse(&self.scope).map_err(|e| corrupt("scope", e))?;
        Ok(RoleSpec {
            name: self.name,
            description: self.description,
            permissions,
            scope,
            sees,
        })
    }
}

/// A role's permissions and field classes as stored: JSON arrays of names.
pub(crate) fn role_json(role: &RoleSpec) -> (String, String) {
    let json = |names: Vec<&str>| serde_json::Value::from(names).to_string();
    (json(role.permissions.names()), json(role.sees.names()))
}

pub(crate) fn permissions_json(set: Option<PermissionSet>) -> Option<String> {
    set.map(|s| serde_json::Value::from(s.names()).to_string())
}

pub(crate) fn permissions_from_json(raw: Option<String>) -> StoreResult<Option<PermissionSet>> {
    raw.map(|json| {
        let names: Vec<String> = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("token permissions: {e}")))?;
        PermissionSet::parse_all(&names)
            .map_err(|bad| StoreError::Corrupt(format!("token permissions: {bad:?}")))
    })
    .transpose()
}

/// A user row joined with its role, its columns already read.
pub(crate) struct RawUser {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub agency_id: Uuid,
    pub active: bool,
    pub mfa_enrolled: bool,
    pub role: RawRole,
}

impl RawUser {
    pub fn into_user(self) -> StoreResult<User> {
        Ok(User {
            id: UserId(self.id),
            email: self.email,
            display_name: self.display_name,
            agency_id: AgencyId(self.agency_id),
            role: self.role.into_role()?,
            active: self.active,
            mfa_enrolled: self.mfa_enrolled,
        })
    }
}

/// A record row (a case or a tracing request), its columns already read.
pub(crate) struct RawRecord {
    pub id: Uuid,
    pub version: i64,
    pub agency_id: Uuid,
    pub status: String,
    pub created_by: Uuid,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub body: String,
}

impl RawRecord {
    fn decode<D: DeserializeOwned, S>(
        &self,
        kind: RecordKind,
        sealer: &Sealer,
        parse_status: fn(&str) -> Result<S, String>,
    ) -> StoreResult<(D, S)> {
        self.decode_without(kind, sealer, parse_status, |_| {})
    }

    /// Like `decode`, with `drop` removing parts of the stored body before anything is opened:
    /// what it removes is never decrypted.
    fn decode_without<D: DeserializeOwned, S>(
        &self,
        kind: RecordKind,
        sealer: &Sealer,
        parse_status: fn(&str) -> Result<S, String>,
        drop: impl FnOnce(&mut serde_json::Value),
    ) -> StoreResult<(D, S)> {
        let corrupt =
            |e: String| StoreError::Corrupt(format!("{} {}: body: {e}", kind.as_str(), self.id));
        let mut body: serde_json::Value =
            serde_json::from_str(&self.body).map_err(|e| corrupt(e.to_string()))?;
        drop(&mut body);
        sealer.open_doc(kind, self.id, &mut body)?;
        let doc: D = serde_json::from_value(body).map_err(|e| corrupt(shape(&e)))?;
        let status = parse_status(&self.status).map_err(|e| {
            StoreError::Corrupt(format!("{} {}: status: {e}", kind.as_str(), self.id))
        })?;
        Ok((doc, status))
    }

    pub fn into_case(self, sealer: &Sealer) -> StoreResult<CaseRecord> {
        let (doc, status) =
            self.decode::<CaseDoc, _>(RecordKind::Case, sealer, CaseStatus::parse)?;
        Ok(CaseRecord {
            id: CaseId(self.id),
            version: self.version,
            agency_id: AgencyId(self.agency_id),
            status,
            created_by: UserId(self.created_by),
            created_at: self.created_at,
            updated_at: self.updated_at,
            doc,
        })
    }

    /// The case as reports read it: names, family members, specific needs, document numbers
    /// and legal status are removed before anything is opened, so they are never decrypted
    /// (`reporting::build_facts` reads none of them, and opening them was most of the cost).
    pub fn into_case_for_report(self, sealer: &Sealer) -> StoreResult<CaseRecord> {
        let (doc, status) = self.decode_without::<CaseDoc, _>(
            RecordKind::Case,
            sealer,
            CaseStatus::parse,
            crate::reporting::strip_unreported,
        )?;
        Ok(CaseRecord {
            id: CaseId(self.id),
            version: self.version,
            agency_id: AgencyId(self.agency_id),
            status,
            created_by: UserId(self.created_by),
            created_at: self.created_at,
            updated_at: self.updated_at,
            doc,
        })
    }

    pub fn into_tracing_request(self, sealer: &Sealer) -> StoreResult<TracingRequestRecord> {
        let (doc, status) = self.decode::<TracingRequestDoc, _>(
            RecordKind::TracingRequest,
            sealer,
            RequestStatus::parse,
        )?;
        Ok(TracingRequestRecord {
            id: TracingRequestId(self.id),
            version: self.version,
            agency_id: AgencyId(self.agency_id),
            status,
            created_by: UserId(self.created_by),
            created_at: self.created_at,
            updated_at: self.updated_at,
            doc,
        })
    }
}

/// A record's document as the `body` column keeps it: JSON with its classified fields sealed.
pub(crate) fn body<D: Serialize>(
    kind: RecordKind,
    id: impl Display,
    doc: &D,
    sealer: &Sealer,
) -> StoreResult<String> {
    let mut value = serde_json::to_value(doc).map_err(|e| {
        StoreError::Corrupt(format!("{} {id}: cannot serialise: {e}", kind.as_str()))
    })?;
    sealer.seal_doc(kind, &id, &mut value)?;
    Ok(value.to_string())
}

/// One page from rows fetched `ORDER BY seq DESC LIMIT limit + 1`: the extra row only says that
/// there is a next page, whose cursor is the last returned row's `seq`.
pub(crate) fn into_page<R, T>(
    found: &[R],
    limit: i64,
    decode: impl Fn(&R) -> StoreResult<T>,
) -> StoreResult<Page<T>>
where
    R: sqlx::Row,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
{
    let more = i64::try_from(found.len()).unwrap_or(i64::MAX) > limit;
    let mut items = Vec::with_capacity(found.len());
    let mut last_seq = None;
    for row in found
        .iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
    {
        items.push(decode(row)?);
        last_seq = Some(col::<_, i64>(row, "seq")?);
    }
    let next = if more {
        last_seq.map(door::encode_cursor)
    } else {
        None
    };
    Ok(Page { items, next })
}

/// `FieldChange` is written by serde; it is read back through this twin.
#[derive(Deserialize)]
struct StoredChange {
    field: String,
    from: serde_json::Value,
    to: serde_json::Value,
}

/// Where a history entry belongs, for binding its sealed values to it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HistoryPlace<'a> {
    pub kind: RecordKind,
    pub id: &'a str,
    pub version: i64,
}

pub(crate) fn changes_to_json(
    changes: &[FieldChange],
    at: HistoryPlace<'_>,
    sealer: &Sealer,
) -> StoreResult<String> {
    let mut sealed = changes.to_vec();
    sealer.seal_changes(at.kind, at.id, at.version, &mut sealed)?;
    serde_json::to_string(&sealed).map_err(|e| StoreError::Corrupt(format!("history: {e}")))
}

pub(crate) fn changes_from_json(
    raw: &str,
    at: HistoryPlace<'_>,
    sealer: &Sealer,
) -> StoreResult<Vec<FieldChange>> {
    let stored: Vec<StoredChange> = serde_json::from_str(raw)
        .map_err(|e| StoreError::Corrupt(format!("history changes: {e}")))?;
    let mut changes: Vec<FieldChange> = stored
        .into_iter()
        .map(|c| FieldChange {
            field: c.field,
            from: c.from,
            to: c.to,
        })
        .collect();
    sealer.open_changes(at.kind, at.id, at.version, &mut changes)?;
    Ok(changes)
}

/// The page size actually used: 0 means the default, anything above the maximum is the maximum.
pub(crate) fn page_limit(page: &PageRequest) -> i64 {
    let limit = match page.limit {
        0 => PageRequest::DEFAULT_LIMIT,
        n => n.min(PageRequest::MAX_LIMIT),
    };
    i64::from(limit)
}

/// P-codes are stored upper-case; a filter prefix is matched the same way.
pub(crate) fn location_prefix(raw: Option<&str>) -> Option<String> {
    raw.map(|p| p.trim().to_ascii_uppercase())
        .filter(|p| !p.is_empty())
}

/// Unique and foreign-key violations become the caller's error, naming what was taken or unknown.
pub(crate) fn map_write_error(
    e: sqlx::Error,
    duplicate: &str,
    missing: (&str, &str),
) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return StoreError::Duplicate(duplicate.to_string());
        }
        if db.is_foreign_key_violation() {
            return StoreError::Invalid(Problems::single(missing.0, missing.1));
        }
    }
    StoreError::Database(e)
}

pub(crate) fn caseworker_not_in_agency() -> StoreError {
    StoreError::Invalid(Problems::single(
        "caseworker_id",
        "is not a user of this agency",
    ))
}

/// A stored record body opened and sealed again under the active key.
pub(crate) fn reseal_body(
    kind: RecordKind,
    id: &str,
    body: &str,
    sealer: &Sealer,
) -> StoreResult<String> {
    let mut value: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| StoreError::Corrupt(format!("{} {id}: body: {e}", kind.as_str())))?;
    sealer.open_doc(kind, id, &mut value)?;
    sealer.seal_doc(kind, id, &mut value)?;
    Ok(value.to_string())
}

pub(crate) fn record_kind(name: &str) -> StoreResult<RecordKind> {
    match name {
        "case" => Ok(RecordKind::Case),
        "tracing_request" => Ok(RecordKind::TracingRequest),
        // A casework item's or a match's history carries codes only (status, kind), nothing classified, so it
        // reads (and re-seals, a no-op) like a case's.
        crate::casework::CASE_ITEM | crate::matcher::POTENTIAL_MATCH => Ok(RecordKind::Case),
        other => Err(StoreError::Corrupt(format!("record type '{other}'"))),
    }
}

/// A consent row, its columns already read.
pub(crate) struct RawConsent {
    pub id: Uuid,
    pub case_id: Uuid,
    pub basis: String,
    pub purposes: String,
    pub recipients: String,
    pub given_on: time::Date,
    pub withdrawn_on: Option<time::Date>,
    pub body: String,
    pub recorded_by: Uuid,
    pub recorded_at: OffsetDateTime,
}

impl RawConsent {
    pub fn into_consent(self, sealer: &Sealer) -> StoreResult<crate::types::Consent> {
        use haven_domain::consent::{Basis, ConsentRecord, Purpose, Recipient};
        let corrupt = |what: &str, e: String| {
            StoreError::Corrupt(format!("consent {}: {what}: {e}", self.id))
        };
        let codes = |json: &str, what: &str| {
            serde_json::from_str::<Vec<String>>(json).map_err(|e| corrupt(what, e.to_string()))
        };
        let purposes = codes(&self.purposes, "purposes")?
            .iter()
            .map(|c| Purpose::parse(c).map_err(|e| corrupt("purposes", e)))
            .collect::<StoreResult<Vec<_>>>()?;
        let recipients = codes(&self.recipients, "recipients")?
            .iter()
            .map(|c| Recipient::parse(c).map_err(|e| corrupt("recipients", e)))
            .collect::<StoreResult<Vec<_>>>()?;
        let body = sealer.open_text(&self.body, &door::consent_aad(self.id))?;
        let doc = serde_json::from_str(&body).map_err(|e| corrupt("body", shape(&e)))?;
        Ok(crate::types::Consent {
            case_id: CaseId(self.case_id),
            record: ConsentRecord {
                id: self.id,
                basis: Basis::parse(&self.basis).map_err(|e| corrupt("basis", e))?,
                purposes,
                recipients,
                given_on: self.given_on,
                withdrawn_on: self.withdrawn_on,
            },
            doc,
            recorded_by: UserId(self.recorded_by),
            recorded_at: self.recorded_at,
        })
    }
}

/// A consent's columns as stored: (purposes JSON, recipients JSON, sealed body).
pub(crate) fn consent_columns(
    c: &crate::types::Consent,
    sealer: &Sealer,
) -> StoreResult<(String, String, String)> {
    let json = |codes: Vec<&str>| serde_json::Value::from(codes).to_string();
    let body =
        serde_json::to_string(&c.doc).map_err(|e| StoreError::Corrupt(format!("consent: {e}")))?;
    Ok((
        json(c.record.purposes.iter().map(|p| p.as_str()).collect()),
        json(c.record.recipients.iter().map(|r| r.as_str()).collect()),
        sealer.seal_text(&body, &door::consent_aad(c.record.id))?,
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn an_undecodable_body_is_corrupt_without_quoting_its_content() {
        let sealer = Sealer::new(Arc::new(haven_crypto::field::Keyring::ephemeral().unwrap()));
        let raw = RawRecord {
            id: Uuid::nil(),
            version: 1,
            agency_id: Uuid::nil(),
            status: "open".into(),
            created_by: Uuid::nil(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            // A name where a list belongs: serde would quote it in its message.
            body: r#"{"given_name": "Amal", "languages": "Zqxsecretname"}"#.into(),
        };
        let Err(StoreError::Corrupt(message)) = raw.into_case(&sealer) else {
            panic!("expected corrupt");
        };
        assert!(!message.contains("Zqxsecretname"), "{message}");
        assert!(message.contains("shape"), "{message}");
    }
}
