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
use haven_domain::audit::{AuditAction, AuditEvent};
use haven_domain::case::CaseDoc;
use haven_domain::clock::{Clock, truncate_to_micros};
use haven_domain::ids::{AgencyId, CaseId, TracingRequestId, UserId};
use haven_domain::policy::Scope;
use haven_domain::tracing_request::TracingRequestDoc;
use haven_domain::user::{Actor, User};
use serde_json::json;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use time::{Duration, OffsetDateTime};

use crate::audit::{self, format_at};
use crate::door::{self, CaseWrite};
use crate::error::{StoreError, StoreResult};
use crate::rows::{self, RawRecord, RawUser, col};
use crate::types::{
    Agency, AuditHead, AuditRow, CaseFilter, CaseRecord, HistoryEntry, NewToken, NewUser, Page,
    PageRequest, TokenInfo, TracingRequestFilter, TracingRequestRecord, UserCredentials,
};
use crate::{Backend, Store};

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
}

/// Opens (creating the file and its directory if missing) and migrates the database at `url`
/// (`sqlite://PATH`).
pub async fn open(url: &str, clock: Arc<dyn Clock>) -> StoreResult<Arc<dyn Store>> {
    Ok(Arc::new(SqliteStore::open(url, clock).await?))
}

impl SqliteStore {
    pub async fn open(url: &str, clock: Arc<dyn Clock>) -> StoreResult<Self> {
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

const USER_COLUMNS: &str =
    "u.id, u.email, u.display_name, u.agency_id, u.role, u.active, u.password_hash";

fn user_from_row(row: &SqliteRow) -> StoreResult<User> {
    RawUser {
        id: uuid_col(row, "id")?,
        email: col(row, "email")?,
        display_name: col(row, "display_name")?,
        agency_id: uuid_col(row, "agency_id")?,
        role: col(row, "role")?,
        active: col(row, "active")?,
    }
    .into_user()
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

fn case_from_row(row: &SqliteRow) -> StoreResult<CaseRecord> {
    record_from_row(row)?.into_case()
}

fn tracing_request_from_row(row: &SqliteRow) -> StoreResult<TracingRequestRecord> {
    record_from_row(row)?.into_tracing_request()
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
    history: Option<(&str, String, &HistoryEntry)>,
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
        Some((kind, id, h)) => sqlx::query(concat!(history_sql!(), audit_sql!()))
            .bind(kind.to_string())
            .bind(id)
            .bind(h.version)
            .bind(ts(h.at))
            .bind(h.actor_id.to_string())
            .bind(h.action.clone())
            .bind(rows::changes_to_json(&h.changes)?),
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

async fn load_case(conn: &mut SqliteConnection, id: CaseId) -> StoreResult<Option<CaseRecord>> {
    sqlx::query("SELECT * FROM cases WHERE id = ?")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| case_from_row(&row))
        .transpose()
}

async fn load_tracing_request(
    conn: &mut SqliteConnection,
    id: TracingRequestId,
) -> StoreResult<Option<TracingRequestRecord>> {
    sqlx::query("SELECT * FROM tracing_requests WHERE id = ?")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| tracing_request_from_row(&row))
        .transpose()
}

/// A record's history, oldest first; `None` when `table` has no row `id` in the scope's agency.
/// `table` is one of the crate's own table names, never input.
async fn history_in_scope(
    conn: &mut SqliteConnection,
    table: &'static str,
    kind: &str,
    scope: Scope,
    id: String,
) -> StoreResult<Option<Vec<HistoryEntry>>> {
    let sql = format!("SELECT 1 FROM {table} WHERE id = ? AND agency_id = ?");
    let in_scope = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&id)
        .bind(scope_agency(scope))
        .fetch_optional(&mut *conn)
        .await?;
    if in_scope.is_none() {
        return Ok(None);
    }
    let entries = sqlx::query(
        "SELECT * FROM record_history WHERE record_type = ? AND record_id = ? ORDER BY version",
    )
    .bind(kind)
    .bind(&id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        Ok(HistoryEntry {
            version: col(row, "version")?,
            at: at_col(row, "at")?,
            actor_id: UserId(uuid_col(row, "actor_id")?),
            action: col(row, "action")?,
            changes: rows::changes_from_json(&col::<_, String>(row, "changes")?)?,
        })
    })
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(Some(entries))
}

