//! Who is calling: a session cookie (browser, after login and, where needed, a second factor) or
//! a bearer token (scripts). Secrets are looked up by their SHA-256 digest; the database never
//! holds one usable as is.
//!
//! Sessions carry a synchronizer CSRF token: every state-changing request made with the cookie
//! must echo it in `X-CSRF-Token` (forms: a hidden field). SameSite=Strict already keeps other
//! sites' requests from carrying the cookie; the token also covers sibling subdomains and old
//! browsers. Bearer tokens are not sent by browsers on their own, so they need no CSRF token.

use std::sync::OnceLock;

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use haven_crypto::totp::{self, TotpSecret};
use haven_crypto::{Secret, hash_password, new_token, token_digest, verify_password};
use haven_domain::audit::{AuditAction, AuditEvent};
use haven_domain::ids::{AgencyId, UserId};
use haven_domain::problems::from_json;
use haven_domain::user::{Actor, User};
use haven_store::{MfaState, NewSession, SessionInfo};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::JsonBody;

pub const SESSION_COOKIE: &str = "haven_session";
/// Session secrets start with this, API tokens with [`TOKEN_PREFIX`].
pub const SESSION_PREFIX: &str = "hvs_";
pub const TOKEN_PREFIX: &str = "hvn_";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Recovery codes handed out when a second factor is set up.
pub const RECOVERY_CODES: usize = 10;

/// Where the extractors note who the caller is, so a refusal (403) after authentication can be
/// audited with its actor by the `audit_refusals` middleware.
#[derive(Debug, Clone, Default)]
pub struct CallerSlot(std::sync::Arc<std::sync::Mutex<Option<UserId>>>);

impl CallerSlot {
    pub(crate) fn note(parts: &Parts, user: UserId) {
        if let Some(slot) = parts.extensions.get::<CallerSlot>()
            && let Ok(mut caller) = slot.0.lock()
        {
            *caller = Some(user);
        }
    }

    pub fn caller(&self) -> Option<UserId> {
        self.0.lock().ok().and_then(|c| *c)
    }
}

/// The authenticated caller, past every factor their role needs. Extracting it answers 401 when
/// nobody is signed in, and 403 for a cookie request that changes state without the CSRF token.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(token) = bearer(&parts.headers) {
            let (user, limit) = state
                .store
                .token_user(&token_digest(token))
                .await?
                .ok_or(ApiError::Unauthenticated)?;
            CallerSlot::note(parts, user.id);
            let actor = match limit {
                Some(allowed) => Actor::from(&user).narrowed(allowed),
                None => Actor::from(&user),
            };
            return Ok(CurrentUser { user, actor });
        }
        let session = SignedIn::from_request_parts(parts, state).await?;
        match session.info.mfa {
            MfaState::Complete => Ok(CurrentUser {
                actor: Actor::from(&session.info.user),
                user: session.info.user,
            }),
            other => Err(ApiError::MfaRequired(other.as_str())),
        }
    }
}

/// A session, whatever its second-factor state: what the second-factor routes take.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub digest: String,
    pub info: SessionInfo,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let session = load_session(parts, state)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        if changes_state(&parts.method) && !csrf_matches(&parts.headers, &session.info.csrf_token) {
            return Err(ApiError::CsrfFailed);
        }
        Ok(session)
    }
}

/// The live session named by the request's cookie, if any, noted as the caller. The CSRF check
/// is the caller's: the API takes the token from a header, the web pages from a form field.
pub(crate) async fn load_session(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<SignedIn>, ApiError> {
    let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let digest = token_digest(secret);
    let Some(info) = state
        .store
        .session(&digest, state.config.session_idle)
        .await?
    else {
        return Ok(None);
    };
    CallerSlot::note(parts, info.user.id);
    Ok(Some(SignedIn { digest, info }))
}

/// Whether `given` is the session's CSRF token (in constant time).
pub(crate) fn csrf_equal(given: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn csrf_matches(headers: &HeaderMap, expected: &str) -> bool {
    let given = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    csrf_equal(given, expected)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub agency_id: AgencyId,
    pub role: String,
    /// What the role permits, e.g. `case.read`.
    pub permissions: Vec<&'static str>,
    /// own | group | agency | all
    pub scope: &'static str,
    pub active: bool,
    pub mfa_enrolled: bool,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            agency_id: u.agency_id,
            role: u.role.name.clone(),
            permissions: u.role.permissions.names(),
            scope: u.role.scope.as_str(),
            active: u.active,
            mfa_enrolled: u.mfa_enrolled,
        }
    }
}

