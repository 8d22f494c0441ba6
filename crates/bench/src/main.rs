//! `cargo run --release -p haven-bench [-- --cases 100000 --seconds 10]`
//!
//! 1. Case creates per second through the store's write door (validation, record, history and
//!    audit in one transaction) against raw SQLite inserts of rows of the same size, same run.
//! 2. Authenticated `GET /api/v1/cases/{id}` per second over loopback keep-alive with N cases in
//!    the database, against a bare axum handler returning the same bytes, same run and client.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use haven_domain::access::CASEWORKER;
use haven_domain::user::Actor;
use haven_store::clock::SystemClock;
use haven_store::{PageRequest, Store};
use haven_testkit::TestApp;
use haven_web::WebConfig;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

const WRITE_SAMPLE: usize = 3000;
const WRITE_ROUNDS: usize = 5;
const CONNECTIONS: usize = 32;

struct Args {
    cases: usize,
    seconds: u64,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        cases: 100_000,
        seconds: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--cases" => a.cases = value.parse().context("--cases: a whole number")?,
            "--seconds" => a.seconds = value.parse().context("--seconds: a whole number")?,
            other => anyhow::bail!("unknown flag {other}; use --cases N --seconds S"),
        }
    }
    Ok(a)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args()?;
    let dir = tempfile::tempdir()?;
    let store = haven_store::open(
        &haven_store::sqlite_url(dir.path()),
        Arc::new(SystemClock),
        haven_testkit::sealer(),
    )
    .await?;
    let app = TestApp::serve(store.clone(), WebConfig::default()).await;
    let (_, user) = app
        .agency_with_user("BENCH", "bench@bench.example", CASEWORKER)
        .await;
    let actor = Actor::from(&user);
    let docs = haven_synth::caseload(7, args.cases.max(WRITE_SAMPLE), store.clock().today()).cases;

    // --- 1. writes ---------------------------------------------------------------------------
    // Rounds alternate between the two so that disk and machine noise hit both alike; the
    // median round is reported.
    let raw = RawTable::create(dir.path()).await?;
    let (mut door_rates, mut raw_rates) = (Vec::new(), Vec::new());
    for round in docs.chunks(WRITE_SAMPLE / WRITE_ROUNDS).take(WRITE_ROUNDS) {
        let start = Instant::now();
        for case in round {
            store.create_case(&actor, case.doc.clone()).await?;
        }
        door_rates.push(round.len() as f64 / start.elapsed().as_secs_f64());
        raw_rates.push(raw.insert_all(round).await?);
    }
    let (door_rate, raw_rate) = (median(&mut door_rates), median(&mut raw_rates));
    println!("case creates/s through the store (record + history + audit): {door_rate:.0}");
    println!("raw SQLite inserts/s of a row of the same size:              {raw_rate:.0}");
    println!("ratio: {:.2} (aim >= 0.30)", door_rate / raw_rate);

    // --- 2. reads ----------------------------------------------------------------------------
    let load_start = Instant::now();
    for case in docs
        .iter()
        .skip(WRITE_SAMPLE)
        .take(args.cases.saturating_sub(WRITE_SAMPLE))
    {
        store.create_case(&actor, case.doc.clone()).await?;
    }
    let ids = sample_ids(store.as_ref(), &actor, 1000).await?;
    println!(
        "loaded {} cases in {:.1} s",
        args.cases.max(WRITE_SAMPLE),
        load_start.elapsed().as_secs_f64()
    );
    let token = app.token(&user).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()?;
    let urls: Vec<String> = ids
        .iter()
        .map(|id| app.url(&format!("/api/v1/cases/{id}")))
        .collect();
    let body = client
        .get(&urls[0])
        .bearer_auth(&token)
        .send()
        .await?
        .bytes()
        .await?;
    let duration = Duration::from_secs(args.seconds);
    let haven = load(&client, &urls, Some(&token), duration).await?;

    let bare = bare_server(body.to_vec()).await?;
    let bare_urls: Vec<String> = ids
        .iter()
        .map(|id| format!("{bare}/api/v1/cases/{id}"))
        .collect();
    let baseline = load(&client, &bare_urls, None, duration).await?;
    println!(
        "authenticated GET /api/v1/cases/{{id}} per s ({} cases, {CONNECTIONS} connections): {haven:.0}",
        args.cases
    );
    println!(
        "bare axum handler returning the same {} bytes per s:                  {baseline:.0}",
        body.len()
    );
    println!("ratio: {:.2} (aim >= 0.50)", haven / baseline);

    // --- 3. sign-in --------------------------------------------------------------------------
    // Argon2id (m = 19 MiB, t = 2, p = 1) dominates; one at a time, as a person signs in.
    let mut times = Vec::new();
    for _ in 0..LOGINS {
        let start = Instant::now();
        let resp = reqwest::Client::new()
            .post(app.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"email": "bench@bench.example", "password": haven_testkit::PASSWORD}))
            .send()
            .await?;
        anyhow::ensure!(
            resp.status().is_success(),
            "login failed: {}",
            resp.status()
        );
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "sign-in latency (password check, session, audit): median {:.0} ms over {LOGINS}",
        median(&mut times)
    );
    Ok(())
}

