//! The family-tracing pages as a browser without JavaScript sees them: filing a request, the
//! match inbox, the side-by-side review and its decisions, the consent form on the case page.

use haven_domain::access::{CASEWORKER, DATA_OFFICER, TRACING_OFFICER};
use haven_domain::user::Actor;
use haven_testkit::{PASSWORD, TestApp};
use reqwest::StatusCode;
use serde_json::json;

use crate::ui::{Browser, first_load, hidden, location, version_of, world};

/// Amina, registered in Arabic script with her mother's name, by `actor`.
async fn register_amina(app: &TestApp, actor: &Actor) -> haven_domain::ids::CaseId {
    let doc = haven_domain::case::doc_from_json(json!({
        "given_name": "أمينة", "family_name": "حداد", "sex": "female",
        "date_of_birth": "2014-03-09", "nationality": "SY",
        "family": [{"relation": "mother", "given_name": "فاطمة", "family_name": "حداد"}],
    }))
    .unwrap();
    app.store.create_case(actor, doc).await.unwrap().id
}

async fn actor_of(app: &TestApp, email: &str) -> Actor {
    let u = app.store.user_by_email(email).await.unwrap().unwrap();
    Actor::from(&u.user)
}

/// Her mother's request, filed through the form.
const MOTHER_ASKS: &[(&str, &str)] = &[
    ("inquirer_given_name", "Fatima"),
    ("inquirer_family_name", "Haddad"),
    ("relation", "mother"),
    ("contact", "+000 11 222 3333"),
    ("given_name", "Amina"),
    ("family_name", "Haddad"),
    ("sex", "female"),
    ("date_of_birth", "2014-03"),
    ("nationality", "sy"),
    ("separation_date", "2023-05"),
    ("separation_place", "Border crossing"),
    ("circumstances", "flight"),
    ("circumstances", "lost_in_transit"),
];