/// The state of a session, as login and the second-factor routes answer it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub user: UserView,
    /// `complete`; `pending` until the TOTP code is given; `enrol` until a second factor is set up.
    pub mfa: &'static str,
    /// Echo this in `X-CSRF-Token` on every state-changing request made with the session cookie.
    pub csrf_token: String,
}

impl SessionView {
    fn of(user: &User, mfa: MfaState, csrf_token: String) -> Self {
        Self {
            user: UserView::from(user),
            mfa: mfa.as_str(),
            csrf_token,
        }
    }
}

/// Verifying against this when the e-mail is unknown keeps the answer as slow as for a known one,
/// so timing does not reveal who has an account.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        hash_password(&Secret::new("not a real password at all")).unwrap_or_default()
    })
}

/// Signs in with e-mail and password and sets the session cookie. When the user has a second
/// factor, or their role needs one, the session is not usable until it is given (or set up).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = SessionView, description = "Signed in; the session cookie is set"),
              (status = 401, body = crate::error::ErrorBody),
              (status = 429, body = crate::error::ErrorBody, description = "Account locked after repeated failures")))]
pub async fn login(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let req: LoginRequest = from_json(body)?;
    let started = start_session(&state, &req.email, req.password).await?;
    let mut resp = Json(SessionView::of(&started.user, started.mfa, started.csrf)).into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, started.cookie);
    Ok(resp)
}

/// A session begun with a password: the user, what is left of the second factor, the cookie to
/// set and the session's CSRF token.
pub(crate) struct Started {
    pub user: User,
    pub mfa: MfaState,
    pub cookie: HeaderValue,
    pub csrf: String,
}

