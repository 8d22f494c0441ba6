//! What the store takes and gives back.

use haven_domain::access::PermissionSet;
use haven_domain::case::{CaseDoc, CaseStatus, RiskLevel, SeparationStatus};
use haven_domain::history::FieldChange;
use haven_domain::ids::{AgencyId, CaseId, TracingRequestId, UserId};
use haven_domain::tracing_request::{RequestStatus, TracingRequestDoc};
use haven_domain::user::User;
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
    /// The name of a role.
    pub role: String,
    /// An argon2id PHC string; `None` for an account that cannot log in with a password yet.
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: Option<String>,
    /// Logins are refused until then (too many failures).
    pub locked_until: Option<OffsetDateTime>,
}

/// What one more failed login did to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFailure {
    /// Failures since the last success.
    pub failures: u32,
    pub locked_until: Option<OffsetDateTime>,
}

/// How far a session has got through the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaState {
    /// Password and (when needed) second factor given.
    Complete,
    /// Password given; the user's TOTP code is awaited.
    Pending,
    /// Password given; the user's role needs a second factor they have not set up yet.
    Enrol,
}

impl MfaState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Pending => "pending",
            Self::Enrol => "enrol",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "complete" => Ok(Self::Complete),
            "pending" => Ok(Self::Pending),
            "enrol" => Ok(Self::Enrol),
            other => Err(format!("'{other}' is not a session state")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub user_id: UserId,
    /// SHA-256 of the cookie value; the value itself is never stored.
    pub token_digest: String,
    /// The synchronizer token state-changing requests must echo.
    pub csrf_token: String,
    pub expires_at: OffsetDateTime,
    pub mfa: MfaState,
}

#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub user: User,
    pub mfa: MfaState,
    pub csrf_token: String,
}

/// A user's second factor as stored.
#[derive(Debug, Clone)]
pub struct TotpState {
    /// The base32 secret.
    pub secret: String,
    /// The last time step accepted.
    pub last_step: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: uuid::Uuid,
    pub agency_id: AgencyId,
    pub name: String,
    pub members: Vec<UserId>,
}

/// Access to one record outside the holder's scope, opened by break-the-glass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessGrant {
    pub id: uuid::Uuid,
    pub user_id: UserId,
    pub record_type: String,
    pub record_id: uuid::Uuid,
    pub granted_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// Something a person must look at: a child in detention, a record opened by break-the-glass, an
/// account under attack.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub id: uuid::Uuid,
    /// `detention`, `break_glass`, `login_failures`, …
    pub kind: String,
    pub agency_id: AgencyId,
    pub record_type: Option<String>,
    pub record_id: Option<uuid::Uuid>,
    pub subject_user: Option<UserId>,
    /// Ids and counts only, never personal data.
    pub details: serde_json::Value,
    pub raised_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub user_id: UserId,
    pub name: String,
    /// SHA-256 of the token; the token itself is never stored.
    pub token_digest: String,
    pub expires_at: Option<OffsetDateTime>,
    /// What the token is limited to (within its user's role); `None`: the whole role.
    pub permissions: Option<PermissionSet>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: uuid::Uuid,
    pub user_id: UserId,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub permissions: Option<PermissionSet>,
    pub revoked_at: Option<OffsetDateTime>,
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
    /// Names in any script or spelling, searched in the matcher's in-memory index: the cases
    /// sharing most name parts come first, on one page.
    pub name: Option<String>,
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

/// What `Store::reseal_all` rewrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    pub records: u64,
    pub history_entries: u64,
    pub secrets: u64,
}

/// A consent (or other legal basis) recorded on a case.
#[derive(Debug, Clone, PartialEq)]
pub struct Consent {
    pub case_id: CaseId,
    /// What the rules use (`domain::consent::check`).
    pub record: haven_domain::consent::ConsentRecord,
    /// The consent as given (names and notes included).
    pub doc: haven_domain::consent::ConsentDoc,
    pub recorded_by: UserId,
    pub recorded_at: OffsetDateTime,
}

