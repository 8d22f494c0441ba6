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
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::audit;
use crate::audit_queue::AuditQueue;
use crate::casework::{self, CaseWork, CaseworkWrite};
use crate::door::{self, CaseWrite, DetentionSync, RESEAL_BATCH};
use crate::error::{StoreError, StoreResult};
use crate::matcher::{self, Matcher};
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

const MAX_CONNECTIONS: u32 = 10;
/// A session's `last_seen_at` is rewritten at most this often.
const TOUCH_INTERVAL: Duration = Duration::seconds(60);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub struct PgStore {
    pool: PgPool,
    clock: Arc<dyn Clock>,
    sealer: Sealer,
    /// Audit entries that stand alone (reads, logins, refusals), written in groups.
    audit: AuditQueue,
    matcher: Matcher,
}

/// Connects to and migrates the database at `url` (`postgres://…`).
pub async fn open(url: &str, clock: Arc<dyn Clock>, sealer: Sealer) -> StoreResult<Arc<dyn Store>> {
    Ok(Arc::new(PgStore::open(url, clock, sealer).await?))
}

/// Whether every migration this binary knows is recorded as applied.
async fn migrated(pool: &PgPool) -> bool {
    let Ok(applied) =
        sqlx::query_scalar::<_, i64>("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await
    else {
        return false;
    };
    MIGRATOR.iter().all(|m| applied.contains(&m.version))
}

impl PgStore {
    pub async fn open(url: &str, clock: Arc<dyn Clock>, sealer: Sealer) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("the PostgreSQL URL is not valid: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(StdDuration::from_secs(30))
            .connect_with(options)
            .await?;
        // sqlx takes an advisory lock, so app servers starting together migrate once. When every
        // migration is applied already, nothing is run: the application's role need not be able
        // to create tables (it should not be; README, "Running on PostgreSQL").
        if !migrated(&pool).await {
            MIGRATOR.run(&pool).await?;
        }
        seed_roles(&pool, truncate_to_micros(clock.now())).await?;
        let audit = {
            let (pool, clock) = (pool.clone(), clock.clone());
            AuditQueue::start(move |events| {
                let (pool, clock) = (pool.clone(), clock.clone());
                async move {
                    let now = truncate_to_micros(clock.now());
                    let mut tx = pool.begin().await?;
                    for event in &events {
                        append_audit_in(&mut tx, event, now).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }
            })
        };
        Ok(Self {
            pool,
            clock,
            sealer,
            audit,
            matcher: Matcher::new(matcher::default_params()?),
        })
    }

    fn now(&self) -> OffsetDateTime {
        truncate_to_micros(self.clock.now())
    }
}

// --- Columns ------------------------------------------------------------------------------------

const USER_COLUMNS: &str = "u.id, u.email, u.display_name, u.agency_id, u.role, u.active,
    u.password_hash, u.locked_until, u.totp_secret IS NOT NULL AS mfa_enrolled,
    r.description AS role_description, r.permissions AS role_permissions, r.scope AS role_scope,
    r.sees AS role_sees";
/// Users with their role, for `USER_COLUMNS`; a user whose role is missing reads as corrupt.
const USER_JOIN: &str = "users u LEFT JOIN roles r ON r.name = u.role";

fn user_from_row(row: &PgRow) -> StoreResult<User> {
    RawUser {
        id: col(row, "id")?,
        email: col(row, "email")?,
        display_name: col(row, "display_name")?,
        agency_id: col(row, "agency_id")?,
        active: col(row, "active")?,
        mfa_enrolled: col(row, "mfa_enrolled")?,
        role: raw_role(row, "role_")?,
    }
    .into_user()
}

/// A role from its own table (`prefix` empty) or from `USER_COLUMNS` (`role_`).
fn role_from_row(row: &PgRow, prefix: &str) -> StoreResult<RoleSpec> {
    raw_role(row, prefix)?.into_role()
}

fn raw_role(row: &PgRow, prefix: &str) -> StoreResult<RawRole> {
    let name_col = if prefix.is_empty() { "name" } else { "role" };
    Ok(RawRole {
        name: col(row, name_col)?,
        description: col(row, &format!("{prefix}description"))?,
        permissions: col(row, &format!("{prefix}permissions"))?,
        scope: col(row, &format!("{prefix}scope"))?,
        sees: col(row, &format!("{prefix}sees"))?,
    })
}

fn token_from_row(row: &PgRow) -> StoreResult<TokenInfo> {
    Ok(TokenInfo {
        id: col(row, "id")?,
        user_id: UserId(col(row, "user_id")?),
        name: col(row, "name")?,
        created_at: col(row, "created_at")?,
        expires_at: col(row, "expires_at")?,
        permissions: rows::permissions_from_json(col(row, "permissions")?)?,
        revoked_at: col(row, "revoked_at")?,
    })
}

fn consent_from_row(row: &PgRow, sealer: &Sealer) -> StoreResult<Consent> {
    RawConsent {
        id: col(row, "id")?,
        case_id: col(row, "case_id")?,
        basis: col(row, "basis")?,
        purposes: col(row, "purposes")?,
        recipients: col(row, "recipients")?,
        given_on: col(row, "given_on")?,
        withdrawn_on: col(row, "withdrawn_on")?,
        body: col(row, "body")?,
        recorded_by: col(row, "recorded_by")?,
        recorded_at: col(row, "recorded_at")?,
    }
    .into_consent(sealer)
}

fn alert_from_row(row: &PgRow) -> StoreResult<Alert> {
    let subject: Option<Uuid> = col(row, "subject_user")?;
    Ok(Alert {
        id: col(row, "id")?,
        kind: col(row, "kind")?,
        agency_id: AgencyId(col(row, "agency_id")?),
        record_type: col(row, "record_type")?,
        record_id: col(row, "record_id")?,
        subject_user: subject.map(UserId),
        details: serde_json::from_str(&col::<_, String>(row, "details")?)
            .map_err(|e| StoreError::Corrupt(format!("alert details: {e}")))?,
        raised_at: col(row, "raised_at")?,
    })
}

/// Binds the three parameters of a `scope::clause` numbered from 1.
fn bind_scope<'q>(
    q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    actor: &Actor,
    now: OffsetDateTime,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    q.bind(actor.agency_id.0).bind(actor.user_id.0).bind(now)
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

fn case_from_row(row: &PgRow, sealer: &Sealer) -> StoreResult<CaseRecord> {
    record_from_row(row)?.into_case(sealer)
}

fn tracing_request_from_row(row: &PgRow, sealer: &Sealer) -> StoreResult<TracingRequestRecord> {
    record_from_row(row)?.into_tracing_request(sealer)
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
    kind: RecordKind,
    id: Uuid,
    h: &HistoryEntry,
    sealer: &Sealer,
) -> StoreResult<()> {
    let record = id.to_string();
    let place = HistoryPlace {
        kind,
        id: &record,
        version: h.version,
    };
    sqlx::query(
        "INSERT INTO record_history (record_type, record_id, version, at, actor_id, action, changes)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(kind.as_str())
    .bind(id)
    .bind(h.version)
    .bind(h.at)
    .bind(h.actor_id.0)
    .bind(&h.action)
    .bind(rows::changes_to_json(&h.changes, place, sealer)?)
    .execute(&mut *conn)
    .await?;
    // Every write of a case or tracing request queues its matching job in the same transaction.
    enqueue_match_job(conn, kind.as_str(), id, h.at).await
}

async fn enqueue_match_job(
    conn: &mut PgConnection,
    kind: &str,
    id: Uuid,
    at: OffsetDateTime,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO match_jobs (record_type, record_id, queued_at) VALUES ($1, $2, $3)")
        .bind(kind)
        .bind(id)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The row `id` of `table` if the actor's scope admits it.
async fn scoped_row(
    conn: &mut PgConnection,
    table: Table,
    actor: &Actor,
    id: uuid::Uuid,
    now: OffsetDateTime,
    for_update: bool,
) -> StoreResult<Option<PgRow>> {
    let sql = format!(
        "SELECT * FROM {} WHERE id = $4 AND {}{}",
        table.name(),
        scope::clause(Params::Postgres, table, actor.scope, 1),
        if for_update { " FOR UPDATE" } else { "" }
    );
    Ok(
        bind_scope(sqlx::query(sqlx::AssertSqlSafe(sql)), actor, now)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Whether a row `id` exists in `table` at all, to tell a failed authorisation (audited) from a
/// wrong id. The answer never reaches the caller.
async fn exists(conn: &mut PgConnection, table: Table, id: uuid::Uuid) -> StoreResult<bool> {
    let sql = format!("SELECT 1 FROM {} WHERE id = $1", table.name());
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
}

async fn history_rows(
    conn: &mut PgConnection,
    kind: RecordKind,
    record: Uuid,
    sealer: &Sealer,
) -> StoreResult<Vec<HistoryEntry>> {
    let id = &record.to_string();
    sqlx::query(
        "SELECT * FROM record_history WHERE record_type = $1 AND record_id = $2 ORDER BY version",
    )
    .bind(kind.as_str())
    .bind(record)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        let version = col(row, "version")?;
        let place = HistoryPlace { kind, id, version };
        Ok(HistoryEntry {
            version,
            at: col(row, "at")?,
            actor_id: UserId(col(row, "actor_id")?),
            action: col(row, "action")?,
            changes: rows::changes_from_json(&col::<_, String>(row, "changes")?, place, sealer)?,
        })
    })
    .collect()
}

/// Re-seals one sealed text column of `table` where it is set, each value bound to `aad(id)`.
async fn reseal_column(
    conn: &mut PgConnection,
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
        let id: uuid::Uuid = col(row, "id")?;
        let aad = aad(id);
        let plain = sealer.open_text(&col::<_, String>(row, "sealed")?, &aad)?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET {column} = $1 WHERE id = $2"
        )))
        .bind(sealer.seal_text(&plain, &aad)?)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(rows.len() as u64)
}

/// Writes the seeded roles that are missing (a new database, or a release that adds one);
/// roles an admin has edited keep their edits.
async fn seed_roles(pool: &PgPool, now: OffsetDateTime) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    for role in seeded_roles() {
        let (permissions, sees) = rows::role_json(&role);
        sqlx::query(
            "INSERT INTO roles (name, description, permissions, scope, sees, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (name) DO NOTHING",
        )
        .bind(&role.name)
        .bind(&role.description)
        .bind(permissions)
        .bind(role.scope.as_str())
        .bind(sees)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Creates or replaces a role; true when it existed.
async fn save_role(
    conn: &mut PgConnection,
    role: &RoleSpec,
    now: OffsetDateTime,
) -> StoreResult<bool> {
    let existed = sqlx::query("SELECT 1 FROM roles WHERE name = $1")
        .bind(&role.name)
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    let (permissions, sees) = rows::role_json(role);
    sqlx::query(
        "INSERT INTO roles (name, description, permissions, scope, sees, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (name) DO UPDATE SET description = $2, permissions = $3, scope = $4, sees = $5,
             updated_at = $6",
    )
    .bind(&role.name)
    .bind(&role.description)
    .bind(permissions)
    .bind(role.scope.as_str())
    .bind(sees)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if existed {
        // What the sessions of its holders were allowed to do has changed: they end.
        sqlx::query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE role = $1)")
            .bind(&role.name)
            .execute(&mut *conn)
            .await?;
    }
    Ok(existed)
}

async fn role_named(conn: &mut PgConnection, name: &str) -> StoreResult<RoleSpec> {
    sqlx::query("SELECT * FROM roles WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| role_from_row(&row, ""))
        .transpose()?
        .ok_or_else(|| Problems::single("role", format!("'{}' is not a role", clip(name))).into())
}

async fn user_by_id(conn: &mut PgConnection, id: UserId) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM {USER_JOIN} WHERE u.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| user_from_row(&row))
        .transpose()
}

