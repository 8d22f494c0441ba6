//! Reports and pledges, the part both backends share (decided before any SQL, like `door`):
//!
//! - `build_facts`: the cases of a scope, their referrals and their incidents, decrypted, turned
//!   into `haven_report::Facts`: plain codes, dates and counts, no name and no id. The backends
//!   only fetch the rows (through `scope::clause`); the mapping is here and unit-tested.
//! - `check_report` / `report_event`: who may read aggregates, and the ONE audit entry a report
//!   read makes. It records what was asked (area, indicators, period, dimensions, format), never
//!   which cases went into it: the log must not become a list of children per report.
//! - Pledges (the commitments tracker): `PledgeDoc`, its validation with the field named, and the
//!   history and audit entries of each write, for the backends to write in one transaction.

use std::collections::{HashMap, HashSet};

use haven_domain::Problems;
use haven_domain::access::{Permission, ScopeLevel};
use haven_domain::audit::{AuditAction, AuditEvent};
use haven_domain::case::{RiskLevel, SeparationStatus, Sex};
use haven_domain::casework::identity::BirthRegistrationStatus;
use haven_domain::casework::incident::{IncidentCategory, IncidentDoc};
use haven_domain::casework::placement;
use haven_domain::casework::referral::{Referral, ReferralStatus};
use haven_domain::casework::workflow::Stage;
use haven_domain::dates::{PartialDate, format_date, parse_date};
use haven_domain::ids::{AgencyId, CaseId, UserId};
use haven_domain::policy::authorize;
use haven_domain::user::Actor;
use haven_report::facts::{
    Born, CaseFacts, ChildFacts, Facts, IncidentFacts, PlacementFact, ServiceFact, TracingFact,
};
use haven_report::tracker::{Party, Pledge};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};

use crate::casework::CaseWork;
use crate::door;
use crate::error::{StoreError, StoreResult};
use crate::types::{CaseItem, HistoryEntry, ItemKind};

/// The record type of pledges in `record_history` and in audit entries.
pub const PLEDGE: &str = "pledge";

/// The closure reason that means the child went back to their family.
const REUNIFIED: &str = "reunified";

// --- Facts ---------------------------------------------------------------------------------------

/// What a report read is for, as its audit entry records it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportPurpose {
    /// A download or a file written (`report.export`, which needs that permission too), rather
    /// than figures seen on screen (`report.view`).
    pub export: bool,
    pub area: Option<u8>,
    pub indicators: Vec<String>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// Each table's dimensions, e.g. `sex,age`.
    pub tables: Vec<String>,
    /// csv | hxl | xlsx | json, or a screen (`None`).
    pub format: Option<String>,
}

/// Reading aggregates needs `report.read`, and `report.export` to take them away. The console
/// (`None`) has the machine's keys and may do both.
pub fn check_report(by: Option<&Actor>, purpose: &ReportPurpose) -> StoreResult<()> {
    if let Some(actor) = by {
        authorize(actor, Permission::ReportRead)?;
        if purpose.export {
            authorize(actor, Permission::ReportExport)?;
        }
    }
    Ok(())
}

/// The one audit entry of a report read: what was asked and how many cases and incidents the
/// actor's scope held. No case id: the officer saw aggregates, not records.
pub fn report_event(
    by: Option<&Actor>,
    purpose: &ReportPurpose,
    cases: usize,
    incidents: usize,
) -> AuditEvent {
    let action = if purpose.export {
        AuditAction::ReportExport
    } else {
        AuditAction::ReportView
    };
    AuditEvent::new(by.map(|a| a.user_id), action).details(json!({
        "area": purpose.area,
        "indicators": purpose.indicators,
        "from": purpose.from.map(format_date),
        "to": purpose.to.map(format_date),
        "tables": purpose.tables,
        "format": purpose.format,
        "scope": by.map_or("console", |a| scope_name(a.scope)),
        "cases": cases,
        "incidents": incidents,
    }))
}

fn scope_name(s: ScopeLevel) -> &'static str {
    match s {
        ScopeLevel::Own => "own",
        ScopeLevel::Group => "group",
        ScopeLevel::Agency => "agency",
        ScopeLevel::All => "all",
    }
}