/// One task on someone's list: which case, whose case, what is due when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseTask {
    pub case_id: CaseId,
    pub caseworker_id: Option<UserId>,
    pub task: haven_domain::casework::tasks::Task,
}

/// A record of a case's work with a life of its own: a referral, a flag, a note, a transfer.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseItem {
    pub id: uuid::Uuid,
    pub kind: ItemKind,
    pub case_id: CaseId,
    /// The agency that made it.
    pub agency_id: AgencyId,
    /// A referral's receiving agency (which sees the referral, not the case).
    pub to_agency_id: Option<AgencyId>,
    /// requested | accepted | … for a referral, open | resolved for a flag, written for a note.
    pub status: String,
    pub version: i64,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// The item as the domain keeps it (`Referral`, `Flag`, `Note`), as JSON.
    pub body: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Referral,
    Flag,
    Note,
    Transfer,
    /// Violence, exploitation, trafficking or discrimination, linked to every case it concerns.
    Incident,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Referral => "referral",
            Self::Flag => "flag",
            Self::Note => "note",
            Self::Transfer => "transfer",
            Self::Incident => "incident",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "referral" => Ok(Self::Referral),
            "flag" => Ok(Self::Flag),
            "note" => Ok(Self::Note),
            "transfer" => Ok(Self::Transfer),
            "incident" => Ok(Self::Incident),
            other => Err(format!("'{other}' is not a kind of case item")),
        }
    }
}

/// A new item of a case's work.
#[derive(Debug, Clone)]
pub enum NewCaseItem {
    Referral(haven_domain::casework::referral::ReferralDoc),
    Flag(haven_domain::casework::transfer::FlagDoc),
    Note(haven_domain::casework::transfer::NoteDoc),
    /// A request that another agency take the case over (`case.transfer`).
    Transfer(haven_domain::casework::transfer::TransferDoc),
}

/// A change of an item's state.
#[derive(Debug, Clone)]
pub enum CaseItemChange {
    /// The receiving agency accepts, declines or completes; the referring one cancels.
    AnswerReferral(haven_domain::casework::referral::ReferralActionDoc),
    /// What was done about a flag.
    ResolveFlag { resolution: String },
    /// The receiving agency accepts (the case moves to it) or declines; the sender cancels.
    AnswerTransfer(haven_domain::casework::transfer::TransferActionDoc),
}

/// One entry of a case's timeline: a history entry of the case or of one of its items.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    /// `case`, or the item's kind (`referral`, `flag`, `note`).
    pub record_type: String,
    pub record_id: uuid::Uuid,
    pub entry: HistoryEntry,
}

/// A tracing request and a case the matcher thinks may be the same child.
#[derive(Debug, Clone, PartialEq)]
pub struct PotentialMatch {
    pub id: uuid::Uuid,
    pub tracing_request_id: TracingRequestId,
    pub case_id: CaseId,
    pub status: haven_domain::potential_match::MatchStatus,
    pub probability: f64,
    /// The weight each compared field contributed.
    pub explanation: Vec<haven_matching::FieldWeight>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<OffsetDateTime>,
    pub reunified_on: Option<time::Date>,
    /// The reviewer's comment on the last decision.
    pub comment: Option<String>,
}

/// Which pairs to list; all present conditions must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MatchFilter {
    pub status: Option<haven_domain::potential_match::MatchStatus>,
    pub tracing_request_id: Option<TracingRequestId>,
    pub case_id: Option<CaseId>,
}

/// A pair with each side the viewer may see (`None` for a side outside their scope).
#[derive(Debug, Clone, PartialEq)]
pub struct MatchView {
    pub pair: PotentialMatch,
    pub request: Option<TracingRequestRecord>,
    pub case: Option<CaseRecord>,
}

/// A registered child who may be the one being registered.
#[derive(Debug, Clone, PartialEq)]
pub struct PossibleDuplicate {
    pub case: CaseRecord,
    pub probability: f64,
    pub explanation: Vec<haven_matching::FieldWeight>,
}
