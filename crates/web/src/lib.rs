//! Haven's HTTP API under `/api/v1`.
//!
//! Architecture invariant: handlers hold no SQL and no rules. They authenticate (the
//! [`auth::CurrentUser`] extractor), translate HTTP into store calls, and translate results and
//! errors back. Every route that touches a record requires a `CurrentUser`, so an unauthenticated
//! request cannot reach one.

pub mod admin;
pub mod alerts;
pub mod auth;
pub mod cases;
pub mod casework;
pub mod consents;
pub mod error;
pub mod extract;
pub mod limits;
pub mod matches;
pub mod openapi;
pub mod records;
pub mod reports;
pub mod routes;
pub mod tracing_requests;
// --- Web UI (issue 6): server-rendered pages over the same store door. ---
pub mod ui;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::IntoResponse;
use haven_store::Store;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Settings the HTTP layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// A session ends after this long without a request.
    pub session_idle: time::Duration,
    /// A session ends this long after login, however busy.
    pub session_absolute: time::Duration,
    /// Mark cookies `Secure` (set when Haven is served over HTTPS, e.g. behind a proxy).
    pub secure_cookies: bool,
    /// Send Strict-Transport-Security (when Haven serves TLS itself).
    pub hsts: bool,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// How long break-the-glass opens a record for.
    pub break_glass_for: time::Duration,
    /// Sign-in requests one address may make in a burst, then one per `login_refill`.
    pub login_burst: u32,
    pub login_refill: std::time::Duration,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// Case management: which steps need approval, response times by risk level.
    pub casework: haven_domain::casework::Settings,
    /// Reports: the suppression threshold (`[reports] threshold`) and the engine's settings.
    pub reports: haven_report::Settings,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            session_idle: time::Duration::minutes(30),
            session_absolute: time::Duration::hours(12),
            secure_cookies: false,
            hsts: false,
            body_limit: 256 * 1024,
            break_glass_for: time::Duration::hours(1),
            login_burst: 10,
            login_refill: std::time::Duration::from_secs(6),
            trust_forwarded_for: false,
            casework: haven_domain::casework::Settings::default(),
            reports: haven_report::Settings::default(),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<WebConfig>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: WebConfig) -> Self {
        Self {
            store,
            config: Arc::new(config),
        }
    }
}

pub fn router(state: AppState) -> Router {
    let body_limit = state.config.body_limit;
    let hsts = state.config.hsts;
    let limit = limits::SignInLimit::new(
        state.config.login_burst,
        state.config.login_refill,
        state.config.trust_forwarded_for,
    );
    let api = routes::table()
        .into_iter()
        .fold(Router::new(), |r, (route, handler)| {
            let handler = if route.path.starts_with("/api/v1/auth/") {
                handler.layer(axum::middleware::from_fn_with_state(
                    limit.clone(),
                    limits::limit_sign_in,
                ))
            } else {
                handler
            };
            r.route(route.path.trim_start_matches("/api/v1"), handler)
        })
        .fallback(error::not_found)
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    // The web pages: gzip-compressed (a page is mostly repeated markup); sign-in posts share
    // the API's per-address limit.
    let pages = ui::router(limit.clone()).layer(tower_http::compression::CompressionLayer::new());
    let app = Router::new()
        .merge(pages)
        .nest("/api/v1", api)
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            audit_refusals,
        ))
        .with_state(state)
        .layer(DefaultBodyLimit::max(body_limit));
    let app = if hsts {
        app.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        ))
    } else {
        app
    };
    with_security_headers(app)
        .layer(CatchPanicLayer::custom(error::panic_response))
        // The span names the path, never the query: a name search carries a child's name.
        .layer(TraceLayer::new_for_http().make_span_with(
            |req: &axum::http::Request<axum::body::Body>| {
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
            },
        ))
}

/// Appends a failed authorisation to the audit log for every 403 given to an authenticated
/// caller (a missing permission, a forged or missing CSRF token), naming the route, not its ids.
/// Out-of-scope records answer 404 and are audited by the store itself.
async fn audit_refusals(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let slot = auth::CallerSlot::default();
    req.extensions_mut().insert(slot.clone());
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| req.uri().path().to_string(), |m| m.as_str().to_string());
    let method = req.method().to_string();
    let resp = next.run(req).await;
    if resp.status() == axum::http::StatusCode::FORBIDDEN
        && let Some(user) = slot.caller()
    {
        let event = haven_domain::audit::AuditEvent::new(
            Some(user),
            haven_domain::audit::AuditAction::AuthorizationFailure,
        )
        .details(serde_json::json!({ "method": method, "route": route }));
        if let Err(e) = state.store.append_audit(event).await {
            tracing::error!(error = %e, "cannot audit a refusal");
        }
    }
    resp
}

/// Headers every response carries: no sniffing, no framing, no referrer, nothing loaded from
/// elsewhere; scripts only from Haven's own files (never inline).
fn with_security_headers(router: Router) -> Router {
    [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    ]
    .into_iter()
    .fold(router, |r, (name, value): (HeaderName, &'static str)| {
        r.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` when the server answers and its database too.
    pub status: &'static str,
    pub version: &'static str,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
}

/// Liveness and readiness; needs no login.
#[utoipa::path(get, path = "/api/v1/health", tag = "system",
    responses((status = 200, body = Health), (status = 503, body = error::ErrorBody)))]
pub async fn health(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    match state.store.audit_head().await {
        Ok(_) => axum::Json(Health {
            status: "ok",
            version: env!("CARGO_PKG_VERSION"),
            database: state.store.backend().as_str(),
        })
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unavailable");
            error::ApiError::Unavailable.into_response()
        }
    }
}
