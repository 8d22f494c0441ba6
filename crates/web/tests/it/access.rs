//! Access control as users meet it: locking, second factors, sessions, scoped tokens, grants,
//! field classes, break-the-glass, consent, and attack input.

use haven_crypto::totp::{self, TotpSecret};
use haven_domain::access::{
    AGENCY_ADMIN, CASEWORKER, DATA_OFFICER, SUPERVISOR, SYSTEM_ADMIN, TRACING_OFFICER,
};
use haven_testkit::{PASSWORD, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::{amal, error};

/// A browser: a cookie jar, and the CSRF token of its session.
struct Browser {
    client: Client,
    base: String,
    csrf: String,
}

impl Browser {
    fn new(app: &TestApp) -> Self {
        Self {
            client: Client::builder().cookie_store(true).build().unwrap(),
            base: app.base.clone(),
            csrf: String::new(),
        }
    }

    async fn login(&mut self, email: &str, password: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// Signs in and keeps the session's CSRF token; returns the session's second-factor state.
    async fn sign_in(&mut self, email: &str) -> String {
        let resp = self.login(email, PASSWORD).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let body: Value = resp.json().await.unwrap();
        self.csrf = body["csrf_token"].as_str().unwrap().to_string();
        body["mfa"].as_str().unwrap().to_string()
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.base))
    }

    fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{}{path}", self.base))
            .header("X-CSRF-Token", &self.csrf)
            .json(body)
    }
}

