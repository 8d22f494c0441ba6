//! Who is calling: a session cookie (browser, after login) or a bearer token (scripts).
//! Secrets are looked up by their SHA-256 digest; the database never holds one usable as is.

use std::sync::OnceLock;

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use haven_crypto::{Secret, hash_password, new_token, token_digest, verify_password};
use haven_domain::audit::{AuditAction, AuditEvent};
use haven_domain::ids::{AgencyId, UserId};
use haven_domain::problems::from_json;
use haven_domain::user::{Actor, User};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::JsonBody;

pub const SESSION_COOKIE: &str = "haven_session";
/// Session secrets start with this, API tokens with [`TOKEN_PREFIX`].
pub const SESSION_PREFIX: &str = "hvs_";
pub const TOKEN_PREFIX: &str = "hvn_";

/// The authenticated caller. Extracting it answers 401 when nobody is signed in.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = if let Some(token) = bearer(&parts.headers) {
            state.store.token_user(&token_digest(token)).await?
        } else if let Some(session) = cookie(&parts.headers, SESSION_COOKIE) {
            state
                .store
                .session_user(&token_digest(session), state.config.session_idle)
                .await?
        } else {
            None
        };
        let user = user.ok_or(ApiError::Unauthenticated)?;
        Ok(CurrentUser {
            actor: Actor::from(&user),
            user,
        })
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
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
    pub role: &'static str,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            agency_id: u.agency_id,
            role: u.role.as_str(),
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

/// Signs in with e-mail and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = UserView, description = "Signed in; the session cookie is set"),
              (status = 401, body = crate::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let req: LoginRequest = from_json(body)?;
    let found = match haven_domain::user::parse_email(&req.email) {
        Ok(email) => state.store.user_by_email(&email).await?,
        Err(_) => None,
    };
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
        other => {
            let event = AuditEvent::new(other.as_ref().map(|c| c.user.id), AuditAction::LoginFailure)
                .details(serde_json::json!({ "reason": if other.is_some() { "bad_password_or_inactive" } else { "unknown_email" } }));
            state.store.append_audit(event).await?;
            return Err(ApiError::InvalidCredentials);
        }
    };
    let secret = new_token(SESSION_PREFIX).map_err(|_| ApiError::Internal)?;
    let expires = state.store.clock().now() + state.config.session_absolute;
    state
        .store
        .create_session(user.id, &token_digest(secret.expose()), expires)
        .await?;
    state
        .store
        .append_audit(
            AuditEvent::new(Some(user.id), AuditAction::LoginSuccess).target("user", user.id),
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
    let mut resp = Json(UserView::from(&user)).into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| ApiError::Internal)?,
    );
    Ok(resp)
}

/// Ends the current session and clears its cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out")))]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(session) = cookie(&headers, SESSION_COOKIE) {
        let digest = token_digest(session);
        if let Some(user) = state
            .store
            .session_user(&digest, state.config.session_idle)
            .await?
        {
            state
                .store
                .append_audit(
                    AuditEvent::new(Some(user.id), AuditAction::Logout).target("user", user.id),
                )
                .await?;
        }
        state.store.delete_session(&digest).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("haven_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(resp)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = UserView), (status = 401, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn me(user: CurrentUser) -> Json<UserView> {
    Json(UserView::from(&user.user))
}
