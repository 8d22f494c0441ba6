//! `/api/v1/tracing-requests`: the same contract as the case routes.

use haven_domain::access::CASEWORKER;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::{Ctx, error, paths};

fn fatima_seeks_amal() -> Value {
    json!({
        "inquirer": {"given_name": "فاطمة", "family_name": "Haddad", "relation": "mother",
                     "contact": "+000 12 345 6789"},
        "child": {"given_name": "Amal", "other_names": ["أمل"], "sex": "female",
                  "date_of_birth": "2014"},
        "separation": {"date": "2025-03", "place": {"pcode": "SY0203", "name": "Aleppo"},
                       "circumstances": ["flight"]},
    })
}

async fn file(ctx: &Ctx, body: &Value) -> Value {
    let resp = ctx
        .post("/api/v1/tracing-requests", body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
    resp.json().await.unwrap()
}

async fn count(ctx: &Ctx, query: &str) -> usize {
    let list: Value = ctx
        .get(&format!("/api/v1/tracing-requests?{query}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_filed_request_reads_back_with_its_etag() {
    let ctx = Ctx::new().await;
    let resp = ctx
        .post("/api/v1/tracing-requests", &fatima_seeks_amal())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.headers()["etag"], "\"1\"");
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let created: Value = resp.json().await.unwrap();
    assert_eq!(
        location,
        format!(
            "/api/v1/tracing-requests/{}",
            created["id"].as_str().unwrap()
        )
    );
    assert_eq!(created["status"], "open");
    assert_eq!(created["version"], 1);
    assert_eq!(created["inquirer"]["given_name"], "فاطمة");
    assert_eq!(created["child"]["other_names"][0], "أمل");
    assert!(created["date_of_inquiry"].is_string());

    let resp = ctx.get(&location).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["etag"], "\"1\"");
    let read: Value = resp.json().await.unwrap();
    assert_eq!(read, created);

    let missing = ctx
        .get("/api/v1/tracing-requests/00000000-0000-0000-0000-000000000000")
        .send()
        .await
        .unwrap();
    error(missing, StatusCode::NOT_FOUND).await;
    let garbage = ctx
        .get("/api/v1/tracing-requests/not-an-id")
        .send()
        .await
        .unwrap();
    error(garbage, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_change_needs_the_current_etag() {
    let ctx = Ctx::new().await;
    let req = file(&ctx, &fatima_seeks_amal()).await;
    let url = format!("/api/v1/tracing-requests/{}", req["id"].as_str().unwrap());
    let change = json!({"child": {"date_of_birth": null, "estimated_age": {"years": 11}}});

    let missing = ctx.patch(&url, &change).send().await.unwrap();
    assert_eq!(
        error(missing, StatusCode::PRECONDITION_REQUIRED).await["error"],
        "precondition_required"
    );
    let star = ctx
        .patch(&url, &change)
        .header("If-Match", "*")
        .send()
        .await
        .unwrap();
    error(star, StatusCode::PRECONDITION_REQUIRED).await;
    let garbage = ctx
        .patch(&url, &change)
        .header("If-Match", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(
        paths(&error(garbage, StatusCode::BAD_REQUEST).await),
        ["If-Match"]
    );

    let ok = ctx
        .patch(&url, &change)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.headers()["etag"], "\"2\"");
    let updated: Value = ok.json().await.unwrap();
    assert_eq!(updated["child"]["estimated_age"]["years"], 11);
    assert!(updated["child"]["date_of_birth"].is_null());
    assert_eq!(updated["child"]["given_name"], "Amal");

    let stale = ctx
        .patch(&url, &json!({"child": {"sex": "male"}}))
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error(stale, StatusCode::PRECONDITION_FAILED).await["error"],
        "precondition_failed"
    );
    let now: Value = ctx.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(now["child"]["sex"], "female");
    assert_eq!(now["version"], 2);

    let history: Value = ctx
        .get(&format!("{url}/history"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["action"], "create");
    assert_eq!(history[1]["action"], "update");
    assert_eq!(history[1]["changes"][0]["field"], "child");
    assert_eq!(history[1]["changes"][0]["from"]["date_of_birth"], "2014");
}

#[tokio::test]
async fn bad_input_is_named_and_nothing_is_written() {
    let ctx = Ctx::new().await;
    let unknown = ctx
        .post(
            "/api/v1/tracing-requests",
            &json!({"child": {"given_name": "Amal", "favourite_colour": "red"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        paths(&error(unknown, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["child.favourite_colour"]
    );

    let invalid = json!({
        "inquirer": {"relation": "neighbour", "contact": "a\u{0007}b"},
        "child": {"sex": "girl", "date_of_birth": "2015-02-30", "nationality": "XX"},
        "separation": {"date": "2999", "place": {"pcode": "ZZ01"}, "circumstances": ["storm"]},
        "date_of_inquiry": "yesterday",
    });
    let resp = ctx
        .post("/api/v1/tracing-requests", &invalid)
        .send()
        .await
        .unwrap();
    let body = error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["error"], "validation_failed");
    assert_eq!(
        paths(&body),
        [
            "date_of_inquiry",
            "inquirer.relation",
            "inquirer.contact",
            "inquirer.given_name",
            "child.given_name",
            "child.sex",
            "child.date_of_birth",
            "child.nationality",
            "separation.date",
            "separation.place.pcode",
            "separation.circumstances.0",
        ]
    );
    assert_eq!(count(&ctx, "").await, 0);

    // A bad change leaves the request as it was.
    let req = file(&ctx, &fatima_seeks_amal()).await;
    let url = format!("/api/v1/tracing-requests/{}", req["id"].as_str().unwrap());
    let bad = ctx
        .patch(
            &url,
            &json!({"inquirer": {"given_name": null, "family_name": null}}),
        )
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(
        paths(&error(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["inquirer.given_name"]
    );
    let now: Value = ctx.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(now, req);
}

#[tokio::test]
async fn lists_filter_and_page_without_gaps() {
    let ctx = Ctx::new().await;
    for i in 0..7 {
        let pcode = if i < 3 { "SY0203" } else { "AF01" };
        let mut body = fatima_seeks_amal();
        body["child"]["given_name"] = json!(format!("Child {i}"));
        body["separation"]["place"] = json!({"pcode": pcode});
        file(&ctx, &body).await;
    }
    let mut seen = Vec::new();
    let mut next = Some(String::new());
    while let Some(cursor) = next {
        let q = if cursor.is_empty() {
            "limit=3".to_string()
        } else {
            format!("limit=3&cursor={cursor}")
        };
        let page: Value = ctx
            .get(&format!("/api/v1/tracing-requests?{q}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["child"]["given_name"].as_str().unwrap().to_string());
        }
        next = page["next"].as_str().map(str::to_string);
    }
    assert_eq!(
        seen,
        (0..7)
            .rev()
            .map(|i| format!("Child {i}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(count(&ctx, "location=SY02").await, 3);
    assert_eq!(count(&ctx, "location=af").await, 4);
    assert_eq!(count(&ctx, "status=open&location=AF").await, 4);
    assert_eq!(count(&ctx, "status=closed").await, 0);

    let bad = ctx
        .get("/api/v1/tracing-requests?status=lost&colour=red&limit=0")
        .send()
        .await
        .unwrap();
    let body = error(bad, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["error"], "invalid_query");
    assert_eq!(paths(&body), ["colour", "limit", "status"]);
    let bad_cursor = ctx
        .get("/api/v1/tracing-requests?cursor=abc")
        .send()
        .await
        .unwrap();
    assert_eq!(
        paths(&error(bad_cursor, StatusCode::BAD_REQUEST).await),
        ["cursor"]
    );
}

#[tokio::test]
async fn no_tracing_route_answers_without_authentication() {
    let ctx = Ctx::new().await;
    let req = file(&ctx, &fatima_seeks_amal()).await;
    let id = req["id"].as_str().unwrap();
    let anon = Client::new();
    let url = |p: &str| ctx.app.url(p);
    let requests = [
        anon.get(url("/api/v1/tracing-requests")),
        anon.post(url("/api/v1/tracing-requests"))
            .json(&fatima_seeks_amal()),
        anon.get(url(&format!("/api/v1/tracing-requests/{id}"))),
        anon.patch(url(&format!("/api/v1/tracing-requests/{id}")))
            .header("If-Match", "\"1\"")
            .json(&json!({"child": {"sex": "male"}})),
        anon.get(url(&format!("/api/v1/tracing-requests/{id}/history"))),
        anon.get(url(&format!("/api/v1/tracing-requests/{id}")))
            .bearer_auth("hvn_forged"),
    ];
    for req in requests {
        let resp = req.send().await.unwrap();
        assert!(resp.headers().contains_key("www-authenticate"));
        let body = error(resp, StatusCode::UNAUTHORIZED).await;
        assert_eq!(body["error"], "unauthenticated");
        assert!(!body.to_string().contains("Amal"));
    }
    assert_eq!(count(&ctx, "").await, 1);
    let now: Value = ctx
        .get(&format!("/api/v1/tracing-requests/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(now["version"], 1);
}

#[tokio::test]
async fn another_agencys_request_is_indistinguishable_from_a_missing_one() {
    let ctx = Ctx::new().await;
    let req = file(&ctx, &fatima_seeks_amal()).await;
    let id = req["id"].as_str().unwrap();
    let (_, other) = ctx
        .app
        .agency_with_user("B", "worker@b.example", CASEWORKER)
        .await;
    let token = ctx.app.token(&other).await;
    let client = Client::new();
    for (method, path) in [
        ("GET", format!("/api/v1/tracing-requests/{id}")),
        ("GET", format!("/api/v1/tracing-requests/{id}/history")),
        ("PATCH", format!("/api/v1/tracing-requests/{id}")),
    ] {
        let builder = if method == "GET" {
            client.get(ctx.app.url(&path))
        } else {
            client
                .patch(ctx.app.url(&path))
                .header("If-Match", "\"1\"")
                .json(&json!({"child": {"sex": "male"}}))
        };
        let resp = builder.bearer_auth(&token).send().await.unwrap();
        let body = error(resp, StatusCode::NOT_FOUND).await;
        assert!(!body.to_string().contains("Amal"));
    }
    let list: Value = client
        .get(ctx.app.url("/api/v1/tracing-requests"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn the_openapi_document_describes_the_tracing_routes() {
    let ctx = Ctx::new().await;
    let doc: Value = Client::new()
        .get(ctx.app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/tracing-requests",
        "/api/v1/tracing-requests/{id}",
        "/api/v1/tracing-requests/{id}/history",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    assert!(doc["paths"]["/api/v1/tracing-requests/{id}"]["patch"].is_object());
    let schema = &doc["components"]["schemas"]["TracingRequestDoc"]["properties"];
    assert!(schema["inquirer"].is_object() && schema["child"].is_object());
}