/// Checks e-mail and password (throttled, audited) and opens a session: what the API's login
/// and the sign-in page share.
pub(crate) async fn start_session(
    state: &AppState,
    email: &str,
    password: String,
) -> Result<Started, ApiError> {
    let req = LoginRequest {
        email: email.to_string(),
        password,
    };
    let found = match haven_domain::user::parse_email(&req.email) {
        Ok(email) => state.store.user_by_email(&email).await?,
        Err(_) => None,
    };
    let now = state.store.clock().now();
    if let Some(until) = found.as_ref().and_then(|c| c.locked_until)
        && until > now
    {
        let user = found.as_ref().map(|c| c.user.id);
        state
            .store
            .append_audit(AuditEvent::new(user, AuditAction::LoginThrottled))
            .await?;
        return Err(ApiError::AccountLocked {
            retry_after: (until - now).whole_seconds(),
        });
    }
    let stored = found
        .as_ref()
        .and_then(|c| c.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_string());
    let password = Secret::new(req.password);
    // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
        .await
        .map_err(|_| ApiError::Internal)?;
    let user = match found {
        Some(c) if matches && c.user.active => c.user,
        Some(c) => {
            state.store.login_failed(c.user.id).await?;
            return Err(ApiError::InvalidCredentials);
        }
        None => {
            let event = AuditEvent::new(None, AuditAction::LoginFailure)
                .details(serde_json::json!({ "reason": "unknown_email" }));
            state.store.append_audit(event).await?;
            return Err(ApiError::InvalidCredentials);
        }
    };
    state.store.login_succeeded(user.id).await?;
    let mfa = if user.mfa_enrolled {
        MfaState::Pending
    } else if user.role.requires_mfa() {
        MfaState::Enrol
    } else {
        MfaState::Complete
    };
    let secret = new_token(SESSION_PREFIX).map_err(|_| ApiError::Internal)?;
    let csrf = new_token("").map_err(|_| ApiError::Internal)?;
    state
        .store
        .create_session(NewSession {
            user_id: user.id,
            token_digest: token_digest(secret.expose()),
            csrf_token: csrf.expose().to_string(),
            expires_at: now + state.config.session_absolute,
            mfa,
        })
        .await?;
    state
        .store
        .append_audit(
            AuditEvent::new(Some(user.id), AuditAction::LoginSuccess)
                .target("user", user.id)
                .details(serde_json::json!({ "mfa": mfa.as_str() })),
        )
        .await?;
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        secret.expose(),
        state.config.session_absolute.whole_seconds(),
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    Ok(Started {
        user,
        mfa,
        cookie: HeaderValue::from_str(&cookie).map_err(|_| ApiError::Internal)?,
        csrf: csrf.expose().to_string(),
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpRequest {
    /// The 6-digit code from the authenticator app.
    #[serde(default)]
    pub code: Option<String>,
    /// Or one of the recovery codes given at setup (each works once).
    #[serde(default)]
    pub recovery_code: Option<String>,
}

/// Gives the second factor for a session signed in with a password.
#[utoipa::path(post, path = "/api/v1/auth/totp", tag = "auth", request_body = TotpRequest,
    responses((status = 200, body = SessionView), (status = 401, body = crate::error::ErrorBody)))]
pub async fn totp(
    State(state): State<AppState>,
    session: SignedIn,
    JsonBody(body): JsonBody,
) -> Result<Json<SessionView>, ApiError> {
    let req: TotpRequest = from_json(body)?;
    give_second_factor(&state, &session, req).await?;
    Ok(Json(SessionView::of(
        &session.info.user,
        MfaState::Complete,
        session.info.csrf_token,
    )))
}

/// Completes a session with a TOTP or recovery code (a wrong one counts as a failed login): what
/// the API and the sign-in page share.
pub(crate) async fn give_second_factor(
    state: &AppState,
    session: &SignedIn,
    req: TotpRequest,
) -> Result<(), ApiError> {
    let user = &session.info.user;
    if session.info.mfa == MfaState::Complete {
        return Ok(());
    }
    if session.info.mfa != MfaState::Pending {
        return Err(ApiError::MfaRequired(session.info.mfa.as_str()));
    }
    let accepted = match (req.code, req.recovery_code) {
        (Some(code), None) => {
            let stored = state.store.totp(user.id).await?;
            match stored.and_then(|s| {
                let secret = TotpSecret::from_base32(&s.secret).ok()?;
                totp::verify(&secret, &code, unix_now(state), s.last_step)
            }) {
                Some(step) => state.store.accept_totp_step(user.id, step).await?,
                None => false,
            }
        }
        (None, Some(code)) => {
            state
                .store
                .use_recovery_code(user.id, &totp::recovery_digest(&code))
                .await?
        }
        _ => {
            return Err(haven_domain::Problems::single(
                "code",
                "give either code or recovery_code",
            )
            .into());
        }
    };
    if !accepted {
        state
            .store
            .append_audit(
                AuditEvent::new(Some(user.id), AuditAction::MfaFailure).target("user", user.id),
            )
            .await?;
        // Guessing codes counts like guessing passwords.
        state.store.login_failed(user.id).await?;
        return Err(ApiError::InvalidCode);
    }
    state.store.complete_session(&session.digest).await?;
    state
        .store
        .append_audit(
            AuditEvent::new(Some(user.id), AuditAction::MfaSuccess).target("user", user.id),
        )
        .await?;
    Ok(())
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TotpSetup {
    /// Base32, to type into an authenticator app (or scan `otpauth_url` as a QR code).
    pub secret: String,
    pub otpauth_url: String,
}

/// Starts setting up a second factor: a new secret, not yet stored. Confirm it with a code.
#[utoipa::path(post, path = "/api/v1/auth/totp/setup", tag = "auth",
    responses((status = 200, body = TotpSetup), (status = 401, body = crate::error::ErrorBody)))]
