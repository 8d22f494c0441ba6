//! Haven's storage: the only code that speaks SQL.
//!
//! One [`Store`] trait, one implementation per database ([`sqlite`], [`postgres`]), picked by the
//! URL scheme in [`open`]. Every write that changes a record goes through the store's write door:
//! policy check and validation (both from the domain, via [`door`]), then one transaction that
//! writes the record, its history entry and its audit entry together. Every read of records takes
//! a [`Scope`], so a caller cannot forget to filter.

pub mod audit;
mod audit_queue;
pub mod casework;
pub mod clock;
pub mod door;
pub mod error;
pub mod matcher;
pub mod postgres;
pub mod reporting;
mod rows;
mod scope;
pub mod sealing;
pub mod sqlite;
pub mod types;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use haven_domain::access::{PermissionSet, RoleSpec};
use haven_domain::audit::AuditEvent;
use haven_domain::case::CaseDoc;
use haven_domain::casework::Settings;
use haven_domain::casework::incident::IncidentDoc;
use haven_domain::casework::placement::PlacementDoc;
use haven_domain::casework::workflow::ActionDoc;
use haven_domain::clock::Clock;
use haven_domain::consent::ConsentDoc;
use haven_domain::ids::AgencyId;
use haven_domain::ids::{CaseId, TracingRequestId, UserId};
use haven_domain::sensitivity::RecordKind;
use haven_domain::tracing_request::TracingRequestDoc;
use haven_domain::user::{Actor, User};
use time::Duration;

