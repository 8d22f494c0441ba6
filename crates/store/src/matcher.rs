//! Family tracing inside the system: the in-memory indexes the matcher and name search work from,
//! built from decrypted records (never from plaintext in SQL), and the plan of what to write
//! when a record changes. The SQL lives in each backend; the steps are in [`sync`].
//!
//! Invariant: the indexes follow the `match_jobs` queue by `seq`, so every process (several app
//! servers may share one PostgreSQL) catches up on its own; writing proposals is idempotent
//! (one row per request–case pair), so two processes doing the same job agree.

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;

use async_trait::async_trait;
use haven_domain::access::Permission;
use haven_domain::audit::{AuditAction, AuditEvent};
use haven_domain::case::{CaseDoc, EstimatedAge};
use haven_domain::consent::{self, ConsentRecord, Need};
use haven_domain::dates::PartialDate;
use haven_domain::history::FieldChange;
use haven_domain::ids::UserId;
use haven_domain::ids::{CaseId, TracingRequestId};
use haven_domain::policy::authorize;
use haven_domain::potential_match::{self, DecisionDoc, MatchStatus, Rescore, rescore};
use haven_domain::tracing_request::{RequestStatus, TracingRequestDoc};
use haven_domain::user::Actor;
use haven_matching::{Candidate, FieldWeight, Index, Kind, Params, Record, Schema, Value, Ymd};
use serde_json::json;
use time::{Date, OffsetDateTime};

use crate::error::{StoreError, StoreResult};
use crate::sealing::Sealer;
use crate::types::{CaseRecord, PossibleDuplicate, PotentialMatch, TracingRequestRecord};

/// The parameters a new deployment matches with: trained without labels (EM) on a synthetic
/// caseload mapped exactly as [`case_record`] and [`request_record`] map real ones. Regenerate
/// with `cargo test -p haven-store --lib -- --ignored regenerate_default_params`.
const DEFAULT_PARAMS: &str = include_str!("matcher/params.json");

/// Pairs below this probability are not proposed.
pub const THRESHOLD: f64 = 0.5;
/// Candidates looked at for each record scored.
const TOP_K: usize = 10;
/// Most records a name search returns.
pub(crate) const SEARCH_LIMIT: usize = 200;
/// Jobs taken per round of [`sync`].
const BATCH: i64 = 500;

/// The fields the system matches on, in the order [`case_record`] fills them.
pub fn schema() -> Schema {
    Schema::new([
        ("given_name", Kind::GivenName),
        ("family_name", Kind::FamilyName),
        ("other_name", Kind::OtherName),
        ("father_name", Kind::ParentName),
        ("mother_name", Kind::ParentName),
        ("sex", Kind::Sex),
        ("date_of_birth", Kind::Date),
        ("age", Kind::Age),
        ("nationality", Kind::Nationality),
        ("place_code", Kind::PlaceCode),
    ])
}

pub fn default_params() -> StoreResult<Params> {
    let params = Params::from_json(DEFAULT_PARAMS)
        .map_err(|e| StoreError::Config(format!("the built-in matching parameters: {e}")))?;
    if params.schema != schema() {
        return Err(StoreError::Config(
            "the built-in matching parameters were trained on other fields".into(),
        ));
    }
    Ok(params)
}

fn text(v: Option<&str>) -> Value {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Value::Text(s.to_string()),
        None => Value::Missing,
    }
}

fn joined<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> Value {
    let words: Vec<&str> = parts
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    text(Some(&words.join(" ")))
}

fn ymd(d: Date) -> Ymd {
    Ymd {
        year: d.year(),
        month: Some(u8::from(d.month())),
        day: Some(d.day()),
    }
}

fn birth(raw: Option<&str>) -> Value {
    match raw.map(PartialDate::parse) {
        Some(Ok(PartialDate::Day(d))) => Value::Date(ymd(d)),
        Some(Ok(PartialDate::Month(y, m))) => Value::Date(Ymd {
            year: y,
            month: Some(u8::from(m)),
            day: None,
        }),
        Some(Ok(PartialDate::Year(y))) => Value::Date(Ymd {
            year: y,
            month: None,
            day: None,
        }),
        _ => Value::Missing,
    }
}

fn age(a: Option<&EstimatedAge>, default_on: Date) -> Value {
    let Some(a) = a else { return Value::Missing };
    let on = a
        .estimated_on
        .as_deref()
        .and_then(|d| haven_domain::dates::parse_date(d).ok())
        .unwrap_or(default_on);
    Value::Age {
        years: a.years as f32,
        on: ymd(on),
    }
}

