//! `haven demo`: a reproducible synthetic caseload (cases, then the tracing requests of relatives
//! looking for children), loaded through the same write door as real work (so it has history and
//! audit entries too). No real person is in it.

use anyhow::Context;
use haven_crypto::{Secret, new_password};
use haven_domain::access::{CASEWORKER, SUPERVISOR, TRACING_OFFICER};
use haven_domain::user::Actor;
use haven_store::Store;

pub const DEFAULT_SEED: u64 = 2026;
pub const DEFAULT_CASES: usize = 400;
const CASEWORKERS_PER_AGENCY: usize = 2;

pub struct Loaded {
    pub cases: usize,
    pub tracing_requests: usize,
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
    for (n, case) in caseload.cases.into_iter().enumerate() {
        store
            .create_case(worker(case.agency, n)?, case.doc)
            .await
            .with_context(|| format!("loading synthetic case {n}"))?;
    }
    let requests = caseload.tracing_requests.len();
    for (n, request) in caseload.tracing_requests.into_iter().enumerate() {
        store
            .create_tracing_request(worker(request.agency, n)?, request.doc)
            .await
            .with_context(|| format!("loading synthetic tracing request {n}"))?;
    }
    Ok(Some(Loaded {
        cases: total,
        tracing_requests: requests,
        agencies: actors.len(),
        logins,
        password,
    }))
}
