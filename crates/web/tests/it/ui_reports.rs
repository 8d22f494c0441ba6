//! The reports dashboard and the commitments tracker as a browser without JavaScript sees them.

use haven_domain::access::DATA_OFFICER;
use haven_domain::user::Actor;
use haven_testkit::{PASSWORD, TestApp};
use reqwest::StatusCode;
use reqwest::header::CACHE_CONTROL;

use crate::ui::{Browser, csrf_of, first_load, hidden, location, world};

/// The data officer of the first agency, signed in past the second factor the role requires.
async fn data_officer(app: &TestApp) -> Browser<'_> {
    use haven_crypto::totp;
    let agency = app.store.agencies().await.unwrap().remove(0);
    app.user(&agency, "data@a.example", DATA_OFFICER).await;
    let mut b = Browser::new(app);
    let resp = b.sign_in("data@a.example", PASSWORD).await;
    assert_eq!(location(&resp), "/login/enrol");
    let page = b.page("/login/enrol").await;
    let (secret, csrf) = (hidden(&page, "secret"), hidden(&page, "csrf"));
    let now = u64::try_from(app.store.clock().now().unix_timestamp()).unwrap();
    let code = totp::code(&totp::TotpSecret::from_base32(&secret).unwrap(), now).unwrap();
    let done = b
        .post_raw(
            "/login/enrol",
            &[("csrf", &csrf), ("secret", &secret), ("code", &code)],
        )
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    b.csrf = csrf_of(&b.page("/").await);
    b
}

/// `n` children registered by the caseworker, with a name the dashboard must never show.
async fn seed_cases(app: &TestApp, n: usize) {
    let u = app
        .store
        .user_by_email("worker@a.example")
        .await
        .unwrap()
        .unwrap();
    let actor = Actor::from(&u.user);
    for i in 0..n {
        let doc = haven_domain::case::doc_from_json(serde_json::json!({
            "given_name": "Zuleika", "family_name": format!("Quarrington{i}"),
            "sex": "female", "date_of_birth": "2015-02-03", "nationality": "ER",
            "separation_status": "separated", "risk_level": "high",
        }))
        .unwrap();
        app.store.create_case(&actor, doc).await.unwrap();
    }
}

#[tokio::test]
async fn a_data_officer_sees_charts_of_aggregates_and_never_a_child() {
    let app = world().await;
    seed_cases(&app, 3).await;
    let b = data_officer(&app).await;
    let home = b.page("/").await;
    assert!(
        home.contains("href=\"/reports\""),
        "the navigation offers the reports"
    );
    let areas = b.page("/reports").await;
    for n in 1..=6 {
        assert!(
            areas.contains(&format!("href=\"/reports/{n}\"")),
            "area {n}"
        );
    }
    let resp = b.get("/reports/2?by=sex").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[CACHE_CONTROL], "no-store");
    let page = resp.text().await.unwrap();
    assert!(page.contains("<svg"), "a chart is drawn");
    assert_eq!(
        page.matches("<svg").count(),
        4,
        "one chart per detention indicator"
    );
    assert!(page.contains("Children in immigration detention now"));
    assert!(!page.contains("Zuleika") && !page.contains("Quarrington"));
    // The exports are the API's downloads, for a holder of report.export.
    assert!(page.contains("/api/v1/reports/2?from="));
    assert!(page.contains("format=xlsx"));
    // Area 1 over the seeded cases: three high-risk girls is a small count, drawn as suppressed.
    let one = b.page("/reports/1?by=sex").await;
    assert!(
        one.contains("class=\"suppressed\""),
        "a suppressed cell is marked"
    );
    assert!(one.contains(">suppressed<"));
    assert!(
        one.contains("<caption>"),
        "the chart's values are a table too"
    );
    assert!(!one.contains("Zuleika"));
    let ar = b.page("/reports/1?by=sex&lang=ar").await;
    assert!(ar.contains("dir=\"rtl\""));
    assert!(ar.contains("direction=\"rtl\""), "the chart is mirrored");
    assert!(ar.contains("محجوب"), "suppressed, in Arabic");
    // Weight of a first visit.
    let mut report = Vec::new();
    for path in [
        "/reports",
        "/reports/1",
        "/reports/2?by=month",
        "/reports/3?lang=ar",
    ] {
        let (page, total) = first_load(&b, path).await;
        report.push(format!("{path}: page {page} B, with assets {total} B"));
        assert!(total < 100 * 1024, "{path} weighs {total} bytes");
    }
    eprintln!("dashboard first loads (gzip):\n  {}", report.join("\n  "));
}

