//! `/api/v1/matches` and the duplicate check, as a tracing officer and a caseworker use them.

use haven_domain::access::{DATA_OFFICER, TRACING_OFFICER};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{Ctx, error, paths};

fn amina() -> Value {
    json!({
        "given_name": "أمينة", "family_name": "حداد", "sex": "female",
        "date_of_birth": "2014-03-09", "nationality": "SY",
        "family": [{"relation": "mother", "given_name": "فاطمة", "family_name": "حداد"}],
    })
}

/// A caseworker registers Amina with consent for tracing; a tracing officer of the same agency
/// files her mother's request. Returns the officer's token and the case id.
async fn proposed(ctx: &Ctx) -> (String, String) {
    let case = ctx.create(amina()).await;
    let id = case["id"].as_str().unwrap().to_string();
    let resp = ctx
        .post(
            &format!("/api/v1/cases/{id}/consents"),
            &json!({"basis": "consent", "purposes": ["tracing"], "given_by": "caregiver",
                    "given_by_name": "Zqx Carer"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
    let agency = ctx.app.store.agencies().await.unwrap().remove(0);
    let officer = ctx
        .app
        .user(&agency, "tracer@a.example", TRACING_OFFICER)
        .await;
    let token = ctx.app.token(&officer).await;
    let resp = ctx
        .client
        .post(ctx.app.url("/api/v1/tracing-requests"))
        .bearer_auth(&token)
        .json(&json!({
            "inquirer": {"given_name": "Fatima", "family_name": "Haddad", "relation": "mother"},
            "child": {"given_name": "Amina", "family_name": "Haddad", "sex": "female",
                      "date_of_birth": "2014-03"},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    (token, id)
}

#[tokio::test]
async fn an_officer_reviews_a_proposed_match_side_by_side_and_confirms_it() {
    let ctx = Ctx::new().await;
    let (token, case_id) = proposed(&ctx).await;
    let get = |path: &str| ctx.client.get(ctx.app.url(path)).bearer_auth(&token);

    let list: Value = get("/api/v1/matches?status=proposed")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let pair = &items[0];
    assert_eq!(pair["case_id"], case_id.as_str());
    assert_eq!(pair["allowed"], json!(["confirm", "reject"]));
    assert!(pair["probability"].as_f64().unwrap() >= 0.5);
    assert!(
        pair["explanation"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["field"] == "family_name" && w["weight"].as_f64().unwrap() > 0.0),
        "{pair}"
    );
    let id = pair["id"].as_str().unwrap();

    let resp = get(&format!("/api/v1/matches/{id}")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["etag"], "\"1\"");
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let detail: Value = resp.json().await.unwrap();
    assert_eq!(detail["case"]["given_name"], "أمينة");
    assert_eq!(detail["tracing_request"]["child"]["given_name"], "Amina");

    // A garbage filter names the parameter and lists nothing.
    let bad = get("/api/v1/matches?status=maybe&case_id=x%27--")
        .send()
        .await
        .unwrap();
    let body = error(bad, StatusCode::BAD_REQUEST).await;
    assert_eq!(paths(&body), ["case_id", "status"]);

    let decide = |body: Value, version: &str| {
        ctx.client
            .post(ctx.app.url(&format!("/api/v1/matches/{id}/decision")))
            .bearer_auth(&token)
            .header("If-Match", version)
            .json(&body)
    };
    let bad = decide(json!({"decision": "maybe"}), "\"1\"")
        .send()
        .await
        .unwrap();
    let body = error(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(paths(&body), ["decision"]);
    let unknown = decide(json!({"decision": "confirm", "why": "x"}), "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let early = decide(json!({"decision": "reunify"}), "\"1\"")
        .send()
        .await
        .unwrap();
    let body: Value = {
        assert_eq!(early.status(), StatusCode::CONFLICT);
        early.json().await.unwrap()
    };
    assert_eq!(body["allowed"], json!(["confirm", "reject"]), "{body}");
    let stale = decide(json!({"decision": "confirm"}), "\"7\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);

    let ok = decide(json!({"decision": "confirm"}), "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.headers()["etag"], "\"2\"");
    let confirmed: Value = ok.json().await.unwrap();
    assert_eq!(confirmed["status"], "confirmed");
    assert_eq!(confirmed["allowed"], json!(["reunify", "reject"]));
}

#[tokio::test]
async fn registration_is_warned_of_a_possible_duplicate_and_search_finds_names_in_any_script() {
    let ctx = Ctx::new().await;
    let first = ctx.create(amina()).await;
    let check = |body: Value| ctx.post("/api/v1/cases/duplicates", &body).send();

    let resp = check(
        json!({"given_name": "Amina", "family_name": "Haddad", "sex": "female",
                            "date_of_birth": "2014-03-09", "nationality": "SY"}),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let dups: Value = resp.json().await.unwrap();
    let items = dups["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{dups}");
    assert_eq!(items[0]["case"]["id"], first["id"]);
    assert!(items[0]["probability"].as_f64().unwrap() >= 0.5);
    assert_eq!(ctx.case_count().await, 1, "checking writes nothing");

    let none: Value = check(json!({"given_name": "Omar", "family_name": "Khalil", "sex": "male"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none["items"], json!([]));
    let bad = check(json!({"given_name": "Omar", "sex": "boy"}))
        .await
        .unwrap();
    assert_eq!(
        paths(&error(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["sex"]
    );

    let found: Value = ctx
        .get("/api/v1/cases?q=amina%20haddad")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["items"][0]["id"], first["id"]);
    let empty = ctx.get("/api/v1/cases?q=%20").send().await.unwrap();
    assert_eq!(paths(&error(empty, StatusCode::BAD_REQUEST).await), ["q"]);
}

#[tokio::test]
async fn a_data_officer_never_reaches_a_pair() {
    let ctx = Ctx::new().await;
    proposed(&ctx).await;
    let agency = ctx.app.store.agencies().await.unwrap().remove(0);
    let officer = ctx.app.user(&agency, "data@a.example", DATA_OFFICER).await;
    let token = ctx.app.token(&officer).await;
    let resp = ctx
        .client
        .get(ctx.app.url("/api/v1/matches"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}
