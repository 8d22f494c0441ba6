//! The API over PostgreSQL: the same binary, the other backend. The store suite covers every
//! rule on both databases; this checks that the HTTP layer works on top of PostgreSQL too.

use haven_domain::access::CASEWORKER;
use haven_testkit::TestApp;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::{amal, error, paths};

#[tokio::test]
async fn cases_work_end_to_end_on_postgres() {
    let Some(app) = TestApp::postgres().await else {
        return;
    };
    let (_, user) = app
        .agency_with_user("A", "worker@a.example", CASEWORKER)
        .await;
    let token = app.token(&user).await;
    let client = Client::new();
    let authed = |req: reqwest::RequestBuilder| req.bearer_auth(&token);

    let anon = client.get(app.url("/api/v1/cases")).send().await.unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    let health: Value = client
        .get(app.url("/api/v1/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["database"], "postgres");

    let created = authed(client.post(app.url("/api/v1/cases")).json(&amal()))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.headers()["etag"], "\"1\"");
    let case: Value = created.json().await.unwrap();
    let url = app.url(&format!("/api/v1/cases/{}", case["id"].as_str().unwrap()));
    let read: Value = authed(client.get(&url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read, case);

    let missing = authed(client.patch(&url).json(&json!({"risk_level": "high"})))
        .send()
        .await
        .unwrap();
    error(missing, StatusCode::PRECONDITION_REQUIRED).await;
    let ok = authed(
        client
            .patch(&url)
            .header("If-Match", "\"1\"")
            .json(&json!({"risk_level": "high"})),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let stale = authed(
        client
            .patch(&url)
            .header("If-Match", "\"1\"")
            .json(&json!({"risk_level": "low"})),
    )
    .send()
    .await
    .unwrap();
    error(stale, StatusCode::PRECONDITION_FAILED).await;

    let bad = authed(
        client
            .post(app.url("/api/v1/cases"))
            .json(&json!({"given_name": "B", "nationality": "XX"})),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        paths(&error(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["nationality"]
    );

    let list: Value = authed(client.get(app.url("/api/v1/cases?risk_level=high")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["version"], 2);

    let (_, other) = app
        .agency_with_user("B", "worker@b.example", CASEWORKER)
        .await;
    let other_token = app.token(&other).await;
    let foreign = client
        .get(&url)
        .bearer_auth(&other_token)
        .send()
        .await
        .unwrap();
    error(foreign, StatusCode::NOT_FOUND).await;
}