/// A case's child as the matcher sees them. Parents come from the family list; the place is
/// where the child is (a second registration of the same child is usually near the first).
pub fn case_record(id: CaseId, doc: &CaseDoc, registered: Date) -> Record {
    let parent = |relation: &str| {
        doc.family
            .iter()
            .find(|m| m.relation == relation)
            .map_or(Value::Missing, |m| {
                joined([m.given_name.as_deref(), m.family_name.as_deref()])
            })
    };
    Record {
        id: id.to_string(),
        values: vec![
            text(doc.given_name.as_deref()),
            text(doc.family_name.as_deref()),
            joined(doc.other_names.iter().map(|s| Some(s.as_str()))),
            parent("father"),
            parent("mother"),
            text(doc.sex.as_deref()),
            birth(doc.date_of_birth.as_deref()),
            age(doc.estimated_age.as_ref(), registered),
            text(doc.nationality.as_deref()),
            text(doc.location.as_ref().and_then(|l| l.pcode.as_deref())),
        ],
    }
}

/// The child a tracing request seeks. A mother or father asking gives a parent's name; the
/// place of separation is not where the child is now, so no place is compared.
pub fn request_record(id: TracingRequestId, doc: &TracingRequestDoc, inquiry: Date) -> Record {
    let c = &doc.child;
    let i = &doc.inquirer;
    let inquirer = || joined([i.given_name.as_deref(), i.family_name.as_deref()]);
    let (father, mother) = match i.relation.as_str() {
        "father" => (inquirer(), Value::Missing),
        "mother" => (Value::Missing, inquirer()),
        _ => (Value::Missing, Value::Missing),
    };
    Record {
        id: id.to_string(),
        values: vec![
            text(c.given_name.as_deref()),
            text(c.family_name.as_deref()),
            joined(c.other_names.iter().map(|s| Some(s.as_str()))),
            father,
            mother,
            text(c.sex.as_deref()),
            birth(c.date_of_birth.as_deref()),
            age(c.estimated_age.as_ref(), inquiry),
            text(c.nationality.as_deref()),
            Value::Missing,
        ],
    }
}

fn inquiry_date(r: &TracingRequestRecord) -> Date {
    r.doc
        .date_of_inquiry
        .as_deref()
        .and_then(|d| haven_domain::dates::parse_date(d).ok())
        .unwrap_or_else(|| r.created_at.date())
}

fn registration_date(c: &CaseRecord) -> Date {
    c.doc
        .registration_date
        .as_deref()
        .and_then(|d| haven_domain::dates::parse_date(d).ok())
        .unwrap_or_else(|| c.created_at.date())
}

/// The agreement levels of an explanation: what "the evidence changed" is measured by. What
/// other records say of the pair is left out: a record added elsewhere does not change the
/// evidence of this one.
pub fn pattern(explanation: &[FieldWeight]) -> String {
    explanation
        .iter()
        .filter(|w| w.field != haven_matching::OTHER_RECORDS)
        .map(|w| format!("{}:{}", w.field, w.level))
        .collect::<Vec<_>>()
        .join(";")
}

/// Names → cases, by the consonant skeleton of every part of every name, so a search finds
/// a child whatever the script or spelling it is typed in.
#[derive(Default)]
struct NameIndex {
    postings: HashMap<String, Vec<CaseId>>,
    keys: HashMap<CaseId, Vec<String>>,
}

impl NameIndex {
    fn keys_of(doc: &CaseDoc) -> Vec<String> {
        let mut keys: Vec<String> = [doc.given_name.as_deref(), doc.family_name.as_deref()]
            .into_iter()
            .flatten()
            .chain(doc.other_names.iter().map(String::as_str))
            .flat_map(haven_matching::normalise::name_keys)
            .filter(|k| !k.is_empty())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    fn upsert(&mut self, id: CaseId, doc: &CaseDoc) {
        self.remove(id);
        let keys = Self::keys_of(doc);
        for k in &keys {
            self.postings.entry(k.clone()).or_default().push(id);
        }
        self.keys.insert(id, keys);
    }

    fn remove(&mut self, id: CaseId) {
        for k in self.keys.remove(&id).unwrap_or_default() {
            if let Some(list) = self.postings.get_mut(&k) {
                list.retain(|c| *c != id);
                if list.is_empty() {
                    self.postings.remove(&k);
                }
            }
        }
    }

    /// Cases sharing most name parts with the query first.
    fn search(&self, query: &str) -> Vec<CaseId> {
        let mut wanted = haven_matching::normalise::name_keys(query);
        wanted.retain(|k| !k.is_empty());
        wanted.sort();
        wanted.dedup();
        let mut hits: HashMap<CaseId, usize> = HashMap::new();
        for k in &wanted {
            for id in self.postings.get(k).into_iter().flatten() {
                *hits.entry(*id).or_default() += 1;
            }
        }
        let mut ranked: Vec<(CaseId, usize)> = hits.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.0.cmp(&b.0.0)));
        ranked.truncate(SEARCH_LIMIT);
        ranked.into_iter().map(|(id, _)| id).collect()
    }
}