/// The reach a report read is filtered with: the actor's scope, or everything for the console
/// (the ids are then placeholders the `All` clause only checks for presence).
pub(crate) fn reach(by: Option<&Actor>) -> (ScopeLevel, AgencyId, UserId) {
    match by {
        Some(a) => (a.scope, a.agency_id, a.user_id),
        None => (
            ScopeLevel::All,
            AgencyId(uuid::Uuid::nil()),
            UserId(uuid::Uuid::nil()),
        ),
    }
}

/// A tracing request tied to a child of the caseload by a confirmed (or reunified) match: the
/// only way the store knows which child a relative was looking for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Traced {
    pub case: CaseId,
    /// The request's date of inquiry.
    pub opened: Date,
    pub reunified_on: Option<Date>,
}

/// The facts of the cases in scope (`cases`), with their referrals and the incidents linked to
/// them (`items`, `links` = (incident, case) pairs) and the tracing requests matched to them
/// (`traced`). An incident counts only the children in scope: a child of another agency is not
/// ours to describe, even as a number.
pub fn build_facts(
    cases: &[CaseWork],
    items: &[CaseItem],
    links: &[(uuid::Uuid, CaseId)],
    traced: &[Traced],
) -> StoreResult<Facts> {
    let mut tracing: HashMap<CaseId, Vec<&Traced>> = HashMap::new();
    for t in traced {
        tracing.entry(t.case).or_default().push(t);
    }
    let mut facts = Facts::new();
    let mut referrals: HashMap<CaseId, Vec<Referral>> = HashMap::new();
    for item in items.iter().filter(|i| i.kind == ItemKind::Referral) {
        let r: Referral = serde_json::from_value(item.body.clone())
            .map_err(|e| StoreError::Corrupt(format!("referral {}: {e}", item.id)))?;
        referrals.entry(item.case_id).or_default().push(r);
    }
    let mut children: HashMap<CaseId, ChildFacts> = HashMap::new();
    facts.cases.reserve(cases.len());
    for work in cases {
        let c = case_facts(
            &mut facts,
            work,
            referrals
                .get(&work.case.id)
                .map(Vec::as_slice)
                .unwrap_or_default(),
        );
        let mut c = c;
        // A reunification is recorded on the match, or as the reason the case was closed.
        for t in tracing.get(&work.case.id).into_iter().flatten() {
            c.tracing.push(TracingFact {
                opened: t.opened,
                closed: t.reunified_on,
            });
            if let Some(r) = t.reunified_on {
                c.reunified_on = Some(c.reunified_on.map_or(r, |o| o.min(r)));
            }
        }
        children.insert(
            work.case.id,
            ChildFacts {
                sex: c.sex,
                born: c.born,
                separation: c.separation,
                nationality: c.nationality,
            },
        );
        facts.cases.push(c);
    }
    let mut linked: HashMap<uuid::Uuid, Vec<CaseId>> = HashMap::new();
    for (item, case) in links {
        linked.entry(*item).or_default().push(*case);
    }
    let mut seen = HashSet::new();
    for item in items.iter().filter(|i| i.kind == ItemKind::Incident) {
        if !seen.insert(item.id) {
            continue;
        }
        let doc: IncidentDoc = serde_json::from_value(item.body.clone())
            .map_err(|e| StoreError::Corrupt(format!("incident {}: {e}", item.id)))?;
        let mut ids = linked.remove(&item.id).unwrap_or_default();
        if ids.is_empty() {
            ids.push(item.case_id);
        }
        ids.sort_by_key(|c| c.0);
        ids.dedup();
        let kids: Vec<ChildFacts> = ids
            .iter()
            .filter_map(|c| children.get(c))
            .copied()
            .collect();
        if let Some(i) = incident_facts(&mut facts, &doc, kids) {
            facts.incidents.push(i);
        }
    }
    Ok(facts)
}

/// Removes from a stored case body (before it is opened) what no report reads: the child's
/// and the family's names and contacts, specific needs, certificate and document numbers, the
/// legal status. Reports then never decrypt a name.
pub fn strip_unreported(body: &mut Value) {
    if let Value::Object(doc) = body {
        for key in [
            "given_name",
            "family_name",
            "other_names",
            "family",
            "specific_needs",
        ] {
            doc.remove(key);
        }
        if let Some(Value::Object(li)) = doc.get_mut("legal_identity") {
            li.remove("legal_status");
            if let Some(Value::Object(b)) = li.get_mut("birth_registration") {
                b.remove("certificate_number");
            }
            if let Some(Value::Array(docs)) = li.get_mut("documents") {
                for d in docs.iter_mut().filter_map(Value::as_object_mut) {
                    d.remove("number");
                }
            }
        }
    }
}

