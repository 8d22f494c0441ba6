//! The caseworker's web interface: server-rendered pages (askama templates in
//! `crates/web/templates/`, checked when compiling), every word through Fluent
//! (`crates/web/locales/`), assets embedded in the binary.
//!
//! Invariant: pages hold no SQL and no rules. Every read and write goes through the same
//! [`haven_store::Store`] methods the API handlers call, with the signed-in user's `Actor`, so
//! scope, audit and validation are the store's; records are shown from the same redacted views
//! the API returns (`records::visible`), so a field the role may not see is never rendered.
//!
//! Sessions are the API's (cookie, second factor, idle and absolute timeouts). Forms post
//! `application/x-www-form-urlencoded` with the session's CSRF token in a hidden `csrf` field,
//! checked once, in [`Posted`]; a successful post answers 303 to a page, a refused one re-renders
//! the form with the input kept and each problem next to its field.

pub mod admin;
pub mod assets;
pub mod cases;
pub mod forms;
pub mod i18n;
pub mod inbox;
pub mod matches;
pub mod reports;
pub mod session;
pub mod tracing_requests;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use haven_domain::access::Permission;
use haven_domain::user::{Actor, User};
use haven_store::MfaState;

use crate::AppState;
use crate::error::ApiError;
pub use forms::FormData;
pub use i18n::Lang;

/// The pages, for the main router. They need no `/api/v1` route-table entry: each one asks for
/// a signed-in [`UiUser`] and the permission it needs.
pub fn router(limit: crate::limits::SignInLimit) -> Router<AppState> {
    let limited = |r: axum::routing::MethodRouter<AppState>| {
        r.layer(axum::middleware::from_fn_with_state(
            limit.clone(),
            crate::limits::limit_sign_in,
        ))
    };
    Router::new()
        .route("/", get(cases::home))
        .route(
            "/login",
            get(session::login_page).merge(limited(post(session::login))),
        )
        .route(
            "/login/totp",
            get(session::totp_page).merge(limited(post(session::totp))),
        )
        .route(
            "/login/enrol",
            get(session::enrol_page).post(session::enrol),
        )
        .route("/logout", post(session::logout))
        .route("/cases", get(cases::list))
        .route("/cases/new", get(cases::new_page).post(cases::create))
        .route("/cases/{id}", get(cases::view))
        .route("/cases/{id}/workflow", post(cases::workflow))
        .route("/cases/{id}/placements", post(cases::placement))
        .route("/approvals", get(inbox::approvals))
        .route("/referrals", get(inbox::referrals))
        .route("/referrals/{id}", post(inbox::answer_referral))
        // Family tracing: requests, the match inbox, the side-by-side review.
        .route("/tracing", get(tracing_requests::list))
        .route(
            "/tracing/new",
            get(tracing_requests::new_page).post(tracing_requests::create),
        )
        .route("/tracing/{id}", get(tracing_requests::view))
        .route("/matches", get(matches::inbox))
        .route("/matches/{id}", get(matches::review).post(matches::decide))
        .route("/cases/{id}/consents", post(cases::consent))
        // The reports dashboard and the commitments tracker.
        .route("/reports", get(reports::areas))
        .route("/reports/{area}", get(reports::area))
        .route("/reports/{area}/pledges", post(reports::create_pledge))
        .route("/admin", get(admin::page))
        .route("/admin/users", post(admin::create_user))
        .route("/admin/users/{id}/disable", post(admin::disable_user))
        .route("/assets/{name}", get(assets::serve))
        .layer(axum::middleware::from_fn(remember_lang))
}

/// `?lang=xx` on any page switches the language and is remembered in a cookie (for a year;
/// not HttpOnly-sensitive, but kept HttpOnly since no script needs it).
async fn remember_lang(req: Request, next: axum::middleware::Next) -> Response {
    let chosen = req.uri().query().and_then(i18n::lang_param);
    let mut resp = next.run(req).await;
    if let Some(lang) = chosen
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000",
            i18n::LANG_COOKIE,
            lang.code()
        ))
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// What every page's frame shows: language and direction, title, the navigation the user's
/// role opens, the CSRF token for the forms on the page.
pub struct Chrome {
    pub lang: Lang,
    pub title: String,
    pub user: Option<NavUser>,
    pub csrf: String,
    /// The page's path, for the language links.
    pub path: String,
    pub css: &'static str,
    pub js: &'static str,
}