struct State {
    cases: Index,
    requests: Index,
    names: NameIndex,
    /// The last job whose record the indexes hold.
    applied: i64,
}

/// The matcher of one process: its indexes, and a lock so one sync runs at a time.
pub struct Matcher {
    params: Params,
    state: RwLock<Option<State>>,
    syncing: tokio::sync::Mutex<()>,
}

/// A queued job: a record whose matches must be worked out again.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub seq: i64,
    pub record: JobRecord,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobRecord {
    Case(CaseId),
    Request(TracingRequestId),
}

impl JobRecord {
    pub fn parse(kind: &str, id: uuid::Uuid) -> StoreResult<Self> {
        match kind {
            crate::door::CASE => Ok(Self::Case(CaseId(id))),
            crate::door::TRACING_REQUEST => Ok(Self::Request(TracingRequestId(id))),
            other => Err(StoreError::Corrupt(format!(
                "match job for an unknown record type '{other}'"
            ))),
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Self::Case(_) => crate::door::CASE,
            Self::Request(_) => crate::door::TRACING_REQUEST,
        }
    }

    pub fn id(self) -> uuid::Uuid {
        match self {
            Self::Case(id) => id.0,
            Self::Request(id) => id.0,
        }
    }
}

/// A pair as stored, as far as re-scoring needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPair {
    pub id: uuid::Uuid,
    pub request: TracingRequestId,
    pub case: CaseId,
    pub status: MatchStatus,
    pub pattern: String,
    pub version: i64,
}

/// One change to the pairs table.
#[derive(Debug, Clone, PartialEq)]
pub enum PairChange {
    Propose {
        id: uuid::Uuid,
        request: TracingRequestId,
        case: CaseId,
        scored: Scored,
    },
    Refresh {
        id: uuid::Uuid,
        scored: Scored,
    },
    Repropose {
        id: uuid::Uuid,
        version: i64,
        scored: Scored,
    },
    Withdraw {
        id: uuid::Uuid,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub probability: f64,
    pub explanation: Vec<FieldWeight>,
    pub pattern: String,
}

impl From<&Candidate> for Scored {
    /// The record another line names is left out: it may be outside the reviewer's scope.
    fn from(c: &Candidate) -> Self {
        Self {
            probability: c.probability,
            pattern: pattern(&c.explanation),
            explanation: c
                .explanation
                .iter()
                .map(|w| FieldWeight {
                    record: None,
                    ..w.clone()
                })
                .collect(),
        }
    }
}

/// What [`sync`] needs from a backend. Reads see committed data; [`MatchDb::write_pairs`] is
/// one transaction.
#[async_trait]
pub trait MatchDb: Send + Sync {
    /// Every case and tracing request (decrypted), and the last job's `seq`.
    async fn everything(&self) -> StoreResult<(Vec<CaseRecord>, Vec<TracingRequestRecord>, i64)>;
    /// Jobs after `seq`, oldest first.
    async fn jobs_after(&self, seq: i64, limit: i64) -> StoreResult<Vec<Job>>;
    /// Jobs not done yet, oldest first.
    async fn pending_jobs(&self, limit: i64) -> StoreResult<Vec<Job>>;
    async fn cases_by_id(&self, ids: &[CaseId]) -> StoreResult<Vec<CaseRecord>>;
    async fn requests_by_id(
        &self,
        ids: &[TracingRequestId],
    ) -> StoreResult<Vec<TracingRequestRecord>>;
    /// The consents of each case named.
    async fn consents_of(
        &self,
        cases: &[CaseId],
    ) -> StoreResult<HashMap<CaseId, Vec<ConsentRecord>>>;
    /// The stored pairs involving any of these records.
    async fn pairs_of(&self, records: &[JobRecord]) -> StoreResult<Vec<StoredPair>>;
    /// Writes the changes, marks the jobs done and appends `event`, in one transaction.
    async fn write_pairs(
        &self,
        changes: &[PairChange],
        done: &[i64],
        event: AuditEvent,
    ) -> StoreResult<()>;
}

/// What one [`sync`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub jobs: usize,
    pub proposed: usize,
    pub withdrawn: usize,
}

