//! Family tracing on PostgreSQL: the matcher's queue and the potential matches.

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
use sqlx::postgres::{PgConnection, PgRow};
use time::OffsetDateTime;

use super::{
    PgStore, append_audit_in, case_from_row, consent_from_row, scoped_row, tracing_request_from_row,
};
use crate::Store;
use crate::door;
use crate::error::{StoreError, StoreResult};
use crate::matcher::{
    self, Job, JobRecord, MatchDb, POTENTIAL_MATCH, PairChange, RawPair, StoredPair,
};
use crate::rows::col;
use crate::scope::{self, Params, Table};
use crate::sealing::Sealer;
use crate::types::{
    CaseRecord, MatchFilter, MatchView, PossibleDuplicate, PotentialMatch, TracingRequestRecord,
};

/// Most pairs one list returns.
const LIST_LIMIT: i64 = 500;

fn pair_from_row(row: &PgRow, sealer: &Sealer) -> StoreResult<PotentialMatch> {
    RawPair {
        id: col(row, "id")?,
        tracing_request_id: col(row, "tracing_request_id")?,
        case_id: col(row, "case_id")?,
        status: col(row, "status")?,
        probability: col(row, "probability")?,
        explanation: col(row, "explanation")?,
        version: col(row, "version")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
        decided_by: col(row, "decided_by")?,
        decided_at: col(row, "decided_at")?,
        reunified_on: col(row, "reunified_on")?,
        body: col(row, "body")?,
    }
    .into_pair(sealer)
}

fn job_from_row(row: &PgRow) -> StoreResult<Job> {
    Ok(Job {
        seq: col(row, "seq")?,
        record: JobRecord::parse(
            &col::<_, String>(row, "record_type")?,
            col(row, "record_id")?,
        )?,
    })
}

