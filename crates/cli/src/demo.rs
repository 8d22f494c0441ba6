//! `haven demo`: a reproducible synthetic caseload (cases, then the tracing requests of relatives
//! looking for children), loaded through the same write door as real work (so it has history and
//! audit entries too). No real person is in it.

use anyhow::Context;
use haven_crypto::{Secret, new_password};
use haven_domain::access::{CASEWORKER, SUPERVISOR, TRACING_OFFICER};
use haven_domain::casework::Settings;
use haven_domain::casework::incident::IncidentDoc;
use haven_domain::casework::referral::{ReferralActionDoc, ReferralDoc};
use haven_domain::casework::transfer::{FlagDoc, NoteDoc};
use haven_domain::casework::workflow::action_from_json;
use haven_domain::ids::{AgencyId, CaseId};
use haven_domain::user::Actor;
use haven_store::{CaseItemChange, NewCaseItem, Store};
use serde_json::{Value, json};

/// Case management on a demo case, chosen by its number so the same seed gives the same demo:
/// cases at every step of the workflow, approvals waiting for the supervisor, referrals to other
/// agencies (some accepted), notes and flags. Detention alerts come from the synthetic placements;
/// overdue tasks from registrations older than the response times.
async fn casework(
    store: &dyn Store,
    n: usize,
    case: CaseId,
    worker: &Actor,
    supervisor: &Actor,
    partner: Option<AgencyId>,
) -> anyhow::Result<()> {
    let settings = Settings::default();
    let today = store.clock().today().to_string();
    let mut version = 1;
    let steps: &[Value] = match n % 6 {
        // Registered only: the assessment task falls due (overdue for older registrations).
        0 => &[],
        1 => &[json!({"action": "start_assessment", "kind": "short"})],
        // Waiting for the supervisor's approval of the assessment.
        2 | 3 => &[
            json!({"action": "start_assessment", "kind": "comprehensive"}),
            json!({"action": "complete_assessment", "completed_on": today}),
            json!({"action": "request_approval", "subject": "assessment"}),
        ],
        _ => &[
            json!({"action": "start_assessment", "kind": "short"}),
            json!({"action": "complete_assessment", "completed_on": today}),
            json!({"action": "request_approval", "subject": "assessment"}),
        ],
    };
    for step in steps {
        let action = action_from_json(step.clone())?;
        version = store
            .apply_workflow(worker, case, version, action, &settings)
            .await?
            .case
            .version;
    }
    if n % 6 >= 4 {
        let approve = action_from_json(json!({"action": "approve", "subject": "assessment"}))?;
        version = store
            .apply_workflow(supervisor, case, version, approve, &settings)
            .await?
            .case
            .version;
    }
    if n % 6 == 5 {
        let plan = action_from_json(json!({"action": "set_case_plan", "goals": [{
            "goal": "Safe, stable care",
            "actions": [{"action": "Find a foster family", "responsible": "caseworker",
                         "due": today}],
        }]}))?;
        version = store
            .apply_workflow(worker, case, version, plan, &settings)
            .await?
            .case
            .version;
    }
    if n % 8 == 3 {
        // Drivers and route, and a legal status running out soon (a renewal task).
        let expires = (store.clock().today() + time::Duration::days(20)).to_string();
        let patch = json!({
            "route": {"drivers": ["conflict", "generalised_violence"], "places": [
                {"kind": "origin", "place": {"name": "Home town"}},
                {"kind": "transit", "place": {"name": "Border town"}, "arrived": "2025-06", "left": "2025-09"},
            ]},
            "legal_identity": {
                "birth_registration": {"status": if n % 16 == 3 { "not_registered" } else { "registered" }},
                "legal_status": {"status": "asylum_seeker", "expires_on": expires},
            },
        });
        store.update_case(worker, case, version, &patch).await?;
    }
    if n % 4 == 1
        && let Some(to) = partner
    {
        const SERVICES: &[&str] = &["education", "legal_aid", "health", "civil_registry"];
        // A referral to another agency needs the family's consent to services and to sharing.
        let consent: haven_domain::consent::ConsentDoc =
            serde_json::from_value(serde_json::json!({
                "basis": "consent",
                "purposes": ["services", "sharing"],
                "recipients": ["other_agency"],
                "given_by": "caregiver",
                "given_by_name": "Caregiver (synthetic)",
            }))?;
        store.record_consent(worker, case, consent).await?;
        let doc = ReferralDoc {
            service: SERVICES[n % SERVICES.len()].to_string(),
            to_agency_id: Some(to.to_string()),
            urgent: n.is_multiple_of(3),
            reason: Some("Needs the service; see the assessment.".into()),
            ..ReferralDoc::default()
        };
        store
            .create_case_item(worker, case, NewCaseItem::Referral(doc), &settings)
            .await?;
    }
    if n % 5 == 2 {
        let note = NoteDoc {
            text: "Home visit: the child is settling in and attends the drop-in centre.".into(),
        };
        store
            .create_case_item(worker, case, NewCaseItem::Note(note), &settings)
            .await?;
    }
    if n % 23 == 7 {
        let doc: IncidentDoc = haven_domain::problems::from_json(json!({
            "category": "discrimination",
            "types": ["discrimination.denial_of_service"],
            "case_ids": [case.to_string()],
            "date": today,
            "setting": "school",
            "bias_motivations": ["nationality"],
        }))?;
        store.create_incident(worker, doc, &settings).await?;
    }
    if n % 9 == 4 {
        let flag = FlagDoc {
            reason: "age_dispute".into(),
            note: None,
        };
        store
            .create_case_item(worker, case, NewCaseItem::Flag(flag), &settings)
            .await?;
    }
    Ok(())
}

