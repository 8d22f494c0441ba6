//! The web interface in a real headless Chromium (Debian's `chromium` + `chromium-driver`),
//! against Haven served in-process on a free port. Skipped with a notice when chromedriver is
//! not installed; a failure under `CI=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/browser.rs"]
mod support;

use haven_testkit::TestApp;
use support::{ADMIN, DATA, Driver, Person, SUPERVISOR_EMAIL, TRACER, WORKER};

/// One browser, one walk through the main work, step by step (each step names what a user
/// relies on). One session keeps the run to a few seconds on a small CI machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caseworker_and_a_supervisor_do_their_work_in_a_real_browser() {
    let Some(driver) = Driver::start(1280, 900).await else {
        return;
    };
    let app = TestApp::sqlite().await;
    support::world(&app).await;
    let today = app.store.clock().today().to_string();
    let p = Person {
        c: &driver.client,
        base: app.base.clone(),
    };

    // 1. Signing in lands on the home page; pages without a session send to the login.
    p.go("/cases").await;
    assert_eq!(p.path().await, "/login");
    p.log_in(WORKER).await;

    // 2. A failed form shows the error next to its field, input kept.
    p.go("/cases/new").await;
    p.fill("#nationality", "SY").await;
    p.fill("#estimated_age", "ten").await;
    p.click("form[action='/cases/new'] button[type=submit]")
        .await;
    assert!(
        p.text("#estimated_age-error")
            .await
            .contains("whole number")
    );
    assert!(
        p.text("#given_name-error")
            .await
            .contains("at least one name")
    );
    let kept = p.find("#nationality").await.prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("SY"));

    // 3. Registering a child opens the new case.
    p.fill("#given_name", "Amal").await;
    p.fill("#family_name", "Haddad").await;
    p.fill("#estimated_age", "11").await;
    p.choose("#risk_level", "high").await;
    p.choose("#separation_status", "unaccompanied").await;
    p.click("form[action='/cases/new'] button[type=submit]")
        .await;
    let case = p.path().await;
    assert!(
        case.starts_with("/cases/") && case != "/cases/new",
        "{case}"
    );
    assert_eq!(p.text("main h1").await, "Amal Haddad");

    // 4. Recording a detention placement shows the banner on the case…
    p.toggle("#placements details summary").await;
    p.choose("#placement-type", "immigration_detention").await;
    p.set("#start_date", &today).await;
    p.fill("#place", "Holding centre 4").await;
    p.click("#placement-form button[type=submit]").await;
    assert!(
        p.text("#detention-banner")
            .await
            .contains("Detained for 1 day")
    );

    // 5. …and the assessment goes to the supervisor.
    p.click("#action-start_assessment button").await;
    p.set("#complete_assessment-completed_on", &today).await;
    p.click("#action-complete_assessment button").await;
    p.click("#action-request_approval button").await;
    p.find(".stage .badge").await;
    p.log_out().await;

    // 6. The supervisor's home shows the detention alert first.
    p.log_in(SUPERVISOR_EMAIL).await;
    let first = p.find("ul.cards li.card").await;
    assert_eq!(
        first.attr("data-kind").await.unwrap().as_deref(),
        Some("detention")
    );
    assert!(first.text().await.unwrap().contains("Detained for 1 day"));

    // 7. The supervisor approves from the inbox.
    p.go("/approvals").await;
    assert!(p.text("main").await.contains("Amal Haddad"));
    p.click("ul.cards form:not(.reject) button").await;
    assert!(p.text("main").await.contains("Nothing is waiting"));
    p.log_out().await;

    // 8. The caseworker sets the case plan and asks for approval; the supervisor approves it.
    p.log_in(WORKER).await;
    p.go(&case).await;
    p.fill("#set_case_plan-goal", "Back to school").await;
    p.fill("#set_case_plan-plan_action", "Enrol in the local school")
        .await;
    p.fill("#set_case_plan-responsible", "Caseworker").await;
    p.set("#set_case_plan-due", &today).await;
    p.click("#action-set_case_plan button").await;
    p.click("#action-request_approval button").await;
    p.log_out().await;
    p.log_in(SUPERVISOR_EMAIL).await;
    p.go("/approvals").await;
    assert!(p.text("main").await.contains("case plan"));
    p.click("ul.cards form:not(.reject) button").await;
    assert!(p.text("main").await.contains("Nothing is waiting"));
    p.go(&case).await;
    assert!(!p.exists("#action-approve").await);
    p.log_out().await;
    p.log_in(WORKER).await;
    p.go(&case).await;
    assert!(
        p.exists("#action-start_implementation").await,
        "the approved plan can be implemented"
    );

    // 9. Switching to Arabic turns the page right to left, and stays.
    p.click("nav.langs a[lang=ar]").await;
    let html = p.find("html").await;
    assert_eq!(html.attr("dir").await.unwrap().as_deref(), Some("rtl"));
    assert_eq!(html.attr("lang").await.unwrap().as_deref(), Some("ar"));
    p.go("/").await;
    assert_eq!(
        p.find("html").await.attr("dir").await.unwrap().as_deref(),
        Some("rtl")
    );

    // 10. A failed form in Arabic shows the error in Arabic.
    p.go("/cases/new").await;
    p.click("form[action='/cases/new'] button[type=submit]")
        .await;
    assert_eq!(
        p.text("#given_name-error").await,
        "يجب إدخال اسم واحد على الأقل (الاسم الأول أو اسم العائلة أو اسم آخر أو لقب)"
    );
    p.log_out().await;

    // 11. Registering the same child twice warns of the possible duplicate; registering anyway
    // opens the new case.
    p.log_in(WORKER).await;
    let register_yusuf = async || {
        p.go("/cases/new?lang=en").await;
        p.fill("#given_name", "Yusuf").await;
        p.fill("#family_name", "Karimi").await;
        p.choose("#sex", "male").await;
        p.fill("#estimated_age", "14").await;
        p.fill("#nationality", "AF").await;
        p.click("form[action='/cases/new'] button[type=submit]")
            .await;
    };
    register_yusuf().await;
    let yusuf = p.path().await;
    assert!(
        yusuf.starts_with("/cases/") && yusuf != "/cases/new",
        "{yusuf}"
    );
    register_yusuf().await;
    assert!(p.text("#duplicates").await.contains("Yusuf Karimi"));
    assert_eq!(p.path().await, "/cases/new");
    p.click("form[action='/cases/new'] button[type=submit]")
        .await;
    let again = p.path().await;
    assert!(again.starts_with("/cases/") && again != yusuf && again != "/cases/new");

    // 12. Consent for tracing is recorded on the first case's page.
    p.go(&yusuf).await;
    p.toggle("#consent details summary").await;
    p.choose("#consent-basis", "consent").await;
    p.find("#consent-form input[name=purposes][value=tracing]")
        .await
        .click()
        .await
        .unwrap();
    p.choose("#given_by", "caregiver").await;
    p.fill("#given_by_name", "Zqx Uncle").await;
    p.click("#consent-form button[type=submit]").await;
    assert!(p.text("#consent table").await.contains("tracing"));
    p.log_out().await;

    // 13. A tracing officer files the family's request, opens the proposed pair side by side
    // and confirms it.
    p.log_in(TRACER).await;
    p.click("nav a[href='/tracing']").await;
    p.click("a[href='/tracing/new']").await;
    p.fill("#inquirer_given_name", "Zahra").await;
    p.fill("#inquirer_family_name", "Karimi").await;
    p.choose("#relation", "mother").await;
    p.fill("#given_name", "Yousef").await;
    p.fill("#family_name", "Karimi").await;
    p.choose("#sex", "male").await;
    p.fill("#estimated_age", "14").await;
    p.fill("#nationality", "AF").await;
    p.click("form[action='/tracing/new'] button[type=submit]")
        .await;
    assert!(p.path().await.starts_with("/tracing/"));
    p.click("nav a[href='/matches']").await;
    p.click("#pairs a.review").await;
    assert!(p.text("#compare").await.contains("Yusuf"));
    p.click("#form-confirm button").await;
    let status = p.find("#match-status").await;
    assert_eq!(
        status.attr("data-status").await.unwrap().as_deref(),
        Some("confirmed")
    );
    assert!(p.exists("#form-reunify").await);
    p.log_out().await;

    // 14. The data officer sets up a second factor, opens the detention dashboard from the
    // navigation and finds a chart and the tracker, but no child.
    let now = u64::try_from(app.store.clock().now().unix_timestamp()).unwrap();
    p.log_in_enrolling(DATA, now).await;
    p.click("nav a[href='/reports']").await;
    p.click("a[href='/reports/2']").await;
    assert!(p.exists("section.indicator svg").await);
    let main = p.text("main").await;
    assert!(main.contains("Commitments tracker") && !main.contains("Yousef"));
    p.log_out().await;

    // 15. An admin sees users and can create one.
    p.log_in(ADMIN).await;
    p.go("/admin?lang=en").await;
    assert!(p.text("main").await.contains(WORKER));
    p.toggle("main details summary").await;
    p.fill("#email", "new.worker@demo.example").await;
    p.fill("#display_name", "New Worker").await;
    p.choose("#role", "caseworker").await;
    p.fill("#password", "a long enough passphrase 42").await;
    p.click("form[action='/admin/users'] button").await;
    assert_eq!(p.path().await, "/admin");
    assert!(p.text("main").await.contains("new.worker@demo.example"));
    driver.client.clone().close().await.unwrap();
}
