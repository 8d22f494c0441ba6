//! Family tracing on SQLite: the matcher's queue and the potential matches.

use std::collections::HashMap;

use async_trait::async_trait;
use haven_domain::access::Permission;
use haven_domain::audit::{AuditAction, AuditEvent};
use haven_domain::case::CaseDoc;
use haven_domain::consent::ConsentRecord;
use haven_domain::history::FieldChange;
use haven_domain::ids::{CaseId, TracingRequestId};
use haven_domain::policy::authorize;
use haven_domain::potential_match::{DecisionDoc, MatchStatus};
use haven_domain::user::Actor;
use serde_json::json;
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use time::OffsetDateTime;

use super::{
    SqliteStore, at_col, case_from_row, consent_from_row, record_change, scoped_row,
    tracing_request_from_row, ts, uuid_col,
};
use crate::Store;
use crate::door;
use crate::error::{StoreError, StoreResult};
use crate::matcher::{
    self, Job, JobRecord, MatchDb, POTENTIAL_MATCH, PairChange, RawPair, StoredPair,
};
use crate::rows::{self, col};
use crate::scope::{self, Params, Table};
use crate::sealing::Sealer;
use crate::types::{
    CaseRecord, MatchFilter, MatchView, PossibleDuplicate, PotentialMatch, TracingRequestRecord,
};

/// Most pairs one list returns.
const LIST_LIMIT: i64 = 500;

fn ids_json<T: ToString>(ids: impl IntoIterator<Item = T>) -> String {
    serde_json::Value::Array(
        ids.into_iter()
            .map(|i| serde_json::Value::String(i.to_string()))
            .collect(),
    )
    .to_string()
}

fn pair_from_row(row: &SqliteRow, sealer: &Sealer) -> StoreResult<PotentialMatch> {
    let decided_by: Option<String> = col(row, "decided_by")?;
    let decided_at: Option<String> = col(row, "decided_at")?;
    let reunified: Option<String> = col(row, "reunified_on")?;
    RawPair {
        id: uuid_col(row, "id")?,
        tracing_request_id: uuid_col(row, "tracing_request_id")?,
        case_id: uuid_col(row, "case_id")?,
        status: col(row, "status")?,
        probability: col(row, "probability")?,
        explanation: col(row, "explanation")?,
        version: col(row, "version")?,
        created_at: at_col(row, "created_at")?,
        updated_at: at_col(row, "updated_at")?,
        decided_by: decided_by
            .map(|d| rows::parse_uuid(&d, "decided_by"))
            .transpose()?,
        decided_at: decided_at
            .map(|d| rows::parse_at(&d, "decided_at"))
            .transpose()?,
        reunified_on: reunified
            .map(|d| {
                haven_domain::dates::parse_date(&d)
                    .map_err(|e| StoreError::Corrupt(format!("reunified_on: {e}")))
            })
            .transpose()?,
        body: col(row, "body")?,
    }
    .into_pair(sealer)
}

fn job_from_row(row: &SqliteRow) -> StoreResult<Job> {
    Ok(Job {
        seq: col(row, "seq")?,
        record: JobRecord::parse(
            &col::<_, String>(row, "record_type")?,
            uuid_col(row, "record_id")?,
        )?,
    })
}

