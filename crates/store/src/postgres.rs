//! The PostgreSQL implementation of [`Store`](crate::Store): for several app servers.
//!
//! Ids are UUID, times TIMESTAMPTZ (microseconds, like the clock). Every write is one
//! transaction; audit appends lock the `audit_head` row (`SELECT ... FOR UPDATE`), which
//! serialises appenders across all app servers, and case updates lock the case row first.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
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
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::audit;
use crate::door::{self, CaseWrite};
use crate::error::{StoreError, StoreResult};
use crate::rows::{self, RawRecord, RawUser, col};
use crate::types::{
    Agency, AuditHead, AuditRow, CaseFilter, CaseRecord, HistoryEntry, NewToken, NewUser, Page,
    PageRequest, TokenInfo, TracingRequestFilter, TracingRequestRecord, UserCredentials,
};
use crate::{Backend, Store};

const MAX_CONNECTIONS: u32 = 10;
/// A session's `last_seen_at` is rewritten at most this often.
const TOUCH_INTERVAL: Duration = Duration::seconds(60);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub struct PgStore {
    pool: PgPool,
    clock: Arc<dyn Clock>,
}

/// Connects to and migrates the database at `url` (`postgres://…`).
pub async fn open(url: &str, clock: Arc<dyn Clock>) -> StoreResult<Arc<dyn Store>> {
    Ok(Arc::new(PgStore::open(url, clock).await?))
}

impl PgStore {
    pub async fn open(url: &str, clock: Arc<dyn Clock>) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("the PostgreSQL URL is not valid: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(StdDuration::from_secs(30))
            .connect_with(options)
            .await?;
        // sqlx takes an advisory lock, so app servers starting together migrate once.
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool, clock })
    }

    fn now(&self) -> OffsetDateTime {
        truncate_to_micros(self.clock.now())
    }
}

// --- Columns ------------------------------------------------------------------------------------

const USER_COLUMNS: &str =
    "u.id, u.email, u.display_name, u.agency_id, u.role, u.active, u.password_hash";

fn user_from_row(row: &PgRow) -> StoreResult<User> {
    RawUser {
        id: col(row, "id")?,
        email: col(row, "email")?,
        display_name: col(row, "display_name")?,
        agency_id: col(row, "agency_id")?,
        role: col(row, "role")?,
        active: col(row, "active")?,
    }
    .into_user()
}

/// The columns every record table (cases, tracing requests) shares.
fn record_from_row(row: &PgRow) -> StoreResult<RawRecord> {
    Ok(RawRecord {
        id: col(row, "id")?,
        version: col(row, "version")?,
        agency_id: col(row, "agency_id")?,
        status: col(row, "status")?,
        created_by: col(row, "created_by")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
        body: col(row, "body")?,
    })
}

fn case_from_row(row: &PgRow) -> StoreResult<CaseRecord> {
    record_from_row(row)?.into_case()
}

fn tracing_request_from_row(row: &PgRow) -> StoreResult<TracingRequestRecord> {
    record_from_row(row)?.into_tracing_request()
}

fn agency_from_row(row: &PgRow) -> StoreResult<Agency> {
    Ok(Agency {
        id: AgencyId(col(row, "id")?),
        code: col(row, "code")?,
        name: col(row, "name")?,
        created_at: col(row, "created_at")?,
    })
}