async fn pair_history(
    conn: &mut PgConnection,
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
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(POTENTIAL_MATCH)
    .bind(id)
    .bind(version)
    .bind(at)
    .bind(actor.user_id.0)
    .bind(action)
    .bind(changes)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[async_trait]
impl MatchDb for PgStore {
    async fn everything(&self) -> StoreResult<(Vec<CaseRecord>, Vec<TracingRequestRecord>, i64)> {
        let mut conn = self.pool.acquire().await?;
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
        sqlx::query("SELECT * FROM match_jobs WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(job_from_row)
            .collect()
    }

    async fn pending_jobs(&self, limit: i64) -> StoreResult<Vec<Job>> {
        sqlx::query("SELECT * FROM match_jobs WHERE done_at IS NULL ORDER BY seq LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(job_from_row)
            .collect()
    }

    async fn cases_by_id(&self, ids: &[CaseId]) -> StoreResult<Vec<CaseRecord>> {
        sqlx::query("SELECT * FROM cases WHERE id = ANY($1)")
            .bind(ids.iter().map(|i| i.0).collect::<Vec<_>>())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| case_from_row(r, &self.sealer))
            .collect()
    }

    async fn requests_by_id(
        &self,
        ids: &[TracingRequestId],
    ) -> StoreResult<Vec<TracingRequestRecord>> {
        sqlx::query("SELECT * FROM tracing_requests WHERE id = ANY($1)")
            .bind(ids.iter().map(|i| i.0).collect::<Vec<_>>())
            .fetch_all(&self.pool)
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
        let found = sqlx::query("SELECT * FROM consents WHERE case_id = ANY($1)")
            .bind(cases.iter().map(|i| i.0).collect::<Vec<_>>())
            .fetch_all(&self.pool)
            .await?;
        for row in &found {
            let c = consent_from_row(row, &self.sealer)?;
            out.entry(c.case_id).or_default().push(c.record);
        }
        Ok(out)
    }

    async fn pairs_of(&self, records: &[JobRecord]) -> StoreResult<Vec<StoredPair>> {
        let ids = |kind: &str| {
            records
                .iter()
                .filter(|r| r.kind() == kind)
                .map(|r| r.id())
                .collect::<Vec<_>>()
        };
        sqlx::query(
            "SELECT id, tracing_request_id, case_id, status, pattern, version FROM potential_matches
             WHERE case_id = ANY($1) OR tracing_request_id = ANY($2)",
        )
        .bind(ids(door::CASE))
        .bind(ids(door::TRACING_REQUEST))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(StoredPair {
                id: col(row, "id")?,
                request: TracingRequestId(col(row, "tracing_request_id")?),
                case: CaseId(col(row, "case_id")?),
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
        let mut tx = self.pool.begin().await?;
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
                         VALUES ($1, $2, $3, 'proposed', $4, $5, $6, 1, $7, $7)
                         ON CONFLICT (tracing_request_id, case_id) DO NOTHING",
                    )
                    .bind(id)
                    .bind(request.0)
                    .bind(case.0)
                    .bind(scored.probability)
                    .bind(matcher::explanation_json(&scored.explanation)?)
                    .bind(&scored.pattern)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                PairChange::Refresh { id, scored } => {
                    sqlx::query(
                        "UPDATE potential_matches SET probability = $1, explanation = $2, pattern = $3,
                             updated_at = $4
                         WHERE id = $5 AND status = 'proposed'",
                    )
                    .bind(scored.probability)
                    .bind(matcher::explanation_json(&scored.explanation)?)
                    .bind(&scored.pattern)
                    .bind(now)
                    .bind(id)
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
                             probability = $1, explanation = $2, pattern = $3, updated_at = $4
                         WHERE id = $5 AND version = $6 AND status = 'rejected'",
                    )
                    .bind(scored.probability)
                    .bind(matcher::explanation_json(&scored.explanation)?)
                    .bind(&scored.pattern)
                    .bind(now)
                    .bind(id)
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
                }
                PairChange::Withdraw { id } => {
                    sqlx::query(
                        "DELETE FROM potential_matches WHERE id = $1 AND status = 'proposed'",
                    )
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        sqlx::query("UPDATE match_jobs SET done_at = $1 WHERE seq = ANY($2)")
            .bind(now)
            .bind(done)
            .execute(&mut *tx)
            .await?;
        append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl PgStore {
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
               AND ($4::text IS NULL OR status = $4)
               AND ($5::uuid IS NULL OR tracing_request_id = $5)
               AND ($6::uuid IS NULL OR case_id = $6)
             ORDER BY probability DESC, seq
             LIMIT $7",
            scope::clause(Params::Postgres, Table::TracingRequests, actor.scope, 1),
            scope::clause(Params::Postgres, Table::Cases, actor.scope, 1),
        );
        let found = super::bind_scope(sqlx::query(sqlx::AssertSqlSafe(sql)), actor, self.now())
            .bind(filter.status.map(MatchStatus::as_str))
            .bind(filter.tracing_request_id.map(|r| r.0))
            .bind(filter.case_id.map(|c| c.0))
            .bind(LIST_LIMIT)
            .fetch_all(&self.pool)
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
        let mut conn = self.pool.acquire().await?;
        let Some(row) = sqlx::query("SELECT * FROM potential_matches WHERE id = $1")
            .bind(id)
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
            false,
        )
        .await?
        .map(|r| tracing_request_from_row(&r, &self.sealer))
        .transpose()?;
        let case = scoped_row(&mut conn, Table::Cases, actor, pair.case_id.0, now, false)
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
        let mut tx = self.pool.begin().await?;
        let Some(row) = sqlx::query("SELECT * FROM potential_matches WHERE id = $1 FOR UPDATE")
            .bind(id)
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
            false,
        )
        .await?
        .is_some();
        let sees_case = scoped_row(&mut tx, Table::Cases, actor, current.case_id.0, now, false)
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
        let consents = sqlx::query("SELECT * FROM consents WHERE case_id = $1")
            .bind(current.case_id.0)
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
            "UPDATE potential_matches SET status = $1, version = $2, updated_at = $3, decided_by = $4,
                 decided_at = $3, reunified_on = $5, body = $6
             WHERE id = $7 AND version = $8",
        )
        .bind(p.status.as_str())
        .bind(p.version)
        .bind(now)
        .bind(actor.user_id.0)
        .bind(p.reunified_on)
        .bind(&decided.body)
        .bind(id)
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
        append_audit_in(&mut tx, &decided.event, now).await?;
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
            "SELECT * FROM cases WHERE {} AND id = ANY($4)",
            scope::clause(Params::Postgres, Table::Cases, actor.scope, 1)
        );
        let visible: HashMap<CaseId, CaseRecord> =
            super::bind_scope(sqlx::query(sqlx::AssertSqlSafe(sql)), actor, now)
                .bind(ids.iter().map(|i| i.0).collect::<Vec<_>>())
                .fetch_all(&self.pool)
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
