//! Haven's storage: the only code that speaks SQL.
//!
//! One [`Store`] trait, one implementation per database ([`sqlite`], [`postgres`]), picked by the
//! URL scheme in [`open`]. Every write that changes a record goes through the store's write door:
//! policy check and validation (both from the domain, via [`door`]), then one transaction that
//! writes the record, its history entry and its audit entry together. Every read of records takes
//! a [`Scope`], so a caller cannot forget to filter.

pub mod audit;
pub mod clock;
pub mod door;
pub mod error;
pub mod postgres;
mod rows;
pub mod sqlite;
pub mod types;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use haven_domain::audit::AuditEvent;
use haven_domain::case::CaseDoc;
use haven_domain::clock::Clock;
use haven_domain::ids::{CaseId, TracingRequestId, UserId};
use haven_domain::policy::Scope;
use haven_domain::tracing_request::TracingRequestDoc;
use haven_domain::user::{Actor, User};
use time::{Duration, OffsetDateTime};

pub use error::{StoreError, StoreResult};
pub use types::*;

/// Which database is behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

#[async_trait]
pub trait Store: Send + Sync {
    fn backend(&self) -> Backend;

    fn clock(&self) -> &dyn Clock;

    // --- Agencies and users -------------------------------------------------------------------

    /// Creates an agency; `code` is unique (a duplicate is [`StoreError::Duplicate`]). Audited.
    async fn create_agency(
        &self,
        by: Option<UserId>,
        code: &str,
        name: &str,
    ) -> StoreResult<Agency>;

    async fn agencies(&self) -> StoreResult<Vec<Agency>>;

    /// Creates a user; the e-mail is unique. Audited.
    async fn create_user(&self, by: Option<UserId>, new: NewUser) -> StoreResult<User>;

    async fn user_count(&self) -> StoreResult<i64>;

    /// The user and their password hash, for login. Includes inactive users (the caller decides).
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserCredentials>>;

    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>>;

    // --- Sessions and API tokens --------------------------------------------------------------

    /// Keeps a new session, known only by the digest of its cookie value.
    async fn create_session(
        &self,
        user: UserId,
        token_digest: &str,
        expires_at: OffsetDateTime,
    ) -> StoreResult<()>;

    /// The active user of a live session: not past `expires_at`, not idle for longer than
    /// `idle_timeout`. Marks the session as used (at most once a minute, to spare writes).
    async fn session_user(
        &self,
        token_digest: &str,
        idle_timeout: Duration,
    ) -> StoreResult<Option<User>>;

    async fn delete_session(&self, token_digest: &str) -> StoreResult<()>;

    /// Keeps a new API token, known only by its digest. Audited.
    async fn create_token(&self, by: Option<UserId>, new: NewToken) -> StoreResult<TokenInfo>;

    /// The active user owning an unexpired, unrevoked token.
    async fn token_user(&self, token_digest: &str) -> StoreResult<Option<User>>;

    // --- Cases: the write door and scoped reads ----------------------------------------------

    /// Registers a case for the actor's agency: policy, validation, then record + history +
    /// audit in one transaction. The case starts at version 1, status open.
    async fn create_case(&self, actor: &Actor, doc: CaseDoc) -> StoreResult<CaseRecord>;

    /// Applies a JSON merge patch (RFC 7396) to the case if it is still at `expected_version`;
    /// otherwise [`StoreError::Conflict`]. A case outside the actor's scope is
    /// [`StoreError::NotFound`], exactly as one that does not exist.
    async fn update_case(
        &self,
        actor: &Actor,
        id: CaseId,
        expected_version: i64,
        patch: &serde_json::Value,
    ) -> StoreResult<CaseRecord>;

    async fn get_case(&self, scope: Scope, id: CaseId) -> StoreResult<Option<CaseRecord>>;

    /// Newest first. `page.after` is the `next` cursor of the previous page.
    async fn list_cases(
        &self,
        scope: Scope,
        filter: &CaseFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<CaseRecord>>;

    /// The case's history, oldest first; `None` when the case is not in scope.
    async fn case_history(
        &self,
        scope: Scope,
        id: CaseId,
    ) -> StoreResult<Option<Vec<HistoryEntry>>>;

    // --- Tracing requests: the same door and the same reads as cases -------------------------

    /// Files a tracing request for the actor's agency: policy, validation, then record + history
    /// + audit in one transaction. The request starts at version 1, status open.
    async fn create_tracing_request(
        &self,
        actor: &Actor,
        doc: TracingRequestDoc,
    ) -> StoreResult<TracingRequestRecord>;

    /// Applies a JSON merge patch under optimistic concurrency, exactly like
    /// [`Store::update_case`]: a stale `expected_version` is [`StoreError::Conflict`], a request
    /// outside the actor's scope is [`StoreError::NotFound`].
    async fn update_tracing_request(
        &self,
        actor: &Actor,
        id: TracingRequestId,
        expected_version: i64,
        patch: &serde_json::Value,
    ) -> StoreResult<TracingRequestRecord>;

    async fn get_tracing_request(
        &self,
        scope: Scope,
        id: TracingRequestId,
    ) -> StoreResult<Option<TracingRequestRecord>>;

    /// Newest first, paged like [`Store::list_cases`].
    async fn list_tracing_requests(
        &self,
        scope: Scope,
        filter: &TracingRequestFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<TracingRequestRecord>>;

    /// The request's history, oldest first; `None` when it is not in scope.
    async fn tracing_request_history(
        &self,
        scope: Scope,
        id: TracingRequestId,
    ) -> StoreResult<Option<Vec<HistoryEntry>>>;

    // --- Audit log ----------------------------------------------------------------------------

    /// Appends an event on its own (logins, failed authorisations); record writes append theirs
    /// inside their own transaction.
    async fn append_audit(&self, event: AuditEvent) -> StoreResult<()>;

    /// Audit rows with `seq > after_seq`, in order, at most `limit`.
    async fn audit_rows(&self, after_seq: i64, limit: i64) -> StoreResult<Vec<AuditRow>>;

    /// The sequence number and hash of the last entry, as the head table records them.
    async fn audit_head(&self) -> StoreResult<AuditHead>;

    // --- Operations ---------------------------------------------------------------------------

    /// A consistent copy of the whole database, taken while the server runs. SQLite only: on
    /// PostgreSQL use pg_dump ([`StoreError::Unsupported`]).
    async fn backup_to(&self, path: &Path) -> StoreResult<()>;
}

/// Opens (creating and migrating as needed) the database named by `url`: `sqlite://PATH` or
/// `postgres://…` / `postgresql://…`.
pub async fn open(url: &str, clock: Arc<dyn Clock>) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        sqlite::open(url, clock).await
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        postgres::open(url, clock).await
    } else {
        Err(StoreError::Config(
            "the database URL must start with sqlite:// or postgres://".into(),
        ))
    }
}

/// The URL of the embedded database in a data directory.
pub fn sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("haven.db").display())
}