/// One case as the engine sees it. Times are taken to the day: the assessment records only the
/// day it was completed, so registration counts from midnight of its day too (a high-risk case
/// registered and assessed the same or the next day is within a 24-hour response time).
pub fn case_facts(facts: &mut Facts, work: &CaseWork, referrals: &[Referral]) -> CaseFacts {
    let doc = &work.case.doc;
    let registration_date = doc
        .registration_date
        .as_deref()
        .and_then(|d| parse_date(d).ok())
        .unwrap_or_else(|| work.case.created_at.date());
    let mut c = CaseFacts::new(registration_date);
    c.sex = doc.sex.as_deref().and_then(|s| Sex::parse(s).ok());
    c.born = born(doc, registration_date);
    c.separation = doc
        .separation_status
        .as_deref()
        .and_then(|s| SeparationStatus::parse(s).ok());
    c.nationality = code(facts, doc.nationality.as_deref());
    c.pcode = code(
        facts,
        doc.location.as_ref().and_then(|l| l.pcode.as_deref()),
    );
    c.risk = doc
        .risk_level
        .as_deref()
        .and_then(|r| RiskLevel::parse(r).ok());
    let wf = &work.workflow;
    c.assessed_at = wf
        .assessment
        .as_ref()
        .and_then(|a| a.completed_on)
        .map(|d| d.midnight().assume_utc());
    if wf.stage == Stage::Closed
        && let Some(closure) = &wf.closure
        && let Some(at) = closure.closed_at
    {
        c.closed_on = Some(at.date());
        if closure.reason == REUNIFIED {
            c.reunified_on = Some(at.date());
        }
    }
    c.placements = placement::from_case(&doc.placements)
        .iter()
        .map(|p| PlacementFact {
            kind: p.kind,
            start: p.start_date,
            end: p.end_date,
        })
        .collect();
    for s in &doc.services {
        // A service only "needed" was never requested; it is not a referral yet.
        let status = match s.status.as_str() {
            "referred" => ReferralStatus::Requested,
            "in_progress" => ReferralStatus::Accepted,
            "completed" => ReferralStatus::Completed,
            "declined" => ReferralStatus::Declined,
            _ => continue,
        };
        let Some(on) = s.referred_on.as_deref().and_then(|d| parse_date(d).ok()) else {
            continue;
        };
        let service = facts.intern(s.kind.trim());
        c.services.push(ServiceFact {
            service,
            status,
            requested_on: on,
        });
    }
    let mut latest_education: Option<(OffsetDateTime, _)> = None;
    for r in referrals {
        let service = facts.intern(r.service.trim());
        c.services.push(ServiceFact {
            service,
            status: r.status,
            requested_on: r.requested_at.date(),
        });
        if let Some(e) = &r.education {
            let at = r.answered_at.unwrap_or(r.requested_at);
            if latest_education.is_none_or(|(t, _)| at >= t) {
                latest_education = Some((at, e.enrolment_status));
            }
        }
    }
    c.enrolment = latest_education.map(|(_, s)| s);
    if let Some(li) = &doc.legal_identity {
        c.birth_registration = li
            .birth_registration
            .as_ref()
            .and_then(|b| BirthRegistrationStatus::parse(&b.status).ok());
        c.has_identity_documents = !li.documents.is_empty();
    }
    if let Some(route) = &doc.route {
        c.reasons_for_leaving = route
            .drivers
            .iter()
            .map(|d| facts.intern(d.trim()))
            .collect();
        c.origin_pcode = code(
            facts,
            route
                .places
                .iter()
                .find(|p| p.kind == "origin")
                .and_then(|p| p.place.pcode.as_deref()),
        );
    }
    c
}

fn born(doc: &haven_domain::case::CaseDoc, registered: Date) -> Option<Born> {
    if let Some(d) = doc
        .date_of_birth
        .as_deref()
        .and_then(|d| PartialDate::parse(d).ok())
    {
        return Some(Born::from_partial(d));
    }
    doc.estimated_age.as_ref().map(|e| {
        let on = e
            .estimated_on
            .as_deref()
            .and_then(|d| parse_date(d).ok())
            .unwrap_or(registered);
        Born::from_estimated_age(e.years, on)
    })
}

