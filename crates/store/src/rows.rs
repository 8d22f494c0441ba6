//! Reading rows back, shared by both backends: anything that does not decode is
//! [`StoreError::Corrupt`], never a panic.

use haven_domain::Problems;
use std::fmt::Display;

use haven_domain::case::{CaseDoc, CaseStatus};
use haven_domain::history::FieldChange;
use haven_domain::ids::{AgencyId, CaseId, TracingRequestId, UserId};
use haven_domain::tracing_request::{RequestStatus, TracingRequestDoc};
use haven_domain::user::{Role, User};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::door;
use crate::error::{StoreError, StoreResult};
use crate::types::{CaseRecord, Page, PageRequest, TracingRequestRecord};

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

pub(crate) fn parse_role(raw: &str) -> StoreResult<Role> {
    Role::parse(raw).map_err(|e| StoreError::Corrupt(format!("role: {e}")))
}

/// A user row, its columns already read.
pub(crate) struct RawUser {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub agency_id: Uuid,
    pub role: String,
    pub active: bool,
}

impl RawUser {
    pub fn into_user(self) -> StoreResult<User> {
        Ok(User {
            id: UserId(self.id),
            email: self.email,
            display_name: self.display_name,
            agency_id: AgencyId(self.agency_id),
            role: parse_role(&self.role)?,
            active: self.active,
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
        kind: &str,
        parse_status: fn(&str) -> Result<S, String>,
    ) -> StoreResult<(D, S)> {
        let doc: D = serde_json::from_str(&self.body)
            .map_err(|e| StoreError::Corrupt(format!("{kind} {}: body: {e}", self.id)))?;
        let status = parse_status(&self.status)
            .map_err(|e| StoreError::Corrupt(format!("{kind} {}: status: {e}", self.id)))?;
        Ok((doc, status))
    }

    pub fn into_case(self) -> StoreResult<CaseRecord> {
        let (doc, status) = self.decode::<CaseDoc, _>(door::CASE, CaseStatus::parse)?;
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

    pub fn into_tracing_request(self) -> StoreResult<TracingRequestRecord> {
        let (doc, status) =
            self.decode::<TracingRequestDoc, _>(door::TRACING_REQUEST, RequestStatus::parse)?;
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

/// A record's document as the `body` column keeps it.
pub(crate) fn body<D: Serialize>(kind: &str, id: impl Display, doc: &D) -> StoreResult<String> {
    serde_json::to_string(doc)
        .map_err(|e| StoreError::Corrupt(format!("{kind} {id}: cannot serialise: {e}")))
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

pub(crate) fn changes_to_json(changes: &[FieldChange]) -> StoreResult<String> {
    serde_json::to_string(changes).map_err(|e| StoreError::Corrupt(format!("history: {e}")))
}

pub(crate) fn changes_from_json(raw: &str) -> StoreResult<Vec<FieldChange>> {
    let stored: Vec<StoredChange> = serde_json::from_str(raw)
        .map_err(|e| StoreError::Corrupt(format!("history changes: {e}")))?;
    Ok(stored
        .into_iter()
        .map(|c| FieldChange {
            field: c.field,
            from: c.from,
            to: c.to,
        })
        .collect())
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