fn scope_agency(scope: Scope) -> String {
    match scope {
        Scope::Agency(a) => a.to_string(),
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
        by: Option<UserId>,
        code: &str,
        name: &str,
    ) -> StoreResult<Agency> {
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
        let event = AuditEvent::new(by, AuditAction::AgencyCreate)
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

    async fn create_user(&self, by: Option<UserId>, new: NewUser) -> StoreResult<User> {
        let now = self.now();
        let user = User {
            id: UserId::new_random(),
            email: new.email,
            display_name: new.display_name,
            agency_id: new.agency_id,
            role: new.role,
            active: true,
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO users (id, email, display_name, agency_id, role, password_hash, active, created_at)
             VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
        )
        .bind(user.id.to_string())
        .bind(&user.email)
        .bind(&user.display_name)
        .bind(user.agency_id.to_string())
        .bind(user.role.as_str())
        .bind(&new.password_hash)
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(|e| rows::map_write_error(e, "email", ("agency_id", "is not an agency")))?;
        let event = AuditEvent::new(by, AuditAction::UserCreate)
            .target("user", user.id)
            .details(
                json!({ "agency_id": user.agency_id.to_string(), "role": user.role.as_str() }),
            );
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

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserCredentials>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = ?");
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(email)
            .fetch_optional(&mut *self.readers.get().await)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(UserCredentials {
            user: user_from_row(&row)?,
            password_hash: col(&row, "password_hash")?,
        }))
    }

    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(&mut *self.readers.get().await)
            .await?
            .map(|row| user_from_row(&row))
            .transpose()
    }

    async fn create_session(
        &self,
        user: UserId,
        token_digest: &str,
        expires_at: OffsetDateTime,
    ) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO sessions (token_digest, user_id, created_at, last_seen_at, expires_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token_digest)
        .bind(user.to_string())
        .bind(ts(now))
        .bind(ts(now))
        .bind(ts(expires_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| rows::map_write_error(e, "session", ("user_id", "is not a user")))?;
        tx.commit().await?;
        Ok(())
    }

    async fn session_user(
        &self,
        token_digest: &str,
        idle_timeout: Duration,
    ) -> StoreResult<Option<User>> {
        let now = self.now();
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id
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
        Ok(Some(user))
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

    async fn create_token(&self, by: Option<UserId>, new: NewToken) -> StoreResult<TokenInfo> {
        let now = self.now();
        let info = TokenInfo {
            id: uuid::Uuid::new_v4(),
            user_id: new.user_id,
            name: new.name,
            created_at: now,
            expires_at: new.expires_at,
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, token_digest, user_id, name, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(info.id.to_string())
        .bind(&new.token_digest)
        .bind(info.user_id.to_string())
        .bind(&info.name)
        .bind(ts(now))
        .bind(info.expires_at.map(ts))
        .execute(&mut *tx)
        .await
        .map_err(|e| rows::map_write_error(e, "token", ("user_id", "is not a user")))?;
        let event = AuditEvent::new(by, AuditAction::TokenCreate)
            .target("token", info.id)
            .details(json!({ "user_id": info.user_id.to_string() }));
        record_change(&mut tx, None, &event, now).await?;
        tx.commit().await?;
        Ok(info)
    }

    async fn token_user(&self, token_digest: &str) -> StoreResult<Option<User>> {
        let now = self.now();
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_digest = ? AND t.revoked_at IS NULL
               AND (t.expires_at IS NULL OR t.expires_at > ?) AND u.active = 1"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_digest)
            .bind(ts(now))
            .fetch_optional(&mut *self.readers.get().await)
            .await?
            .map(|row| user_from_row(&row))
            .transpose()
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
        .bind(rows::body(door::CASE, r.id, &r.doc)?)
        .execute(&mut *tx)
        .await?;
        record_change(
            &mut tx,
            Some((door::CASE, r.id.to_string(), &write.history)),
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
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let current = load_case(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        let Some(write) = door::prepare_update(actor, &current, expected_version, patch, now)?
        else {
            tx.rollback().await?;
            return Ok(current);
        };
        if write.index.caseworker_unverified {
            check_caseworker(&mut tx, &write).await?;
        }
        let r = &write.record;
        let updated = sqlx::query(
            "UPDATE cases SET version = ?, caseworker_id = ?, status = ?, risk_level = ?,
                 separation_status = ?, location_pcode = ?, registration_date = ?, updated_at = ?, body = ?
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
        .bind(rows::body(door::CASE, r.id, &r.doc)?)
        .bind(r.id.to_string())
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            // Cannot happen under BEGIN IMMEDIATE, but the guard costs nothing.
            let current = load_case(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
            return Err(StoreError::Conflict {
                current: current.version,
            });
        }
        record_change(
            &mut tx,
            Some((door::CASE, r.id.to_string(), &write.history)),
            &write.audit,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(write.record)
    }

    async fn get_case(&self, scope: Scope, id: CaseId) -> StoreResult<Option<CaseRecord>> {
        sqlx::query("SELECT * FROM cases WHERE id = ? AND agency_id = ?")
            .bind(id.to_string())
            .bind(scope_agency(scope))
            .fetch_optional(&mut *self.readers.get().await)
            .await?
            .map(|row| case_from_row(&row))
            .transpose()
    }

    async fn list_cases(
        &self,
        scope: Scope,
        filter: &CaseFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<CaseRecord>> {
        let after = page.after.as_deref().map(door::decode_cursor).transpose()?;
        let limit = rows::page_limit(page);
        let prefix = rows::location_prefix(filter.location_prefix.as_deref());
        let found = sqlx::query(
            "SELECT * FROM cases
             WHERE agency_id = ?1
               AND (?2 IS NULL OR agency_id = ?2)
               AND (?3 IS NULL OR status = ?3)
               AND (?4 IS NULL OR risk_level = ?4)
               AND (?5 IS NULL OR separation_status = ?5)
               AND (?6 IS NULL OR substr(location_pcode, 1, length(?6)) = ?6)
               AND (?7 IS NULL OR seq < ?7)
             ORDER BY seq DESC
             LIMIT ?8",
        )
        .bind(scope_agency(scope))
        .bind(filter.agency_id.map(|a| a.to_string()))
        .bind(filter.status.map(|s| s.as_str()))
        .bind(filter.risk_level.map(|r| r.as_str()))
        .bind(filter.separation_status.map(|s| s.as_str()))
        .bind(prefix)
        .bind(after)
        .bind(limit + 1)
        .fetch_all(&mut *self.readers.get().await)
        .await?;
        rows::into_page(&found, limit, case_from_row)
    }

    async fn case_history(
        &self,
        scope: Scope,
        id: CaseId,
    ) -> StoreResult<Option<Vec<HistoryEntry>>> {
        history_in_scope(
            &mut *self.readers.get().await,
            "cases",
            door::CASE,
            scope,
            id.to_string(),
        )
        .await
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
        .bind(rows::body(door::TRACING_REQUEST, r.id, &r.doc)?)
        .execute(&mut *tx)
        .await?;
        record_change(
            &mut tx,
            Some((door::TRACING_REQUEST, r.id.to_string(), &write.history)),
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
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let current = load_tracing_request(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
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
        .bind(rows::body(door::TRACING_REQUEST, r.id, &r.doc)?)
        .bind(r.id.to_string())
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            // Cannot happen under BEGIN IMMEDIATE, but the guard costs nothing.
            let current = load_tracing_request(&mut tx, id)
                .await?
                .ok_or(StoreError::NotFound)?;
            return Err(StoreError::Conflict {
                current: current.version,
            });
        }
        record_change(
            &mut tx,
            Some((door::TRACING_REQUEST, r.id.to_string(), &write.history)),
            &write.audit,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(write.record)
    }

    async fn get_tracing_request(
        &self,
        scope: Scope,
        id: TracingRequestId,
    ) -> StoreResult<Option<TracingRequestRecord>> {
        sqlx::query("SELECT * FROM tracing_requests WHERE id = ? AND agency_id = ?")
            .bind(id.to_string())
            .bind(scope_agency(scope))
            .fetch_optional(&mut *self.readers.get().await)
            .await?
            .map(|row| tracing_request_from_row(&row))
            .transpose()
    }

    async fn list_tracing_requests(
        &self,
        scope: Scope,
        filter: &TracingRequestFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<TracingRequestRecord>> {
        let after = page.after.as_deref().map(door::decode_cursor).transpose()?;
        let limit = rows::page_limit(page);
        let prefix = rows::location_prefix(filter.location_prefix.as_deref());
        let found = sqlx::query(
            "SELECT * FROM tracing_requests
             WHERE agency_id = ?1
               AND (?2 IS NULL OR agency_id = ?2)
               AND (?3 IS NULL OR status = ?3)
               AND (?4 IS NULL OR substr(separation_pcode, 1, length(?4)) = ?4)
               AND (?5 IS NULL OR seq < ?5)
             ORDER BY seq DESC
             LIMIT ?6",
        )
        .bind(scope_agency(scope))
        .bind(filter.agency_id.map(|a| a.to_string()))
        .bind(filter.status.map(|s| s.as_str()))
        .bind(prefix)
        .bind(after)
        .bind(limit + 1)
        .fetch_all(&mut *self.readers.get().await)
        .await?;
        rows::into_page(&found, limit, tracing_request_from_row)
    }

    async fn tracing_request_history(
        &self,
        scope: Scope,
        id: TracingRequestId,
    ) -> StoreResult<Option<Vec<HistoryEntry>>> {
        history_in_scope(
            &mut *self.readers.get().await,
            "tracing_requests",
            door::TRACING_REQUEST,
            scope,
            id.to_string(),
        )
        .await
    }

    async fn append_audit(&self, event: AuditEvent) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        record_change(&mut tx, None, &event, now).await?;
        tx.commit().await?;
        Ok(())
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
}