impl Matcher {
    pub fn new(params: Params) -> Self {
        Self {
            params,
            state: RwLock::new(None),
            syncing: tokio::sync::Mutex::new(()),
        }
    }

    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> StoreResult<Option<T>> {
        let guard = self
            .state
            .read()
            .map_err(|_| StoreError::Corrupt("the matching index lock is poisoned".into()))?;
        Ok(guard.as_ref().map(f))
    }

    fn write<T>(&self, f: impl FnOnce(&mut Option<State>) -> StoreResult<T>) -> StoreResult<T> {
        let mut guard = self
            .state
            .write()
            .map_err(|_| StoreError::Corrupt("the matching index lock is poisoned".into()))?;
        f(&mut guard)
    }

    /// Case ids whose names share parts with `query`, best first (call [`sync`] before).
    pub fn search_names(&self, query: &str) -> StoreResult<Vec<CaseId>> {
        Ok(self.read(|s| s.names.search(query))?.unwrap_or_default())
    }

    /// The registered children most like `doc` (call [`sync`] before), most likely first.
    pub fn duplicates_of(&self, doc: &CaseDoc, registered: Date) -> StoreResult<Vec<Candidate>> {
        let probe = case_record(CaseId(uuid::Uuid::nil()), doc, registered);
        let found = self.read(|s| s.cases.top_k(&probe, TOP_K))?;
        Ok(found
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("matching: {e}")))?
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.probability >= THRESHOLD)
            .collect())
    }

    fn build(
        &self,
        cases: &[CaseRecord],
        requests: &[TracingRequestRecord],
        applied: i64,
    ) -> StoreResult<State> {
        let bad = |e: haven_matching::MatchError| StoreError::Corrupt(format!("matching: {e}"));
        let mut state = State {
            cases: Index::new(self.params.clone()).map_err(bad)?,
            requests: Index::new(self.params.clone()).map_err(bad)?,
            names: NameIndex::default(),
            applied,
        };
        let case_records: Vec<Record> = cases
            .iter()
            .map(|c| case_record(c.id, &c.doc, registration_date(c)))
            .collect();
        state.cases.extend(&case_records).map_err(bad)?;
        for c in cases {
            state.names.upsert(c.id, &c.doc);
        }
        let open: Vec<Record> = requests
            .iter()
            .filter(|r| r.status == RequestStatus::Open)
            .map(|r| request_record(r.id, &r.doc, inquiry_date(r)))
            .collect();
        state.requests.extend(&open).map_err(bad)?;
        Ok(state)
    }
}

fn apply_case(state: &mut State, c: &CaseRecord) -> StoreResult<()> {
    state
        .cases
        .upsert(&case_record(c.id, &c.doc, registration_date(c)))
        .map_err(|e| StoreError::Corrupt(format!("matching: {e}")))?;
    state.names.upsert(c.id, &c.doc);
    Ok(())
}

fn apply_request(state: &mut State, r: &TracingRequestRecord) -> StoreResult<()> {
    if r.status == RequestStatus::Open {
        state
            .requests
            .upsert(&request_record(r.id, &r.doc, inquiry_date(r)))
            .map_err(|e| StoreError::Corrupt(format!("matching: {e}")))?;
    } else {
        state.requests.remove(&r.id.to_string());
    }
    Ok(())
}

/// Brings the indexes up to date with the job queue, then works out the matches of every
/// record whose job is not done: proposes new pairs, refreshes or withdraws undecided ones, and
/// brings back rejected ones whose evidence changed. A case's pairs are proposed only while the
/// child has consent for tracing or a recorded vital-interest basis. `today` decides which
/// consents are in force.
pub async fn sync(db: &dyn MatchDb, m: &Matcher, today: Date) -> StoreResult<SyncReport> {
    let _one_at_a_time = m.syncing.lock().await;
    if m.read(|s| s.applied)?.is_none() {
        let (cases, requests, last) = db.everything().await?;
        let state = m.build(&cases, &requests, last)?;
        m.write(|s| {
            *s = Some(state);
            Ok(())
        })?;
    }
    // Follow the queue: every job's record, done or not, as it is now.
    loop {
        let applied = m.read(|s| s.applied)?.unwrap_or(0);
        let jobs = db.jobs_after(applied, BATCH).await?;
        let Some(last) = jobs.last().map(|j| j.seq) else {
            break;
        };
        let (cases, requests) = split(&jobs);
        let cases = db.cases_by_id(&cases).await?;
        let requests = db.requests_by_id(&requests).await?;
        m.write(|s| {
            let Some(state) = s.as_mut() else {
                return Ok(());
            };
            for c in &cases {
                apply_case(state, c)?;
            }
            for r in &requests {
                apply_request(state, r)?;
            }
            state.applied = last;
            Ok(())
        })?;
    }
    let mut report = SyncReport::default();
    loop {
        let jobs = db.pending_jobs(BATCH).await?;
        if jobs.is_empty() {
            break;
        }
        let changes = plan(db, m, &jobs, today).await?;
        let proposed = changes
            .iter()
            .filter(|c| matches!(c, PairChange::Propose { .. } | PairChange::Repropose { .. }))
            .count();
        let withdrawn = changes
            .iter()
            .filter(|c| matches!(c, PairChange::Withdraw { .. }))
            .count();
        let done: Vec<i64> = jobs.iter().map(|j| j.seq).collect();
        let event = AuditEvent::new(None, AuditAction::MatchPropose).details(json!({
            "jobs": done.len(),
            "proposed": proposed,
            "withdrawn": withdrawn,
        }));
        db.write_pairs(&changes, &done, event).await?;
        report.jobs += done.len();
        report.proposed += proposed;
        report.withdrawn += withdrawn;
    }
    Ok(report)
}