/// Queues a matching job inside the caller's transaction.
pub(super) async fn enqueue_job(
    conn: &mut SqliteConnection,
    record: JobRecord,
    at: OffsetDateTime,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO match_jobs (record_type, record_id, queued_at) VALUES (?, ?, ?)")
        .bind(record.kind())
        .bind(record.id().to_string())
        .bind(ts(at))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn pair_history(
    conn: &mut SqliteConnection,
    id: uuid::Uuid,
    version: i64,
    actor: &Actor,
    action: &str,
    changes: &[FieldChange],
    at: OffsetDateTime,
) -> StoreResult<()> {
    let changes =
        serde_json::to_string(changes).map_err(|e| StoreError::Corrupt(format!("history: {e}")))?;
    sqlx::query(
        "INSERT INTO record_history (record_type, record_id, version, at, actor_id, action, changes)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(POTENTIAL_MATCH)
    .bind(id.to_string())
    .bind(version)
    .bind(ts(at))
    .bind(actor.user_id.to_string())
    .bind(action)
    .bind(changes)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[async_trait]
impl MatchDb for SqliteStore {
    async fn everything(&self) -> StoreResult<(Vec<CaseRecord>, Vec<TracingRequestRecord>, i64)> {
        let mut conn = self.readers.get().await;
        // The last job first: a record written meanwhile is read as it is now and its job,
        // after `last`, is applied again (harmless).
        let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM match_jobs")
            .fetch_one(&mut *conn)
            .await?;
        let cases = sqlx::query("SELECT * FROM cases")
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| case_from_row(r, &self.sealer))
            .collect::<StoreResult<Vec<_>>>()?;
        let requests = sqlx::query("SELECT * FROM tracing_requests")
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| tracing_request_from_row(r, &self.sealer))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((cases, requests, last))
    }

    async fn jobs_after(&self, seq: i64, limit: i64) -> StoreResult<Vec<Job>> {
        sqlx::query("SELECT * FROM match_jobs WHERE seq > ? ORDER BY seq LIMIT ?")
            .bind(seq)
            .bind(limit)
            .fetch_all(&mut *self.readers.get().await)
            .await?
            .iter()
            .map(job_from_row)
            .collect()
    }

    async fn pending_jobs(&self, limit: i64) -> StoreResult<Vec<Job>> {
        sqlx::query("SELECT * FROM match_jobs WHERE done_at IS NULL ORDER BY seq LIMIT ?")
            .bind(limit)
            .fetch_all(&mut *self.readers.get().await)
            .await?
            .iter()
            .map(job_from_row)
            .collect()
    }

    async fn cases_by_id(&self, ids: &[CaseId]) -> StoreResult<Vec<CaseRecord>> {
        sqlx::query("SELECT * FROM cases WHERE id IN (SELECT value FROM json_each(?))")
            .bind(ids_json(ids))
            .fetch_all(&mut *self.readers.get().await)
            .await?
            .iter()
            .map(|r| case_from_row(r, &self.sealer))
            .collect()
    }

    async fn requests_by_id(
        &self,
        ids: &[TracingRequestId],
    ) -> StoreResult<Vec<TracingRequestRecord>> {
        sqlx::query("SELECT * FROM tracing_requests WHERE id IN (SELECT value FROM json_each(?))")
            .bind(ids_json(ids))
            .fetch_all(&mut *self.readers.get().await)
            .await?
            .iter()
            .map(|r| tracing_request_from_row(r, &self.sealer))
            .collect()
    }

    async fn consents_of(
        &self,
        cases: &[CaseId],
    ) -> StoreResult<HashMap<CaseId, Vec<ConsentRecord>>> {
        let mut out: HashMap<CaseId, Vec<ConsentRecord>> = HashMap::new();
        let found =
            sqlx::query("SELECT * FROM consents WHERE case_id IN (SELECT value FROM json_each(?))")
                .bind(ids_json(cases))
                .fetch_all(&mut *self.readers.get().await)
                .await?;
        for row in &found {
            let c = consent_from_row(row, &self.sealer)?;
            out.entry(c.case_id).or_default().push(c.record);
        }
        Ok(out)
    }

    async fn pairs_of(&self, records: &[JobRecord]) -> StoreResult<Vec<StoredPair>> {
        let ids =
            |kind: &str| ids_json(records.iter().filter(|r| r.kind() == kind).map(|r| r.id()));
        sqlx::query(
            "SELECT id, tracing_request_id, case_id, status, pattern, version FROM potential_matches
             WHERE case_id IN (SELECT value FROM json_each(?1))
                OR tracing_request_id IN (SELECT value FROM json_each(?2))",
        )
        .bind(ids(door::CASE))
        .bind(ids(door::TRACING_REQUEST))
        .fetch_all(&mut *self.readers.get().await)
        .await?
        .iter()
        .map(|row| {
            Ok(StoredPair {
                id: uuid_col(row, "id")?,
                request: TracingRequestId(uuid_col(row, "tracing_request_id")?),
                case: CaseId(uuid_col(row, "case_id")?),
                status: MatchStatus::parse(&col::<_, String>(row, "status")?)
                    .map_err(StoreError::Corrupt)?,
                pattern: col(row, "pattern")?,
                version: col(row, "version")?,
            })
        })
        .collect()
    }

    async fn write_pairs(
        &self,
        changes: &[PairChange],
        done: &[i64],
        event: AuditEvent,
    ) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        for change in changes {
            match change {
                PairChange::Propose {
                    id,
                    request,
                    case,
                    scored,
                } => {
                    sqlx::query(
                        "INSERT INTO potential_matches (id, tracing_request_id, case_id, status,
                             probability, explanation, pattern, version, created_at, updated_at)
                         VALUES (?, ?, ?, 'proposed', ?, ?, ?, 1, ?, ?)
                         ON CONFLICT (tracing_request_id, case_id) DO NOTHING",
                    )
                    .bind(id.to_string())
                    .bind(request.to_string())
                    .bind(case.to_string())
                    .bind(scored.probability)
                    .bind(matcher::explanation_json(&scored.explanation)?)
                    .bind(&scored.pattern)
                    .bind(ts(now))
                    .bind(ts(now))
                    .execute(&mut *tx)
                    .await?;
                }
                PairChange::Refresh { id, scored } => {
                    sqlx::query(
                        "UPDATE potential_matches SET probability = ?, explanation = ?, pattern = ?,
                             updated_at = ?
                         WHERE id = ? AND status = 'proposed'",
                    )
                    .bind(scored.probability)
                    .bind(matcher::explanation_json(&scored.explanation)?)
                    .bind(&scored.pattern)
                    .bind(ts(now))
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
                }
                PairChange::Repropose {
                    id,
                    version,
                    scored,
                } => {
                    sqlx::query(
                        "UPDATE potential_matches SET status = 'proposed', version = version + 1,
                             probability = ?, explanation = ?, pattern = ?, updated_at = ?
                         WHERE id = ? AND version = ? AND status = 'rejected'",
                    )
                    .bind(scored.probability)
                    .bind(matcher::explanation_json(&scored.explanation)?)
                    .bind(&scored.pattern)
                    .bind(ts(now))
                    .bind(id.to_string())
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
                }
                PairChange::Withdraw { id } => {
                    sqlx::query(
                        "DELETE FROM potential_matches WHERE id = ? AND status = 'proposed'",
                    )
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        sqlx::query(
            "UPDATE match_jobs SET done_at = ? WHERE seq IN (SELECT value FROM json_each(?))",
        )
        .bind(ts(now))
        .bind(ids_json(done))
        .execute(&mut *tx)
        .await?;
        record_change(&mut tx, None, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl SqliteStore {
    /// The `id IN (…)` fragment of the cases a name search finds, when the filter has a name.
    pub(super) async fn named_cases(&self, name: Option<&str>) -> StoreResult<Option<Vec<CaseId>>> {
        let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
            return Ok(None);
        };
        self.sync_matches().await?;
        Ok(Some(self.matcher.search_names(name)?))
    }

    pub(super) async fn list_pairs(
        &self,
        actor: &Actor,
        filter: &MatchFilter,
    ) -> StoreResult<Vec<PotentialMatch>> {
        authorize(actor, Permission::MatchReview)?;
        self.sync_matches().await?;
        let sql = format!(
            "SELECT * FROM potential_matches
             WHERE (tracing_request_id IN (SELECT id FROM tracing_requests WHERE {})
                    OR case_id IN (SELECT id FROM cases WHERE {}))
               AND (?4 IS NULL OR status = ?4)
               AND (?5 IS NULL OR tracing_request_id = ?5)
               AND (?6 IS NULL OR case_id = ?6)
             ORDER BY probability DESC, seq
             LIMIT ?7",
            scope::clause(Params::Sqlite, Table::TracingRequests, actor.scope, 1),
            scope::clause(Params::Sqlite, Table::Cases, actor.scope, 1),
        );
        let found = super::bind_scope(sqlx::query(sqlx::AssertSqlSafe(sql)), actor, self.now())
            .bind(filter.status.map(MatchStatus::as_str))
            .bind(filter.tracing_request_id.map(|r| r.to_string()))
            .bind(filter.case_id.map(|c| c.to_string()))
            .bind(LIST_LIMIT)
            .fetch_all(&mut *self.readers.get().await)
            .await?
            .iter()
            .map(|row| pair_from_row(row, &self.sealer))
            .collect::<StoreResult<Vec<_>>>()?;
        let ids: Vec<String> = found.iter().map(|p| p.id.to_string()).collect();
        self.append_audit(door::read_event(
            actor,
            AuditAction::MatchList,
            POTENTIAL_MATCH,
            &ids,
        ))
        .await?;
        Ok(found)
    }

    pub(super) async fn view_pair(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
    ) -> StoreResult<Option<MatchView>> {
        authorize(actor, Permission::MatchReview)?;
        let now = self.now();
        let mut conn = self.readers.get().await;
        let Some(row) = sqlx::query("SELECT * FROM potential_matches WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?
        else {
            return Ok(None);
        };
        let pair = pair_from_row(&row, &self.sealer)?;
        let request = scoped_row(
            &mut conn,
            Table::TracingRequests,
            actor,
            pair.tracing_request_id.0,
            now,
        )
        .await?
        .map(|r| tracing_request_from_row(&r, &self.sealer))
        .transpose()?;
        let case = scoped_row(&mut conn, Table::Cases, actor, pair.case_id.0, now)
            .await?
            .map(|r| case_from_row(&r, &self.sealer))
            .transpose()?;
        drop(conn);
        if request.is_none() && case.is_none() {
            self.append_audit(door::refused_event(
                actor,
                AuditAction::MatchView,
                POTENTIAL_MATCH,
                id,
            ))
            .await?;
            return Ok(None);
        }
        self.append_audit(
            AuditEvent::new(Some(actor.user_id), AuditAction::MatchView)
                .target(POTENTIAL_MATCH, id)
                .details(json!({
                    "case": case.as_ref().map(|c| c.id.to_string()),
                    "tracing_request": request.as_ref().map(|r| r.id.to_string()),
                })),
        )
        .await?;
        Ok(Some(MatchView {
            pair,
            request,
            case,
        }))
    }

    pub(super) async fn decide_pair(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
        expected_version: i64,
        doc: &DecisionDoc,
    ) -> StoreResult<PotentialMatch> {
        authorize(actor, Permission::MatchReview)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let Some(row) = sqlx::query("SELECT * FROM potential_matches WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Err(StoreError::NotFound);
        };
        let current = pair_from_row(&row, &self.sealer)?;
        let sees_request = scoped_row(
            &mut tx,
            Table::TracingRequests,
            actor,
            current.tracing_request_id.0,
            now,
        )
        .await?
        .is_some();
        let sees_case = scoped_row(&mut tx, Table::Cases, actor, current.case_id.0, now)
            .await?
            .is_some();
        if !sees_request && !sees_case {
            tx.rollback().await?;
            self.append_audit(door::refused_event(
                actor,
                AuditAction::MatchDecide,
                POTENTIAL_MATCH,
                id,
            ))
            .await?;
            return Err(StoreError::NotFound);
        }
        if !(sees_request && sees_case) {
            return Err(StoreError::Denied(matcher::ONE_SIDE_ONLY.into()));
        }
        let consents = sqlx::query("SELECT * FROM consents WHERE case_id = ?")
            .bind(current.case_id.to_string())
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| consent_from_row(r, &self.sealer).map(|c| c.record))
            .collect::<StoreResult<Vec<_>>>()?;
        let decided = matcher::decide(
            actor,
            &current,
            expected_version,
            doc,
            &consents,
            &self.sealer,
            now,
        )?;
        let p = &decided.pair;
        sqlx::query(
            "UPDATE potential_matches SET status = ?, version = ?, updated_at = ?, decided_by = ?,
                 decided_at = ?, reunified_on = ?, body = ?
             WHERE id = ? AND version = ?",
        )
        .bind(p.status.as_str())
        .bind(p.version)
        .bind(ts(now))
        .bind(actor.user_id.to_string())
        .bind(ts(now))
        .bind(p.reunified_on.map(|d| d.to_string()))
        .bind(&decided.body)
        .bind(id.to_string())
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        pair_history(
            &mut tx,
            id,
            p.version,
            actor,
            "match.decide",
            &decided.history,
            now,
        )
        .await?;
        record_change(&mut tx, None, &decided.event, now).await?;
        tx.commit().await?;
        Ok(decided.pair)
    }

    pub(super) async fn duplicates(
        &self,
        actor: &Actor,
        doc: &CaseDoc,
    ) -> StoreResult<Vec<PossibleDuplicate>> {
        authorize(actor, Permission::CaseCreate)?;
        self.sync_matches().await?;
        let now = self.now();
        // Checked like a registration, so bad input is named as it would be on saving.
        let valid = haven_domain::case::validate(doc.clone(), now.date())?;
        let found = self
            .matcher
            .duplicates_of(&valid.doc, valid.registration_date)?;
        let ids: Vec<CaseId> = found
            .iter()
            .filter_map(|c| uuid::Uuid::parse_str(&c.id).ok().map(CaseId))
            .collect();
        let sql = format!(
            "SELECT * FROM cases WHERE {} AND id IN (SELECT value FROM json_each(?4))",
            scope::clause(Params::Sqlite, Table::Cases, actor.scope, 1)
        );
        let visible: HashMap<CaseId, CaseRecord> =
            super::bind_scope(sqlx::query(sqlx::AssertSqlSafe(sql)), actor, now)
                .bind(ids_json(&ids))
                .fetch_all(&mut *self.readers.get().await)
                .await?
                .iter()
                .map(|r| case_from_row(r, &self.sealer).map(|c| (c.id, c)))
                .collect::<StoreResult<_>>()?;
        let out = matcher::in_scope(found, visible);
        let shown: Vec<String> = out.iter().map(|d| d.case.id.to_string()).collect();
        self.append_audit(door::read_event(
            actor,
            AuditAction::CaseDuplicateCheck,
            door::CASE,
            &shown,
        ))
        .await?;
        Ok(out)
    }
}