async fn insert_alert(conn: &mut PgConnection, alert: &Alert) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO alerts (id, kind, agency_id, record_type, record_id, subject_user, details, raised_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(alert.id)
    .bind(&alert.kind)
    .bind(alert.agency_id.0)
    .bind(&alert.record_type)
    .bind(alert.record_id)
    .bind(alert.subject_user.map(|u| u.0))
    .bind(alert.details.to_string())
    .bind(alert.raised_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn work_from_row(row: &PgRow, sealer: &Sealer) -> StoreResult<CaseWork> {
    let case = case_from_row(row, sealer)?;
    let stored: Option<String> = col(row, "workflow")?;
    let workflow = casework::open_workflow(sealer, &case, stored.as_deref())?;
    Ok(CaseWork { case, workflow })
}

/// Writes a case's next version over `expected_version` (with its workflow when given), its
/// history and audit entries, and what its detention alert must become: the tail of every
/// update of a case, inside the caller's transaction (which holds the case row's lock).
async fn write_case_update(
    conn: &mut PgConnection,
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
        "UPDATE cases SET version = $1, caseworker_id = $2, status = $3, risk_level = $4,
             separation_status = $5, location_pcode = $6, registration_date = $7, updated_at = $8,
             body = $9, workflow = COALESCE($10, workflow)
         WHERE id = $11 AND version = $12",
    )
    .bind(r.version)
    .bind(write.index.caseworker_id.0)
    .bind(r.status.as_str())
    .bind(write.index.risk_level)
    .bind(write.index.separation_status)
    .bind(&write.index.location_pcode)
    .bind(write.index.registration_date)
    .bind(r.updated_at)
    .bind(rows::body(RecordKind::Case, r.id, &r.doc, sealer)?)
    .bind(workflow)
    .bind(r.id.0)
    .bind(expected_version)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        // Cannot happen with the row locked, but the guard costs nothing.
        return Err(StoreError::Conflict {
            current: expected_version,
        });
    }
    sync_detention(&mut *conn, r, write.index.detention, now).await?;
    insert_history(&mut *conn, RecordKind::Case, r.id.0, &write.history, sealer).await?;
    append_audit_in(conn, &write.audit, now).await?;
    Ok(())
}