/// Some referrals answered by their receiving agency, so the demo shows every state.
async fn answer_referrals(store: &dyn Store, receivers: &[Actor]) -> anyhow::Result<usize> {
    let mut answered = 0;
    for actor in receivers {
        for (i, r) in store.referrals(actor).await?.into_iter().enumerate() {
            if r.to_agency_id != Some(actor.agency_id) || i % 2 == 1 {
                continue;
            }
            let doc = ReferralActionDoc {
                action: "accept".into(),
                comment: None,
                education: None,
            };
            store
                .change_case_item(actor, r.id, CaseItemChange::AnswerReferral(doc))
                .await?;
            answered += 1;
        }
    }
    Ok(answered)
}

pub const DEFAULT_SEED: u64 = 2026;
pub const DEFAULT_CASES: usize = 400;
const CASEWORKERS_PER_AGENCY: usize = 2;

pub struct Loaded {
    pub cases: usize,
    pub tracing_requests: usize,
    pub matches_proposed: usize,
    pub agencies: usize,
    /// Demo users' e-mails with their roles; they share `password`.
    pub logins: Vec<String>,
    pub password: Secret,
}

/// Loads the caseload unless it is there already (`Ok(None)`). The first agency of the caseload is
/// the deployment's first agency, so the administrator sees its cases at once.
pub async fn load(store: &dyn Store, seed: u64, cases: usize) -> anyhow::Result<Option<Loaded>> {
    let caseload = haven_synth::caseload(seed, cases, store.clock().today());
    let existing = store.agencies().await?;
    let home = existing
        .first()
        .context("no agency exists yet: run `haven init` first")?
        .clone();
    if caseload
        .agencies
        .iter()
        .skip(1)
        .any(|a| existing.iter().any(|e| e.code == a.code))
    {
        return Ok(None);
    }
    let password = new_password()?;
    let mut actors: Vec<Vec<Actor>> = Vec::new();
    let mut supervisors: Vec<Actor> = Vec::new();
    let mut logins = Vec::new();
    for (i, seed_agency) in caseload.agencies.iter().enumerate() {
        let agency = if i == 0 {
            home.clone()
        } else {
            store
                .create_agency(None, seed_agency.code, seed_agency.name)
                .await?
        };
        let domain = format!("{}.demo.example", seed_agency.code.to_lowercase());
        let mut workers = Vec::new();
        let mut team = Vec::new();
        let people = (1..=CASEWORKERS_PER_AGENCY)
            .map(|n| {
                (
                    format!("caseworker{n}"),
                    format!("Caseworker {n}"),
                    CASEWORKER,
                )
            })
            .chain([
                (
                    "supervisor".to_string(),
                    "Supervisor".to_string(),
                    SUPERVISOR,
                ),
                (
                    "tracing".to_string(),
                    "Tracing officer".to_string(),
                    TRACING_OFFICER,
                ),
            ]);
        for (local, display, role) in people {
            let email = format!("{local}@{domain}");
            let display = format!("{display} ({})", seed_agency.name);
            let user =
                crate::setup::create_user(store, &email, &display, agency.id, role, &password)
                    .await?;
            if role == CASEWORKER {
                workers.push(Actor::from(&user));
            }
            if role == SUPERVISOR {
                supervisors.push(Actor::from(&user));
            }
            if role != TRACING_OFFICER {
                team.push(user.id);
            }
            logins.push(format!("{email} ({role})"));
        }
        // One team per agency: the supervisor sees (and approves) the caseworkers' cases.
        let group = store.create_group(None, agency.id, "Team 1").await?;
        store.set_group_members(None, group.id, &team).await?;
        actors.push(workers);
    }
    let worker = |agency: usize, n: usize| -> anyhow::Result<&Actor> {
        let workers = actors
            .get(agency)
            .context("synthetic record names an unknown agency")?;
        workers
            .get(n % workers.len().max(1))
            .context("a demo agency has no caseworker")
    };
    let total = caseload.cases.len();
    let agencies: Vec<_> = store.agencies().await?;
    for (n, case) in caseload.cases.into_iter().enumerate() {
        let by = worker(case.agency, n)?;
        let created = store
            .create_case(by, case.doc)
            .await
            .with_context(|| format!("loading synthetic case {n}"))?;
        let supervisor = supervisors
            .get(case.agency)
            .context("a demo agency has no supervisor")?;
        // Another agency of the deployment, for referrals.
        let partner = agencies
            .iter()
            .map(|a| a.id)
            .filter(|a| *a != created.agency_id)
            .nth(n % agencies.len().saturating_sub(1).max(1));
        casework(store, n, created.id, by, supervisor, partner)
            .await
            .with_context(|| format!("case management of synthetic case {n}"))?;
        // Most families agree to tracing; the others' children are never proposed as matches.
        if n % 8 != 7 {
            let consent: haven_domain::consent::ConsentDoc =
                serde_json::from_value(serde_json::json!({
                    "basis": "consent",
                    "purposes": ["tracing"],
                    "given_by": "caregiver",
                    "given_by_name": "Caregiver (synthetic)",
                }))?;
            store.record_consent(by, created.id, consent).await?;
        }
    }
    let receivers: Vec<Actor> = actors.iter().filter_map(|w| w.first().cloned()).collect();
    answer_referrals(store, &receivers).await?;
    let requests = caseload.tracing_requests.len();
    for (n, request) in caseload.tracing_requests.into_iter().enumerate() {
        store
            .create_tracing_request(worker(request.agency, n)?, request.doc)
            .await
            .with_context(|| format!("loading synthetic tracing request {n}"))?;
    }
    let matched = store.sync_matches().await?;
    Ok(Some(Loaded {
        cases: total,
        tracing_requests: requests,
        matches_proposed: matched.proposed,
        agencies: actors.len(),
        logins,
        password,
    }))
}
