//! What the store takes and gives back.

use haven_domain::case::{CaseDoc, CaseStatus, RiskLevel, SeparationStatus};
use haven_domain::history::FieldChange;
use haven_domain::ids::{AgencyId, CaseId, TracingRequestId, UserId};
use haven_domain::tracing_request::{RequestStatus, TracingRequestDoc};
use haven_domain::user::{Role, User};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub id: AgencyId,
    pub code: String,
    pub name: String,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub agency_id: AgencyId,
    pub role: Role,
    /// An argon2id PHC string; `None` for an account that cannot log in with a password yet.
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub user_id: UserId,
    pub name: String,
    /// SHA-256 of the token; the token itself is never stored.
    pub token_digest: String,
    pub expires_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: uuid::Uuid,
    pub user_id: UserId,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
}

/// A case as stored: the document and the record's own facts.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRecord {
    pub id: CaseId,
    pub version: i64,
    pub agency_id: AgencyId,
    pub status: CaseStatus,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub doc: CaseDoc,
}

/// List filters; all present ones must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    pub risk_level: Option<RiskLevel>,
    pub separation_status: Option<SeparationStatus>,
    pub agency_id: Option<AgencyId>,
    /// A P-code prefix: `SY02` matches `SY02` and everything below it.
    pub location_prefix: Option<String>,
}

/// A tracing request as stored: the document and the record's own facts.
#[derive(Debug, Clone, PartialEq)]
pub struct TracingRequestRecord {
    pub id: TracingRequestId,
    pub version: i64,
    pub agency_id: AgencyId,
    pub status: RequestStatus,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub doc: TracingRequestDoc,
}

/// Tracing request list filters; all present ones must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TracingRequestFilter {
    pub status: Option<RequestStatus>,
    pub agency_id: Option<AgencyId>,
    /// A P-code prefix matched against the place of separation.
    pub location_prefix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    pub limit: u32,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 500;

    pub fn first(limit: u32) -> Self {
        Self { after: None, limit }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub version: i64,
    pub at: OffsetDateTime,
    pub actor_id: UserId,
    /// `create` or `update`.
    pub action: String,
    pub changes: Vec<FieldChange>,
}

/// One row of the audit log as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: i64,
    pub at: OffsetDateTime,
    pub actor: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// Canonical JSON (keys sorted).
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}
