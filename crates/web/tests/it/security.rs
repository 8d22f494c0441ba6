use haven_domain::access::CASEWORKER;
use haven_testkit::PASSWORD;
use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::{Ctx, amal, error};

#[tokio::test]
async fn no_record_route_answers_without_authentication() {
    let ctx = Ctx::new().await;
    let case = ctx.create(amal()).await;
    let id = case["id"].as_str().unwrap();
    let anon = Client::new();
    let url = |p: &str| ctx.app.url(p);
    let requests = [
        anon.get(url("/api/v1/cases")),
        anon.post(url("/api/v1/cases")).json(&amal()),
        anon.get(url(&format!("/api/v1/cases/{id}"))),
        anon.patch(url(&format!("/api/v1/cases/{id}")))
            .header("If-Match", "\"1\"")
            .json(&json!({"risk_level":"high"})),
        anon.get(url(&format!("/api/v1/cases/{id}/history"))),
        anon.get(url("/api/v1/me")),
        anon.get(url(&format!("/api/v1/cases/{id}")))
            .bearer_auth("hvn_forged"),
        anon.get(url(&format!("/api/v1/cases/{id}")))
            .header("Cookie", "haven_session=hvs_forged"),
    ];
    for req in requests {
        let resp = req.send().await.unwrap();
        assert!(resp.headers().contains_key("www-authenticate"));
        let body = error(resp, StatusCode::UNAUTHORIZED).await;
        assert_eq!(body["error"], "unauthenticated");
        assert!(!body.to_string().contains("Amal"));
    }
    // Nothing was written by the refused PATCH and POST.
    assert_eq!(ctx.case_count().await, 1);
    let now: serde_json::Value = ctx
        .get(&format!("/api/v1/cases/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(now["version"], 1);
}

#[tokio::test]
async fn login_sets_a_strict_http_only_session_and_logout_ends_it() {
    let ctx = Ctx::new().await;
    let client = Client::builder().cookie_store(true).build().unwrap();
    let login = ctx.app.url("/api/v1/auth/login");

    let wrong = client
        .post(&login)
        .json(&json!({"email":"worker@a.example","password":"not the password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error(wrong, StatusCode::UNAUTHORIZED).await["error"],
        "invalid_credentials"
    );
    let unknown = client
        .post(&login)
        .json(&json!({"email":"nobody@a.example","password":PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error(unknown, StatusCode::UNAUTHORIZED).await["error"],
        "invalid_credentials"
    );

    let ok = client
        .post(&login)
        .json(&json!({"email":"Worker@A.example","password":PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_string();
    let session: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(session["mfa"], "complete");
    let csrf = session["csrf_token"].as_str().unwrap().to_string();
    assert!(cookie.starts_with("haven_session=hvs_"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    let me = client.get(ctx.app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["user"]["email"], "worker@a.example");
    assert_eq!(me["user"]["role"], "caseworker");

    // A state-changing request on the cookie alone is refused: the CSRF token must come too.
    let forged = client
        .post(ctx.app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error(forged, StatusCode::FORBIDDEN).await["error"],
        "csrf_failed"
    );
    let out = client
        .post(ctx.app.url("/api/v1/auth/logout"))
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    // The server forgot the session: replaying the old cookie fails too.
    let value = cookie.split(';').next().unwrap().to_string();
    let replay = Client::new()
        .get(ctx.app.url("/api/v1/me"))
        .header("Cookie", value)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn another_agencys_case_is_indistinguishable_from_a_missing_one() {
    let ctx = Ctx::new().await;
    let case = ctx.create(amal()).await;
    let id = case["id"].as_str().unwrap();
    let (_, other) = ctx
        .app
        .agency_with_user("B", "worker@b.example", CASEWORKER)
        .await;
    let token = ctx.app.token(&other).await;
    let client = Client::new();

    let get = client
        .get(ctx.app.url(&format!("/api/v1/cases/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let missing = client
        .get(
            ctx.app
                .url("/api/v1/cases/00000000-0000-4000-8000-000000000000"),
        )
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let a = error(get, StatusCode::NOT_FOUND).await;
    let b = error(missing, StatusCode::NOT_FOUND).await;
    assert_eq!(a, b);

    let patch = client
        .patch(ctx.app.url(&format!("/api/v1/cases/{id}")))
        .bearer_auth(&token)
        .header("If-Match", "\"1\"")
        .json(&json!({"risk_level":"high"}))
        .send()
        .await
        .unwrap();
    error(patch, StatusCode::NOT_FOUND).await;
    let list: serde_json::Value = client
        .get(ctx.app.url("/api/v1/cases"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let history = client
        .get(ctx.app.url(&format!("/api/v1/cases/{id}/history")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    error(history, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn responses_carry_security_headers_and_health_needs_no_login() {
    let ctx = Ctx::new().await;
    let resp = Client::new()
        .get(ctx.app.url("/api/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers().clone();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["cache-control"], "no-store");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "sqlite");
}

#[tokio::test]
async fn the_openapi_document_describes_the_case_routes() {
    let ctx = Ctx::new().await;
    let doc: serde_json::Value = Client::new()
        .get(ctx.app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/history",
        "/api/v1/auth/login",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    assert!(doc["paths"]["/api/v1/cases/{id}"]["patch"].is_object());
    let case = &doc["components"]["schemas"]["CaseDoc"]["properties"];
    assert!(case["given_name"].is_object() && case["family"].is_object());
}
