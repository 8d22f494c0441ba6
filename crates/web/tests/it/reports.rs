//! Reports and pledges as a client sees them: JSON for screens, downloads for those who may
//! export, 422s naming the parameter, pledges under If-Match with their progress.

use haven_domain::access::{CASEWORKER, DATA_OFFICER, SUPERVISOR};
use haven_domain::user::Actor;
use haven_testkit::TestApp;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::{error, paths};

struct World {
    app: TestApp,
    client: Client,
    worker: String,
    supervisor: String,
    officer: String,
}

impl World {
    async fn new() -> Self {
        let app = TestApp::sqlite().await;
        let (agency, worker) = app
            .agency_with_user("A", "worker@a.example", CASEWORKER)
            .await;
        let supervisor = app.user(&agency, "sup@a.example", SUPERVISOR).await;
        let officer = app.user(&agency, "data@a.example", DATA_OFFICER).await;
        let actor = Actor::from(&worker);
        for (i, sex) in ["female", "male"].iter().cycle().take(14).enumerate() {
            let doc = haven_domain::case::doc_from_json(json!({
                "given_name": format!("Zqx{i}"), "sex": sex, "date_of_birth": "2014-05-01",
                "risk_level": "high", "separation_status": "unaccompanied", "nationality": "SY",
                "registration_date": "2026-01-10"}))
            .unwrap();
            app.store.create_case(&actor, doc).await.unwrap();
        }
        Self {
            worker: app.token(&worker).await,
            supervisor: app.token(&supervisor).await,
            officer: app.token(&officer).await,
            client: Client::new(),
            app,
        }
    }

    async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.app.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    async fn last_audit(&self) -> (String, String) {
        let head = self.app.store.audit_head().await.unwrap();
        let row = self
            .app
            .store
            .audit_rows(head.seq - 1, 1)
            .await
            .unwrap()
            .pop()
            .unwrap();
        (row.action, row.details)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_are_suppressed_json_and_downloads_need_export() {
    let w = World::new().await;
    let cat: Value = w
        .get(&w.worker, "/api/v1/indicators")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cat["indicators"].as_array().unwrap().len(), 22);

    let path = "/api/v1/reports/1?from=2026-01-01&to=2026-06-30&by=sex";
    let resp = w.get(&w.officer, path).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let report: Value = resp.json().await.unwrap();
    assert_eq!(report["threshold"], 4);
    let open = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["indicator"] == "prot_open_cases")
        .unwrap();
    let text = open.to_string();
    // 14 open high-risk cases, 7 girls and 7 boys: all above the threshold, so published.
    assert!(text.contains("\"count\":14"), "{text}");
    assert!(text.contains("\"count\":7"), "{text}");
    assert!(!text.contains("Zqx"));
    let (action, details) = w.last_audit().await;
    assert_eq!(action, "report.view");
    assert!(details.contains("\"cases\":14"), "{details}");

