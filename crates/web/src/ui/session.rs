//! Signing in (password, then the second factor or its setup) and out. The checks, throttling
//! and audit are the API's (`auth::start_session`, `give_second_factor`, `enrol_second_factor`).

use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use haven_crypto::totp;
use haven_store::MfaState;

use super::forms::{FieldErrors, FormData};
use super::{Chrome, Lang, Posted, UiError, html, see_other};
use crate::AppState;
use crate::auth::{SignedIn, TotpConfirm, TotpRequest};
use crate::error::ApiError;

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    email: String,
    error: String,
}

/// The sign-in form's own CSRF token, before any session exists: a random value in a
/// SameSite=Strict cookie and in the form (double submit). Another site cannot read the cookie
/// nor make the browser send it, so it cannot sign a victim in to an account of its choosing.
const LOGIN_COOKIE: &str = "haven_login";

fn login_form(state: &AppState, lang: Lang, email: String, error: String) -> Response {
    let Ok(token) = haven_crypto::new_token("") else {
        return UiError::new(lang, ApiError::Internal).into_response();
    };
    let mut c = Chrome::public(lang, "login-title", "/login");
    c.csrf = token.expose().to_string();
    let cookie = format!(
        "{LOGIN_COOKIE}={}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{}",
        token.expose(),
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    let mut resp = html(&LoginPage { c, email, error });
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

pub async fn login_page(State(state): State<AppState>, lang: Lang) -> Response {
    login_form(&state, lang, String::new(), String::new())
}

pub async fn login(
    State(state): State<AppState>,
    lang: Lang,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Response {
    let form = match FormData::read(body, state.config.body_limit).await {
        Ok(f) => f,
        Err(e) => return UiError::new(lang, e).into_response(),
    };
    let email = form.get("email").trim().to_string();
    let expected = crate::auth::cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if !crate::auth::csrf_equal(form.get("csrf"), expected) {
        let mut resp = login_form(&state, lang, email, lang.t("login-expired"));
        *resp.status_mut() = axum::http::StatusCode::FORBIDDEN;
        return resp;
    }
    match crate::auth::start_session(&state, &email, form.get("password").to_string()).await {
        Ok(started) => {
            let to = match started.mfa {
                MfaState::Complete => "/",
                MfaState::Pending => "/login/totp",
                MfaState::Enrol => "/login/enrol",
            };
            let mut resp = see_other(to);
            resp.headers_mut()
                .insert(header::SET_COOKIE, started.cookie);
            resp
        }
        Err(e) => {
            let id = match e {
                ApiError::AccountLocked { .. } | ApiError::RateLimited => "login-locked",
                ApiError::InvalidCredentials | ApiError::Validation(_) => "login-failed",
                other => return UiError::new(lang, other).into_response(),
            };
            let mut resp = login_form(&state, lang, email, lang.t(id));
            *resp.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            resp
        }
    }
}

/// A session at the second-factor step, with the page's language.
pub struct Pending {
    session: SignedIn,
    lang: Lang,
}

impl FromRequestParts<AppState> for Pending {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Response> {
        let lang = Lang::negotiate(parts.uri.query(), &parts.headers);
        match crate::auth::load_session(parts, state).await {
            Ok(Some(session)) => Ok(Pending { session, lang }),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(UiError::new(lang, e).into_response()),
        }
    }
}

impl Pending {
    /// The posted form, if its CSRF field is the session's.
    async fn form(&self, state: &AppState, body: Body) -> Result<FormData, Response> {
        let form = FormData::read(body, state.config.body_limit)
            .await
            .map_err(|e| UiError::new(self.lang, e).into_response())?;
        if crate::auth::csrf_equal(form.get("csrf"), &self.session.info.csrf_token) {
            Ok(form)
        } else {
            Err(UiError::new(self.lang, ApiError::CsrfFailed).into_response())
        }
    }

    fn chrome(&self, title: &str, path: &str) -> Chrome {
        let mut c = Chrome::public(self.lang, title, path);
        c.csrf = self.session.info.csrf_token.clone();
        c
    }
}

#[derive(askama::Template)]
#[template(path = "totp.html")]
struct TotpPage {
    c: Chrome,
    errors: FieldErrors,
}

pub async fn totp_page(p: Pending) -> Response {
    match p.session.info.mfa {
        MfaState::Complete => see_other("/"),
        MfaState::Enrol => see_other("/login/enrol"),
        MfaState::Pending => html(&TotpPage {
            c: p.chrome("totp-title", "/login/totp"),
            errors: FieldErrors::default(),
        }),
    }
}

pub async fn totp(State(state): State<AppState>, p: Pending, body: Body) -> Response {
    let form = match p.form(&state, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let req = match (form.opt("code"), form.opt("recovery_code")) {
        (Some(code), _) => TotpRequest {
            code: Some(code),
            recovery_code: None,
        },
        (None, recovery) => TotpRequest {
            code: None,
            recovery_code: Some(recovery.unwrap_or_default()),
        },
    };
    match crate::auth::give_second_factor(&state, &p.session, req).await {
        Ok(()) => see_other("/"),
        Err(ApiError::InvalidCode) => html(&TotpPage {
            c: p.chrome("totp-title", "/login/totp"),
            errors: FieldErrors::single("code", p.lang.t("totp-wrong")),
        }),
        Err(e) => UiError::new(p.lang, e).into_response(),
    }
}

#[derive(askama::Template)]
#[template(path = "enrol.html")]
struct EnrolPage {
    c: Chrome,
    secret: String,
    url: String,
    errors: FieldErrors,
    recovery_codes: Vec<String>,
}

pub async fn enrol_page(p: Pending) -> Response {
    if p.session.info.mfa != MfaState::Enrol {
        return see_other("/");
    }
    let Ok(secret) = totp::new_secret() else {
        return UiError::new(p.lang, ApiError::Internal).into_response();
    };
    let url = totp::otpauth_url(&secret, "Haven", &p.session.info.user.email);
    html(&EnrolPage {
        c: p.chrome("enrol-title", "/login/enrol"),
        secret: secret.to_base32().expose().to_string(),
        url: url.expose().to_string(),
        errors: FieldErrors::default(),
        recovery_codes: Vec::new(),
    })
}

pub async fn enrol(State(state): State<AppState>, p: Pending, body: Body) -> Response {
    let form = match p.form(&state, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let req = TotpConfirm {
        secret: form.get("secret").to_string(),
        code: form.get("code").trim().to_string(),
    };
    let page = |errors, recovery_codes| EnrolPage {
        c: p.chrome("enrol-title", "/login/enrol"),
        secret: req.secret.clone(),
        url: totp::TotpSecret::from_base32(&req.secret)
            .map(|s| {
                totp::otpauth_url(&s, "Haven", &p.session.info.user.email)
                    .expose()
                    .to_string()
            })
            .unwrap_or_default(),
        errors,
        recovery_codes,
    };
    match crate::auth::enrol_second_factor(&state, &p.session, &req).await {
        // The recovery codes are shown once, on this answer; nothing to redirect to.
        Ok(codes) => html(&page(FieldErrors::default(), codes)),
        Err(ApiError::Validation(problems)) => html(&page(
            FieldErrors::from_problems(p.lang, &problems, &[("code", "code"), ("secret", "code")]),
            Vec::new(),
        )),
        Err(e) => UiError::new(p.lang, e).into_response(),
    }
}

/// Signs out everywhere, like the API's logout.
pub async fn logout(State(state): State<AppState>, posted: Posted) -> Response {
    if let Err(e) = crate::auth::end_sessions(&state, posted.user.user.id).await {
        return posted.user.err(e).into_response();
    }
    let mut resp = see_other("/login");
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("haven_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    resp
}
