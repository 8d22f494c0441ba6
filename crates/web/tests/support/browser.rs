//! A headless Chromium driven through chromedriver, and a small synthetic world to drive it
//! through: shared by the browser tests and the screenshots example.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use haven_domain::access::{CASEWORKER, SUPERVISOR};
use haven_testkit::{PASSWORD, TestApp};
use serde_json::json;

/// Where chromedriver is: `HAVEN_CHROMEDRIVER`, else Debian's.
fn chromedriver_path() -> Option<String> {
    let path =
        std::env::var("HAVEN_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    std::path::Path::new(&path).exists().then_some(path)
}

fn chromium_path() -> String {
    std::env::var("HAVEN_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// chromedriver and one headless browser session; both end when this is dropped.
pub struct Driver {
    child: Child,
    pub client: Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    /// `None` (with a notice) when chromedriver is not installed; under `CI=1` that is a
    /// failure instead, so CI never skips the browser silently.
    pub async fn start(width: u32, height: u32) -> Option<Driver> {
        let Some(path) = chromedriver_path() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "chromedriver is missing: CI must install chromium and chromium-driver (.ci/run)"
            );
            eprintln!(
                "NOTICE: chromedriver not found (apt install chromium chromium-driver); skipping the browser tests"
            );
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium_path(),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--window-size={width},{height}"), "--lang=en-GB", "--hide-scrollbars"],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            let mut builder =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
            match builder.capabilities(caps.clone()).connect(&url).await {
                Ok(client) => return Some(Driver { child, client }),
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("cannot reach chromedriver: {last:?}");
    }
}

/// Steps through the pages like a person: by what the page shows.
pub struct Person<'a> {
    pub c: &'a Client,
    pub base: String,
}

impl Person<'_> {
    pub async fn go(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.c
            .wait()
            .at_most(Duration::from_secs(5))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} not on the page: {e}"))
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self.c.find_all(Locator::Css(css)).await.unwrap().is_empty()
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let e = self.find(css).await;
        e.clear().await.unwrap();
        e.send_keys(value).await.unwrap();
    }

    /// Date inputs take their value in the browser's own format when typed; set it directly.
    pub async fn set(&self, css: &str, value: &str) {
        self.find(css).await;
        self.c
            .execute(
                "document.querySelector(arguments[0]).value = arguments[1];",
                vec![json!(css), json!(value)],
            )
            .await
            .unwrap();
    }

    pub async fn choose(&self, css: &str, value: &str) {
        self.find(css).await.select_by_value(value).await.unwrap();
    }

    /// Clicks something that loads a page (a link, a form's button) and waits for the new page:
    /// the old document is marked first, so its elements are never mistaken for the new one's.
    pub async fn click(&self, css: &str) {
        let target = self.find(css).await;
        self.c
            .execute("document.documentElement.dataset.old = '1';", vec![])
            .await
            .unwrap();
        target.click().await.unwrap();
        for _ in 0..100 {
            let loaded = self
                .c
                .execute(
                    "return !document.documentElement.dataset.old && document.readyState === 'complete';",
                    vec![],
                )
                .await;
            if matches!(loaded, Ok(serde_json::Value::Bool(true))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("clicking {css} loaded no page");
    }

    /// Clicks something that changes the page in place (a `<details>` summary).
    pub async fn toggle(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    pub async fn path(&self) -> String {
        self.c.current_url().await.unwrap().path().to_string()
    }

    pub async fn log_in(&self, email: &str) {
        self.go("/login").await;
        self.fill("#email", email).await;
        self.fill("#password", PASSWORD).await;
        self.click("form[action='/login'] button").await;
        self.find("main h1").await;
        assert_eq!(self.path().await, "/", "signed in as {email}");
    }

    /// Signs in a role that needs a second factor, setting it up on the way (the data officer):
    /// the code is computed from the secret the enrolment page carries, at the server's `now`.
    pub async fn log_in_enrolling(&self, email: &str, now: u64) {
        use haven_crypto::totp;
        self.go("/login").await;
        self.fill("#email", email).await;
        self.fill("#password", PASSWORD).await;
        self.click("form[action='/login'] button").await;
        self.find("#code").await;
        let secret = self
            .find("input[name=secret]")
            .await
            .attr("value")
            .await
            .unwrap()
            .unwrap();
        let code = totp::code(&totp::TotpSecret::from_base32(&secret).unwrap(), now).unwrap();
        self.fill("#code", &code).await;
        self.click("form[action='/login/enrol'] button").await;
        // The recovery codes are shown once; then on to the home page.
        self.find("main h1").await;
        self.go("/").await;
        self.find("nav a[href='/']").await;
    }

    pub async fn log_out(&self) {
        self.click("form.logout button").await;
        self.find("#email").await;
    }

    pub async fn shot(&self, path: &std::path::Path) {
        let png = self.c.screenshot().await.unwrap();
        std::fs::write(path, png).unwrap();
    }
}

pub const WORKER: &str = "amina.worker@demo.example";
pub const SUPERVISOR_EMAIL: &str = "samir.supervisor@demo.example";
pub const ADMIN: &str = "admin@demo.example";
pub const TRACER: &str = "tariq.tracer@demo.example";
pub const DATA: &str = "dina.data@demo.example";

/// One agency (plus a partner) with a caseworker, a supervisor (one team) and an agency admin.
pub async fn world(app: &TestApp) {
    let (agency, worker) = app.agency_with_user("DEMO", WORKER, CASEWORKER).await;
    let sup = app.user(&agency, SUPERVISOR_EMAIL, SUPERVISOR).await;
    app.user(&agency, ADMIN, haven_domain::access::AGENCY_ADMIN)
        .await;
    app.user(&agency, TRACER, haven_domain::access::TRACING_OFFICER)
        .await;
    app.user(&agency, DATA, haven_domain::access::DATA_OFFICER)
        .await;
    let group = app
        .store
        .create_group(None, agency.id, "Border team")
        .await
        .unwrap();
    app.store
        .set_group_members(None, group.id, &[worker.id, sup.id])
        .await
        .unwrap();
    app.store
        .create_agency(None, "PARTNER", "Partner legal aid")
        .await
        .unwrap();
}

/// A few synthetic children registered by the caseworker, names in several scripts.
pub async fn demo_cases(app: &TestApp) -> Vec<haven_domain::ids::CaseId> {
    let cred = app.store.user_by_email(WORKER).await.unwrap().unwrap();
    let actor = haven_domain::user::Actor::from(&cred.user);
    let kids = [
        json!({"given_name": "سارة", "family_name": "الحلبي", "sex": "female", "estimated_age": {"years": 9},
               "nationality": "SY", "separation_status": "unaccompanied", "risk_level": "high",
               "family": [{"relation": "mother", "given_name": "ريم", "family_name": "الحلبي", "is_alive": true}]}),
        json!({"given_name": "Yonas", "family_name": "Tesfaye", "sex": "male", "date_of_birth": "2012-04-02",
               "nationality": "ER", "separation_status": "separated", "risk_level": "medium"}),
        json!({"given_name": "Farida", "family_name": "Ahmadi", "sex": "female", "estimated_age": {"years": 15},
               "nationality": "AF", "separation_status": "unaccompanied", "risk_level": "low"}),
        json!({"given_name": "María José", "family_name": "Pérez", "sex": "female", "estimated_age": {"years": 13},
               "nationality": "HN", "separation_status": "accompanied", "risk_level": "medium"}),
    ];
    let mut ids = Vec::new();
    for k in kids {
        let doc = haven_domain::case::doc_from_json(k).unwrap();
        ids.push(app.store.create_case(&actor, doc).await.unwrap().id);
    }
    ids
}

/// The demo's work in progress: the first child detained since last week, the second child's
/// assessment waiting for the supervisor, a referral to the partner agency.
pub async fn demo_work(app: &TestApp, ids: &[haven_domain::ids::CaseId]) {
    use haven_domain::casework::workflow::action_from_json;
    let cred = app.store.user_by_email(WORKER).await.unwrap().unwrap();
    let actor = haven_domain::user::Actor::from(&cred.user);
    let settings = haven_domain::casework::Settings::default();
    let today = app.store.clock().today();
    let week_ago = (today - time::Duration::days(6)).to_string();
    let placement = serde_json::from_value(json!({
        "type": "immigration_detention", "start_date": week_ago, "place": "Holding centre 4"
    }))
    .unwrap();
    app.store
        .record_placement(&actor, ids[0], None, placement, &settings)
        .await
        .unwrap();
    let steps = [
        json!({"action": "start_assessment", "kind": "short"}),
        json!({"action": "complete_assessment", "completed_on": today.to_string(),
               "summary": "Needs schooling and a guardian"}),
        json!({"action": "request_approval", "subject": "assessment"}),
    ];
    for (i, step) in steps.into_iter().enumerate() {
        let work = app.store.case_work(&actor, ids[1]).await.unwrap().unwrap();
        let action = action_from_json(step).unwrap();
        app.store
            .apply_workflow(&actor, ids[1], work.case.version, action, &settings)
            .await
            .unwrap_or_else(|e| panic!("step {i}: {e}"));
    }
    let consent = serde_json::from_value(json!({
        "basis": "consent", "purposes": ["services", "sharing"], "recipients": ["other_agency"],
        "given_by": "representative", "given_by_name": "Rim Halabi"
    }))
    .unwrap();
    app.store
        .record_consent(&actor, ids[0], consent)
        .await
        .unwrap();
    let partner = app
        .store
        .agencies()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.code == "PARTNER")
        .unwrap();
    let referral = serde_json::from_value(json!({
        "service": "legal_aid", "to_agency_id": partner.id.to_string(), "urgent": true,
        "reason": "Detained without a guardian"
    }))
    .unwrap();
    app.store
        .create_case_item(
            &actor,
            ids[0],
            haven_store::NewCaseItem::Referral(referral),
            &settings,
        )
        .await
        .unwrap();
}

/// Tracing in the demo: the first child's mother asks for her (in Latin letters, the case is in
/// Arabic script), the case has consent for tracing, and the matcher has proposed the pair.
pub async fn demo_tracing(app: &TestApp, ids: &[haven_domain::ids::CaseId]) {
    let worker = app.store.user_by_email(WORKER).await.unwrap().unwrap();
    let worker = haven_domain::user::Actor::from(&worker.user);
    let consent = serde_json::from_value(json!({
        "basis": "consent", "purposes": ["tracing"], "given_by": "representative",
        "given_by_name": "Rim Halabi"
    }))
    .unwrap();
    app.store
        .record_consent(&worker, ids[0], consent)
        .await
        .unwrap();
    let tracer = app.store.user_by_email(TRACER).await.unwrap().unwrap();
    let tracer = haven_domain::user::Actor::from(&tracer.user);
    let doc = haven_domain::tracing_request::doc_from_json(json!({
        "inquirer": {"given_name": "Reem", "family_name": "Halabi", "relation": "mother",
                     "contact": "+000 11 222 3333"},
        "child": {"given_name": "Sara", "family_name": "Al-Halabi", "sex": "female",
                  "estimated_age": {"years": 9}, "nationality": "SY"},
        "separation": {"date": "2025-08", "place": {"name": "Border crossing"},
                       "circumstances": ["flight"]},
    }))
    .unwrap();
    app.store
        .create_tracing_request(&tracer, doc)
        .await
        .unwrap();
    app.store.sync_matches().await.unwrap();
}

/// Enough synthetic children for the dashboard to show numbers rather than only suppressed
/// cells, and one pledge on area 2.
pub async fn demo_reports(app: &TestApp) {
    let cred = app.store.user_by_email(WORKER).await.unwrap().unwrap();
    let actor = haven_domain::user::Actor::from(&cred.user);
    let nationalities = ["SY", "ER", "AF", "HN", "SD"];
    let separations = ["unaccompanied", "separated", "accompanied"];
    let risks = ["high", "medium", "low"];
    for i in 0..60_usize {
        let doc = haven_domain::case::doc_from_json(json!({
            "given_name": format!("Child{i}"), "family_name": "Demo",
            "sex": if i % 5 < 3 { "female" } else { "male" },
            "estimated_age": {"years": 3 + i % 15},
            "nationality": nationalities[i % nationalities.len()],
            "separation_status": separations[i % separations.len()],
            "risk_level": risks[i % risks.len()],
        }))
        .unwrap();
        app.store.create_case(&actor, doc).await.unwrap();
    }
    let data = app.store.user_by_email(DATA).await.unwrap().unwrap();
    let data = haven_domain::user::Actor::from(&data.user);
    let pledge: haven_store::PledgeDoc = serde_json::from_value(json!({
        "party": "government", "name": "Ministry of the Interior", "area": 2,
        "indicator": "det_in_immigration_detention", "baseline": 40, "target": 0,
        "baseline_date": "2025-01-01", "due_date": "2027-12-31",
    }))
    .unwrap();
    app.store.create_pledge(&data, pledge).await.unwrap();
}
