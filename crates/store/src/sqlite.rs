//! The SQLite implementation of [`Store`](crate::Store): the embedded default.
//!
//! One file in WAL mode. All writes go through a pool of exactly one connection, so writers in
//! this process queue instead of fighting over the lock, and every write transaction starts with
//! `BEGIN IMMEDIATE`, taking the write lock before it reads (no upgrade deadlocks with another
//! process; `busy_timeout` covers those). Reads use connections of their own ([`Readers`]) and
//! see the last committed state.
//!
//! Ids are stored as hyphenated UUID text and times as [`audit::format_at`] text (UTC, six
//! fractional digits), so comparing the text compares the times.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::Connection;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use haven_domain::Problems;
use haven_domain::access::{Permission, PermissionSet, RoleSpec, ScopeLevel, seeded_roles};
use haven_domain::audit::{AuditAction, AuditEvent};
use haven_domain::case::CaseDoc;
use haven_domain::casework::Settings;
use haven_domain::casework::incident::{self, IncidentDoc};
use haven_domain::casework::placement::PlacementDoc;
use haven_domain::casework::workflow::ActionDoc;
use haven_domain::clock::{Clock, truncate_to_micros};
use haven_domain::consent::ConsentDoc;
use haven_domain::country::clip;
use haven_domain::ids::{AgencyId, CaseId, TracingRequestId, UserId};
use haven_domain::policy::authorize;
use haven_domain::potential_match::DecisionDoc;
use haven_domain::sensitivity::RecordKind;
use haven_domain::throttle;
use haven_domain::tracing_request::TracingRequestDoc;
use haven_domain::user::{Actor, User};
use serde_json::json;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use time::{Duration, OffsetDateTime};

use crate::audit::{self, format_at};
use crate::audit_queue::AuditQueue;
use crate::casework::{self, CaseWork, CaseworkWrite};
use crate::door::{self, CaseWrite, DetentionSync, RESEAL_BATCH};
use crate::error::{StoreError, StoreResult};
use crate::matcher::{self, JobRecord, Matcher};
use crate::reporting::{self, PledgeDoc, PledgeRecord, ReportPurpose};
use crate::rows::{self, HistoryPlace, RawConsent, RawRecord, RawRole, RawUser, col};
use crate::scope::{self, Params, Table};
use crate::sealing::Sealer;
use crate::types::{
    AccessGrant, Agency, Alert, AuditHead, AuditRow, CaseFilter, CaseItem, CaseItemChange,
    CaseRecord, CaseTask, Consent, Group, HistoryEntry, ItemKind, LoginFailure, MatchFilter,
    MatchView, MfaState, NewCaseItem, NewSession, NewToken, NewUser, Page, PageRequest,
    PossibleDuplicate, PotentialMatch, Resealed, SessionInfo, TimelineEntry, TokenInfo, TotpState,
    TracingRequestFilter, TracingRequestRecord, UserCredentials,
};
use crate::{Backend, Store};

mod matching;

const READERS: u32 = 4;
/// WAL pages written before a commit copies them back into the database (with an fsync). A case
/// write touches about seven pages, so SQLite's default of 1,000 checkpointed every ~140 writes;
/// 10,000 (a WAL of up to 40 MiB) makes those pauses ten times rarer.
pub const WAL_AUTOCHECKPOINT_PAGES: u32 = 10_000;
const BUSY_TIMEOUT: StdDuration = StdDuration::from_secs(5);
/// A session's `last_seen_at` is rewritten at most this often.
const TOUCH_INTERVAL: Duration = Duration::seconds(60);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The read connections, handed out directly rather than through a sqlx pool: each query on
/// SQLite is a round trip to the connection's own thread, and the pool adds more thread
/// wake-ups (its semaphore, and a spawned task to take the connection back) than the query
/// itself costs.
struct Readers {
    conns: Vec<tokio::sync::Mutex<SqliteConnection>>,
    next: AtomicUsize,
}

impl Readers {
    /// A free connection if there is one, else the next in turn once it is free.
    async fn get(&self) -> tokio::sync::MutexGuard<'_, SqliteConnection> {
        let n = self.conns.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            if let Ok(conn) = self.conns[(start + i) % n].try_lock() {
                return conn;
            }
        }
        self.conns[start % n].lock().await
    }
}

pub struct SqliteStore {
    readers: Readers,
    /// Exactly one connection: every write in the process goes through it.
    writer: SqlitePool,
    clock: Arc<dyn Clock>,
    sealer: Sealer,
    /// Audit entries that stand alone (reads, logins, refusals), written in groups.
    audit: AuditQueue,
    matcher: Matcher,
}

/// Opens (creating the file and its directory if missing) and migrates the database at `url`
/// (`sqlite://PATH`).
pub async fn open(url: &str, clock: Arc<dyn Clock>, sealer: Sealer) -> StoreResult<Arc<dyn Store>> {
    Ok(Arc::new(SqliteStore::open(url, clock, sealer).await?))
}

impl SqliteStore {
    pub async fn open(url: &str, clock: Arc<dyn Clock>, sealer: Sealer) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("'{url}' is not a SQLite URL: {e}")))?;
        let file: PathBuf = options.get_filename().to_path_buf();
        let name = file.to_string_lossy();
        if name.is_empty() || name == ":memory:" || url.contains("mode=memory") {
            return Err(StoreError::Config(
                "an in-memory SQLite database cannot be shared by the reader and writer pools; give a file path"
                    .into(),
            ));
        }
        if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent).await.map_err(|e| {
                StoreError::Config(format!(
                    "cannot create the directory {}: {e}",
                    parent.display()
                ))
            })?;
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string());
        // A connection to a local file does not go stale: skip the ping sqlx would otherwise send
        // before every query (a round trip to the connection's worker thread each time).
        let writer = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(StdDuration::from_secs(60))
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&writer).await?;
        seed_roles(&writer, truncate_to_micros(clock.now())).await?;
        let audit = {
            let (writer, clock) = (writer.clone(), clock.clone());
            AuditQueue::start(move |events| {
                let (writer, clock) = (writer.clone(), clock.clone());
                async move {
                    let now = truncate_to_micros(clock.now());
                    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
                    for event in &events {
                        record_change(&mut tx, None, event, now).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }
            })
        };
        let mut conns = Vec::new();
        for _ in 0..READERS {
            conns.push(tokio::sync::Mutex::new(
                SqliteConnection::connect_with(&options.clone().create_if_missing(false)).await?,
            ));
        }
        Ok(Self {
            readers: Readers {
                conns,
                next: AtomicUsize::new(0),
            },
            writer,
            clock,
            sealer,
            audit,
            matcher: Matcher::new(matcher::default_params()?),
        })
    }

    fn now(&self) -> OffsetDateTime {
        truncate_to_micros(self.clock.now())
    }

    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }
}

// --- Columns ------------------------------------------------------------------------------------

fn ts(t: OffsetDateTime) -> String {
    format_at(t)
}

fn uuid_col(row: &SqliteRow, name: &str) -> StoreResult<uuid::Uuid> {
    rows::parse_uuid(&col::<_, String>(row, name)?, name)
}

fn at_col(row: &SqliteRow, name: &str) -> StoreResult<OffsetDateTime> {
    rows::parse_at(&col::<_, String>(row, name)?, name)
}

const USER_COLUMNS: &str = "u.id, u.email, u.display_name, u.agency_id, u.role, u.active,
    u.password_hash, u.locked_until, u.totp_secret IS NOT NULL AS mfa_enrolled,
    r.description AS role_description, r.permissions AS role_permissions, r.scope AS role_scope,
    r.sees AS role_sees";
/// Users with their role, for `USER_COLUMNS`; a user whose role is missing reads as corrupt.
const USER_JOIN: &str = "users u LEFT JOIN roles r ON r.name = u.role";

fn user_from_row(row: &SqliteRow) -> StoreResult<User> {
    RawUser {
        id: uuid_col(row, "id")?,
        email: col(row, "email")?,
        display_name: col(row, "display_name")?,
        agency_id: uuid_col(row, "agency_id")?,
        active: col(row, "active")?,
        mfa_enrolled: col(row, "mfa_enrolled")?,
        role: raw_role(row, "role_")?,
    }
    .into_user()
}

/// A role from its own table (`prefix` empty) or from `USER_COLUMNS` (`role_`).
fn role_from_row(row: &SqliteRow, prefix: &str) -> StoreResult<RoleSpec> {
    raw_role(row, prefix)?.into_role()
}

fn raw_role(row: &SqliteRow, prefix: &str) -> StoreResult<RawRole> {
    let name_col = if prefix.is_empty() { "name" } else { "role" };
    Ok(RawRole {
        name: col(row, name_col)?,
        description: col(row, &format!("{prefix}description"))?,
        permissions: col(row, &format!("{prefix}permissions"))?,
        scope: col(row, &format!("{prefix}scope"))?,
        sees: col(row, &format!("{prefix}sees"))?,
    })
}

fn token_from_row(row: &SqliteRow) -> StoreResult<TokenInfo> {
    let expires_at: Option<String> = col(row, "expires_at")?;
    let revoked_at: Option<String> = col(row, "revoked_at")?;
    Ok(TokenInfo {
        id: uuid_col(row, "id")?,
        user_id: UserId(uuid_col(row, "user_id")?),
        name: col(row, "name")?,
        created_at: at_col(row, "created_at")?,
        expires_at: expires_at
            .map(|t| rows::parse_at(&t, "expires_at"))
            .transpose()?,
        permissions: rows::permissions_from_json(col(row, "permissions")?)?,
        revoked_at: revoked_at
            .map(|t| rows::parse_at(&t, "revoked_at"))
            .transpose()?,
    })
}

fn consent_from_row(row: &SqliteRow, sealer: &Sealer) -> StoreResult<Consent> {
    let date = |name: &str, raw: String| {
        haven_domain::dates::parse_date(&raw)
            .map_err(|e| StoreError::Corrupt(format!("consent {name}: {e}")))
    };
    let withdrawn: Option<String> = col(row, "withdrawn_on")?;
    RawConsent {
        id: uuid_col(row, "id")?,
        case_id: uuid_col(row, "case_id")?,
        basis: col(row, "basis")?,
        purposes: col(row, "purposes")?,
        recipients: col(row, "recipients")?,
        given_on: date("given_on", col(row, "given_on")?)?,
        withdrawn_on: withdrawn.map(|w| date("withdrawn_on", w)).transpose()?,
        body: col(row, "body")?,
        recorded_by: uuid_col(row, "recorded_by")?,
        recorded_at: at_col(row, "recorded_at")?,
    }
    .into_consent(sealer)
}

fn alert_from_row(row: &SqliteRow) -> StoreResult<Alert> {
    let record_id: Option<String> = col(row, "record_id")?;
    let subject: Option<String> = col(row, "subject_user")?;
    Ok(Alert {
        id: uuid_col(row, "id")?,
        kind: col(row, "kind")?,
        agency_id: AgencyId(uuid_col(row, "agency_id")?),
        record_type: col(row, "record_type")?,
        record_id: record_id
            .map(|r| rows::parse_uuid(&r, "record_id"))
            .transpose()?,
        subject_user: subject
            .map(|u| rows::parse_uuid(&u, "subject_user").map(UserId))
            .transpose()?,
        details: serde_json::from_str(&col::<_, String>(row, "details")?)
            .map_err(|e| StoreError::Corrupt(format!("alert details: {e}")))?,
        raised_at: at_col(row, "raised_at")?,
    })
}

/// Binds the three parameters of a `scope::clause` numbered from 1.
fn bind_scope<'q>(
    q: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    actor: &Actor,
    now: OffsetDateTime,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    q.bind(actor.agency_id.to_string())
        .bind(actor.user_id.to_string())
        .bind(ts(now))
}