/// Sign-ins timed; fewer than the rate limit's burst, so none is refused.
const LOGINS: usize = 9;

/// A bare table in its own database with the store's pragmas: one row per transaction, each row
/// the same size as the case document it stands for.
struct RawTable(sqlx::SqlitePool);

impl RawTable {
    async fn create(dir: &std::path::Path) -> anyhow::Result<Self> {
        let options =
            SqliteConnectOptions::from_str(&format!("sqlite://{}", dir.join("raw.db").display()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal);
        let pool = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .connect_with(options)
            .await?;
        sqlx::query("CREATE TABLE raw (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            .execute(&pool)
            .await?;
        Ok(Self(pool))
    }

    /// Inserts per second.
    async fn insert_all(&self, cases: &[haven_synth::CaseSeed]) -> anyhow::Result<f64> {
        let bodies: Vec<String> = cases
            .iter()
            .map(|c| serde_json::to_string(&c.doc))
            .collect::<Result<_, _>>()?;
        let start = Instant::now();
        for body in bodies {
            sqlx::query("INSERT INTO raw (body) VALUES (?)")
                .bind(body)
                .execute(&self.0)
                .await?;
        }
        Ok(cases.len() as f64 / start.elapsed().as_secs_f64())
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

async fn sample_ids(store: &dyn Store, actor: &Actor, n: u32) -> anyhow::Result<Vec<String>> {
    let page = store
        .list_cases(
            actor,
            &Default::default(),
            &PageRequest::first(n.min(PageRequest::MAX_LIMIT)),
        )
        .await?;
    Ok(page.items.iter().map(|c| c.id.to_string()).collect())
}

async fn bare_server(body: Vec<u8>) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let body = axum::body::Bytes::from(body);
    let app = axum::Router::new().route(
        "/api/v1/cases/{id}",
        axum::routing::get(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("http://{addr}"))
}

/// Requests per second from `CONNECTIONS` concurrent keep-alive clients for `duration`.
async fn load(
    client: &reqwest::Client,
    urls: &[String],
    token: Option<&str>,
    duration: Duration,
) -> anyhow::Result<f64> {
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for worker in 0..CONNECTIONS {
        let (client, urls, token) = (client.clone(), urls.to_vec(), token.map(str::to_string));
        let (done, failed) = (done.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = worker;
            while Instant::now() < deadline {
                let mut req = client.get(&urls[i % urls.len()]);
                if let Some(t) = &token {
                    req = req.bearer_auth(t);
                }
                let ok = match req.send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if ok { &done } else { &failed }.fetch_add(1, Ordering::Relaxed);
                i += CONNECTIONS;
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let failed = failed.load(Ordering::Relaxed);
    anyhow::ensure!(failed == 0, "{failed} requests failed");
    Ok(done.load(Ordering::Relaxed) as f64 / duration.as_secs_f64())
}