/// Makes the case's open `detention` alert follow its placements (see [`DetentionSync`]).
async fn sync_detention(
    conn: &mut PgConnection,
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
         WHERE record_type = 'case' AND record_id = $1 AND kind = 'detention' AND resolved_at IS NULL",
    )
    .bind(case.id.0)
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
            sqlx::query("UPDATE alerts SET resolved_at = $1 WHERE id = $2")
                .bind(now)
                .bind(col::<_, Uuid>(row, "id")?)
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

impl PgStore {
    /// A casework write: the case (in scope, locked inside the transaction), the door's
    /// decision on it, then the decision carried out.
    async fn casework_write(
        &self,
        actor: &Actor,
        id: CaseId,
        decide: impl FnOnce(&CaseWork, OffsetDateTime) -> StoreResult<CaseworkWrite> + Send,
    ) -> StoreResult<CaseWork> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let current = scoped_row(&mut tx, Table::Cases, actor, id.0, now, true)
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

fn item_from_row(row: &PgRow, sealer: &Sealer) -> StoreResult<CaseItem> {
    let id: Uuid = col(row, "id")?;
    let kind = ItemKind::parse(&col::<_, String>(row, "kind")?).map_err(StoreError::Corrupt)?;
    let to_agency: Option<Uuid> = col(row, "to_agency_id")?;
    Ok(CaseItem {
        id,
        kind,
        case_id: CaseId(col(row, "case_id")?),
        agency_id: AgencyId(col(row, "agency_id")?),
        to_agency_id: to_agency.map(AgencyId),
        status: col(row, "status")?,
        version: col(row, "version")?,
        created_by: UserId(col(row, "created_by")?),
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
        body: casework::open_item_body(sealer, kind, id, &col::<_, String>(row, "body")?)?,
    })
}

/// The items `actor` may see: those of cases in their scope, and referrals made to their agency.
fn visible_items_clause(actor: &Actor) -> String {
    format!(
        "(case_id IN (SELECT id FROM cases WHERE {}) OR (kind IN ('referral', 'transfer') AND to_agency_id = $1))",
        scope::clause(Params::Postgres, Table::Cases, actor.scope, 1)
    )
}

/// An item's history entry (as record type `case_item`) and its audit entry.
async fn record_item_change(
    conn: &mut PgConnection,
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
    sqlx::query(
        "INSERT INTO record_history (record_type, record_id, version, at, actor_id, action, changes)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(casework::CASE_ITEM)
    .bind(write.item.id)
    .bind(h.version)
    .bind(h.at)
    .bind(h.actor_id.0)
    .bind(&h.action)
    .bind(rows::changes_to_json(&h.changes, place, sealer)?)
    .execute(&mut *conn)
    .await?;
    append_audit_in(conn, &write.audit, now).await?;
    Ok(())
}

impl PgStore {
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
            if exists(&mut *self.pool.acquire().await?, table, id).await? {
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
    ) -> StoreResult<Option<PgRow>> {
        let now = self.now();
        let found = scoped_row(
            &mut *self.pool.acquire().await?,
            table,
            actor,
            id,
            now,
            false,
        )
        .await?;
        let event = if found.is_some() {
            Some(door::read_event(
                actor,
                action,
                table.record_type(),
                &[id.to_string()],
            ))
        } else if exists(&mut *self.pool.acquire().await?, table, id).await? {
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
        let entries =
            history_rows(&mut *self.pool.acquire().await?, kind, id, &self.sealer).await?;
        Ok(Some(entries))
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
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO agencies (id, code, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(agency.id.0)
            .bind(&agency.code)
            .bind(&agency.name)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| rows::map_write_error(e, "agency code", ("code", "is invalid")))?;
        let event = AuditEvent::new(by.map(|a| a.user_id), AuditAction::AgencyCreate)
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

    async fn roles(&self) -> StoreResult<Vec<RoleSpec>> {
        sqlx::query("SELECT * FROM roles ORDER BY name")
            .fetch_all(&self.pool)
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
        let mut tx = self.pool.begin().await?;
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
        append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(role)
    }

    async fn create_user(&self, by: Option<&Actor>, new: NewUser) -> StoreResult<User> {
        door::check_admin(by, Permission::UserManage, new.agency_id)?;
        let now = self.now();
        let mut tx = self.pool.begin().await?;
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
             VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7)",
        )
        .bind(user.id.0)
        .bind(&user.email)
        .bind(&user.display_name)
        .bind(user.agency_id.0)
        .bind(&user.role.name)
        .bind(&new.password_hash)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| rows::map_write_error(e, "email", ("agency_id", "is not an agency")))?;
        let event = AuditEvent::new(by.map(|a| a.user_id), AuditAction::UserCreate)
            .target("user", user.id)
            .details(json!({ "agency_id": user.agency_id.to_string(), "role": user.role.name }));
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

    async fn users(&self, by: Option<&Actor>) -> StoreResult<Vec<User>> {
        let agency = match by {
            None => None,
            Some(actor) => {
                door::check_admin(by, Permission::UserManage, actor.agency_id)?;
                (actor.scope != ScopeLevel::All).then_some(actor.agency_id.0)
            }
        };
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM {USER_JOIN} WHERE ($1 IS NULL OR u.agency_id = $1) ORDER BY u.email"
        );
        let users = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(agency)
            .fetch_all(&self.pool)
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
        let sql = format!("SELECT {USER_COLUMNS} FROM {USER_JOIN} WHERE u.email = $1");
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
            locked_until: col(&row, "locked_until")?,
        }))
    }

    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>> {
        user_by_id(&mut *self.pool.acquire().await?, id).await
    }

    async fn set_user_active(
        &self,
        by: Option<&Actor>,
        id: UserId,
        active: bool,
    ) -> StoreResult<User> {
        door::may(by, Permission::UserManage)?;
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let mut user = user_by_id(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        door::check_admin(by, Permission::UserManage, user.agency_id)
            .map_err(|_| StoreError::NotFound)?;
        sqlx::query(
            "UPDATE users SET active = $1, failed_logins = 0, locked_until = NULL WHERE id = $2",
        )
        .bind(active)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id.0)
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
        append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        user.active = active;
        Ok(user)
    }

    async fn set_user_role(&self, by: Option<&Actor>, id: UserId, role: &str) -> StoreResult<User> {
        door::may(by, Permission::UserManage)?;
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let mut user = user_by_id(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        door::check_admin(by, Permission::UserManage, user.agency_id)
            .map_err(|_| StoreError::NotFound)?;
        let role = role_named(&mut tx, role).await?;
        door::check_grant(by, &role)?;
        // Taking a role away is also a grant check: nobody demotes someone above them.
        door::check_grant(by, &user.role)?;
        sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(&role.name)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        // What the sessions were allowed to do has changed: they end.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let event = AuditEvent::new(by.map(|a| a.user_id), AuditAction::UserUpdate)
            .target("user", id)
            .details(json!({ "role": role.name }));
        append_audit_in(&mut tx, &event, now).await?;
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
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO groups (id, agency_id, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(group.id)
            .bind(agency.0)
            .bind(&group.name)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                rows::map_write_error(e, "group name", ("agency_id", "is not an agency"))
            })?;
        let event = AuditEvent::new(by.map(|a| a.user_id), AuditAction::GroupCreate)
            .target("group", group.id)
            .details(json!({ "agency_id": agency.to_string() }));
        append_audit_in(&mut tx, &event, now).await?;
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
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT * FROM groups WHERE id = $1")
            .bind(group)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let agency = AgencyId(col(&row, "agency_id")?);
        door::check_admin(by, Permission::GroupManage, agency).map_err(|_| StoreError::NotFound)?;
        sqlx::query("DELETE FROM group_members WHERE group_id = $1")
            .bind(group)
            .execute(&mut *tx)
            .await?;
        let mut problems = Problems::new();
        let mut unique: Vec<UserId> = Vec::new();
        for (i, member) in members.iter().enumerate() {
            if unique.contains(member) {
                continue;
            }
            let of_agency = sqlx::query("SELECT 1 FROM users WHERE id = $1 AND agency_id = $2")
                .bind(member.0)
                .bind(agency.0)
                .fetch_optional(&mut *tx)
                .await?;
            if of_agency.is_none() {
                problems.push(
                    format!("members.{i}"),
                    "is not a user of the group's agency",
                );
                continue;
            }
            sqlx::query("INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)")
                .bind(group)
                .bind(member.0)
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
        append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(Group {
            id: group,
            agency_id: agency,
            name: col(&row, "name")?,
            members: unique,
        })
    }

    async fn groups(&self, by: &Actor) -> StoreResult<Vec<Group>> {
        let agency = (by.scope != ScopeLevel::All).then_some(by.agency_id.0);
        let found = sqlx::query(
            "SELECT g.id, g.agency_id, g.name, m.user_id FROM groups g
             LEFT JOIN group_members m ON m.group_id = g.id
             WHERE ($1 IS NULL OR g.agency_id = $1)
             ORDER BY g.name, g.id, m.user_id",
        )
        .bind(agency)
        .fetch_all(&self.pool)
        .await?;
        let mut groups: Vec<Group> = Vec::new();
        for row in &found {
            let id = col(row, "id")?;
            if groups.last().is_none_or(|g| g.id != id) {
                groups.push(Group {
                    id,
                    agency_id: AgencyId(col(row, "agency_id")?),
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
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1
             RETURNING failed_logins, agency_id",
        )
        .bind(user.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let failures = u32::try_from(col::<_, i32>(&row, "failed_logins")?).unwrap_or(u32::MAX);
        let locked_until = throttle::lock_after(failures).map(|d| now + d);
        if let Some(until) = locked_until {
            sqlx::query("UPDATE users SET locked_until = $1 WHERE id = $2")
                .bind(until)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
        }
        if throttle::alerts_at(failures) {
            let agency = AgencyId(col(&row, "agency_id")?);
            let alert = door::account_alert("login_failures", agency, user, failures, now);
            insert_alert(&mut tx, &alert).await?;
        }
        let event = AuditEvent::new(None, AuditAction::LoginFailure)
            .target("user", user)
            .details(json!({ "failures": failures, "locked": locked_until.is_some() }));
        append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(LoginFailure {
            failures,
            locked_until,
        })
    }

    async fn login_succeeded(&self, user: UserId) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1 AND failed_logins > 0")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(&self, new: NewSession) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO sessions (token_digest, user_id, created_at, last_seen_at, expires_at, mfa, csrf_token)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&new.token_digest)
        .bind(new.user_id.0)
        .bind(now)
        .bind(now)
        .bind(new.expires_at)
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
        let last_seen: OffsetDateTime = col(&row, "last_seen_at")?;
        if last_seen < now - TOUCH_INTERVAL {
            let mut tx = self.pool.begin().await?;
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_digest = $2")
                .bind(now)
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
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE sessions SET mfa = 'complete' WHERE token_digest = $1")
            .bind(token_digest)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
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

    async fn end_sessions(&self, user: UserId) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn totp(&self, user: UserId) -> StoreResult<Option<TotpState>> {
        let row = sqlx::query("SELECT totp_secret, totp_last_step FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(&self.pool)
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
        let mut tx = self.pool.begin().await?;
        let updated =
            sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = NULL WHERE id = $2")
                .bind(sealed)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        for digest in recovery_digests {
            sqlx::query("INSERT INTO recovery_codes (user_id, digest) VALUES ($1, $2)")
                .bind(user.0)
                .bind(digest)
                .execute(&mut *tx)
                .await?;
        }
        let event = AuditEvent::new(Some(user), AuditAction::MfaEnrol)
            .target("user", user)
            .details(json!({ "recovery_codes": recovery_digests.len() }));
        append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn accept_totp_step(&self, user: UserId, step: u64) -> StoreResult<bool> {
        let step = i64::try_from(step).map_err(|_| StoreError::Corrupt("time step".into()))?;
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE users SET totp_last_step = $1
             WHERE id = $2 AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(updated.rows_affected() == 1)
    }

    async fn use_recovery_code(&self, user: UserId, digest: &str) -> StoreResult<bool> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND digest = $3 AND used_at IS NULL",
        )
        .bind(now)
        .bind(user.0)
        .bind(digest)
        .execute(&mut *tx)
        .await?;
        let used = updated.rows_affected() == 1;
        if used {
            let event =
                AuditEvent::new(Some(user), AuditAction::RecoveryCodeUsed).target("user", user);
            append_audit_in(&mut tx, &event, now).await?;
        }
        tx.commit().await?;
        Ok(used)
    }

    async fn create_token(&self, by: Option<&Actor>, new: NewToken) -> StoreResult<TokenInfo> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
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
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(info.id)
        .bind(&new.token_digest)
        .bind(info.user_id.0)
        .bind(&info.name)
        .bind(now)
        .bind(info.expires_at)
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
        append_audit_in(&mut tx, &event, now).await?;
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
             WHERE t.token_digest = $1 AND t.revoked_at IS NULL
               AND (t.expires_at IS NULL OR t.expires_at > $2) AND u.active"
        );
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_digest)
            .bind(now)
            .fetch_optional(&self.pool)
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
             WHERE ($1 IS NULL OR u.agency_id = $1) AND ($2 IS NULL OR t.user_id = $2)
             ORDER BY t.created_at",
        )
        .bind(agency.map(|a| a.0))
        .bind(only_user.map(|u| u.0))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(token_from_row)
        .collect()
    }

    async fn revoke_token(&self, by: Option<&Actor>, id: uuid::Uuid) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT t.user_id, u.agency_id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let owner = UserId(col(&row, "user_id")?);
        if by.is_some_and(|a| a.user_id != owner) {
            door::check_admin(
                by,
                Permission::UserManage,
                AgencyId(col(&row, "agency_id")?),
            )
            .map_err(|_| StoreError::NotFound)?;
        }
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let event = AuditEvent::new(by.map(|a| a.user_id), AuditAction::TokenRevoke)
            .target("token", id)
            .details(json!({ "user_id": owner.to_string() }));
        append_audit_in(&mut tx, &event, now).await?;
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
        let found = sqlx::query("SELECT * FROM consents WHERE case_id = $1 ORDER BY id")
            .bind(case.0)
            .fetch_all(&self.pool)
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
        let mut tx = self.pool.begin().await?;
        let Some(current) = scoped_row(&mut tx, Table::Cases, actor, case.0, now, true)
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
             VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, $9)",
        )
        .bind(consent.record.id)
        .bind(case.0)
        .bind(consent.record.basis.as_str())
        .bind(purposes)
        .bind(recipients)
        .bind(consent.record.given_on)
        .bind(body)
        .bind(actor.user_id.0)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        enqueue_match_job(&mut tx, door::CASE, case.0, now).await?;
        append_audit_in(&mut tx, &event, now).await?;
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
        let mut tx = self.pool.begin().await?;
        if scoped_row(&mut tx, Table::Cases, actor, case.0, now, true)
            .await?
            .is_none()
        {
            tx.rollback().await?;
            return Err(self
                .refused(actor, Table::Cases, case.0, AuditAction::ConsentWithdraw)
                .await);
        }
        let current =
            sqlx::query("SELECT * FROM consents WHERE id = $1 AND case_id = $2 FOR UPDATE")
                .bind(consent)
                .bind(case.0)
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| consent_from_row(&row, &self.sealer))
                .transpose()?
                .ok_or(StoreError::NotFound)?;
        let (next, event) = door::prepare_withdrawal(actor, &current, on, now)?;
        sqlx::query("UPDATE consents SET withdrawn_on = $1 WHERE id = $2")
            .bind(next.record.withdrawn_on)
            .bind(consent)
            .execute(&mut *tx)
            .await?;
        enqueue_match_job(&mut tx, door::CASE, case.0, now).await?;
        append_audit_in(&mut tx, &event, now).await?;
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
        let mut tx = self.pool.begin().await?;
        let sql = format!("SELECT agency_id FROM {} WHERE id = $1", table.name());
        let agency = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
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
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(grant.id)
        .bind(actor.user_id.0)
        .bind(&grant.record_type)
        .bind(id)
        .bind(self.sealer.seal_text(&reason, &door::grant_aad(grant.id))?)
        .bind(now)
        .bind(grant.expires_at)
        .execute(&mut *tx)
        .await?;
        let agency = AgencyId(col(&agency, "agency_id")?);
        let alert = door::record_alert("break_glass", agency, &grant, actor, now);
        insert_alert(&mut tx, &alert).await?;
        let event = AuditEvent::new(Some(actor.user_id), AuditAction::BreakGlass)
            .target(table.record_type(), id)
            .details(json!({
                "grant": grant.id.to_string(),
                "expires_at": audit::format_at(grant.expires_at),
            }));
        append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(grant)
    }

    async fn alerts(&self, actor: &Actor) -> StoreResult<Vec<Alert>> {
        let cases = scope::clause(Params::Postgres, Table::Cases, actor.scope, 1);
        let requests = scope::clause(Params::Postgres, Table::TracingRequests, actor.scope, 1);
        let sql = format!(
            "SELECT * FROM alerts
             WHERE resolved_at IS NULL AND (
                (record_type = 'case' AND record_id IN (SELECT id FROM cases WHERE {cases}))
             OR (record_type = 'tracing_request' AND record_id IN (SELECT id FROM tracing_requests WHERE {requests}))
             OR (record_type IS NULL AND $4 AND ($5 OR agency_id = $1)))
               AND (kind <> 'break_glass' OR $6)
             ORDER BY raised_at DESC, id
             LIMIT 500"
        );
        let manages = actor.permissions.contains(Permission::UserManage);
        bind_scope(sqlx::query(sqlx::AssertSqlSafe(sql)), actor, self.now())
            .bind(manages)
            .bind(actor.scope == ScopeLevel::All)
            .bind(actor.permissions.contains(Permission::CaseApprove))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(alert_from_row)
            .collect()
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
        .bind(rows::body(RecordKind::Case, r.id, &r.doc, &self.sealer)?)
        .execute(&mut *tx)
        .await?;
        sync_detention(&mut tx, r, write.index.detention, now).await?;
        insert_history(
            &mut tx,
            RecordKind::Case,
            r.id.0,
            &write.history,
            &self.sealer,
        )
        .await?;
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
        authorize(actor, Permission::CaseUpdate)?;
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let Some(current) = scoped_row(&mut tx, Table::Cases, actor, id.0, now, true)
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
               AND ($4 IS NULL OR agency_id = $4)
               AND ($5 IS NULL OR status = $5)
               AND ($6 IS NULL OR risk_level = $6)
               AND ($7 IS NULL OR separation_status = $7)
               AND ($8 IS NULL OR starts_with(location_pcode, $8))
               AND ($9 IS NULL OR seq < $9)
               AND ($11::uuid[] IS NULL OR id = ANY($11))
             ORDER BY seq DESC
             LIMIT $10",
            scope::clause(Params::Postgres, Table::Cases, actor.scope, 1)
        );
        let found = bind_scope(sqlx::query(sqlx::AssertSqlSafe(sql)), actor, self.now())
            .bind(filter.agency_id.map(|a| a.0))
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
            .bind(
                named
                    .as_ref()
                    .map(|ids| ids.iter().map(|i| i.0).collect::<Vec<_>>()),
            )
            .fetch_all(&self.pool)
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
             WHERE {} AND status = 'open' AND ($4 OR caseworker_id = $2)
             ORDER BY seq LIMIT {}",
            scope::clause(Params::Postgres, Table::Cases, actor.scope, 1),
            casework::MAX_TASK_CASES
        );
        let found = bind_scope(sqlx::query(sqlx::AssertSqlSafe(sql)), actor, now)
            .bind(actor.permissions.contains(Permission::CaseApprove))
            .fetch_all(&self.pool)
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
        let mut tx = self.pool.begin().await?;
        let current = scoped_row(&mut tx, Table::Cases, actor, case.0, now, true)
            .await?
            .map(|row| work_from_row(&row, &self.sealer))
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        let transfers = if matches!(new, NewCaseItem::Transfer(_)) {
            sqlx::query("SELECT * FROM case_items WHERE case_id = $1 AND kind = 'transfer'")
                .bind(case.0)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|row| item_from_row(row, &self.sealer))
                .collect::<StoreResult<Vec<_>>>()?
        } else {
            Vec::new()
        };
        let consents = if matches!(new, NewCaseItem::Transfer(_) | NewCaseItem::Referral(_)) {
            sqlx::query("SELECT * FROM consents WHERE case_id = $1")
                .bind(case.0)
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(i.id)
        .bind(i.kind.as_str())
        .bind(i.case_id.0)
        .bind(i.agency_id.0)
        .bind(i.to_agency_id.map(|a| a.0))
        .bind(&i.status)
        .bind(i.version)
        .bind(i.created_by.0)
        .bind(i.created_at)
        .bind(i.updated_at)
        .bind(casework::seal_item(&self.sealer, i)?)
        .execute(&mut *tx)
        .await
        .map_err(|e| rows::map_write_error(e, "case item", ("to_agency_id", "is not an agency")))?;
        record_item_change(&mut tx, &write, &self.sealer, now).await?;
        if let Some(event) = &write.consent_override {
            append_audit_in(&mut tx, event, now).await?;
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
        let mut tx = self.pool.begin().await?;
        let mut cases = Vec::new();
        let mut missing = Problems::new();
        for (n, case) in valid.case_ids.iter().enumerate() {
            match scoped_row(&mut tx, Table::Cases, actor, case.0, now, true)
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
             VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8, $9, $10)",
        )
        .bind(i.id)
        .bind(i.kind.as_str())
        .bind(i.case_id.0)
        .bind(i.agency_id.0)
        .bind(&i.status)
        .bind(i.version)
        .bind(i.created_by.0)
        .bind(i.created_at)
        .bind(i.updated_at)
        .bind(casework::seal_item(&self.sealer, i)?)
        .execute(&mut *tx)
        .await?;
        for w in &cases {
            sqlx::query("INSERT INTO case_item_links (item_id, case_id) VALUES ($1, $2)")
                .bind(i.id)
                .bind(w.case.id.0)
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
        let mut tx = self.pool.begin().await?;
        let sql = format!(
            "SELECT * FROM case_items WHERE id = $4 AND {} FOR UPDATE",
            visible_items_clause(actor)
        );
        let current = bind_scope(sqlx::query(sqlx::AssertSqlSafe(sql)), actor, now)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| item_from_row(&row, &self.sealer))
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        let write = casework::prepare_item_change(actor, &current, change, now)?;
        let i = &write.item;
        sqlx::query(
            "UPDATE case_items SET status = $1, version = $2, updated_at = $3, body = $4
             WHERE id = $5 AND version = $6",
        )
        .bind(&i.status)
        .bind(i.version)
        .bind(i.updated_at)
        .bind(casework::seal_item(&self.sealer, i)?)
        .bind(i.id)
        .bind(current.version)
        .execute(&mut *tx)
        .await?;
        record_item_change(&mut tx, &write, &self.sealer, now).await?;
        if casework::moves_case(&write) {
            let case = sqlx::query("SELECT * FROM cases WHERE id = $1 FOR UPDATE")
                .bind(i.case_id.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::from)
                .and_then(|row| case_from_row(&row, &self.sealer))?;
            let (moved, history, audit) = casework::prepare_case_move(actor, &case, i.id, now)?;
            sqlx::query(
                "UPDATE cases SET agency_id = $1, caseworker_id = $2, version = $3, updated_at = $4,
                     body = $5
                 WHERE id = $6 AND version = $7",
            )
            .bind(moved.agency_id.0)
            .bind(actor.user_id.0)
            .bind(moved.version)
            .bind(moved.updated_at)
            .bind(rows::body(RecordKind::Case, moved.id, &moved.doc, &self.sealer)?)
            .bind(moved.id.0)
            .bind(case.version)
            .execute(&mut *tx)
            .await?;
            insert_history(
                &mut tx,
                RecordKind::Case,
                moved.id.0,
                &history,
                &self.sealer,
            )
            .await?;
            append_audit_in(&mut tx, &audit, now).await?;
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
            "SELECT * FROM case_items WHERE case_id = $1
                 OR id IN (SELECT item_id FROM case_item_links WHERE case_id = $1) ORDER BY seq",
        )
        .bind(case.0)
        .fetch_all(&self.pool)
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
            .fetch_all(&self.pool)
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
        let mut conn = self.pool.acquire().await?;
        let mut out: Vec<TimelineEntry> =
            history_rows(&mut conn, RecordKind::Case, case.0, &self.sealer)
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
             WHERE h.record_type = 'case_item' AND (i.case_id = $1
                 OR i.id IN (SELECT item_id FROM case_item_links WHERE case_id = $1))",
        )
        .bind(case.0)
        .fetch_all(&mut *conn)
        .await?;
        for row in &items {
            let record: Uuid = col(row, "record_id")?;
            let id = record.to_string();
            let version = col(row, "version")?;
            let place = HistoryPlace {
                kind: RecordKind::Case,
                id: &id,
                version,
            };
            out.push(TimelineEntry {
                record_type: col(row, "kind")?,
                record_id: record,
                entry: HistoryEntry {
                    version,
                    at: col(row, "at")?,
                    actor_id: UserId(col(row, "actor_id")?),
                    action: col(row, "action")?,
                    changes: rows::changes_from_json(
                        &col::<_, String>(row, "changes")?,
                        place,
                        &self.sealer,
                    )?,
                },
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
        .bind(rows::body(RecordKind::TracingRequest, r.id, &r.doc, &self.sealer)?)
        .execute(&mut *tx)
        .await?;
        insert_history(
            &mut tx,
            RecordKind::TracingRequest,
            r.id.0,
            &write.history,
            &self.sealer,
        )
        .await?;
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
        authorize(actor, Permission::TracingUpdate)?;
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let Some(current) = scoped_row(&mut tx, Table::TracingRequests, actor, id.0, now, true)
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
            "UPDATE tracing_requests SET version = $1, status = $2, separation_pcode = $3,
                 date_of_inquiry = $4, updated_at = $5, body = $6
             WHERE id = $7 AND version = $8",
        )
        .bind(r.version)
        .bind(r.status.as_str())
        .bind(&write.index.separation_pcode)
        .bind(write.index.date_of_inquiry)
        .bind(r.updated_at)
        .bind(rows::body(
            RecordKind::TracingRequest,
            r.id,
            &r.doc,
            &self.sealer,
        )?)
        .bind(r.id.0)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            // Cannot happen with the row locked above, but the guard costs nothing.
            return Err(StoreError::Conflict {
                current: current.version,
            });
        }
        insert_history(
            &mut tx,
            RecordKind::TracingRequest,
            r.id.0,
            &write.history,
            &self.sealer,
        )
        .await?;
        append_audit_in(&mut tx, &write.audit, now).await?;
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
               AND ($4 IS NULL OR agency_id = $4)
               AND ($5 IS NULL OR status = $5)
               AND ($6 IS NULL OR starts_with(separation_pcode, $6))
               AND ($7 IS NULL OR seq < $7)
             ORDER BY seq DESC
             LIMIT $8",
            scope::clause(Params::Postgres, Table::TracingRequests, actor.scope, 1)
        );
        let found = bind_scope(sqlx::query(sqlx::AssertSqlSafe(sql)), actor, self.now())
            .bind(filter.agency_id.map(|a| a.0))
            .bind(filter.status.map(|s| s.as_str()))
            .bind(prefix)
            .bind(after)
            .bind(limit + 1)
            .fetch_all(&self.pool)
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
                let mut tx = self.pool.begin().await?;
                let sql = format!(
                    "SELECT seq, id, body, {} AS workflow FROM {} WHERE seq > $1 ORDER BY seq LIMIT {RESEAL_BATCH}",
                    if matches!(table, Table::Cases) {
                        "workflow"
                    } else {
                        "NULL::text"
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
                    let id: Uuid = col(row, "id")?;
                    let body = rows::reseal_body(
                        kind,
                        &id.to_string(),
                        &col::<_, String>(row, "body")?,
                        &self.sealer,
                    )?;
                    let sql = format!("UPDATE {} SET body = $1 WHERE id = $2", table.name());
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(body)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    if let Some(stored) = col::<_, Option<String>>(row, "workflow")? {
                        let sealed =
                            casework::reseal_workflow(&self.sealer, &id.to_string(), &stored)?;
                        sqlx::query("UPDATE cases SET workflow = $1 WHERE id = $2")
                            .bind(sealed)
                            .bind(id)
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
            let mut tx = self.pool.begin().await?;
            let found = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT * FROM case_items WHERE seq > $1 ORDER BY seq LIMIT {RESEAL_BATCH} FOR UPDATE"
            )))
            .bind(after)
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = found.last() else { break };
            after = col(last, "seq")?;
            for row in &found {
                let item = item_from_row(row, &self.sealer)?;
                let sealed = casework::seal_item(&self.sealer, &item)?;
                sqlx::query("UPDATE case_items SET body = $1 WHERE id = $2")
                    .bind(sealed)
                    .bind(item.id)
                    .execute(&mut *tx)
                    .await?;
                done.records += 1;
            }
            tx.commit().await?;
        }
        let mut after = (String::new(), Uuid::nil(), 0_i64);
        loop {
            let mut tx = self.pool.begin().await?;
            let found = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT record_type, record_id, version, changes FROM record_history
                 WHERE (record_type, record_id, version) > ($1, $2, $3)
                 ORDER BY record_type, record_id, version LIMIT {RESEAL_BATCH}"
            )))
            .bind(&after.0)
            .bind(after.1)
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
                let (kind_name, record, version): (String, Uuid, i64) = (
                    col(row, "record_type")?,
                    col(row, "record_id")?,
                    col(row, "version")?,
                );
                let kind = rows::record_kind(&kind_name)?;
                let id = record.to_string();
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
                    "UPDATE record_history SET changes = $1 WHERE record_type = $2 AND record_id = $3 AND version = $4",
                )
                .bind(rows::changes_to_json(&changes, place, &self.sealer)?)
                .bind(&kind_name)
                .bind(record)
                .bind(version)
                .execute(&mut *tx)
                .await?;
                done.history_entries += 1;
            }
            tx.commit().await?;
        }
        let mut tx = self.pool.begin().await?;
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
        append_audit_in(&mut tx, &event, self.now()).await?;
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

    // --- Reports and pledges ----------------------------------------------------------------------

    async fn report_facts(
        &self,
        by: Option<&Actor>,
        purpose: &ReportPurpose,
    ) -> StoreResult<haven_report::Facts> {
        reporting::check_report(by, purpose)?;
        let (level, agency, user) = reporting::reach(by);
        let now = self.now();
        let clause = scope::clause(Params::Postgres, Table::Cases, level, 1);
        let in_scope = format!("SELECT id FROM cases WHERE {clause}");
        let bind = |sql: String| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(agency.0)
                .bind(user.0)
                .bind(now)
        };
        // One snapshot for the three reads, so an incident cannot name a case the first missed.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
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
        .map(|row| {
            Ok((
                col::<_, Uuid>(row, "item_id")?,
                CaseId(col(row, "case_id")?),
            ))
        })
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
            Ok(reporting::Traced {
                case: CaseId(col(row, "case_id")?),
                opened: col(row, "date_of_inquiry")?,
                reunified_on: col(row, "reunified_on")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        tx.commit().await?;
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
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO pledges (id, version, agency_id, created_by, created_at, updated_at, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(r.id)
        .bind(r.version)
        .bind(r.agency_id.0)
        .bind(r.created_by.0)
        .bind(r.created_at)
        .bind(r.updated_at)
        .bind(reporting::pledge_body(&r.doc)?)
        .execute(&mut *tx)
        .await?;
        write_pledge_history(&mut tx, &write).await?;
        append_audit_in(&mut tx, &write.audit, now).await?;
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
        let mut tx = self.pool.begin().await?;
        let current = sqlx::query("SELECT * FROM pledges WHERE id = $1 FOR UPDATE")
            .bind(id)
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
            "UPDATE pledges SET version = $1, updated_at = $2, body = $3 WHERE id = $4 AND version = $5",
        )
        .bind(r.version)
        .bind(r.updated_at)
        .bind(reporting::pledge_body(&r.doc)?)
        .bind(r.id)
        .bind(current.version)
        .execute(&mut *tx)
        .await?;
        write_pledge_history(&mut tx, &write).await?;
        append_audit_in(&mut tx, &write.audit, now).await?;
        tx.commit().await?;
        Ok(write.record)
    }

    async fn get_pledge(&self, actor: &Actor, id: uuid::Uuid) -> StoreResult<Option<PledgeRecord>> {
        reporting::check_pledge_read(actor)?;
        let found = sqlx::query("SELECT * FROM pledges WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
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
            .fetch_all(&self.pool)
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
fn report_work_from_row(row: &PgRow, sealer: &Sealer) -> StoreResult<CaseWork> {
    let case = record_from_row(row)?.into_case_for_report(sealer)?;
    let stored: Option<String> = col(row, "workflow")?;
    let workflow = casework::open_workflow(sealer, &case, stored.as_deref())?;
    Ok(CaseWork { case, workflow })
}

fn pledge_from_row(row: &PgRow) -> StoreResult<PledgeRecord> {
    let id: Uuid = col(row, "id")?;
    Ok(PledgeRecord {
        id,
        version: col(row, "version")?,
        agency_id: AgencyId(col(row, "agency_id")?),
        created_by: UserId(col(row, "created_by")?),
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
        doc: reporting::pledge_doc(&col::<_, String>(row, "body")?, id)?,
    })
}

/// A pledge's history entry (plain JSON: a pledge holds nothing classified).
async fn write_pledge_history(
    conn: &mut PgConnection,
    write: &reporting::PledgeWrite,
) -> StoreResult<()> {
    let h = &write.history;
    sqlx::query(
        "INSERT INTO record_history (record_type, record_id, version, at, actor_id, action, changes)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(reporting::PLEDGE)
    .bind(write.record.id)
    .bind(h.version)
    .bind(h.at)
    .bind(h.actor_id.0)
    .bind(&h.action)
    .bind(write.changes_json()?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