fn split(jobs: &[Job]) -> (Vec<CaseId>, Vec<TracingRequestId>) {
    let mut cases = Vec::new();
    let mut requests = Vec::new();
    let mut seen = HashSet::new();
    for j in jobs {
        if !seen.insert(j.record) {
            continue;
        }
        match j.record {
            JobRecord::Case(id) => cases.push(id),
            JobRecord::Request(id) => requests.push(id),
        }
    }
    (cases, requests)
}

/// The pair changes the pending `jobs` call for.
async fn plan(
    db: &dyn MatchDb,
    m: &Matcher,
    jobs: &[Job],
    today: Date,
) -> StoreResult<Vec<PairChange>> {
    let (case_ids, request_ids) = split(jobs);
    let records: Vec<JobRecord> = case_ids
        .iter()
        .map(|c| JobRecord::Case(*c))
        .chain(request_ids.iter().map(|r| JobRecord::Request(*r)))
        .collect();
    let cases = db.cases_by_id(&case_ids).await?;
    let requests = db.requests_by_id(&request_ids).await?;
    let bad = |e: haven_matching::MatchError| StoreError::Corrupt(format!("matching: {e}"));

    // Candidate pairs (request, case) → score, from each side's index.
    let mut scored: HashMap<(TracingRequestId, CaseId), Scored> = HashMap::new();
    let found = m.read(|s| -> Result<(), haven_matching::MatchError> {
        for c in &cases {
            let probe = case_record(c.id, &c.doc, registration_date(c));
            for cand in s.requests.top_k(&probe, TOP_K)? {
                if let Some(r) = parse_id(&cand.id).map(TracingRequestId) {
                    scored.insert((r, c.id), Scored::from(&cand));
                }
            }
        }
        for r in requests.iter().filter(|r| r.status == RequestStatus::Open) {
            let probe = request_record(r.id, &r.doc, inquiry_date(r));
            for cand in s.cases.top_k(&probe, TOP_K)? {
                if let Some(c) = parse_id(&cand.id).map(CaseId) {
                    scored.insert((r.id, c), Scored::from(&cand));
                }
            }
        }
        Ok(())
    })?;
    found.transpose().map_err(bad)?;
    scored.retain(|_, s| s.probability >= THRESHOLD);

    let stored = db.pairs_of(&records).await?;
    // A request already reunified with a child is resolved: nothing new is proposed for it.
    let resolved: HashSet<TracingRequestId> = stored
        .iter()
        .filter(|p| p.status == MatchStatus::Reunified)
        .map(|p| p.request)
        .collect();
    let mut involved: Vec<CaseId> = scored.keys().map(|(_, c)| *c).collect();
    involved.extend(stored.iter().map(|p| p.case));
    involved.sort_by_key(|c| c.0);
    involved.dedup();
    let consents = db.consents_of(&involved).await?;
    let traceable = |c: &CaseId| {
        consents
            .get(c)
            .is_some_and(|list| consent::check(list, Need::Tracing, today).is_some())
    };
    // Pairs re-scored here: those either side of which was in a job.
    let in_jobs =
        |r: &TracingRequestId, c: &CaseId| request_ids.contains(r) || case_ids.contains(c);

    let mut changes = Vec::new();
    let mut seen = HashSet::new();
    for p in &stored {
        if !in_jobs(&p.request, &p.case) {
            continue;
        }
        seen.insert((p.request, p.case));
        let now = scored
            .get(&(p.request, p.case))
            .filter(|_| traceable(&p.case) && !resolved.contains(&p.request));
        match rescore(
            Some((p.status, &p.pattern)),
            now.map(|s| s.pattern.as_str()),
        ) {
            Rescore::Refresh => changes.extend(now.map(|s| PairChange::Refresh {
                id: p.id,
                scored: s.clone(),
            })),
            Rescore::Repropose => changes.extend(now.map(|s| PairChange::Repropose {
                id: p.id,
                version: p.version,
                scored: s.clone(),
            })),
            Rescore::Withdraw => changes.push(PairChange::Withdraw { id: p.id }),
            Rescore::Propose | Rescore::Keep => {}
        }
    }
    let mut fresh: Vec<(&(TracingRequestId, CaseId), &Scored)> = scored
        .iter()
        .filter(|(k, _)| !seen.contains(*k))
        .filter(|((r, c), _)| traceable(c) && !resolved.contains(r))
        .collect();
    fresh.sort_by_key(|((r, c), _)| (r.0, c.0));
    for ((request, case), s) in fresh {
        changes.push(PairChange::Propose {
            id: uuid::Uuid::now_v7(),
            request: *request,
            case: *case,
            scored: s.clone(),
        });
    }
    Ok(changes)
}