pub struct NavUser {
    pub name: String,
    pub cases: bool,
    pub register: bool,
    pub approvals: bool,
    pub referrals: bool,
    pub admin: bool,
    pub tracing: bool,
    pub matches: bool,
    pub reports: bool,
}

impl NavUser {
    fn of(actor: &Actor, user: &User) -> Self {
        let can = |p| actor.permissions.contains(p);
        Self {
            name: user.display_name.clone(),
            cases: can(Permission::CaseRead),
            register: can(Permission::CaseCreate),
            approvals: can(Permission::CaseApprove),
            referrals: can(Permission::CaseRead),
            admin: can(Permission::UserManage),
            tracing: can(Permission::TracingRead),
            matches: can(Permission::MatchReview),
            reports: can(Permission::ReportRead),
        }
    }
}

impl Chrome {
    pub fn public(lang: Lang, title_id: &str, path: &str) -> Self {
        Self {
            lang,
            title: lang.t(title_id),
            user: None,
            csrf: String::new(),
            path: path.to_string(),
            css: assets::CSS_URL.as_str(),
            js: assets::JS_URL.as_str(),
        }
    }

    pub fn t(&self, id: &str) -> String {
        self.lang.t(id)
    }

    pub fn t1(&self, id: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.lang.t1(id, name, &value.to_string())
    }

    pub fn tn(&self, id: &str, name: &str, n: impl Count) -> String {
        self.lang.tn(id, name, n.count())
    }

    /// Whether two texts are the same (templates compare owned and borrowed strings alike).
    pub fn is(&self, a: impl AsRef<str>, b: impl AsRef<str>) -> bool {
        a.as_ref() == b.as_ref()
    }

    pub fn is_lang(&self, l: impl std::borrow::Borrow<Lang>) -> bool {
        *l.borrow() == self.lang
    }

    /// A code shown in words: `t("status-open")`, or the code itself when there is no word.
    pub fn code(&self, prefix: &str, code: &str) -> String {
        let id = format!("{prefix}-{}", code.replace('_', "-"));
        if self.lang.has(&id) {
            self.lang.t(&id)
        } else {
            code.to_string()
        }
    }

    pub fn date(&self, raw: &str) -> String {
        self.lang.date_str(raw)
    }

    pub fn datetime(&self, at: &time::OffsetDateTime) -> String {
        self.lang.date(at.date())
    }

    pub fn number(&self, n: impl Count) -> String {
        self.lang.number(n.count())
    }

    /// A name as written, with its Latin form when written in another script.
    pub fn name(&self, raw: &str) -> String {
        match haven_matching::normalise::latin_form(raw) {
            Some(latin) => format!("{raw} ({latin})"),
            None => raw.to_string(),
        }
    }

    /// The link to this page in `lang`.
    pub fn lang_link(&self, lang: impl std::borrow::Borrow<Lang>) -> String {
        format!("{}?lang={}", self.path, lang.borrow().code())
    }

    pub fn langs(&self) -> [Lang; 4] {
        Lang::ALL
    }
}

/// A count as templates hand it over (by value or by reference).
pub trait Count {
    fn count(&self) -> i64;
}

impl Count for i64 {
    fn count(&self) -> i64 {
        *self
    }
}

impl<T: Count> Count for &T {
    fn count(&self) -> i64 {
        (**self).count()
    }
}

/// The signed-in user of a page, past their second factor. Without a session the page answers
/// a redirect to `/login` (or to the second-factor step that is due).
pub struct UiUser {
    pub user: User,
    pub actor: Actor,
    pub csrf: String,
    pub lang: Lang,
    pub path: String,
}

impl UiUser {
    pub fn chrome(&self, title: String) -> Chrome {
        Chrome {
            lang: self.lang,
            title,
            user: Some(NavUser::of(&self.actor, &self.user)),
            csrf: self.csrf.clone(),
            path: self.path.clone(),
            css: assets::CSS_URL.as_str(),
            js: assets::JS_URL.as_str(),
        }
    }

