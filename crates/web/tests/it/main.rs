//! The API as a client sees it: a real server on a free port over a real SQLite database.
// A failed unwrap in a test helper is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access;
mod cases;
mod casework;
mod matches;
mod matrix;
mod postgres;
mod reports;
mod security;
mod tracing;
mod ui;
mod ui_reports;
mod ui_tracing;

use haven_domain::access::CASEWORKER;
use haven_testkit::TestApp;
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

/// A server with one agency and a caseworker signed in by token.
pub struct Ctx {
    pub app: TestApp,
    pub client: Client,
    pub token: String,
}

impl Ctx {
    pub async fn new() -> Self {
        let app = TestApp::sqlite().await;
        let (_, user) = app
            .agency_with_user("A", "worker@a.example", CASEWORKER)
            .await;
        let token = app.token(&user).await;
        Self {
            app,
            client: Client::new(),
            token,
        }
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.app.url(path)).bearer_auth(&self.token)
    }

    pub fn post(&self, path: &str, body: &Value) -> RequestBuilder {
        self.client
            .post(self.app.url(path))
            .bearer_auth(&self.token)
            .json(body)
    }

    pub fn patch(&self, path: &str, body: &Value) -> RequestBuilder {
        self.client
            .patch(self.app.url(path))
            .bearer_auth(&self.token)
            .json(body)
    }

    /// Registers a case and returns its JSON.
    pub async fn create(&self, body: Value) -> Value {
        let resp = self.post("/api/v1/cases", &body).send().await.unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::CREATED,
            "{}",
            resp.text().await.unwrap()
        );
        resp.json().await.unwrap()
    }

    pub async fn case_count(&self) -> usize {
        let list: Value = self
            .get("/api/v1/cases?limit=500")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        list["items"].as_array().unwrap().len()
    }
}

pub fn amal() -> Value {
    json!({"given_name":"Amal","family_name":"Haddad","sex":"female","date_of_birth":"2014-03-02","nationality":"SY"})
}

/// The error body, after checking the status.
pub async fn error(resp: Response, status: StatusCode) -> Value {
    assert_eq!(resp.status(), status);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["error"].is_string() && body["message"].is_string() && body["fields"].is_array(),
        "{body}"
    );
    body
}

pub fn paths(body: &Value) -> Vec<String> {
    body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}