/// A pair row's columns, as both backends read them.
pub(crate) struct RawPair {
    pub id: uuid::Uuid,
    pub tracing_request_id: uuid::Uuid,
    pub case_id: uuid::Uuid,
    pub status: String,
    pub probability: f64,
    pub explanation: String,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub decided_by: Option<uuid::Uuid>,
    pub decided_at: Option<OffsetDateTime>,
    pub reunified_on: Option<Date>,
    pub body: Option<String>,
}

/// The associated data a reviewer's comment is sealed with: it opens only on its own pair.
pub(crate) fn comment_aad(id: uuid::Uuid) -> String {
    format!("potential_matches:{id}:comment")
}

impl RawPair {
    pub fn into_pair(self, sealer: &Sealer) -> StoreResult<PotentialMatch> {
        let status = MatchStatus::parse(&self.status)
            .map_err(|e| StoreError::Corrupt(format!("potential match status: {e}")))?;
        let explanation = serde_json::from_str(&self.explanation).map_err(|e| {
            StoreError::Corrupt(format!(
                "potential match explanation: {}",
                crate::error::shape(&e)
            ))
        })?;
        let comment = self
            .body
            .as_deref()
            .map(|b| sealer.open_text(b, &comment_aad(self.id)))
            .transpose()?;
        Ok(PotentialMatch {
            id: self.id,
            tracing_request_id: TracingRequestId(self.tracing_request_id),
            case_id: CaseId(self.case_id),
            status,
            probability: self.probability,
            explanation,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            decided_by: self.decided_by.map(UserId),
            decided_at: self.decided_at,
            reunified_on: self.reunified_on,
            comment,
        })
    }
}

pub(crate) fn explanation_json(e: &[FieldWeight]) -> StoreResult<String> {
    serde_json::to_string(e).map_err(|e| StoreError::Corrupt(format!("explanation: {e}")))
}

/// Why a reviewer who sees one side of a pair may not decide it.
pub const ONE_SIDE_ONLY: &str = "deciding a match needs both the case and the tracing request in your scope: ask the other agency, or open the record with a stated reason";

/// The candidates among `visible` (the cases the actor may see), most likely first.
pub(crate) fn in_scope(
    found: Vec<Candidate>,
    mut visible: HashMap<CaseId, CaseRecord>,
) -> Vec<PossibleDuplicate> {
    found
        .into_iter()
        .filter_map(|c| {
            let id = CaseId(parse_id(&c.id)?);
            let case = visible.remove(&id)?;
            Some(PossibleDuplicate {
                case,
                probability: c.probability,
                explanation: c.explanation,
            })
        })
        .collect()
}

/// The record type of a pair in the history and audit logs.
pub const POTENTIAL_MATCH: &str = "potential_match";

/// A decision, checked and ready to write.
pub(crate) struct Decided {
    pub pair: PotentialMatch,
    /// The comment as stored (sealed).
    pub body: Option<String>,
    pub history: Vec<FieldChange>,
    pub event: AuditEvent,
}