pub use casework::CaseWork;
pub use error::{StoreError, StoreResult};
pub use reporting::{PledgeDoc, PledgeRecord, ReportPurpose};
pub use sealing::Sealer;
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

    // --- Agencies, roles, users and groups -------------------------------------------------
    //
    // `by: None` is the operator at the console (`haven init`, `haven user create`): someone with
    // the machine's keys. `by: Some(actor)` is checked: the permission, the actor's reach (own
    // agency unless their scope is all), and that a role handed out is one they hold entirely.

    /// Creates an agency; `code` is unique (a duplicate is [`StoreError::Duplicate`]). Audited.
    async fn create_agency(
        &self,
        by: Option<&Actor>,
        code: &str,
        name: &str,
    ) -> StoreResult<Agency>;

    async fn agencies(&self) -> StoreResult<Vec<Agency>>;

    async fn roles(&self) -> StoreResult<Vec<RoleSpec>>;

    /// Creates the role, or replaces the one of that name. Audited.
    async fn save_role(&self, by: Option<&Actor>, role: RoleSpec) -> StoreResult<RoleSpec>;

    /// Creates a user; the e-mail is unique. Audited.
    async fn create_user(&self, by: Option<&Actor>, new: NewUser) -> StoreResult<User>;

    async fn user_count(&self) -> StoreResult<i64>;

    /// The users `by` may manage (all of them for the console), by e-mail. Audited.
    async fn users(&self, by: Option<&Actor>) -> StoreResult<Vec<User>>;

    /// The user and their password hash, for login. Includes inactive users (the caller decides).
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserCredentials>>;

    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>>;

    /// Enables or disables a user; disabling ends all their sessions at once. Audited.
    async fn set_user_active(
        &self,
        by: Option<&Actor>,
        id: UserId,
        active: bool,
    ) -> StoreResult<User>;

    /// Gives a user another role. Audited.
    async fn set_user_role(&self, by: Option<&Actor>, id: UserId, role: &str) -> StoreResult<User>;

    /// Creates a group of users in an agency (unique name there). Audited.
    async fn create_group(
        &self,
        by: Option<&Actor>,
        agency: AgencyId,
        name: &str,
    ) -> StoreResult<Group>;

    /// Replaces a group's members (users of its agency). Audited.
    async fn set_group_members(
        &self,
        by: Option<&Actor>,
        group: uuid::Uuid,
        members: &[UserId],
    ) -> StoreResult<Group>;

    /// The groups `by` can see: those of their agency, or all for a deployment-wide role.
    async fn groups(&self, by: &Actor) -> StoreResult<Vec<Group>>;

    // --- Logins, sessions, second factors and API tokens -------------------------------------

    /// Counts a failed login; from the fifth in a row the account locks for a growing time
    /// (`domain::throttle`) and the fifth raises a `login_failures` alert. Audited.
    async fn login_failed(&self, user: UserId) -> StoreResult<LoginFailure>;

    /// Clears the failure count after a successful login.
    async fn login_succeeded(&self, user: UserId) -> StoreResult<()>;

    /// Keeps a new session, known only by the digest of its cookie value.
    async fn create_session(&self, new: NewSession) -> StoreResult<()>;

    /// A live session of an active user: not past `expires_at`, not idle for longer than
    /// `idle_timeout`. Marks the session as used (at most once a minute, to spare writes).
    async fn session(
        &self,
        token_digest: &str,
        idle_timeout: Duration,
    ) -> StoreResult<Option<SessionInfo>>;

    /// Marks a session's second factor as given.
    async fn complete_session(&self, token_digest: &str) -> StoreResult<()>;

    async fn delete_session(&self, token_digest: &str) -> StoreResult<()>;

    /// Ends every session of a user.
    async fn end_sessions(&self, user: UserId) -> StoreResult<()>;

    async fn totp(&self, user: UserId) -> StoreResult<Option<TotpState>>;

    /// Sets up a user's second factor (replacing any earlier one) with its recovery codes'
    /// digests. Audited.
    async fn set_totp(
        &self,
        user: UserId,
        secret: &str,
        recovery_digests: &[String],
    ) -> StoreResult<()>;

    /// Accepts a TOTP time step if it is later than the last one accepted (a code is good once).
    async fn accept_totp_step(&self, user: UserId, step: u64) -> StoreResult<bool>;

    /// Uses up a recovery code; false when it is unknown or used.
    async fn use_recovery_code(&self, user: UserId, digest: &str) -> StoreResult<bool>;

    /// Keeps a new API token, known only by its digest; its permissions must lie within its
    /// user's role. Audited.
    async fn create_token(&self, by: Option<&Actor>, new: NewToken) -> StoreResult<TokenInfo>;

    /// The active user owning an unexpired, unrevoked token, and what the token is limited to.
    async fn token_user(
        &self,
        token_digest: &str,
    ) -> StoreResult<Option<(User, Option<PermissionSet>)>>;

    /// The tokens of one user, or of every user `by` may manage.
    async fn tokens(&self, by: Option<&Actor>, user: Option<UserId>)
    -> StoreResult<Vec<TokenInfo>>;

    /// Revokes a token at once. Audited.
    async fn revoke_token(&self, by: Option<&Actor>, id: uuid::Uuid) -> StoreResult<()>;

    // --- Consent ------------------------------------------------------------------------------

    /// The consents of a case in the actor's scope (`None` when it is not), oldest first. Audited
    /// as a view of the case.
    async fn consents(&self, actor: &Actor, case: CaseId) -> StoreResult<Option<Vec<Consent>>>;

    /// Records a consent (or other basis) on a case in the actor's scope. Audited.
    async fn record_consent(
        &self,
        actor: &Actor,
        case: CaseId,
        doc: ConsentDoc,
    ) -> StoreResult<Consent>;

    /// Withdraws a consent from `on` (YYYY-MM-DD; today when absent). Audited.
    async fn withdraw_consent(
        &self,
        actor: &Actor,
        case: CaseId,
        consent: uuid::Uuid,
        on: Option<&str>,
    ) -> StoreResult<Consent>;

    // --- Break-the-glass and alerts ----------------------------------------------------------

    /// Opens one record outside the actor's scope for `duration`, for a stated reason: the
    /// grant, its audit entry and an alert to the record's supervisors, in one transaction.
    async fn break_glass(
        &self,
        actor: &Actor,
        record: RecordKind,
        id: uuid::Uuid,
        reason: &str,
        duration: Duration,
    ) -> StoreResult<AccessGrant>;

    /// Open alerts the actor should see: those about records in their scope, and, for user
    /// managers, those about accounts of their reach.
    async fn alerts(&self, actor: &Actor) -> StoreResult<Vec<Alert>>;

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

    /// The case, if in the actor's scope. Audited as a view (or, when the case exists out of
    /// scope, as a failed authorisation).
    async fn get_case(&self, actor: &Actor, id: CaseId) -> StoreResult<Option<CaseRecord>>;

    /// Newest first. `page.after` is the `next` cursor of the previous page. Audited with the
    /// ids returned.
    async fn list_cases(
        &self,
        actor: &Actor,
        filter: &CaseFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<CaseRecord>>;

    /// The case's history, oldest first; `None` when the case is not in scope. Audited.
    async fn case_history(
        &self,
        actor: &Actor,
        id: CaseId,
    ) -> StoreResult<Option<Vec<HistoryEntry>>>;

    // --- Case management (issue 5): the same door, through `casework` -----------------------

    /// The case with its workflow, if in the actor's scope. Audited as a workflow view.
    async fn case_work(&self, actor: &Actor, id: CaseId) -> StoreResult<Option<CaseWork>>;

    /// Applies a workflow action to the case at `expected_version` (else
    /// [`StoreError::Conflict`]): bad fields are [`StoreError::Invalid`], an action the state
    /// does not allow [`StoreError::Refused`] with the allowed actions; otherwise the case's next
    /// version (status closed exactly when the workflow is) with its history and audit entries,
    /// in one transaction.
    async fn apply_workflow(
        &self,
        actor: &Actor,
        id: CaseId,
        expected_version: i64,
        action: ActionDoc,
        settings: &Settings,
    ) -> StoreResult<CaseWork>;

    /// Records a care arrangement in the case's placement history (at `expected_version` when
    /// given). A placement in detention raises the case's `detention` alert in the same
    /// transaction; a move out of detention resolves it.
    async fn record_placement(
        &self,
        actor: &Actor,
        id: CaseId,
        expected_version: Option<i64>,
        placement: PlacementDoc,
        settings: &Settings,
    ) -> StoreResult<CaseWork>;

    /// The open tasks on the actor's list (`casework::task_visible`), of open cases in their
    /// scope, soonest due first. Audited with the case ids.
    async fn tasks(
        &self,
        actor: &Actor,
        settings: &Settings,
        overdue_only: bool,
    ) -> StoreResult<Vec<CaseTask>>;

    /// Makes a referral, raises a flag or writes a note on a case in the actor's scope: its own
    /// record (version 1) with its history and audit entries, in one transaction. A referral or
    /// flag on a closed case is refused like any change of its work.
    async fn create_case_item(
        &self,
        actor: &Actor,
        case: CaseId,
        new: NewCaseItem,
        settings: &Settings,
    ) -> StoreResult<CaseItem>;

    /// Records an incident concerning one or more children: every case it names must be in the
    /// actor's scope (else 422 naming `case_ids.N`, as for a case that does not exist) and open.
    /// One record, linked to each case, with its history and audit entries.
    async fn create_incident(
        &self,
        actor: &Actor,
        doc: IncidentDoc,
        settings: &Settings,
    ) -> StoreResult<CaseItem>;

    /// Answers a referral (the receiving agency accepts, declines, completes; the referring one
    /// cancels) or resolves a flag. An item the actor may not see is [`StoreError::NotFound`].
    async fn change_case_item(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
        change: CaseItemChange,
    ) -> StoreResult<CaseItem>;

    /// The referrals, flags and notes of a case, oldest first; `None` when the case is not in
    /// scope. Audited.
    async fn case_items(&self, actor: &Actor, case: CaseId) -> StoreResult<Option<Vec<CaseItem>>>;

    /// The referrals the actor may see: those of cases in their scope and those made to their
    /// agency, newest first (at most 500). Audited.
    async fn referrals(&self, actor: &Actor) -> StoreResult<Vec<CaseItem>>;

    /// Every change of a case and of its items, oldest first; `None` when not in scope. Audited.
    async fn case_timeline(
        &self,
        actor: &Actor,
        case: CaseId,
    ) -> StoreResult<Option<Vec<TimelineEntry>>>;

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

    /// Audited like [`Store::get_case`].
    async fn get_tracing_request(
        &self,
        actor: &Actor,
        id: TracingRequestId,
    ) -> StoreResult<Option<TracingRequestRecord>>;

    /// Newest first, paged and audited like [`Store::list_cases`].
    async fn list_tracing_requests(
        &self,
        actor: &Actor,
        filter: &TracingRequestFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<TracingRequestRecord>>;

    /// The request's history, oldest first; `None` when it is not in scope. Audited.
    async fn tracing_request_history(
        &self,
        actor: &Actor,
        id: TracingRequestId,
    ) -> StoreResult<Option<Vec<HistoryEntry>>>;

    // --- Family tracing: potential matches (issue 4) ---------------------------------------

    /// Brings this process's matching index up to date with the job queue and works out the
    /// matches of every record whose job is pending (see [`matcher::sync`]). The server runs it
    /// in the background; reads that use the index run it first.
    async fn sync_matches(&self) -> StoreResult<matcher::SyncReport>;

    /// Pairs with at least one side in the actor's scope, most probable first (at most 500).
    /// Needs `match.review`. Audited with the pair ids.
    async fn potential_matches(
        &self,
        actor: &Actor,
        filter: &MatchFilter,
    ) -> StoreResult<Vec<PotentialMatch>>;

    /// One pair with the sides the actor may see; `None` when neither side is in their scope.
    /// Audited as a view of the pair.
    async fn potential_match(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
    ) -> StoreResult<Option<MatchView>>;

    /// Confirms, rejects or reunifies a pair at `expected_version`. The reviewer must see both
    /// sides; confirming and reunifying need the child's consent for tracing (or a recorded
    /// vital-interest basis). The pair's next version, its history and audit entries, in one
    /// transaction.
    async fn decide_match(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
        expected_version: i64,
        doc: &haven_domain::potential_match::DecisionDoc,
    ) -> StoreResult<PotentialMatch>;

    /// Children in the actor's scope who may be the one `doc` describes, before registering it
    /// (needs `case.create`). Audited with the ids shown.
    async fn possible_duplicates(
        &self,
        actor: &Actor,
        doc: &CaseDoc,
    ) -> StoreResult<Vec<PossibleDuplicate>>;

    // --- Audit log ----------------------------------------------------------------------------

    /// Appends an event on its own (logins, failed authorisations); record writes append theirs
    /// inside their own transaction.
    async fn append_audit(&self, event: AuditEvent) -> StoreResult<()>;

    /// Audit rows with `seq > after_seq`, in order, at most `limit`.
    async fn audit_rows(&self, after_seq: i64, limit: i64) -> StoreResult<Vec<AuditRow>>;

    /// The sequence number and hash of the last entry, as the head table records them.
    async fn audit_head(&self) -> StoreResult<AuditHead>;

    // --- Operations ---------------------------------------------------------------------------

    /// Re-seals every sealed value (record documents, history entries, second-factor secrets,
    /// break-the-glass reasons) with the active key, and seals what an older release left in
    /// plaintext: after it, keys other than the active one are no longer needed. Runs in batches
    /// of one transaction each, so a large database does not hold the write lock for long; an
    /// interrupted run can simply be run again. Audited.
    async fn reseal_all(&self) -> StoreResult<Resealed>;

    /// A consistent copy of the whole database, taken while the server runs. SQLite only: on
    /// PostgreSQL use pg_dump ([`StoreError::Unsupported`]).
    async fn backup_to(&self, path: &Path) -> StoreResult<()>;

    // --- Reports and pledges (issue 7; shared logic in `reporting`) -----------------------------

    /// The report facts of every case in the actor's scope (every case for the console, `by:
    /// None`), with their referrals and the incidents linked to them: codes, dates and counts,
    /// no name and no id. Needs `report.read` (and `report.export` when `purpose.export`).
    /// Audited as ONE `report.view`/`report.export` entry naming what was asked, not the cases.
    async fn report_facts(
        &self,
        by: Option<&Actor>,
        purpose: &ReportPurpose,
    ) -> StoreResult<haven_report::Facts>;

    /// Records a pledge (needs `pledge.manage`): the pledge, its history and audit entries in one
    /// transaction. Bad fields are [`StoreError::Invalid`], each named.
    async fn create_pledge(&self, actor: &Actor, doc: PledgeDoc) -> StoreResult<PledgeRecord>;

    /// A JSON merge patch of a pledge at `expected_version` (else [`StoreError::Conflict`]).
    async fn update_pledge(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
        expected_version: i64,
        patch: &serde_json::Value,
    ) -> StoreResult<PledgeRecord>;

    /// One pledge (needs `report.read`). Audited.
    async fn get_pledge(&self, actor: &Actor, id: uuid::Uuid) -> StoreResult<Option<PledgeRecord>>;

    /// Every pledge, oldest first (needs `report.read`). Audited.
    async fn pledges(&self, actor: &Actor) -> StoreResult<Vec<PledgeRecord>>;
}

/// Opens (creating and migrating as needed) the database named by `url`; `sealer` encrypts and
/// decrypts what is sensitive: `sqlite://PATH` or
/// `postgres://…` / `postgresql://…`.
pub async fn open(url: &str, clock: Arc<dyn Clock>, sealer: Sealer) -> StoreResult<Arc<dyn Store>> {
    match backend_of(url)? {
        Backend::Sqlite => sqlite::open(url, clock, sealer).await,
        Backend::Postgres => postgres::open(url, clock, sealer).await,
    }
}

/// The backend a database URL names, or why it names none.
pub fn backend_of(url: &str) -> StoreResult<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
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
