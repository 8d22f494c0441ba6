//! The web pages as a browser without JavaScript sees them: plain GETs and form posts with the
//! session cookie (the real-browser run is `tests/browser.rs`).

use haven_domain::access::{CASEWORKER, SUPERVISOR};
use haven_testkit::{PASSWORD, TestApp};
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION, SET_COOKIE};
use reqwest::{Client, Response, StatusCode};

/// One agency with a caseworker and their supervisor in one group.
pub(crate) async fn world() -> TestApp {
    let app = TestApp::sqlite().await;
    let (agency, worker) = app
        .agency_with_user("A", "worker@a.example", CASEWORKER)
        .await;
    let sup = app.user(&agency, "sup@a.example", SUPERVISOR).await;
    let group = app
        .store
        .create_group(None, agency.id, "Team")
        .await
        .unwrap();
    app.store
        .set_group_members(None, group.id, &[worker.id, sup.id])
        .await
        .unwrap();
    app
}

/// A browser: its own cookies, redirects not followed (so tests see the 303s).
pub(crate) struct Browser<'a> {
    pub(crate) app: &'a TestApp,
    pub(crate) client: Client,
    pub(crate) csrf: String,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        let client = Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            app,
            client,
            csrf: String::new(),
        }
    }

    pub(crate) async fn signed_in(app: &'a TestApp, email: &str) -> Self {
        let mut b = Self::new(app);
        let resp = b.sign_in(email, PASSWORD).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        assert_eq!(resp.headers()[LOCATION], "/");
        let home = b.page("/").await;
        b.csrf = csrf_of(&home);
        b
    }

    /// Fills in the sign-in form as served (with its CSRF field).
    pub(crate) async fn sign_in(&self, email: &str, password: &str) -> Response {
        let form = self.page("/login").await;
        let csrf = csrf_of(&form);
        self.post_raw(
            "/login",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }

    pub(crate) async fn get(&self, path: &str) -> Response {
        self.client.get(self.app.url(path)).send().await.unwrap()
    }

    /// A page that must answer 200, as text.
    pub(crate) async fn page(&self, path: &str) -> String {
        let resp = self.get(path).await;
        assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
        resp.text().await.unwrap()
    }

    pub(crate) async fn post_raw(&self, path: &str, form: &[(&str, &str)]) -> Response {
        let body = serde_urlencoded::to_string(form).unwrap();
        self.client
            .post(self.app.url(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// A form post with the session's CSRF token.
    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(form);
        self.post_raw(path, &all).await
    }
}

pub(crate) fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    html[at..].split('"').next().unwrap().to_string()
}

pub(crate) fn location(resp: &Response) -> String {
    resp.headers()[LOCATION].to_str().unwrap().to_string()
}

#[tokio::test]
async fn pages_need_a_session_and_the_right_permission() {
    let app = world().await;
    let anon = Browser::new(&app);
    for path in ["/", "/cases", "/cases/new", "/approvals", "/admin"] {
        let resp = anon.get(path).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&resp), "/login");
    }
    let worker = Browser::signed_in(&app, "worker@a.example").await;
    let admin = worker.get("/admin").await;
    assert_eq!(admin.status(), StatusCode::FORBIDDEN);
    let approvals = worker.get("/approvals").await;
    assert_eq!(approvals.status(), StatusCode::FORBIDDEN);
    assert!(
        approvals
            .text()
            .await
            .unwrap()
            .contains("<html lang=\"en\"")
    );
}