/// Everything a decision must pass once the reviewer has been found to see both sides: the
/// version, the fields, the state, and the child's consent for tracing.
pub(crate) fn decide(
    actor: &Actor,
    current: &PotentialMatch,
    expected_version: i64,
    doc: &DecisionDoc,
    consents: &[ConsentRecord],
    sealer: &Sealer,
    now: OffsetDateTime,
) -> StoreResult<Decided> {
    authorize(actor, Permission::MatchReview)?;
    if current.version != expected_version {
        return Err(StoreError::Conflict {
            current: current.version,
        });
    }
    let valid = potential_match::validate(doc, now.date())?;
    let Some(next) = current.status.after(valid.decision) else {
        return Err(StoreError::Refused {
            code: "decision_not_allowed".into(),
            reason: format!(
                "a {} match cannot be given the decision {}",
                current.status.as_str(),
                valid.decision.as_str()
            ),
            allowed: current
                .status
                .allowed()
                .iter()
                .map(|d| d.as_str().to_string())
                .collect(),
        });
    };
    if next != MatchStatus::Rejected {
        crate::door::require_consent(
            actor,
            current.case_id,
            consents,
            Need::Tracing,
            None,
            now.date(),
        )?;
    }
    let body = valid
        .comment
        .as_deref()
        .map(|c| sealer.seal_text(c, &comment_aad(current.id)))
        .transpose()?;
    let pair = PotentialMatch {
        status: next,
        version: current.version + 1,
        updated_at: now,
        decided_by: Some(actor.user_id),
        decided_at: Some(now),
        reunified_on: valid.reunified_on.or(current.reunified_on),
        comment: valid.comment.clone(),
        ..current.clone()
    };
    let history = vec![FieldChange {
        field: "status".into(),
        from: json!(current.status.as_str()),
        to: json!(next.as_str()),
    }];
    let event = AuditEvent::new(Some(actor.user_id), AuditAction::MatchDecide)
        .target(POTENTIAL_MATCH, current.id)
        .details(json!({
            "decision": valid.decision.as_str(),
            "case": current.case_id.to_string(),
            "tracing_request": current.tracing_request_id.to_string(),
        }));
    Ok(Decided {
        pair,
        body,
        history,
        event,
    })
}

/// The rows a name search found, in the search's order, as one page (a search has no next
/// page: it returns its best [`SEARCH_LIMIT`]).
pub(crate) fn ranked_page<R>(
    rows: &[R],
    ranked: &[CaseId],
    limit: i64,
    decode: impl Fn(&R) -> StoreResult<CaseRecord>,
) -> StoreResult<crate::types::Page<CaseRecord>> {
    let mut items = rows.iter().map(decode).collect::<StoreResult<Vec<_>>>()?;
    let rank: HashMap<CaseId, usize> = ranked.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    items.sort_by_key(|c| rank.get(&c.id).copied().unwrap_or(usize::MAX));
    items.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(crate::types::Page { items, next: None })
}

fn parse_id(raw: &str) -> Option<uuid::Uuid> {
    uuid::Uuid::parse_str(raw).ok()
}

#[cfg(test)]
mod tests {
    use haven_domain::case::{FamilyMember, Location};
    use haven_domain::tracing_request::{Inquirer, SoughtChild};
    use time::macros::date;

    use super::*;