/// The columns every record table (cases, tracing requests) shares.
fn record_from_row(row: &SqliteRow) -> StoreResult<RawRecord> {
    Ok(RawRecord {
        id: uuid_col(row, "id")?,
        version: col(row, "version")?,
        agency_id: uuid_col(row, "agency_id")?,
        status: col(row, "status")?,
        created_by: uuid_col(row, "created_by")?,
        created_at: at_col(row, "created_at")?,
        updated_at: at_col(row, "updated_at")?,
        body: col(row, "body")?,
    })
}

fn case_from_row(row: &SqliteRow, sealer: &Sealer) -> StoreResult<CaseRecord> {
    record_from_row(row)?.into_case(sealer)
}

fn tracing_request_from_row(row: &SqliteRow, sealer: &Sealer) -> StoreResult<TracingRequestRecord> {
    record_from_row(row)?.into_tracing_request(sealer)
}

fn agency_from_row(row: &SqliteRow) -> StoreResult<Agency> {
    Ok(Agency {
        id: AgencyId(uuid_col(row, "id")?),
        code: col(row, "code")?,
        name: col(row, "name")?,
        created_at: at_col(row, "created_at")?,
    })
}

fn audit_from_row(row: &SqliteRow) -> StoreResult<AuditRow> {
    Ok(AuditRow {
        seq: col(row, "seq")?,
        at: at_col(row, "at")?,
        actor: col(row, "actor")?,
        action: col(row, "action")?,
        target_type: col(row, "target_type")?,
        target_id: col(row, "target_id")?,
        details: col(row, "details")?,
        prev_hash: col(row, "prev_hash")?,
        hash: col(row, "hash")?,
    })
}

// --- Writes inside a transaction -----------------------------------------------------------------

/// Appends one entry to the audit chain. The caller's transaction began with `BEGIN IMMEDIATE`
/// (and the writer pool has one connection), so nobody else appends in between.
/// The audit entry's and the head's statements; with `history_sql!` in front for record changes.
macro_rules! audit_sql {
    () => {
        "INSERT INTO audit_log (seq, at, actor, action, target_type, target_id, details, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);
         UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1;"
    };
}

/// Every write of a case or tracing request queues its matching job in the same transaction.
macro_rules! match_job_sql {
    () => {
        "INSERT INTO match_jobs (record_type, record_id, queued_at) VALUES (?, ?, ?);"
    };
}

macro_rules! history_sql {
    () => {
        "INSERT INTO record_history (record_type, record_id, version, at, actor_id, action, changes)
         VALUES (?, ?, ?, ?, ?, ?, ?);"
    };
}

/// Appends a record's history entry (when there is one) and the audit entry, and moves the audit
/// head: the tail of every write, inside its transaction. After reading the head it is one round
/// trip to the connection's thread (the statements go as one batch), which matters because round
/// trips are what a write costs most here.
async fn record_change(
    conn: &mut SqliteConnection,
    history: Option<(RecordKind, String, &HistoryEntry, &Sealer)>,
    event: &AuditEvent,
    at: OffsetDateTime,
) -> StoreResult<AuditRow> {
    let head_row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let head = AuditHead {
        seq: col(&head_row, "seq")?,
        hash: col(&head_row, "hash")?,
    };
    let row = audit::next_row(&head, event, at);
    let query = match history {
        Some((kind, id, h, sealer)) => {
            let place = HistoryPlace {
                kind,
                id: &id,
                version: h.version,
            };
            let changes = rows::changes_to_json(&h.changes, place, sealer)?;
            sqlx::query(concat!(history_sql!(), match_job_sql!(), audit_sql!()))
                .bind(kind.as_str())
                .bind(id.clone())
                .bind(h.version)
                .bind(ts(h.at))
                .bind(h.actor_id.to_string())
                .bind(h.action.clone())
                .bind(changes)
                .bind(kind.as_str())
                .bind(id)
                .bind(ts(at))
        }
        None => sqlx::query(audit_sql!()),
    };
    query
        .bind(row.seq)
        .bind(ts(row.at))
        .bind(row.actor.clone())
        .bind(row.action.clone())
        .bind(row.target_type.clone())
        .bind(row.target_id.clone())
        .bind(row.details.clone())
        .bind(row.prev_hash.clone())
        .bind(row.hash.clone())
        .bind(row.seq)
        .bind(row.hash.clone())
        .execute(&mut *conn)
        .await?;
    Ok(row)
}

async fn check_caseworker(conn: &mut SqliteConnection, write: &CaseWrite) -> StoreResult<()> {
    let found = sqlx::query("SELECT 1 FROM users WHERE id = ? AND agency_id = ?")
        .bind(write.index.caseworker_id.to_string())
        .bind(write.record.agency_id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    if found.is_none() {
        return Err(rows::caseworker_not_in_agency());
    }
    Ok(())
}

/// The row `id` of `table` if the actor's scope admits it.
async fn scoped_row(
    conn: &mut SqliteConnection,
    table: Table,
    actor: &Actor,
    id: uuid::Uuid,
    now: OffsetDateTime,
) -> StoreResult<Option<SqliteRow>> {
    let sql = format!(
        "SELECT * FROM {} WHERE id = ?4 AND {}",
        table.name(),
        scope::clause(Params::Sqlite, table, actor.scope, 1)
    );
    Ok(
        bind_scope(sqlx::query(sqlx::AssertSqlSafe(sql)), actor, now)
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Whether a row `id` exists in `table` at all, to tell a failed authorisation (audited) from a
/// wrong id. The answer never reaches the caller.
async fn exists(conn: &mut SqliteConnection, table: Table, id: uuid::Uuid) -> StoreResult<bool> {
    let sql = format!("SELECT 1 FROM {} WHERE id = ?", table.name());
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
}

async fn history_rows(
    conn: &mut SqliteConnection,
    kind: RecordKind,
    id: &str,
    sealer: &Sealer,
) -> StoreResult<Vec<HistoryEntry>> {
    sqlx::query(
        "SELECT * FROM record_history WHERE record_type = ? AND record_id = ? ORDER BY version",
    )
    .bind(kind.as_str())
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        let version = col(row, "version")?;
        let place = HistoryPlace { kind, id, version };
        Ok(HistoryEntry {
            version,
            at: at_col(row, "at")?,
            actor_id: UserId(uuid_col(row, "actor_id")?),
            action: col(row, "action")?,
            changes: rows::changes_from_json(&col::<_, String>(row, "changes")?, place, sealer)?,
        })
    })
    .collect()
}

/// Re-seals one sealed text column of `table` where it is set, each value bound to `aad(id)`.
async fn reseal_column(
    conn: &mut SqliteConnection,
    sealer: &Sealer,
    table: &str,
    column: &str,
    aad: fn(uuid::Uuid) -> String,
) -> StoreResult<u64> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, {column} AS sealed FROM {table} WHERE {column} IS NOT NULL"
    )))
    .fetch_all(&mut *conn)
    .await?;
    for row in &rows {
        let id = uuid_col(row, "id")?;
        let aad = aad(id);
        let plain = sealer.open_text(&col::<_, String>(row, "sealed")?, &aad)?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET {column} = ? WHERE id = ?"
        )))
        .bind(sealer.seal_text(&plain, &aad)?)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    }
    Ok(rows.len() as u64)
}

/// Writes the seeded roles that are missing (a new database, or a release that adds one);
/// roles an admin has edited keep their edits.
async fn seed_roles(writer: &SqlitePool, now: OffsetDateTime) -> StoreResult<()> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    for role in seeded_roles() {
        let (permissions, sees) = rows::role_json(&role);
        sqlx::query(
            "INSERT INTO roles (name, description, permissions, scope, sees, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (name) DO NOTHING",
        )
        .bind(&role.name)
        .bind(&role.description)
        .bind(permissions)
        .bind(role.scope.as_str())
        .bind(sees)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Creates or replaces a role; true when it existed.
async fn save_role(
    conn: &mut SqliteConnection,
    role: &RoleSpec,
    now: OffsetDateTime,
) -> StoreResult<bool> {
    let existed = sqlx::query("SELECT 1 FROM roles WHERE name = ?")
        .bind(&role.name)
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    let (permissions, sees) = rows::role_json(role);
    sqlx::query(
        "INSERT INTO roles (name, description, permissions, scope, sees, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
         ON CONFLICT (name) DO UPDATE SET description = ?2, permissions = ?3, scope = ?4, sees = ?5,
             updated_at = ?6",
    )
    .bind(&role.name)
    .bind(&role.description)
    .bind(permissions)
    .bind(role.scope.as_str())
    .bind(sees)
    .bind(ts(now))
    .execute(&mut *conn)
    .await?;
    if existed {
        // What the sessions of its holders were allowed to do has changed: they end.
        sqlx::query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE role = ?)")
            .bind(&role.name)
            .execute(&mut *conn)
            .await?;
    }
    Ok(existed)
}

async fn role_named(conn: &mut SqliteConnection, name: &str) -> StoreResult<RoleSpec> {
    sqlx::query("SELECT * FROM roles WHERE name = ?")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| role_from_row(&row, ""))
        .transpose()?
        .ok_or_else(|| Problems::single("role", format!("'{}' is not a role", clip(name))).into())
}

async fn user_by_id(conn: &mut SqliteConnection, id: UserId) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM {USER_JOIN} WHERE u.id = ?");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| user_from_row(&row))
        .transpose()
}