pub async fn totp_setup(session: SignedIn) -> Result<Json<TotpSetup>, ApiError> {
    if session.info.mfa == MfaState::Pending {
        // Replacing a second factor takes the current one first.
        return Err(ApiError::MfaRequired(MfaState::Pending.as_str()));
    }
    let secret = totp::new_secret().map_err(|_| ApiError::Internal)?;
    let url = totp::otpauth_url(&secret, "Haven", &session.info.user.email);
    Ok(Json(TotpSetup {
        secret: secret.to_base32().expose().to_string(),
        otpauth_url: url.expose().to_string(),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpConfirm {
    /// The secret `setup` gave.
    pub secret: String,
    /// A current code from the authenticator app, proving it holds the secret.
    pub code: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TotpEnrolled {
    pub session: SessionView,
    /// Shown once: each signs in once when the authenticator is lost. Keep them safe.
    pub recovery_codes: Vec<String>,
}

/// Stores the second factor once a code from it checks out, and completes the session.
#[utoipa::path(post, path = "/api/v1/auth/totp/confirm", tag = "auth", request_body = TotpConfirm,
    responses((status = 200, body = TotpEnrolled), (status = 401, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn totp_confirm(
    State(state): State<AppState>,
    session: SignedIn,
    JsonBody(body): JsonBody,
) -> Result<Json<TotpEnrolled>, ApiError> {
    let req: TotpConfirm = from_json(body)?;
    let codes = enrol_second_factor(&state, &session, &req).await?;
    let mut user = session.info.user.clone();
    user.mfa_enrolled = true;
    Ok(Json(TotpEnrolled {
        session: SessionView::of(&user, MfaState::Complete, session.info.csrf_token),
        recovery_codes: codes,
    }))
}

/// Stores a second factor once a code from it checks out and completes the session; returns the
/// recovery codes, to be shown once.
pub(crate) async fn enrol_second_factor(
    state: &AppState,
    session: &SignedIn,
    req: &TotpConfirm,
) -> Result<Vec<String>, ApiError> {
    if session.info.mfa == MfaState::Pending {
        return Err(ApiError::MfaRequired(MfaState::Pending.as_str()));
    }
    let user = &session.info.user;
    let secret = TotpSecret::from_base32(&req.secret).map_err(|e| {
        haven_domain::Problems::single("secret", format!("is not the secret setup gave: {e}"))
    })?;
    let step = totp::verify(&secret, &req.code, unix_now(state), None).ok_or_else(|| {
        ApiError::Validation(haven_domain::Problems::single(
            "code",
            "does not match the secret; check the authenticator app's clock",
        ))
    })?;
    let (codes, digests) =
        totp::new_recovery_codes(RECOVERY_CODES).map_err(|_| ApiError::Internal)?;
    state
        .store
        .set_totp(user.id, secret.to_base32().expose(), &digests)
        .await?;
    state.store.accept_totp_step(user.id, step).await?;
    state.store.complete_session(&session.digest).await?;
    Ok(codes.iter().map(|c| c.expose().to_string()).collect())
}

fn unix_now(state: &AppState) -> u64 {
    u64::try_from(state.store.clock().now().unix_timestamp()).unwrap_or(0)
}

/// Signs out everywhere: every session of the user ends, and the cookie is cleared.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out")))]
pub async fn logout(
    State(state): State<AppState>,
    session: Option<SignedIn>,
) -> Result<Response, ApiError> {
    if let Some(session) = session {
        end_sessions(&state, session.info.user.id).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("haven_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(resp)
}

/// Ends every session of `user` (signing out everywhere), audited.
pub(crate) async fn end_sessions(state: &AppState, user: UserId) -> Result<(), ApiError> {
    state.store.end_sessions(user).await?;
    state
        .store
        .append_audit(AuditEvent::new(Some(user), AuditAction::Logout).target("user", user))
        .await?;
    Ok(())
}

/// The signed-in user and the session's state (with its CSRF token).
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = SessionView), (status = 401, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn me(user: CurrentUser, session: Option<SignedIn>) -> Json<SessionView> {
    let csrf = session.map(|s| s.info.csrf_token).unwrap_or_default();
    Json(SessionView::of(&user.user, MfaState::Complete, csrf))
}

impl axum::extract::OptionalFromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    /// No session (or a dead one) is `None`; a live one without its CSRF token is still refused.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        match <SignedIn as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(s) => Ok(Some(s)),
            Err(ApiError::Unauthenticated) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