fn code(facts: &mut Facts, raw: Option<&str>) -> Option<haven_report::facts::Sym> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| facts.intern(s))
}

/// One incident as the engine sees it; `None` when its date cannot be read.
pub fn incident_facts(
    facts: &mut Facts,
    doc: &IncidentDoc,
    children: Vec<ChildFacts>,
) -> Option<IncidentFacts> {
    let category = IncidentCategory::parse(&doc.category).ok()?;
    let date = PartialDate::parse(&doc.date).ok()?.earliest();
    Some(IncidentFacts {
        category,
        types: doc.types.iter().map(|t| facts.intern(t.trim())).collect(),
        bias_motivations: doc
            .bias_motivations
            .iter()
            .map(|b| facts.intern(b.trim()))
            .collect(),
        setting: code(facts, doc.setting.as_deref()),
        date,
        pcode: code(facts, doc.place.as_ref().and_then(|p| p.pcode.as_deref())),
        children,
    })
}

// --- Pledges -------------------------------------------------------------------------------------

pub const MAX_PLEDGE_NAME_CHARS: usize = 200;
pub const MAX_PLEDGE_NOTES_CHARS: usize = 4000;

/// A government's or partner's commitment, as the API takes and gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PledgeDoc {
    /// government | partner
    pub party: String,
    /// Who pledged: a ministry, an agency.
    pub name: String,
    /// The commitment area, 1 to 6.
    pub area: u8,
    /// An indicator code of the catalogue, in that area.
    pub indicator: String,
    pub baseline: f64,
    pub target: f64,
    /// YYYY-MM-DD: when the baseline was measured.
    pub baseline_date: String,
    /// YYYY-MM-DD: when the target is due.
    pub due_date: String,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A stored pledge. Pledges are deployment-wide: anyone who reads reports sees them all (they
/// are public commitments, not records about children).
#[derive(Debug, Clone, PartialEq)]
pub struct PledgeRecord {
    pub id: uuid::Uuid,
    pub version: i64,
    pub agency_id: AgencyId,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub doc: PledgeDoc,
}

impl PledgeRecord {
    /// The tracker's pledge (the stored document was validated when written).
    pub fn pledge(&self) -> StoreResult<Pledge> {
        validate_pledge(&self.doc)
            .map(|(_, p)| p)
            .map_err(|_| StoreError::Corrupt(format!("pledge {} does not validate", self.id)))
    }
}

/// Checks a pledge, naming each field at fault; returns it normalised with the tracker's form.
pub fn validate_pledge(doc: &PledgeDoc) -> Result<(PledgeDoc, Pledge), Problems> {
    let mut p = Problems::new();
    let party = Party::parse(&doc.party)
        .map_err(|e| p.push("party", e.to_string()))
        .ok();
    let name = doc.name.trim();
    if name.is_empty() {
        p.push("name", "is required: who made the pledge");
    } else if name.chars().count() > MAX_PLEDGE_NAME_CHARS {
        p.push(
            "name",
            format!("is longer than {MAX_PLEDGE_NAME_CHARS} characters"),
        );
    }
    let area = haven_report::Area::parse(&doc.area.to_string())
        .map_err(|e| p.push("area", e.to_string()))
        .ok();
    let ind = haven_report::indicator(&doc.indicator)
        .map_err(|e| p.push("indicator", e.to_string()))
        .ok();
    if let (Some(a), Some(i)) = (area, ind)
        && i.area != a
    {
        p.push(
            "indicator",
            format!(
                "'{}' belongs to area {}, not {}",
                i.code,
                i.area.number(),
                a.number()
            ),
        );
    }
    for (field, v) in [("baseline", doc.baseline), ("target", doc.target)] {
        if !v.is_finite() {
            p.push(field, "must be a number");
        }
    }
    let baseline_date = parse_date(&doc.baseline_date)
        .map_err(|e| p.push("baseline_date", e))
        .ok();
    let due_date = parse_date(&doc.due_date)
        .map_err(|e| p.push("due_date", e))
        .ok();
    if let (Some(b), Some(d)) = (baseline_date, due_date)
        && d < b
    {
        p.push("due_date", "is before the baseline date");
    }
    let notes = doc
        .notes
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if notes.is_some_and(|n| n.chars().count() > MAX_PLEDGE_NOTES_CHARS) {
        p.push(
            "notes",
            format!("is longer than {MAX_PLEDGE_NOTES_CHARS} characters"),
        );
    }
    let (Some(party), Some(area), Some(ind), Some(b), Some(d), true) =
        (party, area, ind, baseline_date, due_date, p.is_empty())
    else {
        return Err(p);
    };
    let pledge = Pledge::new(
        party,
        name,
        area,
        ind.code,
        doc.baseline,
        doc.target,
        b,
        d,
        notes.unwrap_or(""),
    )
    .map_err(|e| Problems::single("indicator", e.to_string()))?;
    let normal = PledgeDoc {
        party: doc.party.trim().to_string(),
        name: name.to_string(),
        area: doc.area,
        indicator: ind.code.to_string(),
        baseline: doc.baseline,
        target: doc.target,
        baseline_date: format_date(b),
        due_date: format_date(d),
        notes: notes.map(str::to_string),
    };
    Ok((normal, pledge))
}

/// One write of a pledge: the new version, its history entry and its audit entry.
#[derive(Debug, Clone)]
pub struct PledgeWrite {
    pub record: PledgeRecord,
    pub history: HistoryEntry,
    pub audit: AuditEvent,
}

impl PledgeWrite {
    /// The history entry's changes as stored: plain JSON (a pledge holds nothing classified).
    pub fn changes_json(&self) -> StoreResult<String> {
        serde_json::to_string(&self.history.changes)
            .map_err(|e| StoreError::Corrupt(format!("pledge history: {e}")))
    }
}

pub fn prepare_pledge_create(
    actor: &Actor,
    doc: PledgeDoc,
    now: OffsetDateTime,
) -> StoreResult<PledgeWrite> {
    authorize(actor, Permission::PledgeManage)?;
    let (doc, _) = validate_pledge(&doc)?;
    let id = door::time_ordered_id(now);
    let (history, audit) = door::change(
        actor,
        AuditAction::PledgeCreate,
        PLEDGE,
        id,
        1,
        now,
        None,
        &doc,
    );
    Ok(PledgeWrite {
        record: PledgeRecord {
            id,
            version: 1,
            agency_id: actor.agency_id,
            created_by: actor.user_id,
            created_at: now,
            updated_at: now,
            doc,
        },
        history,
        audit,
    })
}

/// A merge patch of a pledge at `expected_version`; `None` when it changes nothing.
pub fn prepare_pledge_update(
    actor: &Actor,
    current: &PledgeRecord,
    expected_version: i64,
    patch: &Value,
    now: OffsetDateTime,
) -> StoreResult<Option<PledgeWrite>> {
    let merged: PledgeDoc = door::merged(
        actor,
        Permission::PledgeManage,
        current.version,
        expected_version,
        &current.doc,
        patch,
    )?;
    let (doc, _) = validate_pledge(&merged)?;
    if doc == current.doc {
        return Ok(None);
    }
    let version = current.version + 1;
    let (history, audit) = door::change(
        actor,
        AuditAction::PledgeUpdate,
        PLEDGE,
        current.id,
        version,
        now,
        Some(&current.doc),
        &doc,
    );
    Ok(Some(PledgeWrite {
        record: PledgeRecord {
            version,
            updated_at: now,
            doc,
            ..current.clone()
        },
        history,
        audit,
    }))
}

/// Reading pledges needs `report.read`.
pub fn check_pledge_read(actor: &Actor) -> StoreResult<()> {
    Ok(authorize(actor, Permission::ReportRead)?)
}

pub fn pledge_body(doc: &PledgeDoc) -> StoreResult<String> {
    serde_json::to_string(doc).map_err(|e| StoreError::Corrupt(format!("pledge: {e}")))
}

pub fn pledge_doc(raw: &str, id: uuid::Uuid) -> StoreResult<PledgeDoc> {
    serde_json::from_str(raw)
        .map_err(|_| StoreError::Corrupt(format!("pledge {id} does not decode")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::types::CaseRecord;
    use haven_domain::case::{CaseStatus, doc_from_json};
    use haven_domain::casework::placement::Arrangement;
    use haven_domain::casework::workflow::Workflow;
    use time::macros::{date, datetime};

    fn work(body: Value, workflow: Option<Value>) -> CaseWork {
        let at = datetime!(2026-03-02 09:00 UTC);
        let case = CaseRecord {
            id: CaseId(uuid::Uuid::new_v4()),
            version: 1,
            agency_id: AgencyId(uuid::Uuid::nil()),
            status: CaseStatus::Open,
            created_by: UserId(uuid::Uuid::nil()),
            created_at: at,
            updated_at: at,
            doc: doc_from_json(body).unwrap(),
        };
        let workflow: Workflow = match workflow {
            Some(w) => serde_json::from_value(w).unwrap(),
            None => Workflow::new(at),
        };
        CaseWork { case, workflow }
    }

    #[test]
    fn a_case_document_becomes_codes_and_dates_without_names() {
        let w = work(
            json!({
                "given_name": "Zqxamal", "family_name": "Qwertyan",
                "sex": "female", "date_of_birth": "2014",
                "separation_status": "unaccompanied", "nationality": "SY",
                "risk_level": "high", "location": {"pcode": "MX0901", "name": "Somewhere"},
                "registration_date": "2026-03-01",
                "placements": [
                    {"type": "immigration_detention", "start_date": "2026-03-01", "end_date": "2026-03-03"},
                    {"type": "foster", "start_date": "2026-03-03"}
                ],
                "services": [
                    {"type": "health", "status": "completed", "referred_on": "2026-03-05"},
                    {"type": "shelter", "status": "needed"}
                ],
                "legal_identity": {"birth_registration": {"status": "registered"},
                                   "documents": [{"type": "passport"}]},
                "route": {"drivers": ["conflict", "family_reasons"],
                          "places": [{"kind": "origin", "place": {"pcode": "SY01"}}]}
            }),
            None,
        );
        let mut facts = Facts::new();
        let c = case_facts(&mut facts, &w, &[]);
        assert_eq!(c.sex, Some(Sex::Female));
        assert_eq!(
            c.born.map(|b| (b.earliest, b.latest)),
            Some((date!(2014 - 01 - 01), date!(2014 - 12 - 31)))
        );
        assert_eq!(c.separation, Some(SeparationStatus::Unaccompanied));
        assert_eq!(c.risk, Some(RiskLevel::High));
        assert_eq!(c.registration_date, date!(2026 - 03 - 01));
        assert_eq!(c.nationality.map(|s| facts.name(s)), Some("SY"));
        assert_eq!(c.pcode.map(|s| facts.name(s)), Some("MX0901"));
        assert_eq!(c.origin_pcode.map(|s| facts.name(s)), Some("SY01"));
        assert_eq!(c.placements.len(), 2);
        assert_eq!(c.placements[0].kind, Arrangement::ImmigrationDetention);
        assert_eq!(c.placements[0].end, Some(date!(2026 - 03 - 03)));
        // Only the service actually referred counts; "needed" is not a referral yet.
        assert_eq!(c.services.len(), 1);
        assert_eq!(c.services[0].status, ReferralStatus::Completed);
        assert_eq!(
            c.birth_registration,
            Some(BirthRegistrationStatus::Registered)
        );
        assert!(c.has_identity_documents);
        assert_eq!(c.reasons_for_leaving.len(), 2);
        assert_eq!(c.closed_on, None);
        // The vocabulary holds codes only, never a name or a place's name.
        for i in 0..facts.vocabulary_len() {
            let word = facts.name(haven_report::facts::Sym(i as u32));
            assert!(
                !["Zqxamal", "Qwertyan", "Somewhere"].contains(&word),
                "{word}"
            );
        }
    }

    #[test]
    fn an_estimated_age_counts_from_the_day_it_was_estimated_and_closure_dates_the_reunion() {
        let w = work(
            json!({"given_name": "Zq", "estimated_age": {"years": 12, "estimated_on": "2026-03-10"},
                   "registration_date": "2026-03-01"}),
            Some(json!({
                "stage": "closed", "stage_since": "2026-06-01T10:00:00Z",
                "assessment": {"kind": "short", "started_at": "2026-03-01T10:00:00Z",
                               "completed_on": "2026-03-02", "approval": {"status": "not_required"}},
                "closure": {"reason": "reunified", "from": "follow_up", "approval": {"status": "not_required"},
                            "closed_at": "2026-06-01T10:00:00Z"}
            })),
        );
        let mut facts = Facts::new();
        let c = case_facts(&mut facts, &w, &[]);
        assert_eq!(
            c.born.map(|b| (b.earliest, b.latest)),
            Some((date!(2013 - 03 - 11), date!(2014 - 03 - 10)))
        );
        assert_eq!(c.assessed_at, Some(datetime!(2026-03-02 00:00 UTC)));
        assert_eq!(c.closed_on, Some(date!(2026 - 06 - 01)));
        assert_eq!(c.reunified_on, Some(date!(2026 - 06 - 01)));
    }

    #[test]
    fn an_incident_counts_only_the_children_in_scope() {
        let a = work(json!({"given_name": "A", "sex": "male"}), None);
        let b = work(json!({"given_name": "B", "sex": "female"}), None);
        let outside = CaseId(uuid::Uuid::new_v4());
        let incident = CaseItem {
            id: uuid::Uuid::new_v4(),
            kind: ItemKind::Incident,
            case_id: a.case.id,
            agency_id: AgencyId(uuid::Uuid::nil()),
            to_agency_id: None,
            status: "violence".into(),
            version: 1,
            created_by: UserId(uuid::Uuid::nil()),
            created_at: datetime!(2026-03-02 09:00 UTC),
            updated_at: datetime!(2026-03-02 09:00 UTC),
            body: json!({"category": "violence", "types": ["physical"],
                         "case_ids": [a.case.id.to_string(), outside.to_string()],
                         "date": "2026-03", "setting": "school",
                         "description": "a narrative that must never reach a report"}),
        };
        let links = [(incident.id, a.case.id), (incident.id, outside)];
        let facts = build_facts(&[a, b], &[incident.clone(), incident], &links, &[]).unwrap();
        assert_eq!(facts.cases.len(), 2);
        assert_eq!(
            facts.incidents.len(),
            1,
            "one incident, however often fetched"
        );
        let i = &facts.incidents[0];
        assert_eq!(i.category, IncidentCategory::Violence);
        assert_eq!(i.date, date!(2026 - 03 - 01));
        assert_eq!(
            i.children.len(),
            1,
            "the child out of scope is not described"
        );
        assert_eq!(i.children[0].sex, Some(Sex::Male));
        assert_eq!(i.setting.map(|s| facts.name(s)), Some("school"));
    }

    #[test]
    fn what_reports_never_read_is_removed_before_opening_and_the_rest_still_maps() {
        let mut body = json!({
            "given_name": "Zqxamal", "family_name": "Qwertyan", "other_names": ["Zq"],
            "date_of_birth": "2014-02", "specific_needs": ["SC-UC"],
            "family": [{"relation": "mother", "given_name": "Mama", "contact": "+000"}],
            "legal_identity": {"birth_registration": {"status": "registered", "certificate_number": "X1"},
                               "documents": [{"type": "passport", "number": "P123"}],
                               "legal_status": {"status": "asylum_seeker"}},
            "route": {"drivers": ["conflict"]}
        });
        strip_unreported(&mut body);
        let text = body.to_string();
        for secret in [
            "Zqxamal", "Qwertyan", "Mama", "+000", "X1", "P123", "SC-UC", "asylum",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        let w = work(body, None);
        let mut facts = Facts::new();
        let c = case_facts(&mut facts, &w, &[]);
        assert!(c.born.is_some() && c.has_identity_documents);
        assert_eq!(
            c.birth_registration,
            Some(BirthRegistrationStatus::Registered)
        );
        assert_eq!(c.reasons_for_leaving.len(), 1);
    }

    fn pledge_doc_json(v: Value) -> PledgeDoc {
        let mut base = json!({"party": "government", "name": "Ministry of Interior", "area": 2,
            "indicator": "det_in_immigration_detention", "baseline": 40.0, "target": 0.0,
            "baseline_date": "2026-01-01", "due_date": "2027-01-01"});
        if let (Value::Object(b), Value::Object(e)) = (&mut base, v) {
            b.extend(e);
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn a_bad_pledge_names_every_field_at_fault() {
        assert!(validate_pledge(&pledge_doc_json(json!({}))).is_ok());
        let p = validate_pledge(&pledge_doc_json(json!({"party": "ngo", "name": " ",
            "area": 7, "indicator": "nope", "due_date": "2025-01-01"})))
        .unwrap_err();
        let fields: Vec<String> = p.errors().iter().map(|e| e.path.clone()).collect();
        for f in ["party", "name", "area", "indicator", "due_date"] {
            assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
        }
        let p = validate_pledge(&pledge_doc_json(json!({"area": 1}))).unwrap_err();
        assert_eq!(p.errors()[0].path, "indicator");
    }
}