async fn insert_alert(conn: &mut SqliteConnection, alert: &Alert) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO alerts (id, kind, agency_id, record_type, record_id, subject_user, details, raised_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(alert.id.to_string())
    .bind(&alert.kind)
    .bind(alert.agency_id.to_string())
    .bind(&alert.record_type)
    .bind(alert.record_id.map(|r| r.to_string()))
    .bind(alert.subject_user.map(|u| u.to_string()))
    .bind(alert.details.to_string())
    .bind(ts(alert.raised_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn work_from_row(row: &SqliteRow, sealer: &Sealer) -> StoreResult<CaseWork> {
    let case = case_from_row(row, sealer)?;
    let stored: Option<String> = col(row, "workflow")?;
    let workflow = casework::open_workflow(sealer, &case, stored.as_deref())?;
    Ok(CaseWork { case, workflow })
}

/// Writes a case's next version over `expected_version` (with its workflow when given), its
/// history and audit entries, and what its detention alert must become: the tail of every
/// update of a case, inside the caller's transaction.
async fn write_case_update(
    conn: &mut SqliteConnection,
    write: &CaseWrite,
    expected_version: i64,
    workflow: Option<String>,
    sealer: &Sealer,
    now: OffsetDateTime,
) -> StoreResult<()> {
    if write.index.caseworker_unverified {
        check_caseworker(&mut *conn, write).await?;
    }
    let r = &write.record;
    let updated = sqlx::query(
        "UPDATE cases SET version = ?, caseworker_id = ?, status = ?, risk_level = ?,
             separation_status = ?, location_pcode = ?, registration_date = ?, updated_at = ?, body = ?,
             workflow = COALESCE(?, workflow)
         WHERE id = ? AND version = ?",
    )
    .bind(r.version)
    .bind(write.index.caseworker_id.to_string())
    .bind(r.status.as_str())
    .bind(write.index.risk_level)
    .bind(write.index.separation_status)
    .bind(&write.index.location_pcode)
    .bind(write.index.registration_date.to_string())
    .bind(ts(r.updated_at))
    .bind(rows::body(RecordKind::Case, r.id, &r.doc, sealer)?)
    .bind(workflow)
    .bind(r.id.to_string())
    .bind(expected_version)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        // Cannot happen under BEGIN IMMEDIATE, but the guard costs nothing.
        return Err(StoreError::Conflict {
            current: expected_version,
        });
    }
    sync_detention(&mut *conn, r, write.index.detention, now).await?;
    record_change(
        conn,
        Some((RecordKind::Case, r.id.to_string(), &write.history, sealer)),
        &write.audit,
        now,
    )
    .await?;
    Ok(())
}

/// Makes the case's open `detention` alert follow its placements (see [`DetentionSync`]).
async fn sync_detention(
    conn: &mut SqliteConnection,
    case: &CaseRecord,
    sync: DetentionSync,
    now: OffsetDateTime,
) -> StoreResult<()> {
    let want = match sync {
        DetentionSync::Unchanged => return Ok(()),
        DetentionSync::Free => None,
        DetentionSync::Detained { since, kind } => Some((since, kind)),
    };
    if case.version == 1 {
        // A case just registered has no alert yet: nothing to look up or resolve.
        if let Some((since, kind)) = want {
            insert_alert(
                conn,
                &casework::detention_alert(case, since, kind.as_str(), now),
            )
            .await?;
        }
        return Ok(());
    }
    let open = sqlx::query(
        "SELECT id, details FROM alerts
         WHERE record_type = 'case' AND record_id = ? AND kind = 'detention' AND resolved_at IS NULL",
    )
    .bind(case.id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut have = false;
    for row in &open {
        let same = want.is_some_and(|(since, _)| {
            casework::alert_since(&col::<_, String>(row, "details").unwrap_or_default())
                == Some(since.to_string())
        });
        if same {
            have = true;
        } else {
            sqlx::query("UPDATE alerts SET resolved_at = ? WHERE id = ?")
                .bind(ts(now))
                .bind(col::<_, String>(row, "id")?)
                .execute(&mut *conn)
                .await?;
        }
    }
    if let Some((since, kind)) = want.filter(|_| !have) {
        insert_alert(
            conn,
            &casework::detention_alert(case, since, kind.as_str(), now),
        )
        .await?;
    }
    Ok(())
}

impl SqliteStore {
    /// A casework write: the case (in scope, read inside the write transaction), the door's
    /// decision on it, then the decision carried out.
    async fn casework_write(
        &self,
        actor: &Actor,
        id: CaseId,
        decide: impl FnOnce(&CaseWork, OffsetDateTime) -> StoreResult<CaseworkWrite> + Send,
    ) -> StoreResult<CaseWork> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let current = scoped_row(&mut tx, Table::Cases, actor, id.0, now)
            .await?
            .map(|row| work_from_row(&row, &self.sealer))
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        let write = decide(&current, now)?;
        let sealed = casework::seal_workflow(&self.sealer, id, &write.workflow)?;
        write_case_update(
            &mut tx,
            &write.case,
            current.case.version,
            Some(sealed),
            &self.sealer,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(CaseWork {
            case: write.case.record,
            workflow: write.workflow,
        })
    }
}

fn item_from_row(row: &SqliteRow, sealer: &Sealer) -> StoreResult<CaseItem> {
    let id = uuid_col(row, "id")?;
    let kind = ItemKind::parse(&col::<_, String>(row, "kind")?).map_err(StoreError::Corrupt)?;
    let to_agency: Option<String> = col(row, "to_agency_id")?;
    Ok(CaseItem {
        id,
        kind,
        case_id: CaseId(uuid_col(row, "case_id")?),
        agency_id: AgencyId(uuid_col(row, "agency_id")?),
        to_agency_id: to_agency
            .map(|a| rows::parse_uuid(&a, "to_agency_id").map(AgencyId))
            .transpose()?,
        status: col(row, "status")?,
        version: col(row, "version")?,
        created_by: UserId(uuid_col(row, "created_by")?),
        created_at: at_col(row, "created_at")?,
        updated_at: at_col(row, "updated_at")?,
        body: casework::open_item_body(sealer, kind, id, &col::<_, String>(row, "body")?)?,
    })
}

/// The items `actor` may see: those of cases in their scope, and referrals made to their agency.
/// An item's history entry (as record type `case_item`) and its audit entry.
async fn record_item_change(
    conn: &mut SqliteConnection,
    write: &casework::ItemWrite,
    sealer: &Sealer,
    now: OffsetDateTime,
) -> StoreResult<()> {
    let id = write.item.id.to_string();
    let h = &write.history;
    let place = HistoryPlace {
        kind: RecordKind::Case,
        id: &id,
        version: h.version,
    };
    sqlx::query(history_sql!())
        .bind(casework::CASE_ITEM)
        .bind(&id)
        .bind(h.version)
        .bind(ts(h.at))
        .bind(h.actor_id.to_string())
        .bind(&h.action)
        .bind(rows::changes_to_json(&h.changes, place, sealer)?)
        .execute(&mut *conn)
        .await?;
    record_change(conn, None, &write.audit, now).await?;
    Ok(())
}

fn visible_items_clause(actor: &Actor) -> String {
    format!(
        "(case_id IN (SELECT id FROM cases WHERE {}) OR (kind IN ('referral', 'transfer') AND to_agency_id = ?1))",
        scope::clause(Params::Sqlite, Table::Cases, actor.scope, 1)
    )
}

fn history_from_row(
    row: &SqliteRow,
    kind: RecordKind,
    sealer: &Sealer,
) -> StoreResult<HistoryEntry> {
    let id: String = col(row, "record_id")?;
    let version = col(row, "version")?;
    let place = HistoryPlace {
        kind,
        id: &id,
        version,
    };
    Ok(HistoryEntry {
        version,
        at: at_col(row, "at")?,
        actor_id: UserId(uuid_col(row, "actor_id")?),
        action: col(row, "action")?,
        changes: rows::changes_from_json(&col::<_, String>(row, "changes")?, place, sealer)?,
    })
}

impl SqliteStore {
    /// The answer to a write on a record the actor cannot see: not found, as for a record that
    /// does not exist, with a failed authorisation audited when it does exist.
    async fn refused(
        &self,
        actor: &Actor,
        table: Table,
        id: uuid::Uuid,
        attempted: AuditAction,
    ) -> StoreError {
        let audited = async {
            if exists(&mut *self.readers.get().await, table, id).await? {
                self.append_audit(door::refused_event(
                    actor,
                    attempted,
                    table.record_type(),
                    id,
                ))
                .await?;
            }
            StoreResult::Ok(())
        };
        match audited.await {
            Ok(()) => StoreError::NotFound,
            Err(e) => e,
        }
    }

    /// A scoped read of one record, audited: a view when found, a failed authorisation when the
    /// record exists out of scope.
    async fn read_one(
        &self,
        actor: &Actor,
        table: Table,
        id: uuid::Uuid,
        action: AuditAction,
    ) -> StoreResult<Option<SqliteRow>> {
        let now = self.now();
        let found = scoped_row(&mut *self.readers.get().await, table, actor, id, now).await?;
        let event = if found.is_some() {
            Some(door::read_event(
                actor,
                action,
                table.record_type(),
                &[id.to_string()],
            ))
        } else if exists(&mut *self.readers.get().await, table, id).await? {
            Some(door::refused_event(actor, action, table.record_type(), id))
        } else {
            None
        };
        if let Some(event) = event {
            self.append_audit(event).await?;
        }
        Ok(found)
    }

    async fn history(
        &self,
        actor: &Actor,
        table: Table,
        id: uuid::Uuid,
        action: AuditAction,
    ) -> StoreResult<Option<Vec<HistoryEntry>>> {
        if self.read_one(actor, table, id, action).await?.is_none() {
            return Ok(None);
        }
        let kind = door::kind_of(table);
        let entries = history_rows(
            &mut *self.readers.get().await,
            kind,
            &id.to_string(),
            &self.sealer,
        )
        .await?;
        Ok(Some(entries))
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    async fn create_agency(
        &self,
        by: Option<&Actor>,
        code: &str,
        name: &str,
    ) -> StoreResult<Agency> {
        if let Some(actor) = by {
            door::check_admin(by, Permission::AgencyManage, actor.agency_id)?;
        }
        let now = self.now();
        let agency = Agency {
            id: AgencyId::new_random(),
            code: code.to_string(),
            name: name.to_string(),
            created_at: now,
        };
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO agencies (id, code, name, created_at) VALUES (?, ?, ?, ?)")
            .bind(agency.id.to_string())
            .bind(&agency.code)
            .bind(&agency.name)
            .bind(ts(now))
            .execute(&mut *tx)
            .await
            .map_err(|e| rows::map_write_error(e, "agency code", ("code", "is invalid")))?;
        let event = AuditEvent::new(by.map(|a| a.user_id), AuditAction::AgencyCreate)
            .target("agency", agency.id)
            .details(json!({ "code": agency.code }));
        record_change(&mut tx, None, &event, now).await?;
        tx.commit().await?;
        Ok(agency)
    }

    async fn agencies(&self) -> StoreResult<Vec<Agency>> {
        sqlx::query("SELECT * FROM agencies ORDER BY code")
            .fetch_all(&mut *self.readers.get().await)
            .await?
            .iter()
            .map(agency_from_row)
            .collect()
    }

    async fn roles(&self) -> StoreResult<Vec<RoleSpec>> {
        sqlx::query("SELECT * FROM roles ORDER BY name")
            .fetch_all(&mut *self.readers.get().await)
            .await?
            .iter()
            .map(|row| role_from_row(row, ""))
            .collect()
    }

    async fn save_role(&self, by: Option<&Actor>, role: RoleSpec) -> StoreResult<RoleSpec> {
        if let Some(actor) = by {
            door::check_admin(by, Permission::RoleManage, actor.agency_id)?;
        }
        door::check_grant(by, &role)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let existed = save_role(&mut tx, &role, now).await?;
        let action = if existed {
            AuditAction::RoleUpdate
        } else {
            AuditAction::RoleCreate
        };
        let event = AuditEvent::new(by.map(|a| a.user_id), action)
            .target("role", &role.name)
            .details(json!({
                "permissions": role.permissions.names(),
                "scope": role.scope.as_str(),
                "sees": role.sees.names(),
            }));
        record_change(&mut tx, None, &event, now).await?;
        tx.commit().await?;
        Ok(role)
    }

    async fn create_user(&self, by: Option<&Actor>, new: NewUser) -> StoreResult<User> {
        door::check_admin(by, Permission::UserManage, new.agency_id)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let role = role_named(&mut tx, &new.role).await?;
        door::check_grant(by, &role)?;
        let user = User {
            id: UserId::new_random(),
            email: new.email,
            display_name: new.display_name,
            agency_id: new.agency_id,
            role,
            active: true,
            mfa_enrolled: false,
        };
        sqlx::query(
            "INSERT INTO users (id, email, display_name, agency_id, role, password_hash, active, created_at)
             VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
        )
        .bind(user.id.to_string())
        .bind(&user.email)
        .bind(&user.display_name)
        .bind(user.agency_id.to_string())
        .bind(&user.role.name)
        .bind(&new.password_hash)
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(|e| rows::map_write_error(e, "email", ("agency_id", "is not an agency")))?;
        let event = AuditEvent::new(by.map(|a| a.user_id), AuditAction::UserCreate)
            .target("user", user.id)
            .details(json!({ "agency_id": user.agency_id.to_string(), "role": user.role.name }));
        record_change(&mut tx, None, &event, now).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn user_count(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&mut *self.readers.get().await)
            .await?;
        col(&row, "n")
    }

    async fn users(&self, by: Option<&Actor>) -> StoreResult<Vec<User>> {
        let agency = match by {
            None => None,
            Some(actor) => {
                door::check_admin(by, Permission::UserManage, actor.agency_id)?;
                (actor.scope != ScopeLevel::All).then(|| actor.agency_id.to_string())
            }
        };
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM {USER_JOIN} WHERE (?1 IS NULL OR u.agency_id = ?1) ORDER BY u.email"
        );
        let users = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(agency)
            .fetch_all(&mut *self.readers.get().await)
            .await?
            .iter()
            .map(user_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        if let Some(actor) = by {
            let ids: Vec<String> = users.iter().map(|u| u.id.to_string()).collect();
            self.append_audit(door::read_event(actor, AuditAction::UserList, "user", &ids))
                .await?;
        }
        Ok(users)
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserCredentials>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM {USER_JOIN} WHERE u.email = ?");
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(email)
            .fetch_optional(&mut *self.readers.get().await)
            .await?
        else {
            return Ok(None);
        };
        let locked_until: Option<String> = col(&row, "locked_until")?;
        Ok(Some(UserCredentials {
            user: user_from_row(&row)?,
            password_hash: col(&row, "password_hash")?,
            locked_until: locked_until
                .map(|t| rows::parse_at(&t, "locked_until"))
                .transpose()?,
        }))
    }

    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>> {
        user_by_id(&mut *self.readers.get().await, id).await
    }

    async fn set_user_active(
        &self,
        by: Option<&Actor>,
        id: UserId,
        active: bool,
    ) -> StoreResult<User> {
        door::may(by, Permission::UserManage)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let mut user = user_by_id(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        door::check_admin(by, Permission::UserManage, user.agency_id)
            .map_err(|_| StoreError::NotFound)?;
        sqlx::query(
            "UPDATE users SET active = ?, failed_logins = 0, locked_until = NULL WHERE id = ?",
        )
        .bind(active)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = ?")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        let action = if active {
            AuditAction::UserUpdate
        } else {
            AuditAction::UserDisable
        };
        let event = AuditEvent::new(by.map(|a| a.user_id), action)
            .target("user", id)
            .details(json!({ "active": active }));
        record_change(&mut tx, None, &event, now).await?;
        tx.commit().await?;
        user.active = active;
        Ok(user)
    }

    async fn set_user_role(&self, by: Option<&Actor>, id: UserId, role: &str) -> StoreResult<User> {
        door::may(by, Permission::UserManage)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let mut user = user_by_id(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        door::check_admin(by, Permission::UserManage, user.agency_id)
            .map_err(|_| StoreError::NotFound)?;
        let role = role_named(&mut tx, role).await?;
        door::check_grant(by, &role)?;
        // Taking a role away is also a grant check: nobody demotes someone above them.
        door::check_grant(by, &user.role)?;
        sqlx::query("UPDATE users SET role = ? WHERE id = ?")
            .bind(&role.name)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        // What the sessions were allowed to do has changed: they end.
        sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let event = AuditEvent::new(by.map(|a| a.user_id), AuditAction::UserUpdate)
            .target("user", id)
            .details(json!({ "role": role.name }));
        record_change(&mut tx, None, &event, now).await?;
        tx.commit().await?;
        user.role = role;
        Ok(user)
    }

    async fn create_group(
        &self,
        by: Option<&Actor>,
        agency: AgencyId,
        name: &str,
    ) -> StoreResult<Group> {
        door::check_admin(by, Permission::GroupManage, agency)?;
        let name = door::group_name(name)?;
        let now = self.now();
        let group = Group {
            id: uuid::Uuid::new_v4(),
            agency_id: agency,
            name,
            members: Vec::new(),
        };
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO groups (id, agency_id, name, created_at) VALUES (?, ?, ?, ?)")
            .bind(group.id.to_string())
            .bind(agency.to_string())
            .bind(&group.name)
            .bind(ts(now))
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                rows::map_write_error(e, "group name", ("agency_id", "is not an agency"))
            })?;
        let event = AuditEvent::new(by.map(|a| a.user_id), AuditAction::GroupCreate)
            .target("group", group.id)
            .details(json!({ "agency_id": agency.to_string() }));
        record_change(&mut tx, None, &event, now).await?;
        tx.commit().await?;
        Ok(group)
    }

    async fn set_group_members(
        &self,
        by: Option<&Actor>,
        group: uuid::Uuid,
        members: &[UserId],
    ) -> StoreResult<Group> {
        door::may(by, Permission::GroupManage)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT * FROM groups WHERE id = ?")
            .bind(group.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let agency = AgencyId(uuid_col(&row, "agency_id")?);
        door::check_admin(by, Permission::GroupManage, agency).map_err(|_| StoreError::NotFound)?;
        sqlx::query("DELETE FROM group_members WHERE group_id = ?")
            .bind(group.to_string())
            .execute(&mut *tx)
            .await?;
        let mut problems = Problems::new();
        let mut unique: Vec<UserId> = Vec::new();
        for (i, member) in members.iter().enumerate() {
            if unique.contains(member) {
                continue;
            }
            let of_agency = sqlx::query("SELECT 1 FROM users WHERE id = ? AND agency_id = ?")
                .bind(member.to_string())
                .bind(agency.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            if of_agency.is_none() {
                problems.push(
                    format!("members.{i}"),
                    "is not a user of the group's agency",
                );
                continue;
            }
            sqlx::query("INSERT INTO group_members (group_id, user_id) VALUES (?, ?)")
                .bind(group.to_string())
                .bind(member.to_string())
                .execute(&mut *tx)
                .await?;
            unique.push(*member);
        }
        problems.into_result(())?;
        let event = AuditEvent::new(by.map(|a| a.user_id), AuditAction::GroupUpdate)
            .target("group", group)
            .details(
                json!({ "members": unique.iter().map(|u| u.to_string()).collect::<Vec<_>>() }),
            );
        record_change(&mut tx, None, &event, now).await?;
        tx.commit().await?;
        Ok(Group {
            id: group,
            agency_id: agency,
            name: col(&row, "name")?,
            members: unique,
        })
    }

    async fn groups(&self, by: &Actor) -> StoreResult<Vec<Group>> {
        let agency = (by.scope != ScopeLevel::All).then(|| by.agency_id.to_string());
        let found = sqlx::query(
            "SELECT g.id, g.agency_id, g.name, m.user_id FROM groups g
             LEFT JOIN group_members m ON m.group_id = g.id
             WHERE (?1 IS NULL OR g.agency_id = ?1)
             ORDER BY g.name, g.id, m.user_id",
        )
        .bind(agency)
        .fetch_all(&mut *self.readers.get().await)
        .await?;
        let mut groups: Vec<Group> = Vec::new();
        for row in &found {
            let id = uuid_col(row, "id")?;
            if groups.last().is_none_or(|g| g.id != id) {
                groups.push(Group {
                    id,
                    agency_id: AgencyId(uuid_col(row, "agency_id")?),
                    name: col(row, "name")?,
                    members: Vec::new(),
                });
            }
            let member: Option<String> = col(row, "user_id")?;
            if let (Some(m), Some(g)) = (member, groups.last_mut()) {
                g.members.push(UserId(rows::parse_uuid(&m, "user_id")?));
            }
        }
        Ok(groups)
    }

    async fn login_failed(&self, user: UserId) -> StoreResult<LoginFailure> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?
             RETURNING failed_logins, agency_id",
        )
        .bind(user.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let failures = u32::try_from(col::<_, i64>(&row, "failed_logins")?).unwrap_or(u32::MAX);
        let locked_until = throttle::lock_after(failures).map(|d| now + d);
        if let Some(until) = locked_until {
            sqlx::query("UPDATE users SET locked_until = ? WHERE id = ?")
                .bind(ts(until))
                .bind(user.to_string())
                .execute(&mut *tx)
                .await?;
        }
        if throttle::alerts_at(failures) {
            let agency = AgencyId(uuid_col(&row, "agency_id")?);
            let alert = door::account_alert("login_failures", agency, user, failures, now);
            insert_alert(&mut tx, &alert).await?;
        }
        let event = AuditEvent::new(None, AuditAction::LoginFailure)
            .target("user", user)
            .details(json!({ "failures": failures, "locked": locked_until.is_some() }));
        record_change(&mut tx, None, &event, now).await?;
        tx.commit().await?;
        Ok(LoginFailure {
            failures,
            locked_until,
        })
    }

    async fn login_succeeded(&self, user: UserId) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ? AND failed_logins > 0")
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(&self, new: NewSession) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO sessions (token_digest, user_id, created_at, last_seen_at, expires_at, mfa, csrf_token)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&new.token_digest)
        .bind(new.user_id.to_string())
        .bind(ts(now))
        .bind(ts(now))
        .bind(ts(new.expires_at))
        .bind(new.mfa.as_str())
        .bind(&new.csrf_token)
        .execute(&mut *tx)
        .await
        .map_err(|e| rows::map_write_error(e, "session", ("user_id", "is not a user")))?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(
        &self,
        token_digest: &str,
        idle_timeout: Duration,
    ) -> StoreResult<Option<SessionInfo>> {
        let now = self.now();
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.last_seen_at, s.mfa, s.csrf_token
             FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN roles r ON r.name = u.role
             WHERE s.token_digest = ? AND s.expires_at > ? AND s.last_seen_at > ? AND u.active = 1"
        );
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_digest)
            .bind(ts(now))
            .bind(ts(now - idle_timeout))
            .fetch_optional(&mut *self.readers.get().await)
            .await?
        else {
            return Ok(None);
        };
        let user = user_from_row(&row)?;
        let last_seen = at_col(&row, "last_seen_at")?;
        if last_seen < now - TOUCH_INTERVAL {
            let mut tx = self.begin_write().await?;
            sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE token_digest = ?")
                .bind(ts(now))
                .bind(token_digest)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(Some(SessionInfo {
            user,
            mfa: MfaState::parse(&col::<_, String>(&row, "mfa")?).map_err(StoreError::Corrupt)?,
            csrf_token: col(&row, "csrf_token")?,
        }))
    }

    async fn complete_session(&self, token_digest: &str) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE sessions SET mfa = 'complete' WHERE token_digest = ?")
            .bind(token_digest)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_session(&self, token_digest: &str) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sessions WHERE token_digest = ?")
            .bind(token_digest)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn end_sessions(&self, user: UserId) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn totp(&self, user: UserId) -> StoreResult<Option<TotpState>> {
        let row = sqlx::query("SELECT totp_secret, totp_last_step FROM users WHERE id = ?")
            .bind(user.to_string())
            .fetch_optional(&mut *self.readers.get().await)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let Some(sealed) = col::<_, Option<String>>(&row, "totp_secret")? else {
            return Ok(None);
        };
        let secret = self.sealer.open_text(&sealed, &door::totp_aad(user))?;
        let last_step: Option<i64> = col(&row, "totp_last_step")?;
        Ok(Some(TotpState {
            secret,
            last_step: last_step.and_then(|s| u64::try_from(s).ok()),
        }))
    }

    async fn set_totp(
        &self,
        user: UserId,
        secret: &str,
        recovery_digests: &[String],
    ) -> StoreResult<()> {
        let now = self.now();
        let sealed = self.sealer.seal_text(secret, &door::totp_aad(user))?;
        let mut tx = self.begin_write().await?;
        let updated =
            sqlx::query("UPDATE users SET totp_secret = ?, totp_last_step = NULL WHERE id = ?")
                .bind(sealed)
                .bind(user.to_string())
                .execute(&mut *tx)
                .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = ?")
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        for digest in recovery_digests {
            sqlx::query("INSERT INTO recovery_codes (user_id, digest) VALUES (?, ?)")
                .bind(user.to_string())
                .bind(digest)
                .execute(&mut *tx)
                .await?;
        }
        let event = AuditEvent::new(Some(user), AuditAction::MfaEnrol)
            .target("user", user)
            .details(json!({ "recovery_codes": recovery_digests.len() }));
        record_change(&mut tx, None, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn accept_totp_step(&self, user: UserId, step: u64) -> StoreResult<bool> {
        let step = i64::try_from(step).map_err(|_| StoreError::Corrupt("time step".into()))?;
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE users SET totp_last_step = ?1
             WHERE id = ?2 AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < ?1)",
        )
        .bind(step)
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(updated.rows_affected() == 1)
    }

    async fn use_recovery_code(&self, user: UserId, digest: &str) -> StoreResult<bool> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND digest = ? AND used_at IS NULL",
        )
        .bind(ts(now))
        .bind(user.to_string())
        .bind(digest)
        .execute(&mut *tx)
        .await?;
        let used = updated.rows_affected() == 1;
        if used {
            let event =
                AuditEvent::new(Some(user), AuditAction::RecoveryCodeUsed).target("user", user);
            record_change(&mut tx, None, &event, now).await?;
        }
        tx.commit().await?;
        Ok(used)
    }

    async fn create_token(&self, by: Option<&Actor>, new: NewToken) -> StoreResult<TokenInfo> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let owner = user_by_id(&mut tx, new.user_id)
            .await?
            .ok_or_else(|| StoreError::from(Problems::single("user_id", "is not a user")))?;
        // Someone else's token is user management; one's own is not.
        if by.is_some_and(|a| a.user_id != owner.id) {
            door::check_admin(by, Permission::UserManage, owner.agency_id)?;
        }
        door::check_token_permissions(&owner, new.permissions)?;
        let info = TokenInfo {
            id: uuid::Uuid::new_v4(),
            user_id: new.user_id,
            name: new.name,
            created_at: now,
            expires_at: new.expires_at,
            permissions: new.permissions,
            revoked_at: None,
        };
        sqlx::query(
            "INSERT INTO api_tokens (id, token_digest, user_id, name, created_at, expires_at, permissions)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(info.id.to_string())
        .bind(&new.token_digest)
        .bind(info.user_id.to_string())
        .bind(&info.name)
        .bind(ts(now))
        .bind(info.expires_at.map(ts))
        .bind(rows::permissions_json(info.permissions))
        .execute(&mut *tx)
        .await
        .map_err(|e| rows::map_write_error(e, "token", ("user_id", "is not a user")))?;
        let event = AuditEvent::new(by.map(|a| a.user_id), AuditAction::TokenCreate)
            .target("token", info.id)
            .details(json!({
                "user_id": info.user_id.to_string(),
                "permissions": info.permissions.map(|p| p.names()),
            }));
        record_change(&mut tx, None, &event, now).await?;
        tx.commit().await?;
        Ok(info)
    }

    async fn token_user(
        &self,
        token_digest: &str,
    ) -> StoreResult<Option<(User, Option<PermissionSet>)>> {
        let now = self.now();
        let sql = format!(
            "SELECT {USER_COLUMNS}, t.permissions AS token_permissions
             FROM api_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN roles r ON r.name = u.role
             WHERE t.token_digest = ? AND t.revoked_at IS NULL
               AND (t.expires_at IS NULL OR t.expires_at > ?) AND u.active = 1"
        );
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_digest)
            .bind(ts(now))
            .fetch_optional(&mut *self.readers.get().await)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some((
            user_from_row(&row)?,
            rows::permissions_from_json(col(&row, "token_permissions")?)?,
        )))
    }

    async fn tokens(
        &self,
        by: Option<&Actor>,
        user: Option<UserId>,
    ) -> StoreResult<Vec<TokenInfo>> {
        let (agency, only_user) = match by {
            None => (None, user),
            Some(actor) if user == Some(actor.user_id) => (None, user),
            Some(actor) => {
                door::check_admin(by, Permission::UserManage, actor.agency_id)?;
                (
                    (actor.scope != ScopeLevel::All).then_some(actor.agency_id),
                    user,
                )
            }
        };
        sqlx::query(
            "SELECT t.* FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE (?1 IS NULL OR u.agency_id = ?1) AND (?2 IS NULL OR t.user_id = ?2)
             ORDER BY t.created_at",
        )
        .bind(agency.map(|a| a.to_string()))
        .bind(only_user.map(|u| u.to_string()))
        .fetch_all(&mut *self.readers.get().await)
        .await?
        .iter()
        .map(token_from_row)
        .collect()
    }

    async fn revoke_token(&self, by: Option<&Actor>, id: uuid::Uuid) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT t.user_id, u.agency_id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?",
        )
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let owner = UserId(uuid_col(&row, "user_id")?);
        if by.is_some_and(|a| a.user_id != owner) {
            door::check_admin(
                by,
                Permission::UserManage,
                AgencyId(uuid_col(&row, "agency_id")?),
            )
            .map_err(|_| StoreError::NotFound)?;
        }
        sqlx::query("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(ts(now))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let event = AuditEvent::new(by.map(|a| a.user_id), AuditAction::TokenRevoke)
            .target("token", id)
            .details(json!({ "user_id": owner.to_string() }));
        record_change(&mut tx, None, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn consents(&self, actor: &Actor, case: CaseId) -> StoreResult<Option<Vec<Consent>>> {
        authorize(actor, Permission::CaseRead)?;
        if self
            .read_one(actor, Table::Cases, case.0, AuditAction::CaseView)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let found = sqlx::query("SELECT * FROM consents WHERE case_id = ? ORDER BY id")
            .bind(case.to_string())
            .fetch_all(&mut *self.readers.get().await)
            .await?;
        found
            .iter()
            .map(|row| consent_from_row(row, &self.sealer))
            .collect::<StoreResult<Vec<_>>>()
            .map(Some)
    }

    async fn record_consent(
        &self,
        actor: &Actor,
        case: CaseId,
        doc: ConsentDoc,
    ) -> StoreResult<Consent> {
        authorize(actor, Permission::CaseUpdate)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let Some(current) = scoped_row(&mut tx, Table::Cases, actor, case.0, now)
            .await?
            .map(|row| case_from_row(&row, &self.sealer))
            .transpose()?
        else {
            tx.rollback().await?;
            return Err(self
                .refused(actor, Table::Cases, case.0, AuditAction::ConsentRecord)
                .await);
        };
        let (consent, event) = door::prepare_consent(actor, &current, doc, now)?;
        let (purposes, recipients, body) = rows::consent_columns(&consent, &self.sealer)?;
        sqlx::query(
            "INSERT INTO consents (id, case_id, basis, purposes, recipients, given_on, withdrawn_on,
                 body, recorded_by, recorded_at)
             VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
        )
        .bind(consent.record.id.to_string())
        .bind(case.to_string())
        .bind(consent.record.basis.as_str())
        .bind(purposes)
        .bind(recipients)
        .bind(consent.record.given_on.to_string())
        .bind(body)
        .bind(actor.user_id.to_string())
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        matching::enqueue_job(&mut tx, JobRecord::Case(case), now).await?;
        record_change(&mut tx, None, &event, now).await?;
        tx.commit().await?;
        Ok(consent)
    }

    async fn withdraw_consent(
        &self,
        actor: &Actor,
        case: CaseId,
        consent: uuid::Uuid,
        on: Option<&str>,
    ) -> StoreResult<Consent> {
        authorize(actor, Permission::CaseUpdate)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        if scoped_row(&mut tx, Table::Cases, actor, case.0, now)
            .await?
            .is_none()
        {
            tx.rollback().await?;
            return Err(self
                .refused(actor, Table::Cases, case.0, AuditAction::ConsentWithdraw)
                .await);
        }
        let current = sqlx::query("SELECT * FROM consents WHERE id = ? AND case_id = ?")
            .bind(consent.to_string())
            .bind(case.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| consent_from_row(&row, &self.sealer))
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        let (next, event) = door::prepare_withdrawal(actor, &current, on, now)?;
        sqlx::query("UPDATE consents SET withdrawn_on = ? WHERE id = ?")
            .bind(next.record.withdrawn_on.map(|d| d.to_string()))
            .bind(consent.to_string())
            .execute(&mut *tx)
            .await?;
        matching::enqueue_job(&mut tx, JobRecord::Case(case), now).await?;
        record_change(&mut tx, None, &event, now).await?;
        tx.commit().await?;
        Ok(next)
    }

    async fn break_glass(
        &self,
        actor: &Actor,
        record: RecordKind,
        id: uuid::Uuid,
        reason: &str,
        duration: Duration,
    ) -> StoreResult<AccessGrant> {
        authorize(actor, Permission::BreakGlass)?;
        let reason = door::break_glass_reason(reason)?;
        let table = door::table_of(record);
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let sql = format!("SELECT agency_id FROM {} WHERE id = ?", table.name());
        let agency = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let grant = AccessGrant {
            id: uuid::Uuid::new_v4(),
            user_id: actor.user_id,
            record_type: table.record_type().to_string(),
            record_id: id,
            granted_at: now,
            expires_at: now + duration,
        };
        sqlx::query(
            "INSERT INTO access_grants (id, user_id, record_type, record_id, reason, granted_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(grant.id.to_string())
        .bind(actor.user_id.to_string())
        .bind(&grant.record_type)
        .bind(id.to_string())
        .bind(self.sealer.seal_text(&reason, &door::grant_aad(grant.id))?)
        .bind(ts(now))
        .bind(ts(grant.expires_at))
        .execute(&mut *tx)
        .await?;
        let agency = AgencyId(uuid_col(&agency, "agency_id")?);
        let alert = door::record_alert("break_glass", agency, &grant, actor, now);
        insert_alert(&mut tx, &alert).await?;
        let event = AuditEvent::new(Some(actor.user_id), AuditAction::BreakGlass)
            .target(table.record_type(), id)
            .details(json!({
                "grant": grant.id.to_string(),
                "expires_at": ts(grant.expires_at),
            }));
        record_change(&mut tx, None, &event, now).await?;
        tx.commit().await?;
        Ok(grant)
    }

    async fn alerts(&self, actor: &Actor) -> StoreResult<Vec<Alert>> {
        let cases = scope::clause(Params::Sqlite, Table::Cases, actor.scope, 1);
        let requests = scope::clause(Params::Sqlite, Table::TracingRequests, actor.scope, 1);
        let sql = format!(
            "SELECT * FROM alerts
             WHERE resolved_at IS NULL AND (
                (record_type = 'case' AND record_id IN (SELECT id FROM cases WHERE {cases}))
             OR (record_type = 'tracing_request' AND record_id IN (SELECT id FROM tracing_requests WHERE {requests}))
             OR (record_type IS NULL AND ?4 AND (?5 OR agency_id = ?1)))
               AND (kind <> 'break_glass' OR ?6)
             ORDER BY raised_at DESC, id
             LIMIT 500"
        );
        let manages = actor.permissions.contains(Permission::UserManage);
        bind_scope(sqlx::query(sqlx::AssertSqlSafe(sql)), actor, self.now())
            .bind(manages)
            .bind(actor.scope == ScopeLevel::All)
            .bind(actor.permissions.contains(Permission::CaseApprove))
            .fetch_all(&mut *self.readers.get().await)
            .await?
            .iter()
            .map(alert_from_row)
            .collect()
    }

    async fn create_case(&self, actor: &Actor, doc: CaseDoc) -> StoreResult<CaseRecord> {
        let now = self.now();
        let write = door::prepare_create(actor, doc, now)?;
        let r = &write.record;
        let mut tx = self.begin_write().await?;
        if write.index.caseworker_unverified {
            check_caseworker(&mut tx, &write).await?;
        }
        sqlx::query(
            "INSERT INTO cases (id, version, agency_id, caseworker_id, created_by, status, risk_level,
                 separation_status, location_pcode, registration_date, created_at, updated_at, body)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(r.id.to_string())
        .bind(r.version)
        .bind(r.agency_id.to_string())
        .bind(write.index.caseworker_id.to_string())
        .bind(r.created_by.to_string())
        .bind(r.status.as_str())
        .bind(write.index.risk_level)
        .bind(write.index.separation_status)
        .bind(&write.index.location_pcode)
        .bind(write.index.registration_date.to_string())
        .bind(ts(r.created_at))
        .bind(ts(r.updated_at))
        .bind(rows::body(RecordKind::Case, r.id, &r.doc, &self.sealer)?)
        .execute(&mut *tx)
        .await?;
        sync_detention(&mut tx, r, write.index.detention, now).await?;
        record_change(
            &mut tx,
            Some((
                RecordKind::Case,
                r.id.to_string(),
                &write.history,
                &self.sealer,
            )),
            &write.audit,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(write.record)
    }

    async fn update_case(
        &self,
        actor: &Actor,
        id: CaseId,
        expected_version: i64,
        patch: &serde_json::Value,
    ) -> StoreResult<CaseRecord> {
        authorize(actor, Permission::CaseUpdate)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let Some(current) = scoped_row(&mut tx, Table::Cases, actor, id.0, now)
            .await?
            .map(|row| work_from_row(&row, &self.sealer))
            .transpose()?
        else {
            tx.rollback().await?;
            return Err(self
                .refused(actor, Table::Cases, id.0, AuditAction::CaseUpdate)
                .await);
        };
        let Some(write) = door::prepare_update(actor, &current.case, expected_version, patch, now)?
        else {
            tx.rollback().await?;
            return Ok(current.case);
        };
        casework::check_patch_on_closed(actor, &current, &write, &Settings::default(), now)?;
        write_case_update(&mut tx, &write, expected_version, None, &self.sealer, now).await?;
        tx.commit().await?;
        Ok(write.record)
    }

    async fn get_case(&self, actor: &Actor, id: CaseId) -> StoreResult<Option<CaseRecord>> {
        authorize(actor, Permission::CaseRead)?;
        self.read_one(actor, Table::Cases, id.0, AuditAction::CaseView)
            .await?
            .map(|row| case_from_row(&row, &self.sealer))
            .transpose()
    }

    async fn list_cases(
        &self,
        actor: &Actor,
        filter: &CaseFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<CaseRecord>> {
        authorize(actor, Permission::CaseRead)?;
        let after = page.after.as_deref().map(door::decode_cursor).transpose()?;
        let limit = rows::page_limit(page);
        let prefix = rows::location_prefix(filter.location_prefix.as_deref());
        let named = self.named_cases(filter.name.as_deref()).await?;
        let sql = format!(
            "SELECT * FROM cases
             WHERE {}
               AND (?4 IS NULL OR agency_id = ?4)
               AND (?5 IS NULL OR status = ?5)
               AND (?6 IS NULL OR risk_level = ?6)
               AND (?7 IS NULL OR separation_status = ?7)
               AND (?8 IS NULL OR substr(location_pcode, 1, length(?8)) = ?8)
               AND (?9 IS NULL OR seq < ?9)
               AND (?11 IS NULL OR id IN (SELECT value FROM json_each(?11)))
             ORDER BY seq DESC
             LIMIT ?10",
            scope::clause(Params::Sqlite, Table::Cases, actor.scope, 1)
        );
        let found = bind_scope(sqlx::query(sqlx::AssertSqlSafe(sql)), actor, self.now())
            .bind(filter.agency_id.map(|a| a.to_string()))
            .bind(filter.status.map(|s| s.as_str()))
            .bind(filter.risk_level.map(|r| r.as_str()))
            .bind(filter.separation_status.map(|s| s.as_str()))
            .bind(prefix)
            .bind(after)
            .bind(if named.is_some() {
                matcher::SEARCH_LIMIT as i64
            } else {
                limit + 1
            })
            .bind(named.as_ref().map(|ids| {
                serde_json::Value::from(ids.iter().map(|i| i.to_string()).collect::<Vec<_>>())
                    .to_string()
            }))
            .fetch_all(&mut *self.readers.get().await)
            .await?;
        let page = match &named {
            None => rows::into_page(&found, limit, |row| case_from_row(row, &self.sealer))?,
            Some(ranked) => matcher::ranked_page(&found, ranked, limit, |row| {
                case_from_row(row, &self.sealer)
            })?,
        };
        let ids: Vec<String> = page.items.iter().map(|c| c.id.to_string()).collect();
        self.append_audit(door::read_event(
            actor,
            AuditAction::CaseList,
            door::CASE,
            &ids,
        ))
        .await?;
        Ok(page)
    }

    async fn case_history(
        &self,
        actor: &Actor,
        id: CaseId,
    ) -> StoreResult<Option<Vec<HistoryEntry>>> {
        authorize(actor, Permission::CaseRead)?;
        self.history(actor, Table::Cases, id.0, AuditAction::CaseHistoryView)
            .await
    }

    async fn case_work(&self, actor: &Actor, id: CaseId) -> StoreResult<Option<CaseWork>> {
        authorize(actor, Permission::CaseRead)?;
        self.read_one(actor, Table::Cases, id.0, AuditAction::CaseWorkflowView)
            .await?
            .map(|row| work_from_row(&row, &self.sealer))
            .transpose()
    }

    async fn apply_workflow(
        &self,
        actor: &Actor,
        id: CaseId,
        expected_version: i64,
        action: ActionDoc,
        settings: &Settings,
    ) -> StoreResult<CaseWork> {
        authorize(actor, Permission::CaseUpdate)?;
        self.casework_write(actor, id, |current, now| {
            casework::prepare_workflow(actor, current, expected_version, action, settings, now)
        })
        .await
    }

    async fn record_placement(
        &self,
        actor: &Actor,
        id: CaseId,
        expected_version: Option<i64>,
        placement: PlacementDoc,
        settings: &Settings,
    ) -> StoreResult<CaseWork> {
        authorize(actor, Permission::CaseUpdate)?;
        self.casework_write(actor, id, |current, now| {
            casework::prepare_placement(actor, current, expected_version, &placement, settings, now)
        })
        .await
    }

    async fn tasks(
        &self,
        actor: &Actor,
        settings: &Settings,
        overdue_only: bool,
    ) -> StoreResult<Vec<CaseTask>> {
        authorize(actor, Permission::CaseRead)?;
        let now = self.now();
        let sql = format!(
            "SELECT * FROM cases
             WHERE {} AND status = 'open' AND (?4 OR caseworker_id = ?2)
             ORDER BY seq LIMIT {}",
            scope::clause(Params::Sqlite, Table::Cases, actor.scope, 1),
            casework::MAX_TASK_CASES
        );
        let found = bind_scope(sqlx::query(sqlx::AssertSqlSafe(sql)), actor, now)
            .bind(actor.permissions.contains(Permission::CaseApprove))
            .fetch_all(&mut *self.readers.get().await)
            .await?;
        let works = found
            .iter()
            .map(|row| work_from_row(row, &self.sealer))
            .collect::<StoreResult<Vec<_>>>()?;
        let (tasks, ids) = casework::tasks_of(actor, &works, settings, now, overdue_only);
        self.append_audit(door::read_event(
            actor,
            AuditAction::TaskList,
            door::CASE,
            &ids,
        ))
        .await?;
        Ok(tasks)
    }

    async fn create_case_item(
        &self,
        actor: &Actor,
        case: CaseId,
        new: NewCaseItem,
        settings: &Settings,
    ) -> StoreResult<CaseItem> {
        authorize(actor, casework::item_permission(&new))?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let current = scoped_row(&mut tx, Table::Cases, actor, case.0, now)
            .await?
            .map(|row| work_from_row(&row, &self.sealer))
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        let transfers = if matches!(new, NewCaseItem::Transfer(_)) {
            sqlx::query("SELECT * FROM case_items WHERE case_id = ? AND kind = 'transfer'")
                .bind(case.to_string())
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|row| item_from_row(row, &self.sealer))
                .collect::<StoreResult<Vec<_>>>()?
        } else {
            Vec::new()
        };
        let consents = if matches!(new, NewCaseItem::Transfer(_) | NewCaseItem::Referral(_)) {
            sqlx::query("SELECT * FROM consents WHERE case_id = ?")
                .bind(case.to_string())
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|row| consent_from_row(row, &self.sealer).map(|c| c.record))
                .collect::<StoreResult<Vec<_>>>()?
        } else {
            Vec::new()
        };
        let write =
            casework::prepare_item(actor, &current, new, &transfers, &consents, settings, now)?;
        let i = &write.item;
        sqlx::query(
            "INSERT INTO case_items (id, kind, case_id, agency_id, to_agency_id, status, version,
                 created_by, created_at, updated_at, body)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(i.id.to_string())
        .bind(i.kind.as_str())
        .bind(i.case_id.to_string())
        .bind(i.agency_id.to_string())
        .bind(i.to_agency_id.map(|a| a.to_string()))
        .bind(&i.status)
        .bind(i.version)
        .bind(i.created_by.to_string())
        .bind(ts(i.created_at))
        .bind(ts(i.updated_at))
        .bind(casework::seal_item(&self.sealer, i)?)
        .execute(&mut *tx)
        .await
        .map_err(|e| rows::map_write_error(e, "case item", ("to_agency_id", "is not an agency")))?;
        record_item_change(&mut tx, &write, &self.sealer, now).await?;
        if let Some(event) = &write.consent_override {
            record_change(&mut tx, None, event, now).await?;
        }
        tx.commit().await?;
        Ok(write.item)
    }

    async fn create_incident(
        &self,
        actor: &Actor,
        doc: IncidentDoc,
        settings: &Settings,
    ) -> StoreResult<CaseItem> {
        authorize(actor, Permission::CaseUpdate)?;
        let now = self.now();
        let valid = incident::validate(doc, now.date())?;
        let mut tx = self.begin_write().await?;
        let mut cases = Vec::new();
        let mut missing = Problems::new();
        for (n, case) in valid.case_ids.iter().enumerate() {
            match scoped_row(&mut tx, Table::Cases, actor, case.0, now)
                .await?
                .map(|row| work_from_row(&row, &self.sealer))
                .transpose()?
            {
                Some(w) => cases.push(w),
                // Out of scope reads exactly like a case that does not exist.
                None => missing.push(format!("case_ids.{n}"), "is not a case you can see"),
            }
        }
        if !missing.is_empty() {
            return Err(missing.into());
        }
        let write = casework::prepare_incident(actor, &cases, valid, settings, now)?;
        let i = &write.item;
        sqlx::query(
            "INSERT INTO case_items (id, kind, case_id, agency_id, to_agency_id, status, version,
                 created_by, created_at, updated_at, body)
             VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)",
        )
        .bind(i.id.to_string())
        .bind(i.kind.as_str())
        .bind(i.case_id.to_string())
        .bind(i.agency_id.to_string())
        .bind(&i.status)
        .bind(i.version)
        .bind(i.created_by.to_string())
        .bind(ts(i.created_at))
        .bind(ts(i.updated_at))
        .bind(casework::seal_item(&self.sealer, i)?)
        .execute(&mut *tx)
        .await?;
        for w in &cases {
            sqlx::query("INSERT INTO case_item_links (item_id, case_id) VALUES (?, ?)")
                .bind(i.id.to_string())
                .bind(w.case.id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        record_item_change(&mut tx, &write, &self.sealer, now).await?;
        tx.commit().await?;
        Ok(write.item)
    }

    async fn change_case_item(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
        change: CaseItemChange,
    ) -> StoreResult<CaseItem> {
        authorize(actor, casework::change_permission(&change))?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "SELECT * FROM case_items WHERE id = ?4 AND {}",
            visible_items_clause(actor)
        );
        let current = bind_scope(sqlx::query(sqlx::AssertSqlSafe(sql)), actor, now)
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| item_from_row(&row, &self.sealer))
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        let write = casework::prepare_item_change(actor, &current, change, now)?;
        let i = &write.item;
        sqlx::query(
            "UPDATE case_items SET status = ?, version = ?, updated_at = ?, body = ?
             WHERE id = ? AND version = ?",
        )
        .bind(&i.status)
        .bind(i.version)
        .bind(ts(i.updated_at))
        .bind(casework::seal_item(&self.sealer, i)?)
        .bind(i.id.to_string())
        .bind(current.version)
        .execute(&mut *tx)
        .await?;
        record_item_change(&mut tx, &write, &self.sealer, now).await?;
        if casework::moves_case(&write) {
            let case = sqlx::query("SELECT * FROM cases WHERE id = ?")
                .bind(i.case_id.to_string())
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::from)
                .and_then(|row| case_from_row(&row, &self.sealer))?;
            let (moved, history, audit) = casework::prepare_case_move(actor, &case, i.id, now)?;
            sqlx::query(
                "UPDATE cases SET agency_id = ?, caseworker_id = ?, version = ?, updated_at = ?, body = ?
                 WHERE id = ? AND version = ?",
            )
            .bind(moved.agency_id.to_string())
            .bind(actor.user_id.to_string())
            .bind(moved.version)
            .bind(ts(moved.updated_at))
            .bind(rows::body(RecordKind::Case, moved.id, &moved.doc, &self.sealer)?)
            .bind(moved.id.to_string())
            .bind(case.version)
            .execute(&mut *tx)
            .await?;
            record_change(
                &mut tx,
                Some((
                    RecordKind::Case,
                    moved.id.to_string(),
                    &history,
                    &self.sealer,
                )),
                &audit,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(write.item)
    }

    async fn case_items(&self, actor: &Actor, case: CaseId) -> StoreResult<Option<Vec<CaseItem>>> {
        authorize(actor, Permission::CaseRead)?;
        if self
            .read_one(actor, Table::Cases, case.0, AuditAction::CaseItemList)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        sqlx::query(
            "SELECT * FROM case_items WHERE case_id = ?1
                 OR id IN (SELECT item_id FROM case_item_links WHERE case_id = ?1) ORDER BY seq",
        )
        .bind(case.to_string())
        .fetch_all(&mut *self.readers.get().await)
        .await?
        .iter()
        .map(|row| item_from_row(row, &self.sealer))
        .collect::<StoreResult<Vec<_>>>()
        .map(Some)
    }

    async fn referrals(&self, actor: &Actor) -> StoreResult<Vec<CaseItem>> {
        authorize(actor, Permission::CaseRead)?;
        let sql = format!(
            "SELECT * FROM case_items WHERE kind = 'referral' AND {}
             ORDER BY seq DESC LIMIT 500",
            visible_items_clause(actor)
        );
        let items = bind_scope(sqlx::query(sqlx::AssertSqlSafe(sql)), actor, self.now())
            .fetch_all(&mut *self.readers.get().await)
            .await?
            .iter()
            .map(|row| item_from_row(row, &self.sealer))
            .collect::<StoreResult<Vec<_>>>()?;
        let ids: Vec<String> = items.iter().map(|i| i.id.to_string()).collect();
        self.append_audit(door::read_event(
            actor,
            AuditAction::CaseItemList,
            casework::CASE_ITEM,
            &ids,
        ))
        .await?;
        Ok(items)
    }

    async fn case_timeline(
        &self,
        actor: &Actor,
        case: CaseId,
    ) -> StoreResult<Option<Vec<TimelineEntry>>> {
        authorize(actor, Permission::CaseRead)?;
        if self
            .read_one(actor, Table::Cases, case.0, AuditAction::CaseTimelineView)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let mut conn = self.readers.get().await;
        let mut out: Vec<TimelineEntry> =
            history_rows(&mut conn, RecordKind::Case, &case.to_string(), &self.sealer)
                .await?
                .into_iter()
                .map(|entry| TimelineEntry {
                    record_type: door::CASE.to_string(),
                    record_id: case.0,
                    entry,
                })
                .collect();
        let items = sqlx::query(
            "SELECT h.*, i.kind FROM record_history h JOIN case_items i ON i.id = h.record_id
             WHERE h.record_type = 'case_item' AND (i.case_id = ?1
                 OR i.id IN (SELECT item_id FROM case_item_links WHERE case_id = ?1))",
        )
        .bind(case.to_string())
        .fetch_all(&mut *conn)
        .await?;
        for row in &items {
            out.push(TimelineEntry {
                record_type: col(row, "kind")?,
                record_id: uuid_col(row, "record_id")?,
                entry: history_from_row(row, RecordKind::Case, &self.sealer)?,
            });
        }
        out.sort_by_key(|t| t.entry.at);
        Ok(Some(out))
    }

    async fn create_tracing_request(
        &self,
        actor: &Actor,
        doc: TracingRequestDoc,
    ) -> StoreResult<TracingRequestRecord> {
        let now = self.now();
        let write = door::prepare_tracing_create(actor, doc, now)?;
        let r = &write.record;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO tracing_requests (id, version, agency_id, created_by, status, separation_pcode,
                 date_of_inquiry, created_at, updated_at, body)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(r.id.to_string())
        .bind(r.version)
        .bind(r.agency_id.to_string())
        .bind(r.created_by.to_string())
        .bind(r.status.as_str())
        .bind(&write.index.separation_pcode)
        .bind(write.index.date_of_inquiry.to_string())
        .bind(ts(r.created_at))
        .bind(ts(r.updated_at))
        .bind(rows::body(RecordKind::TracingRequest, r.id, &r.doc, &self.sealer)?)
        .execute(&mut *tx)
        .await?;
        record_change(
            &mut tx,
            Some((
                RecordKind::TracingRequest,
                r.id.to_string(),
                &write.history,
                &self.sealer,
            )),
            &write.audit,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(write.record)
    }

    async fn update_tracing_request(
        &self,
        actor: &Actor,
        id: TracingRequestId,
        expected_version: i64,
        patch: &serde_json::Value,
    ) -> StoreResult<TracingRequestRecord> {
        authorize(actor, Permission::TracingUpdate)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let Some(current) = scoped_row(&mut tx, Table::TracingRequests, actor, id.0, now)
            .await?
            .map(|row| tracing_request_from_row(&row, &self.sealer))
            .transpose()?
        else {
            tx.rollback().await?;
            return Err(self
                .refused(
                    actor,
                    Table::TracingRequests,
                    id.0,
                    AuditAction::TracingRequestUpdate,
                )
                .await);
        };
        let Some(write) =
            door::prepare_tracing_update(actor, &current, expected_version, patch, now)?
        else {
            tx.rollback().await?;
            return Ok(current);
        };
        let r = &write.record;
        let updated = sqlx::query(
            "UPDATE tracing_requests SET version = ?, status = ?, separation_pcode = ?,
                 date_of_inquiry = ?, updated_at = ?, body = ?
             WHERE id = ? AND version = ?",
        )
        .bind(r.version)
        .bind(r.status.as_str())
        .bind(&write.index.separation_pcode)
        .bind(write.index.date_of_inquiry.to_string())
        .bind(ts(r.updated_at))
        .bind(rows::body(
            RecordKind::TracingRequest,
            r.id,
            &r.doc,
            &self.sealer,
        )?)
        .bind(r.id.to_string())
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            // Cannot happen under BEGIN IMMEDIATE, but the guard costs nothing.
            return Err(StoreError::Conflict {
                current: current.version,
            });
        }
        record_change(
            &mut tx,
            Some((
                RecordKind::TracingRequest,
                r.id.to_string(),
                &write.history,
                &self.sealer,
            )),
            &write.audit,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(write.record)
    }

    async fn get_tracing_request(
        &self,
        actor: &Actor,
        id: TracingRequestId,
    ) -> StoreResult<Option<TracingRequestRecord>> {
        authorize(actor, Permission::TracingRead)?;
        self.read_one(
            actor,
            Table::TracingRequests,
            id.0,
            AuditAction::TracingRequestView,
        )
        .await?
        .map(|row| tracing_request_from_row(&row, &self.sealer))
        .transpose()
    }

    async fn list_tracing_requests(
        &self,
        actor: &Actor,
        filter: &TracingRequestFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<TracingRequestRecord>> {
        authorize(actor, Permission::TracingRead)?;
        let after = page.after.as_deref().map(door::decode_cursor).transpose()?;
        let limit = rows::page_limit(page);
        let prefix = rows::location_prefix(filter.location_prefix.as_deref());
        let sql = format!(
            "SELECT * FROM tracing_requests
             WHERE {}
               AND (?4 IS NULL OR agency_id = ?4)
               AND (?5 IS NULL OR status = ?5)
               AND (?6 IS NULL OR substr(separation_pcode, 1, length(?6)) = ?6)
               AND (?7 IS NULL OR seq < ?7)
             ORDER BY seq DESC
             LIMIT ?8",
            scope::clause(Params::Sqlite, Table::TracingRequests, actor.scope, 1)
        );
        let found = bind_scope(sqlx::query(sqlx::AssertSqlSafe(sql)), actor, self.now())
            .bind(filter.agency_id.map(|a| a.to_string()))
            .bind(filter.status.map(|s| s.as_str()))
            .bind(prefix)
            .bind(after)
            .bind(limit + 1)
            .fetch_all(&mut *self.readers.get().await)
            .await?;
        let page = rows::into_page(&found, limit, |row| {
            tracing_request_from_row(row, &self.sealer)
        })?;
        let ids: Vec<String> = page.items.iter().map(|r| r.id.to_string()).collect();
        self.append_audit(door::read_event(
            actor,
            AuditAction::TracingRequestList,
            door::TRACING_REQUEST,
            &ids,
        ))
        .await?;
        Ok(page)
    }

    async fn tracing_request_history(
        &self,
        actor: &Actor,
        id: TracingRequestId,
    ) -> StoreResult<Option<Vec<HistoryEntry>>> {
        authorize(actor, Permission::TracingRead)?;
        self.history(
            actor,
            Table::TracingRequests,
            id.0,
            AuditAction::TracingRequestHistoryView,
        )
        .await
    }

    async fn reseal_all(&self) -> StoreResult<Resealed> {
        let mut done = Resealed::default();
        for table in [Table::Cases, Table::TracingRequests] {
            let kind = door::kind_of(table);
            let mut after = 0_i64;
            loop {
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "SELECT seq, id, body, {} AS workflow FROM {} WHERE seq > ? ORDER BY seq LIMIT {RESEAL_BATCH}",
                    if matches!(table, Table::Cases) {
                        "workflow"
                    } else {
                        "NULL"
                    },
                    table.name()
                );
                let found = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(after)
                    .fetch_all(&mut *tx)
                    .await?;
                let Some(last) = found.last() else { break };
                after = col(last, "seq")?;
                for row in &found {
                    let id: String = col(row, "id")?;
                    let body = rows::reseal_body(
                        kind,
                        &id,
                        &col::<_, String>(row, "body")?,
                        &self.sealer,
                    )?;
                    let sql = format!("UPDATE {} SET body = ? WHERE id = ?", table.name());
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(body)
                        .bind(&id)
                        .execute(&mut *tx)
                        .await?;
                    if let Some(stored) = col::<_, Option<String>>(row, "workflow")? {
                        let sealed = casework::reseal_workflow(&self.sealer, &id, &stored)?;
                        sqlx::query("UPDATE cases SET workflow = ? WHERE id = ?")
                            .bind(sealed)
                            .bind(&id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    done.records += 1;
                }
                tx.commit().await?;
            }
        }
        let mut after = 0_i64;
        loop {
            let mut tx = self.begin_write().await?;
            let found = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT * FROM case_items WHERE seq > ? ORDER BY seq LIMIT {RESEAL_BATCH}"
            )))
            .bind(after)
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = found.last() else { break };
            after = col(last, "seq")?;
            for row in &found {
                let item = item_from_row(row, &self.sealer)?;
                let sealed = casework::seal_item(&self.sealer, &item)?;
                sqlx::query("UPDATE case_items SET body = ? WHERE id = ?")
                    .bind(sealed)
                    .bind(item.id.to_string())
                    .execute(&mut *tx)
                    .await?;
                done.records += 1;
            }
            tx.commit().await?;
        }
        let mut after = (String::new(), String::new(), 0_i64);
        loop {
            let mut tx = self.begin_write().await?;
            let found = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT record_type, record_id, version, changes FROM record_history
                 WHERE (record_type, record_id, version) > (?, ?, ?)
                 ORDER BY record_type, record_id, version LIMIT {RESEAL_BATCH}"
            )))
            .bind(&after.0)
            .bind(&after.1)
            .bind(after.2)
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = found.last() else { break };
            after = (
                col(last, "record_type")?,
                col(last, "record_id")?,
                col(last, "version")?,
            );
            for row in &found {
                let (kind_name, id, version): (String, String, i64) = (
                    col(row, "record_type")?,
                    col(row, "record_id")?,
                    col(row, "version")?,
                );
                let kind = rows::record_kind(&kind_name)?;
                let place = HistoryPlace {
                    kind,
                    id: &id,
                    version,
                };
                let changes = rows::changes_from_json(
                    &col::<_, String>(row, "changes")?,
                    place,
                    &self.sealer,
                )?;
                sqlx::query(
                    "UPDATE record_history SET changes = ? WHERE record_type = ? AND record_id = ? AND version = ?",
                )
                .bind(rows::changes_to_json(&changes, place, &self.sealer)?)
                .bind(&kind_name)
                .bind(&id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
                done.history_entries += 1;
            }
            tx.commit().await?;
        }
        let mut tx = self.begin_write().await?;
        // Second-factor secrets, break-the-glass reasons, consents, reviewers' comments.
        let columns: [(&str, &str, fn(uuid::Uuid) -> String); 4] = [
            ("users", "totp_secret", |id| door::totp_aad(UserId(id))),
            ("access_grants", "reason", door::grant_aad),
            ("consents", "body", door::consent_aad),
            ("potential_matches", "body", matcher::comment_aad),
        ];
        for (table, column, aad) in columns {
            done.secrets += reseal_column(&mut tx, &self.sealer, table, column, aad).await?;
        }
        let event = door::reseal_event(&done);
        record_change(&mut tx, None, &event, self.now()).await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn sync_matches(&self) -> StoreResult<matcher::SyncReport> {
        matcher::sync(self, &self.matcher, self.now().date()).await
    }

    async fn potential_matches(
        &self,
        actor: &Actor,
        filter: &MatchFilter,
    ) -> StoreResult<Vec<PotentialMatch>> {
        self.list_pairs(actor, filter).await
    }

    async fn potential_match(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
    ) -> StoreResult<Option<MatchView>> {
        self.view_pair(actor, id).await
    }

    async fn decide_match(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
        expected_version: i64,
        doc: &DecisionDoc,
    ) -> StoreResult<PotentialMatch> {
        self.decide_pair(actor, id, expected_version, doc).await
    }

    async fn possible_duplicates(
        &self,
        actor: &Actor,
        doc: &CaseDoc,
    ) -> StoreResult<Vec<PossibleDuplicate>> {
        self.duplicates(actor, doc).await
    }

    async fn append_audit(&self, event: AuditEvent) -> StoreResult<()> {
        self.audit.append(event).await
    }

    async fn audit_rows(&self, after_seq: i64, limit: i64) -> StoreResult<Vec<AuditRow>> {
        sqlx::query("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?")
            .bind(after_seq)
            .bind(limit.max(0))
            .fetch_all(&mut *self.readers.get().await)
            .await?
            .iter()
            .map(audit_from_row)
            .collect()
    }

    async fn audit_head(&self) -> StoreResult<AuditHead> {
        let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *self.readers.get().await)
            .await?;
        Ok(AuditHead {
            seq: col(&row, "seq")?,
            hash: col(&row, "hash")?,
        })
    }

    async fn backup_to(&self, path: &Path) -> StoreResult<()> {
        if tokio::fs::try_exists(path).await.unwrap_or(true) {
            return Err(StoreError::Config(format!(
                "the backup target {} already exists; choose a new file name",
                path.display()
            )));
        }
        let target = path.to_str().ok_or_else(|| {
            StoreError::Config(format!(
                "the backup path {} is not valid UTF-8",
                path.display()
            ))
        })?;
        // VACUUM INTO writes a consistent snapshot while other connections keep working.
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(&mut *self.readers.get().await)
            .await?;
        Ok(())
    }

    // --- Reports and pledges ----------------------------------------------------------------------

    async fn report_facts(
        &self,
        by: Option<&Actor>,
        purpose: &ReportPurpose,
    ) -> StoreResult<haven_report::Facts> {
        reporting::check_report(by, purpose)?;
        let (level, agency, user) = reporting::reach(by);
        let now = ts(self.now());
        let clause = scope::clause(Params::Sqlite, Table::Cases, level, 1);
        let in_scope = format!("SELECT id FROM cases WHERE {clause}");
        let bind = |sql: String| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(agency.to_string())
                .bind(user.to_string())
                .bind(now.clone())
        };
        let mut conn = self.readers.get().await;
        // One read transaction: the three reads see one snapshot of the WAL, so an incident
        // cannot name a case the first read missed.
        let mut tx = conn.begin().await?;
        let cases = bind(format!("SELECT * FROM cases WHERE {clause}"))
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| report_work_from_row(row, &self.sealer))
            .collect::<StoreResult<Vec<_>>>()?;
        let items = bind(format!(
            "SELECT * FROM case_items WHERE kind IN ('referral', 'incident')
               AND (case_id IN ({in_scope})
                    OR id IN (SELECT item_id FROM case_item_links WHERE case_id IN ({in_scope})))"
        ))
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| item_from_row(row, &self.sealer))
        .collect::<StoreResult<Vec<_>>>()?;
        let links = bind(format!(
            "SELECT item_id, case_id FROM case_item_links WHERE case_id IN ({in_scope})"
        ))
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| Ok((uuid_col(row, "item_id")?, CaseId(uuid_col(row, "case_id")?))))
        .collect::<StoreResult<Vec<_>>>()?;
        let traced = bind(format!(
            "SELECT p.case_id, t.date_of_inquiry, p.reunified_on FROM potential_matches p
             JOIN tracing_requests t ON t.id = p.tracing_request_id
             WHERE p.status IN ('confirmed', 'reunified') AND p.case_id IN ({in_scope})"
        ))
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| {
            let date = |name: &str, raw: String| {
                haven_domain::dates::parse_date(&raw)
                    .map_err(|e| StoreError::Corrupt(format!("{name}: {e}")))
            };
            let reunified: Option<String> = col(row, "reunified_on")?;
            Ok(reporting::Traced {
                case: CaseId(uuid_col(row, "case_id")?),
                opened: date("date_of_inquiry", col(row, "date_of_inquiry")?)?,
                reunified_on: reunified.map(|r| date("reunified_on", r)).transpose()?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        tx.commit().await?;
        drop(conn);
        let facts = reporting::build_facts(&cases, &items, &links, &traced)?;
        self.append_audit(reporting::report_event(
            by,
            purpose,
            facts.cases.len(),
            facts.incidents.len(),
        ))
        .await?;
        Ok(facts)
    }

    async fn create_pledge(&self, actor: &Actor, doc: PledgeDoc) -> StoreResult<PledgeRecord> {
        let now = self.now();
        let write = reporting::prepare_pledge_create(actor, doc, now)?;
        let r = &write.record;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO pledges (id, version, agency_id, created_by, created_at, updated_at, body)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(r.id.to_string())
        .bind(r.version)
        .bind(r.agency_id.to_string())
        .bind(r.created_by.to_string())
        .bind(ts(r.created_at))
        .bind(ts(r.updated_at))
        .bind(reporting::pledge_body(&r.doc)?)
        .execute(&mut *tx)
        .await?;
        write_pledge_history(&mut tx, &write).await?;
        record_change(&mut tx, None, &write.audit, now).await?;
        tx.commit().await?;
        Ok(write.record)
    }

    async fn update_pledge(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
        expected_version: i64,
        patch: &serde_json::Value,
    ) -> StoreResult<PledgeRecord> {
        authorize(actor, Permission::PledgeManage)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let current = sqlx::query("SELECT * FROM pledges WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| pledge_from_row(&row))
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        let Some(write) =
            reporting::prepare_pledge_update(actor, &current, expected_version, patch, now)?
        else {
            tx.rollback().await?;
            return Ok(current);
        };
        let r = &write.record;
        sqlx::query(
            "UPDATE pledges SET version = ?, updated_at = ?, body = ? WHERE id = ? AND version = ?",
        )
        .bind(r.version)
        .bind(ts(r.updated_at))
        .bind(reporting::pledge_body(&r.doc)?)
        .bind(r.id.to_string())
        .bind(current.version)
        .execute(&mut *tx)
        .await?;
        write_pledge_history(&mut tx, &write).await?;
        record_change(&mut tx, None, &write.audit, now).await?;
        tx.commit().await?;
        Ok(write.record)
    }

    async fn get_pledge(&self, actor: &Actor, id: uuid::Uuid) -> StoreResult<Option<PledgeRecord>> {
        reporting::check_pledge_read(actor)?;
        let found = sqlx::query("SELECT * FROM pledges WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&mut *self.readers.get().await)
            .await?
            .map(|row| pledge_from_row(&row))
            .transpose()?;
        if found.is_some() {
            self.append_audit(door::read_event(
                actor,
                AuditAction::PledgeView,
                reporting::PLEDGE,
                &[id.to_string()],
            ))
            .await?;
        }
        Ok(found)
    }

    async fn pledges(&self, actor: &Actor) -> StoreResult<Vec<PledgeRecord>> {
        reporting::check_pledge_read(actor)?;
        let found = sqlx::query("SELECT * FROM pledges ORDER BY seq")
            .fetch_all(&mut *self.readers.get().await)
            .await?
            .iter()
            .map(pledge_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let ids: Vec<String> = found.iter().map(|p| p.id.to_string()).collect();
        self.append_audit(door::read_event(
            actor,
            AuditAction::PledgeList,
            reporting::PLEDGE,
            &ids,
        ))
        .await?;
        Ok(found)
    }
}

// --- Reports and pledges: rows ---------------------------------------------------------------------

/// A case with its workflow as reports read it (names never opened: `into_case_for_report`).
fn report_work_from_row(row: &SqliteRow, sealer: &Sealer) -> StoreResult<CaseWork> {
    let case = record_from_row(row)?.into_case_for_report(sealer)?;
    let stored: Option<String> = col(row, "workflow")?;
    let workflow = casework::open_workflow(sealer, &case, stored.as_deref())?;
    Ok(CaseWork { case, workflow })
}

fn pledge_from_row(row: &SqliteRow) -> StoreResult<PledgeRecord> {
    let id = uuid_col(row, "id")?;
    Ok(PledgeRecord {
        id,
        version: col(row, "version")?,
        agency_id: AgencyId(uuid_col(row, "agency_id")?),
        created_by: UserId(uuid_col(row, "created_by")?),
        created_at: at_col(row, "created_at")?,
        updated_at: at_col(row, "updated_at")?,
        doc: reporting::pledge_doc(&col::<_, String>(row, "body")?, id)?,
    })
}

/// A pledge's history entry (plain JSON: a pledge holds nothing classified).
async fn write_pledge_history(
    conn: &mut SqliteConnection,
    write: &reporting::PledgeWrite,
) -> StoreResult<()> {
    let h = &write.history;
    sqlx::query(history_sql!())
        .bind(reporting::PLEDGE)
        .bind(write.record.id.to_string())
        .bind(h.version)
        .bind(ts(h.at))
        .bind(h.actor_id.to_string())
        .bind(&h.action)
        .bind(write.changes_json()?)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