    /// The permission the page needs; without it the 403 page (audited as a refusal).
    pub fn require(&self, p: Permission) -> Result<(), UiError> {
        if self.actor.permissions.contains(p) {
            Ok(())
        } else {
            Err(UiError::new(
                self.lang,
                ApiError::Forbidden(format!("{p} is needed")),
            ))
        }
    }

    pub fn err(&self, e: impl Into<ApiError>) -> UiError {
        UiError::new(self.lang, e.into())
    }
}

impl FromRequestParts<AppState> for UiUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = Lang::negotiate(parts.uri.query(), &parts.headers);
        let session = crate::auth::load_session(parts, state)
            .await
            .map_err(|e| UiError::new(lang, e).into_response())?;
        let Some(session) = session else {
            return Err(Redirect::to("/login").into_response());
        };
        match session.info.mfa {
            MfaState::Complete => {}
            MfaState::Pending => return Err(Redirect::to("/login/totp").into_response()),
            MfaState::Enrol => return Err(Redirect::to("/login/enrol").into_response()),
        }
        Ok(UiUser {
            actor: Actor::from(&session.info.user),
            user: session.info.user,
            csrf: session.info.csrf_token,
            lang,
            path: parts.uri.path().to_string(),
        })
    }
}

impl FromRequestParts<AppState> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Lang::negotiate(parts.uri.query(), &parts.headers))
    }
}

/// A form posted by a signed-in user, its CSRF field checked against the session's token: the
/// one place the pages check it. A missing or wrong token is the 403 page, and changes nothing.
pub struct Posted {
    pub user: UiUser,
    pub form: FormData,
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let user = UiUser::from_request_parts(&mut parts, state).await?;
        let form = FormData::read(body, state.config.body_limit)
            .await
            .map_err(|e| user.err(e).into_response())?;
        if !crate::auth::csrf_equal(form.get("csrf"), &user.csrf) {
            return Err(user.err(ApiError::CsrfFailed).into_response());
        }
        Ok(Posted { user, form })
    }
}

/// A page that could not be shown: rendered as an error page in the user's language.
#[derive(Debug)]
pub struct UiError {
    lang: Lang,
    error: ApiError,
}

impl UiError {
    pub fn new(lang: Lang, error: ApiError) -> Self {
        Self { lang, error }
    }
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    message: String,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let (status, id) = match &self.error {
            ApiError::Unauthenticated => return Redirect::to("/login").into_response(),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "error-not-found"),
            ApiError::Forbidden(_) | ApiError::CsrfFailed => {
                (StatusCode::FORBIDDEN, "error-forbidden")
            }
            ApiError::PreconditionFailed { .. } | ApiError::Conflict(_) => {
                (StatusCode::CONFLICT, "error-conflict")
            }
            ApiError::Refused(_) => (StatusCode::CONFLICT, "error-refused"),
            ApiError::ConsentRequired(_) => (StatusCode::CONFLICT, "error-consent"),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "error-too-large"),
            ApiError::AccountLocked { .. } | ApiError::RateLimited => {
                (StatusCode::TOO_MANY_REQUESTS, "error-locked")
            }
            ApiError::Validation(_) | ApiError::InvalidQuery(_) | ApiError::InvalidJson(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "error-invalid")
            }
            other => {
                tracing::error!(error = ?other, "page failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
            }
        };
        let mut message = self.lang.t(id);
        // Refusals carry a reason worth reading (what the case's state allows).
        if let ApiError::Refused(r) = &self.error {
            let id = format!("refusal-{}", r.error.replace('_', "-"));
            if self.lang.has(&id) {
                message = format!("{message} {}", self.lang.t(&id));
            }
        }
        let page = ErrorPage {
            c: Chrome::public(self.lang, id, "/"),
            message,
        };
        let mut resp = html(&page);
        *resp.status_mut() = status;
        resp
    }
}

impl From<UiError> for Response {
    fn from(e: UiError) -> Self {
        e.into_response()
    }
}

/// A rendered page: HTML, never cached (pages carry personal data and a CSRF token).
pub fn html(page: &impl askama::Template) -> Response {
    match page.render() {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot render a page");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// After a successful post: see the page that shows its result.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}
