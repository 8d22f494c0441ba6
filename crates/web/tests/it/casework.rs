//! Case management as a client sees it: the workflow's 409 and 422, the detention alert a
//! supervisor sees, the task lists.

use std::sync::{Arc, Mutex};

use haven_domain::access::{CASEWORKER, SUPERVISOR};
use haven_domain::clock::Clock;
use haven_testkit::TestApp;
use haven_web::WebConfig;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::{error, paths};

#[derive(Debug)]
struct HandClock(Mutex<OffsetDateTime>);

impl Clock for HandClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

/// One agency with a caseworker and their supervisor (in one group), another agency's
/// caseworker, and a clock moved by hand.
struct World {
    app: TestApp,
    clock: Arc<HandClock>,
    client: Client,
    worker: String,
    supervisor: String,
    stranger: String,
}

impl World {
    async fn new() -> Self {
        let clock = Arc::new(HandClock(Mutex::new(datetime!(2026-02-10 09:00 UTC))));
        let app = TestApp::sqlite_with(clock.clone(), WebConfig::default()).await;
        let (agency, worker) = app
            .agency_with_user("A", "worker@a.example", CASEWORKER)
            .await;
        let supervisor = app.user(&agency, "sup@a.example", SUPERVISOR).await;
        let group = app
            .store
            .create_group(None, agency.id, "Team")
            .await
            .unwrap();
        app.store
            .set_group_members(None, group.id, &[worker.id, supervisor.id])
            .await
            .unwrap();
        let (_, stranger) = app
            .agency_with_user("B", "worker@b.example", CASEWORKER)
            .await;
        Self {
            worker: app.token(&worker).await,
            supervisor: app.token(&supervisor).await,
            stranger: app.token(&stranger).await,
            client: Client::new(),
            clock,
            app,
        }
    }

    async fn send(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .request(method, self.app.url(path))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        if let Some(v) = if_match {
            req = req.header("If-Match", v);
        }
        req.send().await.unwrap()
    }

    async fn case(&self, body: Value) -> String {
        let resp = self
            .send(
                &self.worker,
                reqwest::Method::POST,
                "/api/v1/cases",
                Some(body),
                None,
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        let v: Value = resp.json().await.unwrap();
        v["id"].as_str().unwrap().to_string()
    }

    /// Moves the clock on a second, so that what happens next is seen to happen later.
    fn tick(&self) {
        *self.clock.0.lock().unwrap() += Duration::seconds(1);
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        self.send(token, reqwest::Method::POST, path, Some(body), None)
            .await
    }

    async fn json(&self, token: &str, path: &str) -> Value {
        let resp = self
            .send(token, reqwest::Method::GET, path, None, None)
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        resp.json().await.unwrap()
    }
}

#[tokio::test]
async fn workflow_actions_answer_409_with_the_allowed_ones_and_422_naming_the_field() {
    let w = World::new().await;
    let id = w
        .case(json!({"given_name": "Amal", "risk_level": "high"}))
        .await;
    let url = format!("/api/v1/cases/{id}/workflow");

    let resp = w
        .send(&w.worker, reqwest::Method::GET, &url, None, None)
        .await;
    assert_eq!(resp.headers()["etag"], "\"1\"");
    let view: Value = resp.json().await.unwrap();
    assert_eq!(view["stage"], "registration");
    assert_eq!(view["status"], "open");
    assert!(
        view["allowed"]
            .as_array()
            .unwrap()
            .contains(&json!("start_assessment"))
    );
    assert_eq!(view["tasks"][0]["kind"], "assessment");

    let post = |body: Value, etag: Option<&'static str>| {
        w.send(&w.worker, reqwest::Method::POST, &url, Some(body), etag)
    };
    let missing = post(json!({"action": "start_assessment", "kind": "short"}), None).await;
    error(missing, StatusCode::PRECONDITION_REQUIRED).await;

