use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{Ctx, amal, error, paths};

#[tokio::test]
async fn a_registered_case_reads_back_with_its_etag() {
    let ctx = Ctx::new().await;
    let resp = ctx.post("/api/v1/cases", &amal()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.headers()["etag"], "\"1\"");
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let created: Value = resp.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/cases/{}", created["id"].as_str().unwrap())
    );
    assert_eq!(created["given_name"], "Amal");
    assert_eq!(created["status"], "open");
    assert_eq!(created["version"], 1);
    assert!(created["age"].as_i64().unwrap() >= 12);

    let resp = ctx.get(&location).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["etag"], "\"1\"");
    let read: Value = resp.json().await.unwrap();
    assert_eq!(read, created);
}

#[tokio::test]
async fn names_in_any_script_come_back_as_written() {
    let ctx = Ctx::new().await;
    let case = ctx
        .create(json!({"given_name":"مريم","family_name":"ተስፋይ","other_names":["Марія"],"sex":"female"}))
        .await;
    let read: Value = ctx
        .get(&format!("/api/v1/cases/{}", case["id"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["given_name"], "مريم");
    assert_eq!(read["family_name"], "ተስፋይ");
    assert_eq!(read["other_names"][0], "Марія");
}

#[tokio::test]
async fn a_change_needs_the_current_etag() {
    let ctx = Ctx::new().await;
    let case = ctx.create(amal()).await;
    let url = format!("/api/v1/cases/{}", case["id"].as_str().unwrap());
    let change = json!({"risk_level":"high","family_name":null});

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
    assert_eq!(updated["risk_level"], "high");
    assert!(updated["family_name"].is_null());
    assert_eq!(updated["given_name"], "Amal");

    // Someone still holding version 1 cannot overwrite version 2.
    let stale = ctx
        .patch(&url, &json!({"risk_level":"low"}))
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error(stale, StatusCode::PRECONDITION_FAILED).await["error"],
        "precondition_failed"
    );
    let now: Value = ctx.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(now["risk_level"], "high");
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
    assert_eq!(history[1]["action"], "update");
    let fields: Vec<&str> = history[1]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["family_name", "risk_level"]);
    assert_eq!(history[1]["changes"][0]["from"], "Haddad");
}

#[tokio::test]
async fn bad_input_is_named_and_nothing_is_written() {
    let ctx = Ctx::new().await;
    let url = ctx.app.url("/api/v1/cases");
    let send_raw = |body: &'static str, content_type: &'static str| {
        ctx.client
            .post(&url)
            .bearer_auth(&ctx.token)
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };

    let malformed = send_raw("{\"given_name\": \"Amal\"", "application/json")
        .await
        .unwrap();
    assert_eq!(
        error(malformed, StatusCode::BAD_REQUEST).await["error"],
        "invalid_json"
    );
    let not_json = send_raw("given_name=Amal", "application/x-www-form-urlencoded")
        .await
        .unwrap();
    assert_eq!(
        error(not_json, StatusCode::UNSUPPORTED_MEDIA_TYPE).await["error"],
        "unsupported_media_type"
    );

    let unknown = ctx
        .post(
            "/api/v1/cases",
            &json!({"given_name":"Amal","favourite_colour":"red"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        paths(&error(unknown, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["favourite_colour"]
    );
    let mistyped = ctx
        .post(
            "/api/v1/cases",
            &json!({"given_name":"Amal","estimated_age":{"years":"ten"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        paths(&error(mistyped, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["estimated_age.years"]
    );

    let invalid = json!({
        "given_name": "A".repeat(201),
        "sex": "girl",
        "date_of_birth": "2015-02-30",
        "nationality": "XX",
        "separation_status": "alone",
        "specific_needs": ["SC-UC", "ZZ-99"],
        "family": [{"relation": "mother", "is_alive": false, "is_caregiver": true}],
    });
    let resp = ctx.post("/api/v1/cases", &invalid).send().await.unwrap();
    let body = error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["error"], "validation_failed");
    assert_eq!(
        paths(&body),
        [
            "given_name",
            "sex",
            "date_of_birth",
            "nationality",
            "separation_status",
            "specific_needs.1",
            "family.0.is_caregiver"
        ]
    );

    let huge = json!({"given_name": "Amal", "other_names": vec!["x".repeat(1000); 300]});
    let resp = ctx.post("/api/v1/cases", &huge).send().await.unwrap();
    assert_eq!(
        error(resp, StatusCode::PAYLOAD_TOO_LARGE).await["error"],
        "payload_too_large"
    );

    assert_eq!(ctx.case_count().await, 0);

    // A bad change to an existing case leaves it as it was.
    let case = ctx.create(amal()).await;
    let case_url = format!("/api/v1/cases/{}", case["id"].as_str().unwrap());
    let bad = ctx
        .patch(&case_url, &json!({"nationality":"XX","risk_level":"high"}))
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(
        paths(&error(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["nationality"]
    );
    let now: Value = ctx
        .get(&case_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(now, case);
}

#[tokio::test]
async fn lists_filter_and_page_without_gaps() {
    let ctx = Ctx::new().await;
    for i in 0..7 {
        let risk = if i % 2 == 0 { "high" } else { "low" };
        let pcode = if i < 3 { "LB0101" } else { "JO02" };
        ctx.create(json!({"given_name": format!("Child {i}"), "risk_level": risk, "separation_status": "unaccompanied", "location": {"pcode": pcode}}))
            .await;
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
            .get(&format!("/api/v1/cases?{q}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["given_name"].as_str().unwrap().to_string());
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

    let count = |q: &'static str| {
        let req = ctx.get(&format!("/api/v1/cases?{q}"));
        async move {
            let v: Value = req.send().await.unwrap().json().await.unwrap();
            v["items"].as_array().unwrap().len()
        }
    };
    assert_eq!(count("risk_level=high").await, 4);
    assert_eq!(count("location=LB01").await, 3);
    assert_eq!(count("location=lb").await, 3);
    assert_eq!(count("risk_level=low&location=JO").await, 2);
    assert_eq!(count("separation_status=separated").await, 0);
    assert_eq!(count("status=open").await, 7);

    let bad = ctx
        .get("/api/v1/cases?risk_level=extreme&colour=red&limit=0")
        .send()
        .await
        .unwrap();
    let body = error(bad, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["error"], "invalid_query");
    assert_eq!(paths(&body), ["colour", "limit", "risk_level"]);
    let bad_cursor = ctx.get("/api/v1/cases?cursor=abc").send().await.unwrap();
    assert_eq!(
        paths(&error(bad_cursor, StatusCode::BAD_REQUEST).await),
        ["cursor"]
    );
}