#[tokio::test]
async fn the_language_follows_the_query_then_is_remembered_and_arabic_is_right_to_left() {
    let app = world().await;
    let b = Browser::new(&app);
    let resp = b.get("/login?lang=ar").await;
    assert!(
        resp.headers()
            .get_all(SET_COOKIE)
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("haven_lang=ar"))
    );
    let html = resp.text().await.unwrap();
    assert!(html.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(html.contains("تسجيل الدخول"));
    // Remembered without the query.
    let again = b.page("/login").await;
    assert!(again.contains("dir=\"rtl\""));
    let french = b.page("/login?lang=fr").await;
    assert!(french.contains("<html lang=\"fr\" dir=\"ltr\">"));
    assert!(french.contains("Mot de passe"));
    // The browser's preference when nothing was chosen.
    let fresh = Browser::new(&app);
    let spanish = fresh
        .client
        .get(app.url("/login"))
        .header("accept-language", "es-MX,es;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(spanish.contains("Contraseña"));
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_with_the_email_kept() {
    let app = world().await;
    let b = Browser::new(&app);
    let resp = b.sign_in("worker@a.example", "not the password").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let html = resp.text().await.unwrap();
    assert!(html.contains("value=\"worker@a.example\""));
    assert!(html.contains("password is wrong"));
}

#[tokio::test]
async fn a_sign_in_posted_from_elsewhere_without_the_forms_token_signs_nobody_in() {
    let app = world().await;
    let b = Browser::new(&app);
    let resp = b
        .post_raw(
            "/login",
            &[("email", "worker@a.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(
        resp.headers()
            .get_all(SET_COOKIE)
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("haven_session="))
    );
    assert_eq!(location(&b.get("/").await), "/login");
}

#[tokio::test]
async fn registering_keeps_the_input_and_puts_the_error_by_its_field_in_the_users_language() {
    let app = world().await;
    let b = Browser::signed_in(&app, "worker@a.example").await;
    b.page("/cases/new?lang=fr").await;
    let resp = b
        .post(
            "/cases/new",
            &[
                ("given_name", ""),
                ("nationality", "SY"),
                ("estimated_age", "about ten"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("id=\"given_name-error\">au moins un nom est obligatoire"),
        "{html}"
    );
    assert!(html.contains("id=\"estimated_age-error\">doit être un nombre entier"));
    assert!(html.contains("value=\"SY\""));
    assert!(html.contains("value=\"about ten\""));
    assert!(
        b.page("/cases")
            .await
            .contains("Aucun dossier ne correspond.")
    );

    let ok = b
        .post(
            "/cases/new",
            &[
                ("given_name", "محمد"),
                ("family_name", "Haddad"),
                ("sex", "male"),
                ("estimated_age", "11"),
                ("risk_level", "high"),
            ],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let case = location(&ok);
    assert!(case.starts_with("/cases/"));
    let page = b.get(&case).await;
    assert_eq!(page.headers()[CACHE_CONTROL], "no-store");
    let page = page.text().await.unwrap();
    // As written, with its Latin reading.
    assert!(page.contains("محمد Haddad (Mhmd Haddad)"), "{page}");
    let list = b.page("/cases?risk=high").await;
    assert!(list.contains("محمد Haddad"));
    let searched = b.page("/cases?q=mhmd").await;
    assert!(searched.contains("محمد Haddad"));
    let missed = b.page("/cases?q=zzz").await;
    assert!(!missed.contains("محمد Haddad"));
}

#[tokio::test]
async fn a_form_without_the_csrf_token_is_refused_and_changes_nothing() {
    let app = world().await;
    let b = Browser::signed_in(&app, "worker@a.example").await;
    let resp = b.post_raw("/cases/new", &[("given_name", "Amal")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let forged = b
        .post_raw("/cases/new", &[("csrf", "forged"), ("given_name", "Amal")])
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(!b.page("/cases").await.contains("Amal"));
}

pub(crate) async fn register(b: &Browser<'_>, name: &str) -> String {
    let resp = b
        .post(
            "/cases/new",
            &[
                ("given_name", name),
                ("estimated_age", "12"),
                ("risk_level", "high"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    location(&resp)
}

pub(crate) fn version_of(html: &str) -> String {
    let at = html.find("name=\"version\" value=\"").unwrap() + 22;
    html[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn a_detention_placement_puts_the_alert_first_on_the_supervisors_home() {
    let app = world().await;
    let b = Browser::signed_in(&app, "worker@a.example").await;
    let case = register(&b, "Amal").await;
    let page = b.page(&case).await;
    let bad = b
        .post(
            &format!("{case}/placements"),
            &[
                ("version", &version_of(&page)),
                ("type", "immigration_detention"),
                ("start_date", ""),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("id=\"start_date-error\">is required")
    );
    let today = app.store.clock().today().to_string();
    let ok = b
        .post(
            &format!("{case}/placements"),
            &[
                ("version", &version_of(&page)),
                ("type", "immigration_detention"),
                ("start_date", &today),
                ("place", "Centre 4"),
            ],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert!(b.page(&case).await.contains("id=\"detention-banner\""));

    let sup = Browser::signed_in(&app, "sup@a.example").await;
    let home = sup.page("/").await;
    let first_alert = home.find("<li class=\"card").unwrap();
    assert!(home[first_alert..].starts_with("<li class=\"card danger\" data-kind=\"detention\""));
    assert!(home.contains("Detained for 1 day"));
    assert!(home.contains(&format!("href=\"{case}\"")));
}

#[tokio::test]
async fn a_supervisor_approves_from_the_inbox_and_nobody_approves_their_own_request() {
    let app = world().await;
    let b = Browser::signed_in(&app, "worker@a.example").await;
    let case = register(&b, "Amal").await;
    let today = app.store.clock().today().to_string();
    let act = |form: Vec<(&'static str, String)>| {
        let b = &b;
        let case = case.clone();
        async move {
            let page = b.page(&case).await;
            let version = version_of(&page);
            let mut all: Vec<(&str, &str)> = vec![("version", &version)];
            all.extend(form.iter().map(|(k, v)| (*k, v.as_str())));
            let resp = b.post(&format!("{case}/workflow"), &all).await;
            assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{form:?}");
        }
    };
    act(vec![
        ("action", "start_assessment".into()),
        ("kind", "short".into()),
    ])
    .await;
    act(vec![
        ("action", "complete_assessment".into()),
        ("completed_on", today.clone()),
    ])
    .await;
    act(vec![
        ("action", "request_approval".into()),
        ("subject", "assessment".into()),
    ])
    .await;
    // The caseworker is offered no decision on their own request.
    assert!(!b.page(&case).await.contains("id=\"action-approve\""));

    let sup = Browser::signed_in(&app, "sup@a.example").await;
    let inbox = sup.page("/approvals").await;
    assert!(inbox.contains("Amal"));
    let version = version_of(&inbox);
    let resp = sup
        .post(
            &format!("{case}/workflow"),
            &[
                ("version", &version),
                ("action", "approve"),
                ("subject", "assessment"),
                ("back", "/approvals"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/approvals");
    assert!(!sup.page("/approvals").await.contains("Amal"));

    // A rejection without its comment is shown again with the field's error.
    act(vec![
        ("action", "set_case_plan".into()),
        ("goal", "School".into()),
        ("plan_action", "Enrol".into()),
        ("responsible", "worker".into()),
        ("due", today.clone()),
    ])
    .await;
    act(vec![
        ("action", "request_approval".into()),
        ("subject", "case_plan".into()),
    ])
    .await;
    let page = sup.page(&case).await;
    let resp = sup
        .post(
            &format!("{case}/workflow"),
            &[
                ("version", &version_of(&page)),
                ("action", "reject"),
                ("subject", "case_plan"),
                ("comment", ""),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("id=\"reject-comment-error\">is required")
    );
    let resp = sup
        .post(
            &format!("{case}/workflow"),
            &[
                ("version", &version_of(&page)),
                ("action", "approve"),
                ("subject", "case_plan"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        b.page(&case)
            .await
            .contains("id=\"action-start_implementation\"")
    );
}

#[tokio::test]
async fn assets_are_cached_for_long_and_revalidate_by_etag() {
    let app = world().await;
    let b = Browser::new(&app);
    let login = b.page("/login").await;
    let at = login.find("/assets/haven.css?v=").unwrap();
    let url = login[at..].split('"').next().unwrap().to_string();
    let resp = b.get(&url).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()[CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = resp.headers()[ETAG].clone();
    let again = b
        .client
        .get(app.url(&url))
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // No inline script anywhere: the CSP would block it.
    assert!(!login.contains("<script>") && !login.contains(" onclick="));
}

/// Bytes on the wire for a first visit: the page and its stylesheet and script, gzip-compressed
/// as a browser asks for them.
pub(crate) async fn first_load(b: &Browser<'_>, path: &str) -> (usize, usize) {
    let get = |url: String| b.client.get(url).header("accept-encoding", "gzip").send();
    let resp = get(b.app.url(path)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    assert_eq!(resp.headers()["content-encoding"], "gzip", "{path}");
    let page = resp.bytes().await.unwrap().len();
    let mut assets = 0;
    for url in [
        haven_web::ui::assets::CSS_URL.as_str(),
        haven_web::ui::assets::JS_URL.as_str(),
    ] {
        let resp = get(b.app.url(url)).await.unwrap();
        assert_eq!(resp.headers()["content-encoding"], "gzip");
        assets += resp.bytes().await.unwrap().len();
    }
    (page, page + assets)
}

#[tokio::test]
async fn the_first_load_of_every_main_page_is_under_100_kb_compressed() {
    let app = world().await;
    let b = Browser::signed_in(&app, "worker@a.example").await;
    let case = register(&b, "Amal").await;
    // A full first page of the case list (50 rows), names in two scripts.
    let worker = app
        .store
        .user_by_email("worker@a.example")
        .await
        .unwrap()
        .unwrap();
    let actor = haven_domain::user::Actor::from(&worker.user);
    for i in 0..50 {
        let doc = haven_domain::case::doc_from_json(serde_json::json!({
            "given_name": if i % 2 == 0 { "سارة" } else { "Yonas" },
            "family_name": format!("Family{i}"), "estimated_age": {"years": 8 + i % 9},
            "sex": "female", "risk_level": "medium", "separation_status": "separated"
        }))
        .unwrap();
        app.store.create_case(&actor, doc).await.unwrap();
    }
    // The oldest case is past the first page, and the name search still finds it.
    assert!(!b.page("/cases").await.contains(">Amal<"));
    assert!(b.page("/cases?q=AMAL").await.contains(">Amal<"));
    let sup = Browser::signed_in(&app, "sup@a.example").await;
    let mut report = Vec::new();
    for (who, path) in [
        (&b, "/login"),
        (&b, "/"),
        (&b, "/cases"),
        (&b, "/cases/new"),
        (&b, case.as_str()),
        (&b, "/referrals"),
        (&sup, "/approvals"),
    ] {
        let (page, total) = first_load(who, path).await;
        report.push(format!("{path}: page {page} B, with assets {total} B"));
        assert!(total < 100 * 1024, "{path} weighs {total} bytes");
    }
    eprintln!("first loads (gzip):\n  {}", report.join("\n  "));
}

pub(crate) fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = html.find(&key).unwrap() + key.len();
    html[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn a_role_that_needs_a_second_factor_sets_it_up_then_uses_it() {
    use haven_crypto::totp;
    let app = world().await;
    app.agency_with_user("HQ", "root@hq.example", haven_domain::access::SYSTEM_ADMIN)
        .await;
    let b = Browser::new(&app);
    let resp = b.sign_in("root@hq.example", PASSWORD).await;
    assert_eq!(location(&resp), "/login/enrol");
    // Not signed in yet: every page sends back to the setup.
    assert_eq!(location(&b.get("/cases").await), "/login/enrol");
    let page = b.page("/login/enrol").await;
    let (secret, csrf) = (hidden(&page, "secret"), hidden(&page, "csrf"));
    let wrong = b
        .post_raw(
            "/login/enrol",
            &[("csrf", &csrf), ("secret", &secret), ("code", "000000")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(wrong.contains("id=\"code-error\""), "{wrong}");
    assert!(wrong.contains(&format!("value=\"{secret}\"")));
    let now = u64::try_from(app.store.clock().now().unix_timestamp()).unwrap();
    let code = totp::code(&totp::TotpSecret::from_base32(&secret).unwrap(), now).unwrap();
    let done = b
        .post_raw(
            "/login/enrol",
            &[("csrf", &csrf), ("secret", &secret), ("code", &code)],
        )
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    let done = done.text().await.unwrap();
    let codes: Vec<String> = done
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), haven_web::auth::RECOVERY_CODES);
    b.page("/").await;

    // Next time: the password, then the second step.
    let again = Browser::new(&app);
    let resp = again.sign_in("root@hq.example", PASSWORD).await;
    assert_eq!(location(&resp), "/login/totp");
    let page = again.page("/login/totp").await;
    let csrf = hidden(&page, "csrf");
    let wrong = again
        .post_raw("/login/totp", &[("csrf", &csrf), ("code", "000000")])
        .await
        .text()
        .await
        .unwrap();
    assert!(wrong.contains("id=\"code-error\">This code is wrong"));
    let ok = again
        .post_raw(
            "/login/totp",
            &[("csrf", &csrf), ("recovery_code", &codes[0])],
        )
        .await;
    assert_eq!(location(&ok), "/");
    again.page("/").await;
}

#[tokio::test]
async fn the_receiving_agency_accepts_a_referral_from_its_inbox() {
    let app = world().await;
    let (_, partner) = app
        .agency_with_user("B", "legal@b.example", CASEWORKER)
        .await;
    let b = Browser::signed_in(&app, "worker@a.example").await;
    let case = register(&b, "Amal").await;
    let id: haven_domain::ids::CaseId = case.trim_start_matches("/cases/").parse().unwrap();
    let worker = app
        .store
        .user_by_email("worker@a.example")
        .await
        .unwrap()
        .unwrap();
    let actor = haven_domain::user::Actor::from(&worker.user);
    let consent = serde_json::from_value(serde_json::json!({
        "basis": "consent", "purposes": ["services", "sharing"], "recipients": ["other_agency"],
        "given_by": "caregiver", "given_by_name": "A. Carer"
    }))
    .unwrap();
    app.store.record_consent(&actor, id, consent).await.unwrap();
    let referral = serde_json::from_value(serde_json::json!({
        "service": "legal_aid", "to_agency_id": partner.agency_id.to_string(), "urgent": true
    }))
    .unwrap();
    app.store
        .create_case_item(
            &actor,
            id,
            haven_store::NewCaseItem::Referral(referral),
            &haven_domain::casework::Settings::default(),
        )
        .await
        .unwrap();
    // The referring side may only cancel; the receiving side accepts or declines.
    let mine = b.page("/referrals").await;
    assert!(mine.contains("value=\"cancel\"") && !mine.contains("value=\"accept\""));
    let p = Browser::signed_in(&app, "legal@b.example").await;
    let inbox = p.page("/referrals").await;
    assert!(inbox.contains("legal aid") && inbox.contains("To my agency"));
    let at = inbox.find("action=\"/referrals/").unwrap() + 8;
    let url = inbox[at..].split('"').next().unwrap().to_string();
    let resp = p.post(&url, &[("action", "accept")]).await;
    assert_eq!(location(&resp), "/referrals");
    let after = p.page("/referrals").await;
    assert!(after.contains("accepted") && after.contains("value=\"complete\""));
    // The partner sees the referral, not the case.
    assert_eq!(p.get(&case).await.status(), StatusCode::NOT_FOUND);
}