#[tokio::test]
async fn a_caseworker_may_not_open_the_dashboard() {
    let app = world().await;
    let b = Browser::signed_in(&app, "worker@a.example").await;
    assert!(!b.page("/").await.contains("href=\"/reports\""));
    for path in ["/reports", "/reports/2"] {
        assert_eq!(b.get(path).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let resp = b
        .post(
            "/reports/2/pledges",
            &[("party", "government"), ("name", "X")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_query_values_are_shown_by_their_fields() {
    let app = world().await;
    let b = data_officer(&app).await;
    let resp = b.get("/reports/2?from=2026-06-01&to=2026-01-01").await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.unwrap();
    assert!(page.contains("id=\"from-error\""));
    assert!(page.contains("is after the end date"));
    assert!(page.contains("value=\"2026-06-01\""), "the input is kept");
    assert!(!page.contains("<svg"));
    let fr = b.get("/reports/2?from=yesterday&by=shoe&lang=fr").await;
    assert_eq!(fr.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fr = fr.text().await.unwrap();
    assert!(fr.contains("doit être une date complète"), "{fr}");
    assert!(fr.contains("id=\"by-error\""));
    assert_eq!(b.get("/reports/9").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_pledge_is_recorded_and_shown_with_its_status_in_words() {
    let app = world().await;
    seed_cases(&app, 14).await;
    let b = data_officer(&app).await;
    let resp = b
        .post(
            "/reports/1/pledges",
            &[
                ("party", "partner"),
                ("name", "Child protection network"),
                ("indicator", "prot_open_cases"),
                ("baseline", "10"),
                ("baseline_date", "2025-01-01"),
                ("target", "14"),
                ("due_date", "2027-12-31"),
                ("notes", "every child followed"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/reports/1#pledges");
    let page = b.page("/reports/1").await;
    assert!(page.contains("Child protection network (partner)"));
    // 14 open cases: the target is reached, which is on track, said in words.
    assert!(page.contains("<td>14</td>"), "the current value");
    assert!(
        page.contains("pledge-status on-track\">on track<"),
        "{page}"
    );
    let ar = b.page("/reports/1?lang=ar").await;
    assert!(ar.contains("على المسار"), "the status in Arabic");
    // Another area does not list it.
    assert!(
        !b.page("/reports/2")
            .await
            .contains("Child protection network")
    );
}

#[tokio::test]
async fn a_bad_pledge_keeps_the_input_and_names_each_field() {
    let app = world().await;
    let b = data_officer(&app).await;
    let resp = b
        .post(
            "/reports/2/pledges",
            &[
                ("party", "government"),
                ("name", "Ministry of the Interior"),
                ("indicator", "prot_open_cases"),
                ("baseline", "40"),
                ("baseline_date", "2025-01-01"),
                ("target", ""),
                ("due_date", "2024-12-31"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.unwrap();
    assert!(page.contains("id=\"target-error\""));
    assert!(page.contains("id=\"indicator-error\""));
    assert!(page.contains("is not an indicator of this area"));
    assert!(
        page.contains("value=\"Ministry of the Interior\""),
        "input kept"
    );
    assert!(
        page.contains("value=\"prot_open_cases\" selected"),
        "choice kept"
    );
    assert!(
        !b.page("/reports/2")
            .await
            .contains("Ministry of the Interior (")
    );
}