fn now() -> u64 {
    #[allow(clippy::disallowed_methods)]
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn json(resp: reqwest::Response, status: StatusCode) -> Value {
    let got = resp.status();
    let body = resp.text().await.unwrap();
    assert_eq!(got, status, "{body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

#[tokio::test]
async fn five_failures_lock_the_account_and_alert_its_admins() {
    let app = TestApp::sqlite().await;
    let (agency, _) = app
        .agency_with_user("A", "worker@a.example", CASEWORKER)
        .await;
    let admin = app.user(&agency, "admin@a.example", AGENCY_ADMIN).await;
    let mut b = Browser::new(&app);
    for _ in 0..5 {
        let r = b.login("worker@a.example", "wrong password here").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Now even the right password is refused for a while, and the answer says for how long.
    let locked = b.login("worker@a.example", PASSWORD).await;
    assert!(locked.headers().contains_key("retry-after"));
    assert_eq!(
        error(locked, StatusCode::TOO_MANY_REQUESTS).await["error"],
        "account_locked"
    );
    let token = app.token(&admin).await;
    let alerts: Value = Client::new()
        .get(app.url("/api/v1/alerts"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["login_failures"]);
    let audit = app.store.audit_rows(0, 1000).await.unwrap();
    assert_eq!(
        audit.iter().filter(|r| r.action == "login.failure").count(),
        5
    );
    assert!(audit.iter().any(|r| r.action == "login.throttled"));
}

#[tokio::test]
async fn a_totp_code_works_once_and_so_does_each_recovery_code() {
    let app = TestApp::sqlite().await;
    app.agency_with_user("A", "worker@a.example", CASEWORKER)
        .await;
    let mut b = Browser::new(&app);
    assert_eq!(b.sign_in("worker@a.example").await, "complete");
    let setup = json(
        b.post("/api/v1/auth/totp/setup", &json!({}))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let secret = TotpSecret::from_base32(setup["secret"].as_str().unwrap()).unwrap();
    let wrong = b
        .post(
            "/api/v1/auth/totp/confirm",
            &json!({"secret": setup["secret"], "code": "000000"}),
        )
        .send()
        .await
        .unwrap();
    if wrong.status() != StatusCode::OK {
        assert_eq!(
            error(wrong, StatusCode::UNPROCESSABLE_ENTITY).await["fields"][0]["path"],
            "code"
        );
    }
    let code = totp::code(&secret, now()).unwrap();
    let enrolled = json(
        b.post(
            "/api/v1/auth/totp/confirm",
            &json!({"secret": setup["secret"], "code": code}),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    let recovery: Vec<String> = enrolled["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(recovery.len(), 10);

    // A new sign-in waits for the second factor; the code just used does not work again.
    let mut b = Browser::new(&app);
    assert_eq!(b.sign_in("worker@a.example").await, "pending");
    let blocked = b.get("/api/v1/cases").send().await.unwrap();
    assert_eq!(
        error(blocked, StatusCode::UNAUTHORIZED).await["error"],
        "mfa_required"
    );
    let replay = b
        .post("/api/v1/auth/totp", &json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error(replay, StatusCode::UNAUTHORIZED).await["error"],
        "invalid_code"
    );
    let first = b
        .post(
            "/api/v1/auth/totp",
            &json!({"recovery_code": recovery[0].to_uppercase()}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(
        b.get("/api/v1/cases").send().await.unwrap().status(),
        StatusCode::OK
    );

    let mut again = Browser::new(&app);
    assert_eq!(again.sign_in("worker@a.example").await, "pending");
    let reused = again
        .post("/api/v1/auth/totp", &json!({"recovery_code": recovery[0]}))
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
    let actions: Vec<String> = app
        .store
        .audit_rows(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    for expected in [
        "mfa.enrol",
        "mfa.failure",
        "mfa.recovery_code",
        "mfa.success",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected}: {actions:?}"
        );
    }
}

#[tokio::test]
async fn roles_that_reach_every_agency_must_set_up_a_second_factor() {
    let app = TestApp::sqlite().await;
    app.agency_with_user("A", "root@a.example", SYSTEM_ADMIN)
        .await;
    let mut b = Browser::new(&app);
    assert_eq!(b.sign_in("root@a.example").await, "enrol");
    let blocked = b.get("/api/v1/users").send().await.unwrap();
    assert_eq!(
        error(blocked, StatusCode::UNAUTHORIZED).await["error"],
        "mfa_enrolment_required"
    );
}

#[tokio::test]
async fn forged_and_tampered_sessions_are_refused() {
    let app = TestApp::sqlite().await;
    app.agency_with_user("A", "worker@a.example", CASEWORKER)
        .await;
    let resp = Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "worker@a.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = resp.headers()["set-cookie"].to_str().unwrap();
    let value = cookie.split(';').next().unwrap().to_string();
    let mut tampered = value.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'a' { 'b' } else { 'a' });
    for forged in [
        value.clone() + "x",
        tampered,
        "haven_session=hvs_forged".into(),
        "haven_session=' OR 1=1 --".into(),
    ] {
        let r = Client::new()
            .get(app.url("/api/v1/cases"))
            .header("Cookie", forged)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let ok = Client::new()
        .get(app.url("/api/v1/cases"))
        .header("Cookie", value)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_tokens_at_once() {
    let app = TestApp::sqlite().await;
    let (agency, worker) = app
        .agency_with_user("A", "worker@a.example", CASEWORKER)
        .await;
    let admin = app.user(&agency, "admin@a.example", AGENCY_ADMIN).await;
    let mut b = Browser::new(&app);
    b.sign_in("worker@a.example").await;
    let token = app.token(&worker).await;
    let admin_token = app.token(&admin).await;
    let disabled = Client::new()
        .post(app.url(&format!("/api/v1/users/{}/disable", worker.id)))
        .bearer_auth(&admin_token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(json(disabled, StatusCode::OK).await["active"], false);
    assert_eq!(
        b.get("/api/v1/me").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let by_token = Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        b.login("worker@a.example", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_token_does_only_what_it_was_limited_to_until_revoked() {
    let app = TestApp::sqlite().await;
    let (_, worker) = app
        .agency_with_user("A", "worker@a.example", CASEWORKER)
        .await;
    let full = app.token(&worker).await;
    let made = json(
        Client::new()
            .post(app.url("/api/v1/tokens"))
            .bearer_auth(&full)
            .json(&json!({"name": "read only", "expires_in_days": 7, "permissions": ["case.read"]}))
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let limited = made["token"].as_str().unwrap();
    assert_eq!(made["permissions"], json!(["case.read"]));
    let c = Client::new();
    assert_eq!(
        c.get(app.url("/api/v1/cases"))
            .bearer_auth(limited)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let write = c
        .post(app.url("/api/v1/cases"))
        .bearer_auth(limited)
        .json(&amal())
        .send()
        .await
        .unwrap();
    assert_eq!(
        error(write, StatusCode::FORBIDDEN).await["error"],
        "forbidden"
    );
    // A token cannot be made with more than its maker holds.
    let wider = c
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(limited)
        .json(&json!({"name": "wider", "permissions": ["case.read", "case.create"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json(wider, StatusCode::CREATED).await["permissions"],
        json!(["case.read"])
    );
    let bad = c
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(&full)
        .json(&json!({"name": "", "expires_in_days": 9999, "permissions": ["case.destroy"]}))
        .send()
        .await
        .unwrap();
    let fields = crate::paths(&error(bad, StatusCode::UNPROCESSABLE_ENTITY).await);
    assert_eq!(fields, ["name", "expires_in_days", "permissions.0"]);
    let revoked = c
        .delete(app.url(&format!("/api/v1/tokens/{}", made["id"].as_str().unwrap())))
        .bearer_auth(&full)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        c.get(app.url("/api/v1/cases"))
            .bearer_auth(limited)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn nobody_grants_more_than_they_hold() {
    let app = TestApp::sqlite().await;
    let (_, admin) = app
        .agency_with_user("A", "admin@a.example", AGENCY_ADMIN)
        .await;
    let token = app.token(&admin).await;
    let c = Client::new();
    let user = |role: &str| {
        json!({"email": format!("{role}@a.example"), "display_name": "New", "role": role,
               "password": "a long enough password"})
    };
    for role in [SYSTEM_ADMIN, DATA_OFFICER] {
        let r = c
            .post(app.url("/api/v1/users"))
            .bearer_auth(&token)
            .json(&user(role))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role}");
    }
    let ok = c
        .post(app.url("/api/v1/users"))
        .bearer_auth(&token)
        .json(&user(SUPERVISOR))
        .send()
        .await
        .unwrap();
    assert_eq!(json(ok, StatusCode::CREATED).await["role"], SUPERVISOR);
    let weak = c
        .post(app.url("/api/v1/users"))
        .bearer_auth(&token)
        .json(
            &json!({"email": "weak@a.example", "display_name": "Weak", "role": "caseworker",
                      "password": "password1234"}),
        )
        .send()
        .await
        .unwrap();
    let body = error(weak, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(crate::paths(&body), ["password"]);
    assert!(
        body["message"].as_str().unwrap().contains("common"),
        "{body}"
    );
}

#[tokio::test]
async fn field_classes_decide_what_each_role_sees() {
    let app = TestApp::sqlite().await;
    let (agency, worker) = app
        .agency_with_user("A", "worker@a.example", CASEWORKER)
        .await;
    let tracer = app.user(&agency, "tracer@a.example", TRACING_OFFICER).await;
    let data = app.user(&agency, "data@a.example", DATA_OFFICER).await;
    let c = Client::new();
    let worker_token = app.token(&worker).await;
    let mut case = amal();
    case["specific_needs"] = json!(["SC-UC"]);
    case["family"] = json!([{"relation": "mother", "given_name": "Huda", "contact": "+000 1"}]);
    let created = json(
        c.post(app.url("/api/v1/cases"))
            .bearer_auth(&worker_token)
            .json(&case)
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let path = format!("/api/v1/cases/{}", created["id"].as_str().unwrap());
    assert_eq!(created["specific_needs"], json!(["SC-UC"]));

    let seen = json(
        c.get(app.url(&path))
            .bearer_auth(app.token(&tracer).await)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen["given_name"], "Amal");
    assert_eq!(seen["family"][0]["contact"], "+000 1");
    assert!(seen.get("specific_needs").is_none(), "{seen}");

    let refused = c
        .get(app.url(&path))
        .bearer_auth(app.token(&data).await)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn breaking_the_glass_needs_a_reason_and_alerts_the_supervisor() {
    let app = TestApp::sqlite().await;
    let (agency, owner) = app
        .agency_with_user("A", "owner@a.example", CASEWORKER)
        .await;
    let outsider = app.user(&agency, "outsider@a.example", CASEWORKER).await;
    let supervisor = app.user(&agency, "super@a.example", SUPERVISOR).await;
    let group = app
        .store
        .create_group(None, agency.id, "Team")
        .await
        .unwrap();
    app.store
        .set_group_members(None, group.id, &[owner.id, supervisor.id])
        .await
        .unwrap();
    let c = Client::new();
    let created = json(
        c.post(app.url("/api/v1/cases"))
            .bearer_auth(app.token(&owner).await)
            .json(&amal())
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let outsider_token = app.token(&outsider).await;
    let read = || {
        c.get(app.url(&format!("/api/v1/cases/{id}")))
            .bearer_auth(&outsider_token)
            .send()
    };
    assert_eq!(read().await.unwrap().status(), StatusCode::NOT_FOUND);
    let curt = c
        .post(app.url(&format!("/api/v1/cases/{id}/break-glass")))
        .bearer_auth(&outsider_token)
        .json(&json!({"reason": "need"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        crate::paths(&error(curt, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["reason"]
    );
    let grant = json(
        c.post(app.url(&format!("/api/v1/cases/{id}/break-glass")))
            .bearer_auth(&outsider_token)
            .json(
                &json!({"reason": "The owner is away and the child was reported missing tonight"}),
            )
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert!(grant["expires_at"].is_string());
    assert_eq!(read().await.unwrap().status(), StatusCode::OK);
    let alerts = json(
        c.get(app.url("/api/v1/alerts"))
            .bearer_auth(app.token(&supervisor).await)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(alerts[0]["kind"], "break_glass");
    assert_eq!(alerts[0]["case_id"], id);
    assert_eq!(alerts[0]["user_id"], outsider.id.to_string());
    let audit = app.store.audit_rows(0, 1000).await.unwrap();
    let entry = audit
        .iter()
        .find(|r| r.action == "record.break_glass")
        .unwrap();
    assert_eq!(entry.target_id.as_deref(), Some(id));
    assert!(
        !entry.details.contains("missing tonight"),
        "the reason stays out of the log"
    );
}

#[tokio::test]
async fn consent_is_recorded_with_its_rules_and_withdrawn() {
    let app = TestApp::sqlite().await;
    let (_, worker) = app
        .agency_with_user("A", "worker@a.example", CASEWORKER)
        .await;
    let token = app.token(&worker).await;
    let c = Client::new();
    let created = json(
        c.post(app.url("/api/v1/cases"))
            .bearer_auth(&token)
            .json(&amal()) // born 2014: under 13
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let base = format!("/api/v1/cases/{}/consents", created["id"].as_str().unwrap());
    let by_child = c
        .post(app.url(&base))
        .bearer_auth(&token)
        .json(&json!({"basis": "consent", "purposes": ["tracing"], "given_by": "child"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        crate::paths(&error(by_child, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["given_by"]
    );
    let consent = json(
        c.post(app.url(&base))
            .bearer_auth(&token)
            .json(
                &json!({"basis": "consent", "purposes": ["tracing", "sharing"],
                "recipients": ["other_agency"], "given_by": "representative",
                "given_by_name": "Guardian Example"}),
            )
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(consent["given_by_name"], "Guardian Example");
    let listed = json(
        c.get(app.url(&base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let withdrawn = json(
        c.post(app.url(&format!(
            "{base}/{}/withdraw",
            consent["id"].as_str().unwrap()
        )))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(withdrawn["withdrawn_on"].is_string());
}

#[tokio::test]
async fn attack_input_gets_a_clean_refusal_and_changes_nothing() {
    let app = TestApp::sqlite().await;
    let (_, worker) = app
        .agency_with_user("A", "worker@a.example", CASEWORKER)
        .await;
    let (_, other) = app
        .agency_with_user("B", "other@b.example", CASEWORKER)
        .await;
    let token = app.token(&worker).await;
    let c = Client::new();
    let theirs = json(
        c.post(app.url("/api/v1/cases"))
            .bearer_auth(app.token(&other).await)
            .json(&amal())
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let head = app.store.audit_head().await.unwrap();

    let sql = c
        .get(app.url("/api/v1/cases?risk_level=high%27%20OR%201%3D1--"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        crate::paths(&error(sql, StatusCode::BAD_REQUEST).await),
        ["risk_level"]
    );
    let huge = c
        .post(app.url("/api/v1/cases"))
        .bearer_auth(&token)
        .json(&json!({"given_name": "x".repeat(5000)}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        crate::paths(&error(huge, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["given_name"]
    );
    let id = theirs["id"].as_str().unwrap();
    let patch = c
        .patch(app.url(&format!("/api/v1/cases/{id}")))
        .bearer_auth(&token)
        .header("If-Match", "\"1\"")
        .json(&json!({"risk_level": "low"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error(patch, StatusCode::NOT_FOUND).await["error"],
        "not_found"
    );
    let rows = app.store.audit_rows(head.seq, 100).await.unwrap();
    assert!(
        rows.iter()
            .all(|r| r.action == "authorization.failure" || r.action.ends_with(".list")),
        "{:?}",
        rows.iter().map(|r| &r.action).collect::<Vec<_>>()
    );
    assert!(rows.iter().any(|r| r.action == "authorization.failure"));

    // Metacharacters in a name are data, stored and returned as given.
    let name = "O'Brien\"); DROP TABLE cases;--";
    let made = json(
        c.post(app.url("/api/v1/cases"))
            .bearer_auth(&token)
            .json(&json!({"given_name": name}))
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(made["given_name"], name);
}

#[tokio::test]
async fn garbage_to_the_admin_routes_names_every_field_and_writes_nothing() {
    let app = TestApp::sqlite().await;
    let (_, root) = app
        .agency_with_user("A", "root@a.example", SYSTEM_ADMIN)
        .await;
    let token = app.token(&root).await;
    let c = Client::new();
    let head = app.store.audit_head().await.unwrap();
    let send = |method: reqwest::Method, path: &str, body: Value| {
        c.request(method, app.url(path))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let cases: [(reqwest::Method, &str, Value, &[&str]); 6] = [
        (
            reqwest::Method::PUT,
            "/api/v1/roles/Bad%20Name",
            json!({"permissions": ["case.read", "case.fly"], "scope": "galaxy", "sees": ["secrets"]}),
            &["name", "permissions.1", "scope", "sees.0"],
        ),
        (
            reqwest::Method::POST,
            "/api/v1/users",
            json!({"email": "not-an-email", "display_name": " ", "role": "caseworker", "password": "short"}),
            &["email", "display_name", "password"],
        ),
        (
            reqwest::Method::POST,
            "/api/v1/agencies",
            json!({"code": "no spaces!", "name": ""}),
            &["code", "name"],
        ),
        (
            reqwest::Method::POST,
            "/api/v1/groups",
            json!({"name": "x".repeat(500)}),
            &["name"],
        ),
        (
            reqwest::Method::POST,
            "/api/v1/tokens",
            json!({"name": "t", "expires_in_days": 0}),
            &["expires_in_days"],
        ),
        (
            reqwest::Method::POST,
            "/api/v1/users",
            json!({"email": "x@a.example", "display_name": "X", "role": "no_such_role",
                   "password": "a long enough password"}),
            &["role"],
        ),
    ];
    for (method, path, body, fields) in cases {
        let resp = send(method.clone(), path, body).await.unwrap();
        let got = error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(crate::paths(&got), fields, "{method} {path}");
    }
    let unknown = send(
        reqwest::Method::POST,
        "/api/v1/agencies",
        json!({"code": "OK", "name": "N", "extra": 1}),
    )
    .await
    .unwrap();
    assert_eq!(
        crate::paths(&error(unknown, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["extra"]
    );
    let rows = app.store.audit_rows(head.seq, 100).await.unwrap();
    assert!(
        rows.is_empty(),
        "{:?}",
        rows.iter().map(|r| &r.action).collect::<Vec<_>>()
    );
    assert_eq!(app.store.roles().await.unwrap().len(), 6);
    assert_eq!(app.store.agencies().await.unwrap().len(), 1);
}