    let csv = w.get(&w.officer, &format!("{path}&format=hxl")).await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let disposition = csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"haven-area1-2026-01-01-2026-06-30"),
        "{disposition}"
    );
    let body = csv.text().await.unwrap();
    assert!(body.lines().nth(1).unwrap().starts_with("#indicator+code"));
    assert_eq!(w.last_audit().await.0, "report.export");

    // A supervisor reads reports but may not take them away; a caseworker reads none.
    assert_eq!(w.get(&w.supervisor, path).await.status(), StatusCode::OK);
    let refused = w.get(&w.supervisor, &format!("{path}&format=csv")).await;
    let body = error(refused, StatusCode::FORBIDDEN).await;
    assert!(body["message"].as_str().unwrap().contains("report.export"));
    error(w.get(&w.worker, path).await, StatusCode::FORBIDDEN).await;
    // Even with a bad query: the permission comes first.
    error(
        w.get(&w.worker, "/api/v1/reports/9").await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_report_parameters_are_named() {
    let w = World::new().await;
    let before = w.app.store.audit_head().await.unwrap().seq;
    let bad = w
        .get(
            &w.officer,
            "/api/v1/reports/9?by=sex,agee&from=2026-02-01&to=2026-01-01&threshold=0",
        )
        .await;
    let body = error(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(paths(&body), ["area", "by", "from", "threshold"], "{body}");
    for (query, field) in [
        ("/api/v1/reports/1?from=2026-13-01", "from"),
        ("/api/v1/reports/1?format=pdf", "format"),
        ("/api/v1/reports/1?threshold=2", "threshold"),
        ("/api/v1/reports/1?threshold=many", "threshold"),
        ("/api/v1/reports/2?indicator=id_documents", "indicator"),
        ("/api/v1/reports/6?by=risk", "by"),
        ("/api/v1/reports/1?colour=red", "colour"),
    ] {
        let body = error(
            w.get(&w.officer, query).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(paths(&body), [field], "{query}: {body}");
    }
    assert_eq!(
        w.app.store.audit_head().await.unwrap().seq,
        before,
        "nothing read"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pledges_carry_their_progress_and_change_under_if_match() {
    let w = World::new().await;
    let pledge = json!({"party": "government", "name": "Ministry of Interior", "area": 1,
        "indicator": "prot_open_cases", "baseline": 10.0, "target": 20.0,
        "baseline_date": "2025-01-01", "due_date": "2030-12-31"});
    let post = |token: &str, body: &Value| {
        w.client
            .post(w.app.url("/api/v1/pledges"))
            .bearer_auth(token)
            .json(body)
            .send()
    };
    error(
        post(&w.worker, &pledge).await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    error(
        post(&w.supervisor, &pledge).await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    let bad = post(
        &w.officer,
        &json!({"party": "ngo", "name": "", "area": 1,
        "indicator": "det_placements", "baseline": 1, "target": 2,
        "baseline_date": "2026-01-01", "due_date": "2025-01-01"}),
    )
    .await
    .unwrap();
    let body = error(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        paths(&body),
        ["party", "name", "indicator", "due_date"],
        "{body}"
    );
    let wrong_type = post(&w.officer, &json!({"area": "one"})).await.unwrap();
    error(wrong_type, StatusCode::UNPROCESSABLE_ENTITY).await;

    let created = post(&w.officer, &pledge).await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.headers()["etag"], "\"1\"");
    let created: Value = created.json().await.unwrap();
    // 14 open cases now: past the baseline of 10, on the way to 20.
    assert_eq!(created["progress"]["current"], 14.0, "{created}");
    assert_eq!(created["progress"]["suppressed"], false);
    assert!(created["progress"]["status"].is_string(), "{created}");
    let id = created["id"].as_str().unwrap().to_string();

    let list: Value = w
        .get(&w.supervisor, "/api/v1/pledges")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let one = w.get(&w.supervisor, &format!("/api/v1/pledges/{id}")).await;
    assert_eq!(one.status(), StatusCode::OK);
    error(
        w.get(
            &w.supervisor,
            &format!("/api/v1/pledges/{}", uuid::Uuid::new_v4()),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let patch = |version: Option<&str>, body: Value| {
        let mut r = w
            .client
            .patch(w.app.url(&format!("/api/v1/pledges/{id}")))
            .bearer_auth(&w.officer)
            .json(&body);
        if let Some(v) = version {
            r = r.header("If-Match", v);
        }
        r.send()
    };
    error(
        patch(None, json!({"target": 5.0})).await.unwrap(),
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let changed = patch(Some("\"1\""), json!({"target": 12.0})).await.unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(changed.headers()["etag"], "\"2\"");
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["target"], 12.0);
    assert_eq!(
        changed["progress"]["status"], "on_track",
        "target reached: {changed}"
    );
    error(
        patch(Some("\"1\""), json!({"target": 13.0})).await.unwrap(),
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
}