    fn child(given: &str, family: &str) -> CaseDoc {
        CaseDoc {
            given_name: Some(given.into()),
            family_name: Some(family.into()),
            sex: Some("female".into()),
            date_of_birth: Some("2014-03-09".into()),
            nationality: Some("SY".into()),
            location: Some(Location {
                pcode: Some("LB0101".into()),
                name: None,
            }),
            family: vec![FamilyMember {
                relation: "mother".into(),
                given_name: Some("Fatima".into()),
                family_name: Some(family.into()),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn what_other_records_say_is_not_the_pairs_evidence() {
        let line = |field: &str, level: &str| FieldWeight {
            field: field.into(),
            level: level.into(),
            weight: 1.0,
            record: None,
        };
        let own = vec![
            line("given_name", "exact"),
            line("date_of_birth", "same day"),
        ];
        let mut with_rival = own.clone();
        with_rival.push(line(haven_matching::OTHER_RECORDS, "fits better"));
        assert_eq!(pattern(&own), pattern(&with_rival));
        let mut changed = own.clone();
        changed[1] = line("date_of_birth", "different");
        assert_ne!(pattern(&own), pattern(&changed));
    }

    #[test]
    fn the_built_in_parameters_load_and_fit_the_fields() {
        let p = default_params().unwrap();
        assert_eq!(p.schema, schema());
    }

    #[test]
    fn a_case_and_a_request_map_to_the_same_fields() {
        let c = case_record(
            CaseId(uuid::Uuid::nil()),
            &child("Amina", "Haddad"),
            date!(2026 - 01 - 01),
        );
        assert_eq!(c.values.len(), schema().fields.len());
        assert_eq!(c.values[4], Value::Text("Fatima Haddad".into()), "mother");
        assert_eq!(c.values[9], Value::Text("LB0101".into()));
        let r = TracingRequestDoc {
            inquirer: Inquirer {
                given_name: Some("Fatima".into()),
                relation: "mother".into(),
                ..Default::default()
            },
            child: SoughtChild {
                given_name: Some("Amina".into()),
                estimated_age: Some(EstimatedAge {
                    years: 12,
                    estimated_on: None,
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let q = request_record(
            TracingRequestId(uuid::Uuid::nil()),
            &r,
            date!(2026 - 05 - 01),
        );
        assert_eq!(q.values.len(), schema().fields.len());
        assert_eq!(
            q.values[4],
            Value::Text("Fatima".into()),
            "the inquirer is the mother"
        );
        assert_eq!(q.values[3], Value::Missing);
        assert_eq!(
            q.values[7],
            Value::Age {
                years: 12.0,
                on: ymd(date!(2026 - 05 - 01))
            },
            "an age without a date was estimated on the day of inquiry"
        );
    }

    #[test]
    fn name_search_finds_a_child_across_scripts_and_ranks_full_matches_first() {
        let mut names = NameIndex::default();
        let a = CaseId(uuid::Uuid::from_u128(1));
        let b = CaseId(uuid::Uuid::from_u128(2));
        names.upsert(a, &child("أمينة", "حداد"));
        names.upsert(b, &child("Omar", "Haddad"));
        assert_eq!(names.search("Amina Haddad"), vec![a, b]);
        assert_eq!(names.search("omar"), vec![b]);
        names.upsert(b, &child("Omar", "Khalil"));
        assert_eq!(names.search("Haddad"), vec![a], "the old name is gone");
        names.remove(a);
        assert!(names.search("Amina").is_empty());
    }

    /// Not a test: writes `matcher/params.json`, trained (EM, no labels) on a synthetic caseload
    /// mapped through `case_record` and `request_record`.
    #[test]
    #[ignore]
    fn regenerate_default_params() {
        let today = date!(2026 - 11 - 01);
        let load = haven_synth::caseload(20260401, 30_000, today);
        let cases: Vec<Record> = load
            .cases
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let reg = c
                    .doc
                    .registration_date
                    .as_deref()
                    .and_then(|d| haven_domain::dates::parse_date(d).ok())
                    .unwrap_or(today);
                case_record(CaseId(uuid::Uuid::from_u128(i as u128)), &c.doc, reg)
            })
            .collect();
        let requests: Vec<Record> = load
            .tracing_requests
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let on = r
                    .doc
                    .date_of_inquiry
                    .as_deref()
                    .and_then(|d| haven_domain::dates::parse_date(d).ok())
                    .unwrap_or(today);
                request_record(
                    TracingRequestId(uuid::Uuid::from_u128(1 << 64 | i as u128)),
                    &r.doc,
                    on,
                )
            })
            .collect();
        let silent = &haven_matching::Silent;
        let link = haven_matching::Linkage::link(&schema(), &cases, &requests, silent).unwrap();
        // u from EM's random pairs; m from the generator's truth, which EM on this small,
        // lopsided link (few requests, many cases) does not find on its own.
        let mut params = link.train(silent);
        let truth: std::collections::HashSet<(usize, usize)> = load
            .tracing_requests
            .iter()
            .enumerate()
            .filter_map(|(r, t)| t.sought_case.map(|c| (c, r)))
            .collect();
        let mut counts: HashMap<(String, String), f64> = HashMap::new();
        let mut seen = 0.0;
        for m in link.score(&params, 0.0, silent).unwrap() {
            if truth.contains(&(m.left, m.right)) {
                seen += 1.0;
                for w in m.explanation {
                    *counts.entry((w.field, w.level)).or_default() += 1.0;
                }
            }
        }
        for c in &mut params.comparisons {
            let count = |level: &str| {
                counts
                    .get(&(c.label.clone(), level.to_string()))
                    .copied()
                    .unwrap_or(0.0)
            };
            let known: f64 = c.levels.iter().map(|l| count(&l.label)).sum();
            let n = c.levels.len() as f64;
            let m: Vec<f64> = c
                .levels
                .iter()
                .map(|l| (count(&l.label) + 0.5) / (known + 0.5 * n))
                .collect();
            for (l, m) in c.levels.iter_mut().zip(m) {
                l.m = m;
            }
        }
        params.matches_per_record = truth.len() as f64 / requests.len() as f64;
        println!("{seen} of {} true pairs blocked", truth.len());
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/matcher/params.json");
        std::fs::write(path, params.to_json()).unwrap();
    }
}
