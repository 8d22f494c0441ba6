//! Saves screenshots of the main pages (English, and Arabic right to left) under
//! `docs/screenshots/`, from a synthetic demo served in-process:
//!
//!     cargo run -p haven-web --example screenshots
//!
//! Needs Debian's `chromium` and `chromium-driver` (or `HAVEN_CHROMEDRIVER` / `HAVEN_CHROMIUM`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/support/browser.rs"]
mod support;

use std::path::PathBuf;

use haven_testkit::TestApp;
use support::{ADMIN, DATA, Driver, Person, SUPERVISOR_EMAIL, TRACER, WORKER};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&out).unwrap();
    let app = TestApp::sqlite().await;
    support::world(&app).await;
    let ids = support::demo_cases(&app).await;
    support::demo_work(&app, &ids).await;
    support::demo_tracing(&app, &ids).await;
    let case = format!("/cases/{}", ids[0]);

    let Some(driver) = Driver::start(1280, 1000).await else {
        std::process::exit(1);
    };
    let p = Person {
        c: &driver.client,
        base: app.base.clone(),
    };
    let shot = |name: &str| out.join(format!("{name}.png"));

    p.go("/login?lang=en").await;
    p.shot(&shot("login")).await;
    p.log_in(SUPERVISOR_EMAIL).await;
    p.shot(&shot("home-supervisor")).await;
    p.go("/approvals").await;
    p.shot(&shot("approvals")).await;
    p.log_out().await;

    p.log_in(WORKER).await;
    p.go("/cases").await;
    p.shot(&shot("cases")).await;
    p.go(&case).await;
    p.shot(&shot("case")).await;
    p.go("/cases/new").await;
    p.fill("#estimated_age", "ten").await;
    p.click("form[action='/cases/new'] button[type=submit]")
        .await;
    p.find("#given_name-error").await;
    p.shot(&shot("register-errors")).await;
    p.go("/referrals").await;
    p.shot(&shot("referrals")).await;

    p.go("/?lang=ar").await;
    p.shot(&shot("home-ar")).await;
    p.go(&case).await;
    p.shot(&shot("case-ar")).await;
    p.go("/?lang=en").await;

    driver.client.set_window_size(360, 800).await.unwrap();
    p.go(&case).await;
    p.shot(&shot("case-360px")).await;
    driver.client.set_window_size(1280, 1000).await.unwrap();
    p.log_out().await;

    // Family tracing: the request form, the match inbox, one pair side by side (and in Arabic).
    p.log_in(TRACER).await;
    p.go("/tracing/new?lang=en").await;
    p.shot(&shot("tracing-request-new")).await;
    p.go("/matches").await;
    p.shot(&shot("matches")).await;
    p.click("#pairs a.review").await;
    let pair = p.path().await;
    p.shot(&shot("match-review")).await;
    p.go(&format!("{pair}?lang=ar")).await;
    p.shot(&shot("match-review-ar")).await;
    p.go("/?lang=en").await;
    p.log_out().await;

    // The reports dashboard (the data officer sets up a second factor on the way in).
    // More children first, so that the charts show numbers as well as suppressed cells.
    support::demo_reports(&app).await;
    let now = u64::try_from(app.store.clock().now().unix_timestamp()).unwrap();
    p.log_in_enrolling(DATA, now).await;
    p.go("/reports/1?by=sex&lang=en").await;
    p.shot(&shot("reports")).await;
    p.go("/reports/1?by=age&lang=ar").await;
    p.shot(&shot("reports-ar")).await;
    p.go("/?lang=en").await;
    p.log_out().await;

    p.log_in(ADMIN).await;
    p.go("/admin").await;
    p.shot(&shot("admin")).await;
    p.log_out().await;
    driver.client.clone().close().await.unwrap();
    println!("screenshots written to {}", out.display());
}