/// The first `/matches/{id}` link on a page.
fn pair_link(html: &str) -> String {
    let at = html.find("href=\"/matches/").expect("a pair") + 6;
    html[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn a_caseworker_records_consent_an_officer_files_a_request_and_confirms_the_pair() {
    let app = world().await;
    let agency = app.store.agencies().await.unwrap().remove(0);
    app.user(&agency, "tracer@a.example", TRACING_OFFICER).await;
    let worker_actor = actor_of(&app, "worker@a.example").await;
    let case = register_amina(&app, &worker_actor).await;

    // Consent on the case page: a child under 13 cannot consent alone, said next to the field.
    let worker = Browser::signed_in(&app, "worker@a.example").await;
    let case_page = worker.page(&format!("/cases/{case}")).await;
    assert!(case_page.contains("id=\"consent-form\""));
    let refused = worker
        .post(
            &format!("/cases/{case}/consents"),
            &[
                ("basis", "consent"),
                ("purposes", "tracing"),
                ("given_by", "child"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    let err = html
        .find("id=\"given_by-error\"")
        .expect("the error by given_by");
    assert!(html[err..].contains("a child under 13 cannot consent alone"));
    assert!(html.contains("value=\"tracing\" checked"), "input kept");
    let ok = worker
        .post(
            &format!("/cases/{case}/consents"),
            &[
                ("basis", "consent"),
                ("purposes", "tracing"),
                ("given_by", "caregiver"),
                ("given_by_name", "Zqx Carer"),
            ],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let case_page = worker.page(&format!("/cases/{case}")).await;
    assert!(case_page.contains(">consent<") && case_page.contains("tracing"));

    // A caseworker has no match inbox; the navigation offers it only to the officer.
    assert_eq!(worker.get("/matches").await.status(), StatusCode::FORBIDDEN);
    assert!(!case_page.contains("href=\"/matches\""));

    // The officer files the mother's request; a failed form keeps the input, errors by field.
    let tracer = Browser::signed_in(&app, "tracer@a.example").await;
    let home = tracer.page("/?lang=fr").await;
    assert!(home.contains("href=\"/tracing\">Recherche<") && home.contains("href=\"/matches\">"));
    let bad = tracer
        .post(
            "/tracing/new",
            &[("given_name", "Amina"), ("date_of_birth", "2099-01-01")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    assert!(
        html.contains("id=\"relation-error\">est obligatoire<"),
        "{html}"
    );
    assert!(html.contains("id=\"date_of_birth-error\""));
    assert!(html.contains("value=\"Amina\""));
    let tracer = Browser::signed_in(&app, "tracer@a.example").await;
    let filed = tracer.post("/tracing/new", MOTHER_ASKS).await;
    assert_eq!(filed.status(), StatusCode::SEE_OTHER);
    let request = location(&filed);
    assert!(request.starts_with("/tracing/"));
    let list = tracer.page("/tracing?lang=en").await;
    assert!(list.contains(&format!("href=\"{request}\">Amina Haddad<")));

    // The inbox proposes the pair; the request's page links to it too.
    let inbox = tracer.page("/matches").await;
    let pair = pair_link(&inbox);
    assert!(
        inbox.contains("<bdi>Amina Haddad</bdi>"),
        "the sought child, by name"
    );
    assert!(tracer.page(&request).await.contains(&pair));

    let review = tracer.page(&pair).await;
    // Names as written with their Latin form, each field's agreement in words and its weight.
    assert!(review.contains("أمينة"), "the case's name as written");
    assert!(review.contains("Fatima Haddad"), "the mother asking");
    assert!(review.contains("level-agree\">agree<"));
    assert!(review.contains("<bdi dir=\"ltr\">+"), "a signed weight");
    assert!(review.contains("</bdi> bits <span class=\"bar pos w"));
    assert!(review.contains("data-status=\"proposed\""));

    // Rejecting needs a reason, said next to the comment, the form kept.
    let version = version_of(&review);
    let no_reason = tracer
        .post(&pair, &[("version", &version), ("decision", "reject")])
        .await;
    assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = no_reason.text().await.unwrap();
    assert!(
        html.contains("id=\"reject-comment-error\">is required to reject a match<"),
        "{html}"
    );

    // Confirmed; a second confirmation from the page as read is stale and says so.
    let confirm = tracer
        .post(&pair, &[("version", &version), ("decision", "confirm")])
        .await;
    assert_eq!(confirm.status(), StatusCode::SEE_OTHER);
    let confirmed = tracer.page(&pair).await;
    assert!(confirmed.contains("data-status=\"confirmed\""));
    assert!(confirmed.contains("id=\"form-reunify\""));
    let stale = tracer
        .post(
            &format!("{pair}?lang=es"),
            &[
                ("version", &version),
                ("decision", "reject"),
                ("comment", "x"),
            ],
        )
        .await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    let html = stale.text().await.unwrap();
    assert!(
        html.contains("Alguien decidió sobre esta coincidencia"),
        "{html}"
    );
    assert!(html.contains("data-status=\"confirmed\""));
    assert!(
        tracer
            .page("/matches?status=confirmed&lang=en")
            .await
            .contains(&pair)
    );

    // First loads of the new pages, compressed, with the stylesheet and script.
    let mut report = Vec::new();
    for (who, path) in [
        (&tracer, "/tracing"),
        (&tracer, "/tracing/new"),
        (&tracer, request.as_str()),
        (&tracer, "/matches?status="),
        (&tracer, pair.as_str()),
        (&worker, &format!("/cases/{case}")),
    ] {
        let (page, total) = first_load(who, path).await;
        report.push(format!("{path}: page {page} B, with assets {total} B"));
        assert!(total < 100 * 1024, "{path} weighs {total} bytes");
    }
    eprintln!("first loads (gzip):\n  {}", report.join("\n  "));
}

#[tokio::test]
async fn the_other_agencys_child_stays_hidden_and_cannot_be_decided_on() {
    let app = world().await;
    let agency = app.store.agencies().await.unwrap().remove(0);
    app.user(&agency, "tracer@a.example", TRACING_OFFICER).await;
    let (_, other) = app
        .agency_with_user("B", "worker@b.example", CASEWORKER)
        .await;
    let other = Actor::from(&other);
    let case = register_amina(&app, &other).await;
    let consent = haven_domain::consent::ConsentDoc {
        basis: "consent".into(),
        purposes: vec!["tracing".into()],
        given_by: Some("caregiver".into()),
        given_by_name: Some("Zqx Carer".into()),
        ..Default::default()
    };
    app.store
        .record_consent(&other, case, consent)
        .await
        .unwrap();

    let tracer = Browser::signed_in(&app, "tracer@a.example").await;
    assert_eq!(
        tracer.post("/tracing/new", MOTHER_ASKS).await.status(),
        StatusCode::SEE_OTHER
    );
    let pair = pair_link(&tracer.page("/matches").await);
    let review = tracer.page(&pair).await;
    assert!(review.contains("hidden: outside your scope"));
    assert!(
        !review.contains("أمينة") && !review.contains("حداد"),
        "{review}"
    );
    assert!(!review.contains(&case.to_string()), "not even a link to it");
    assert!(review.contains("Amina"), "the officer's own side shows");
    let version = version_of(&review);
    let denied = tracer
        .post(&pair, &[("version", &version), ("decision", "confirm")])
        .await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    assert!(
        tracer
            .page(&pair)
            .await
            .contains("data-status=\"proposed\"")
    );
}

#[tokio::test]
async fn a_data_officer_never_reaches_the_tracing_pages() {
    use haven_crypto::totp;
    let app = world().await;
    let agency = app.store.agencies().await.unwrap().remove(0);
    app.user(&agency, "data@a.example", DATA_OFFICER).await;
    // The role needs a second factor: set it up, then look for the pages.
    let b = Browser::new(&app);
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
    let home = b.page("/").await;
    assert!(!home.contains("href=\"/matches\"") && !home.contains("href=\"/tracing\""));
    for path in ["/matches", "/tracing", "/tracing/new"] {
        assert_eq!(b.get(path).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
}