fn audit_from_row(row: &PgRow) -> StoreResult<AuditRow> {
    Ok(AuditRow {
        seq: col(row, "seq")?,
        at: col(row, "at")?,
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

/// Appends one entry to the audit chain. Locking the head row makes every other appender, on any
/// app server, wait until this transaction ends.
async fn append_audit_in(
    conn: &mut PgConnection,
    event: &AuditEvent,
    at: OffsetDateTime,
) -> StoreResult<AuditRow> {
    let head_row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
        .fetch_one(&mut *conn)
        .await?;
    let head = AuditHead {
        seq: col(&head_row, "seq")?,
        hash: col(&head_row, "hash")?,
    };
    let row = audit::next_row(&head, event, at);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, target_type, target_id, details, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(row.seq)
    .bind(row.at)
    .bind(&row.actor)
    .bind(&row.action)
    .bind(&row.target_type)
    .bind(&row.target_id)
    .bind(&row.details)
    .bind(&row.prev_hash)
    .bind(&row.hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(row.seq)
        .bind(&row.hash)
        .execute(&mut *conn)
        .await?;
    Ok(row)
}

async fn check_caseworker(conn: &mut PgConnection, write: &CaseWrite) -> StoreResult<()> {
    let found = sqlx::query("SELECT 1 FROM users WHERE id = $1 AND agency_id = $2")
        .bind(write.index.caseworker_id.0)
        .bind(write.record.agency_id.0)
        .fetch_optional(&mut *conn)
        .await?;
    if found.is_none() {
        return Err(rows::caseworker_not_in_agency());
    }
    Ok(())
}

async fn insert_history(
    conn: &mut PgConnection,
    kind: &str,
    id: Uuid,
    h: &HistoryEntry,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO record_history (record_type, record_id, version, at, actor_id, action, changes)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(kind)
    .bind(id)
    .bind(h.version)
    .bind(h.at)
    .bind(h.actor_id.0)
    .bind(&h.action)
    .bind(rows::changes_to_json(&h.changes)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn load_case(conn: &mut PgConnection, id: CaseId) -> StoreResult<Option<CaseRecord>> {
    sqlx::query("SELECT * FROM cases WHERE id = $1 FOR UPDATE")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| case_from_row(&row))
        .transpose()
}

async fn load_tracing_request(
    conn: &mut PgConnection,
    id: TracingRequestId,
) -> StoreResult<Option<TracingRequestRecord>> {
    sqlx::query("SELECT * FROM tracing_requests WHERE id = $1 FOR UPDATE")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| tracing_request_from_row(&row))
        .transpose()
}

/// A record's history, oldest first; `None` when `table` has no row `id` in the scope's agency.
/// `table` is one of the crate's own table names, never input.
async fn history_in_scope(
    pool: &PgPool,
    table: &'static str,
    kind: &str,
    scope: Scope,
    id: Uuid,
) -> StoreResult<Option<Vec<HistoryEntry>>> {
    let mut conn = pool.acquire().await?;
    let sql = format!("SELECT 1 FROM {table} WHERE id = $1 AND agency_id = $2");
    let in_scope = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(scope_agency(scope))
        .fetch_optional(&mut *conn)
        .await?;
    if in_scope.is_none() {
        return Ok(None);
    }
    let entries = sqlx::query(
        "SELECT * FROM record_history WHERE record_type = $1 AND record_id = $2 ORDER BY version",
    )
    .bind(kind)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        Ok(HistoryEntry {
            version: col(row, "version")?,
            at: col(row, "at")?,
            actor_id: UserId(col(row, "actor_id")?),
            action: col(row, "action")?,
            changes: rows::changes_from_json(&col::<_, String>(row, "changes")?)?,
        })
    })
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(Some(entries))
}

fn scope_agency(scope: Scope) -> Uuid {
    match scope {
        Scope::Agency(a) => a.0,
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
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
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO agencies (id, code, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(agency.id.0)
            .bind(&agency.code)
            .bind(&agency.name)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| rows::map_write_error(e, "agency code", ("code", "is invalid")))?;
        let event = AuditEvent::new(by, AuditAction::AgencyCreate)
            .target("agency", agency.id)
            .details(json!({ "code": agency.code }));
        append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(agency)
    }

    async fn agencies(&self) -> StoreResult<Vec<Agency>> {
        sqlx::query("SELECT * FROM agencies ORDER BY code")
            .fetch_all(&self.pool)
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
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO users (id, email, display_name, agency_id, role, password_hash, active, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7)",
        )
        .bind(user.id.0)
        .bind(&user.email)
        .bind(&user.display_name)
        .bind(user.agency_id.0)
        .bind(user.role.as_str())
        .bind(&new.password_hash)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| rows::map_write_error(e, "email", ("agency_id", "is not an agency")))?;
        let event = AuditEvent::new(by, AuditAction::UserCreate)
            .target("user", user.id)
            .details(
                json!({ "agency_id": user.agency_id.to_string(), "role": user.role.as_str() }),
            );
        append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn user_count(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?;
        col(&row, "n")
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserCredentials>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1");
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(email)
            .fetch_optional(&self.pool)
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
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(&self.pool)
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
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO sessions (token_digest, user_id, created_at, last_seen_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_digest)
        .bind(user.0)
        .bind(now)
        .bind(now)
        .bind(expires_at)
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
             WHERE s.token_digest = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 AND u.active"
        );
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_digest)
            .bind(now)
            .bind(now - idle_timeout)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let user = user_from_row(&row)?;
        let last_seen = col::<_, OffsetDateTime>(&row, "last_seen_at")?;
        if last_seen < now - TOUCH_INTERVAL {
            let mut tx = self.pool.begin().await?;
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_digest = $2")
                .bind(now)
                .bind(token_digest)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(Some(user))
    }

    async fn delete_session(&self, token_digest: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE token_digest = $1")
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
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, token_digest, user_id, name, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(info.id)
        .bind(&new.token_digest)
        .bind(info.user_id.0)
        .bind(&info.name)
        .bind(now)
        .bind(info.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| rows::map_write_error(e, "token", ("user_id", "is not a user")))?;
        let event = AuditEvent::new(by, AuditAction::TokenCreate)
            .target("token", info.id)
            .details(json!({ "user_id": info.user_id.to_string() }));
        append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(info)
    }

    async fn token_user(&self, token_digest: &str) -> StoreResult<Option<User>> {
        let now = self.now();
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_digest = $1 AND t.revoked_at IS NULL
               AND (t.expires_at IS NULL OR t.expires_at > $2) AND u.active"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_digest)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| user_from_row(&row))
            .transpose()
    }

    async fn create_case(&self, actor: &Actor, doc: CaseDoc) -> StoreResult<CaseRecord> {
        let now = self.now();
        let write = door::prepare_create(actor, doc, now)?;
        let r = &write.record;
        let mut tx = self.pool.begin().await?;
        if write.index.caseworker_unverified {
            check_caseworker(&mut tx, &write).await?;
        }
        sqlx::query(
            "INSERT INTO cases (id, version, agency_id, caseworker_id, created_by, status, risk_level,
                 separation_status, location_pcode, registration_date, created_at, updated_at, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(r.id.0)
        .bind(r.version)
        .bind(r.agency_id.0)
        .bind(write.index.caseworker_id.0)
        .bind(r.created_by.0)
        .bind(r.status.as_str())
        .bind(write.index.risk_level)
        .bind(write.index.separation_status)
        .bind(&write.index.location_pcode)
        .bind(write.index.registration_date)
        .bind(r.created_at)
        .bind(r.updated_at)
        .bind(rows::body(door::CASE, r.id, &r.doc)?)
        .execute(&mut *tx)
        .await?;
        insert_history(&mut tx, door::CASE, r.id.0, &write.history).await?;
        append_audit_in(&mut tx, &write.audit, now).await?;
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
        let mut tx = self.pool.begin().await?;
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
            "UPDATE cases SET version = $1, caseworker_id = $2, status = $3, risk_level = $4,
                 separation_status = $5, location_pcode = $6, registration_date = $7, updated_at = $8, body = $9
             WHERE id = $10 AND version = $11",
        )
        .bind(r.version)
        .bind(write.index.caseworker_id.0)
        .bind(r.status.as_str())
        .bind(write.index.risk_level)
        .bind(write.index.separation_status)
        .bind(&write.index.location_pcode)
        .bind(write.index.registration_date)
        .bind(r.updated_at)
        .bind(rows::body(door::CASE, r.id, &r.doc)?)
        .bind(r.id.0)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            // Cannot happen with the row locked above, but the guard costs nothing.
            let current = load_case(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
            return Err(StoreError::Conflict {
                current: current.version,
            });
        }
        insert_history(&mut tx, door::CASE, r.id.0, &write.history).await?;
        append_audit_in(&mut tx, &write.audit, now).await?;
        tx.commit().await?;
        Ok(write.record)
    }

    async fn get_case(&self, scope: Scope, id: CaseId) -> StoreResult<Option<CaseRecord>> {
        sqlx::query("SELECT * FROM cases WHERE id = $1 AND agency_id = $2")
            .bind(id.0)
            .bind(scope_agency(scope))
            .fetch_optional(&self.pool)
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
             WHERE agency_id = $1
               AND ($2::uuid IS NULL OR agency_id = $2)
               AND ($3::text IS NULL OR status = $3)
               AND ($4::text IS NULL OR risk_level = $4)
               AND ($5::text IS NULL OR separation_status = $5)
               AND ($6::text IS NULL OR left(location_pcode, length($6)) = $6)
               AND ($7::bigint IS NULL OR seq < $7)
             ORDER BY seq DESC
             LIMIT $8",
        )
        .bind(scope_agency(scope))
        .bind(filter.agency_id.map(|a| a.0))
        .bind(filter.status.map(|s| s.as_str()))
        .bind(filter.risk_level.map(|r| r.as_str()))
        .bind(filter.separation_status.map(|s| s.as_str()))
        .bind(prefix)
        .bind(after)
        .bind(limit + 1)
        .fetch_all(&self.pool)
        .await?;
        rows::into_page(&found, limit, case_from_row)
    }

    async fn case_history(
        &self,
        scope: Scope,
        id: CaseId,
    ) -> StoreResult<Option<Vec<HistoryEntry>>> {
        history_in_scope(&self.pool, "cases", door::CASE, scope, id.0).await
    }

    async fn create_tracing_request(
        &self,
        actor: &Actor,
        doc: TracingRequestDoc,
    ) -> StoreResult<TracingRequestRecord> {
        let now = self.now();
        let write = door::prepare_tracing_create(actor, doc, now)?;
        let r = &write.record;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO tracing_requests (id, version, agency_id, created_by, status, separation_pcode,
                 date_of_inquiry, created_at, updated_at, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(r.id.0)
        .bind(r.version)
        .bind(r.agency_id.0)
        .bind(r.created_by.0)
        .bind(r.status.as_str())
        .bind(&write.index.separation_pcode)
        .bind(write.index.date_of_inquiry)
        .bind(r.created_at)
        .bind(r.updated_at)
        .bind(rows::body(door::TRACING_REQUEST, r.id, &r.doc)?)
        .execute(&mut *tx)
        .await?;
        insert_history(&mut tx, door::TRACING_REQUEST, r.id.0, &write.history).await?;
        append_audit_in(&mut tx, &write.audit, now).await?;
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
        let mut tx = self.pool.begin().await?;
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
            "UPDATE tracing_requests SET version = $1, status = $2, separation_pcode = $3,
                 date_of_inquiry = $4, updated_at = $5, body = $6
             WHERE id = $7 AND version = $8",
        )
        .bind(r.version)
        .bind(r.status.as_str())
        .bind(&write.index.separation_pcode)
        .bind(write.index.date_of_inquiry)
        .bind(r.updated_at)
        .bind(rows::body(door::TRACING_REQUEST, r.id, &r.doc)?)
        .bind(r.id.0)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            // Cannot happen with the row locked above, but the guard costs nothing.
            let current = load_tracing_request(&mut tx, id)
                .await?
                .ok_or(StoreError::NotFound)?;
            return Err(StoreError::Conflict {
                current: current.version,
            });
        }
        insert_history(&mut tx, door::TRACING_REQUEST, r.id.0, &write.history).await?;
        append_audit_in(&mut tx, &write.audit, now).await?;
        tx.commit().await?;
        Ok(write.record)
    }

    async fn get_tracing_request(
        &self,
        scope: Scope,
        id: TracingRequestId,
    ) -> StoreResult<Option<TracingRequestRecord>> {
        sqlx::query("SELECT * FROM tracing_requests WHERE id = $1 AND agency_id = $2")
            .bind(id.0)
            .bind(scope_agency(scope))
            .fetch_optional(&self.pool)
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
             WHERE agency_id = $1
               AND ($2::uuid IS NULL OR agency_id = $2)
               AND ($3::text IS NULL OR status = $3)
               AND ($4::text IS NULL OR left(separation_pcode, length($4)) = $4)
               AND ($5::bigint IS NULL OR seq < $5)
             ORDER BY seq DESC
             LIMIT $6",
        )
        .bind(scope_agency(scope))
        .bind(filter.agency_id.map(|a| a.0))
        .bind(filter.status.map(|s| s.as_str()))
        .bind(prefix)
        .bind(after)
        .bind(limit + 1)
        .fetch_all(&self.pool)
        .await?;
        rows::into_page(&found, limit, tracing_request_from_row)
    }

    async fn tracing_request_history(
        &self,
        scope: Scope,
        id: TracingRequestId,
    ) -> StoreResult<Option<Vec<HistoryEntry>>> {
        history_in_scope(
            &self.pool,
            "tracing_requests",
            door::TRACING_REQUEST,
            scope,
            id.0,
        )
        .await
    }

    async fn append_audit(&self, event: AuditEvent) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_rows(&self, after_seq: i64, limit: i64) -> StoreResult<Vec<AuditRow>> {
        sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after_seq)
            .bind(limit.max(0))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(audit_from_row)
            .collect()
    }

    async fn audit_head(&self) -> StoreResult<AuditHead> {
        let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(AuditHead {
            seq: col(&row, "seq")?,
            hash: col(&row, "hash")?,
        })
    }

    async fn backup_to(&self, _path: &Path) -> StoreResult<()> {
        Err(StoreError::Unsupported(
            "on PostgreSQL, back up with pg_dump".into(),
        ))
    }
}