    let refused = post(json!({"action": "start_implementation"}), Some("\"1\"")).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error"].is_string() && body["message"].is_string(),
        "{body}"
    );
    assert!(
        body["allowed"]
            .as_array()
            .unwrap()
            .contains(&json!("start_assessment")),
        "{body}"
    );

    let bad = post(
        json!({"action": "start_assessment", "kind": "deep"}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(
        paths(&error(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["kind"]
    );
    let unknown = post(json!({"action": "teleport"}), Some("\"1\"")).await;
    assert_eq!(
        paths(&error(unknown, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["action"]
    );
    let future = post(
        json!({"action": "complete_assessment", "completed_on": "2030-01-01"}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(future.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let ok = post(
        json!({"action": "start_assessment", "kind": "short"}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.headers()["etag"], "\"2\"");
    let view: Value = ok.json().await.unwrap();
    assert_eq!(view["stage"], "assessment");
    let stale = post(
        json!({"action": "start_assessment", "kind": "short"}),
        Some("\"1\""),
    )
    .await;
    error(stale, StatusCode::PRECONDITION_FAILED).await;

    // The supervisor approves what the caseworker asked for; the caseworker cannot.
    for body in [
        json!({"action": "complete_assessment", "completed_on": "2026-02-10"}),
        json!({"action": "request_approval", "subject": "assessment"}),
    ] {
        let v = w.json(&w.worker, &url).await["version"].as_i64().unwrap();
        let tag = format!("\"{v}\"");
        let r = w
            .send(
                &w.worker,
                reqwest::Method::POST,
                &url,
                Some(body),
                Some(&tag),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let approve = json!({"action": "approve", "subject": "assessment"});
    let own = w
        .send(
            &w.worker,
            reqwest::Method::POST,
            &url,
            Some(approve.clone()),
            Some("\"4\""),
        )
        .await;
    assert_eq!(own.status(), StatusCode::CONFLICT);
    let sup = w.json(&w.supervisor, &url).await;
    assert_eq!(sup["pending_approval"], "assessment");
    assert!(
        sup["allowed"]
            .as_array()
            .unwrap()
            .contains(&json!("approve"))
    );
    let done = w
        .send(
            &w.supervisor,
            reqwest::Method::POST,
            &url,
            Some(approve),
            Some("\"4\""),
        )
        .await;
    assert_eq!(done.status(), StatusCode::OK);

    // Out of scope is absent.
    let other = w
        .send(&w.stranger, reqwest::Method::GET, &url, None, None)
        .await;
    error(other, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_detention_placement_alerts_the_supervisor_with_days_counting_up() {
    let w = World::new().await;
    let id = w.case(json!({"given_name": "Amal"})).await;
    let url = format!("/api/v1/cases/{id}/placements");
    let resp = w
        .send(
            &w.worker,
            reqwest::Method::POST,
            &url,
            Some(json!({"type": "immigration_detention", "start_date": "2026-01-05", "place": "Centre", "pcode": "mx9501"})),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let placed: Value = resp.json().await.unwrap();
    assert_eq!(placed["current_detention"]["since"], "2026-01-05");
    assert_eq!(placed["days_detained"], 37);

    let detention = |alerts: &Value| -> Vec<Value> {
        alerts
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["kind"] == "detention" && a["case_id"] == json!(id))
            .cloned()
            .collect()
    };
    let seen = detention(&w.json(&w.supervisor, "/api/v1/alerts").await);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["days_detained"], 37);
    *w.clock.0.lock().unwrap() += Duration::days(3);
    let later = detention(&w.json(&w.supervisor, "/api/v1/alerts").await);
    assert_eq!(later[0]["days_detained"], 40);
    let history = w.json(&w.supervisor, &url).await;
    assert_eq!(history["days_detained"], 40);
    assert_eq!(history["placements"][0]["type"], "immigration_detention");
    assert_eq!(
        history["placements"][0]["pcode"], "MX9501",
        "the P-code is kept, normalised"
    );
    assert!(detention(&w.json(&w.stranger, "/api/v1/alerts").await).is_empty());

    let bad = w
        .send(
            &w.worker,
            reqwest::Method::POST,
            &url,
            Some(json!({"type": "hotel", "start_date": "2026-01-05", "end_date": "2026-01-01"})),
            None,
        )
        .await;
    assert_eq!(
        paths(&error(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["type", "end_date"]
    );

    let moved = w
        .send(
            &w.worker,
            reqwest::Method::POST,
            &url,
            Some(json!({"type": "foster", "start_date": "2026-02-12"})),
            None,
        )
        .await;
    assert_eq!(moved.status(), StatusCode::CREATED);
    assert!(detention(&w.json(&w.supervisor, "/api/v1/alerts").await).is_empty());
}

#[tokio::test]
async fn overdue_tasks_surface_for_the_caseworker_and_the_supervisor() {
    let w = World::new().await;
    let high = w
        .case(json!({"given_name": "Amal", "risk_level": "high"}))
        .await;
    w.case(json!({"given_name": "Omar", "risk_level": "low"}))
        .await;
    *w.clock.0.lock().unwrap() += Duration::hours(30);

    let mine = w.json(&w.worker, "/api/v1/tasks?overdue=true").await;
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["case_id"], json!(high));
    assert_eq!(mine[0]["kind"], "assessment");
    assert_eq!(mine[0]["overdue"], true);
    let sup = w.json(&w.supervisor, "/api/v1/tasks?overdue=true").await;
    assert_eq!(sup.as_array().unwrap().len(), 1);
    assert_eq!(
        w.json(&w.worker, "/api/v1/tasks")
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(
        w.json(&w.stranger, "/api/v1/tasks")
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    let bad = w
        .send(
            &w.worker,
            reqwest::Method::GET,
            "/api/v1/tasks?overdue=maybe",
            None,
            None,
        )
        .await;
    assert_eq!(
        paths(&error(bad, StatusCode::BAD_REQUEST).await),
        ["overdue"]
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_casework_routes() {
    let w = World::new().await;
    let doc = w.json(&w.worker, "/api/v1/openapi.json").await;
    for path in [
        "/api/v1/cases/{id}/workflow",
        "/api/v1/cases/{id}/placements",
        "/api/v1/tasks",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is not documented");
    }
}

#[tokio::test]
async fn referrals_notes_flags_and_assignment_show_on_one_timeline() {
    let w = World::new().await;
    let id = w.case(json!({"given_name": "Amal"})).await;
    let other_agency = w.json(&w.stranger, "/api/v1/me").await;
    let other_agency = other_agency["agency_id"]
        .as_str()
        .or_else(|| other_agency["user"]["agency_id"].as_str())
        .unwrap()
        .to_string();

    let referral_body =
        json!({"service": "legal_aid", "to_agency_id": other_agency, "reason": "asylum claim"});
    let without = w
        .post(
            &w.worker,
            &format!("/api/v1/cases/{id}/referrals"),
            referral_body.clone(),
        )
        .await;
    assert_eq!(without.status(), StatusCode::CONFLICT);
    let body: Value = without.json().await.unwrap();
    assert_eq!(body["error"], "consent_required");
    let consent = w
        .post(
            &w.worker,
            &format!("/api/v1/cases/{id}/consents"),
            json!({"basis": "consent", "purposes": ["services", "sharing"],
                   "recipients": ["other_agency"], "given_by": "caregiver",
                   "given_by_name": "A. Carer"}),
        )
        .await;
    assert_eq!(consent.status(), StatusCode::CREATED);
    let r = w
        .post(
            &w.worker,
            &format!("/api/v1/cases/{id}/referrals"),
            referral_body,
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let referral: Value = r.json().await.unwrap();
    assert_eq!(referral["status"], "requested");
    let rid = referral["id"].as_str().unwrap().to_string();
    let bad = w
        .post(
            &w.worker,
            &format!("/api/v1/cases/{id}/referrals"),
            json!({"service": "teleportation"}),
        )
        .await;
    assert_eq!(
        paths(&error(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["service"]
    );

    // The receiving agency sees the referral (not the case) and answers it.
    let theirs = w.json(&w.stranger, "/api/v1/referrals").await;
    assert_eq!(theirs.as_array().unwrap().len(), 1);
    let own = w
        .post(
            &w.worker,
            &format!("/api/v1/referrals/{rid}/actions"),
            json!({"action": "accept"}),
        )
        .await;
    assert_eq!(own.status(), StatusCode::CONFLICT);
    let body: Value = own.json().await.unwrap();
    assert_eq!(body["error"], "not_your_referral");
    assert_eq!(body["allowed"], json!(["cancel"]));
    w.tick();
    let ok = w
        .post(
            &w.stranger,
            &format!("/api/v1/referrals/{rid}/actions"),
            json!({"action": "accept"}),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);

    w.tick();
    let note = w
        .post(
            &w.worker,
            &format!("/api/v1/cases/{id}/notes"),
            json!({"text": "The uncle called."}),
        )
        .await;
    assert_eq!(note.status(), StatusCode::CREATED);
    w.tick();
    let flag = w
        .post(
            &w.worker,
            &format!("/api/v1/cases/{id}/flags"),
            json!({"reason": "age_dispute"}),
        )
        .await;
    assert_eq!(flag.status(), StatusCode::CREATED);
    let items = w
        .json(&w.worker, &format!("/api/v1/cases/{id}/items"))
        .await;
    assert_eq!(items.as_array().unwrap().len(), 3);
    assert_eq!(items[1]["body"]["text"], "The uncle called.");

    // Assignment needs case.assign: the supervisor hands the case to themselves.
    let me_sup = w.json(&w.supervisor, "/api/v1/me").await;
    let sup_id = me_sup["id"]
        .as_str()
        .or_else(|| me_sup["user"]["id"].as_str())
        .unwrap()
        .to_string();
    let denied = w
        .send(
            &w.worker,
            reqwest::Method::POST,
            &format!("/api/v1/cases/{id}/assignment"),
            Some(json!({"user_id": sup_id})),
            Some("\"1\""),
        )
        .await;
    error(denied, StatusCode::FORBIDDEN).await;
    w.tick();
    let assigned = w
        .send(
            &w.supervisor,
            reqwest::Method::POST,
            &format!("/api/v1/cases/{id}/assignment"),
            Some(json!({"user_id": sup_id})),
            Some("\"1\""),
        )
        .await;
    assert_eq!(assigned.status(), StatusCode::OK);

    let timeline = w
        .json(&w.supervisor, &format!("/api/v1/cases/{id}/timeline"))
        .await;
    let kinds: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["record_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["case", "referral", "referral", "note", "flag", "case"]
    );
    let t = w
        .send(
            &w.stranger,
            reqwest::Method::GET,
            &format!("/api/v1/cases/{id}/timeline"),
            None,
            None,
        )
        .await;
    error(t, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn route_and_legal_status_are_hidden_from_roles_without_the_protection_class() {
    let w = World::new().await;
    let id = w
        .case(json!({
            "given_name": "Amal",
            "route": {"drivers": ["persecution"], "places": [{"kind": "origin", "place": {"name": "Home"}}]},
            "legal_identity": {
                "birth_registration": {"status": "registered", "certificate_number": "B-123"},
                "legal_status": {"status": "asylum_seeker"},
            },
        }))
        .await;
    let agency = w.app.store.agencies().await.unwrap();
    let officer = w
        .app
        .user(
            &agency[0],
            "tracing@a.example",
            haven_domain::access::TRACING_OFFICER,
        )
        .await;
    let officer = w.app.token(&officer).await;
    let path = format!("/api/v1/cases/{id}");
    let full = w.json(&w.worker, &path).await;
    assert_eq!(full["route"]["drivers"], json!(["persecution"]));
    assert_eq!(
        full["legal_identity"]["legal_status"]["status"],
        "asylum_seeker"
    );
    let seen = w.json(&officer, &path).await;
    assert!(seen["route"].is_null(), "{seen}");
    assert!(seen["legal_identity"]["legal_status"].is_null(), "{seen}");
    assert_eq!(
        seen["legal_identity"]["birth_registration"]["certificate_number"],
        "B-123"
    );
    let bad = w
        .send(
            &w.worker,
            reqwest::Method::POST,
            "/api/v1/cases",
            Some(json!({"given_name": "Omar", "route": {"drivers": ["boredom"]}})),
            None,
        )
        .await;
    assert_eq!(
        paths(&error(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["route.drivers.0"]
    );
}
