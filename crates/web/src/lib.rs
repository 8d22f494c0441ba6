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
pub mod error;
pub mod extract;
pub mod openapi;
pub mod records;
pub mod routes;
pub mod tracing_requests;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
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
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            session_idle: time::Duration::minutes(30),
            session_absolute: time::Duration::hours(12),
            secure_cookies: false,
            body_limit: 256 * 1024,
            break_glass_for: time::Duration::hours(1),
            login_burst: 10,
            login_refill: std::time::Duration::from_secs(6),
            trust_forwarded_for: false,
            casework: haven_domain::casework::Settings::default(),
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
    let api = routes::table()
        .into_iter()
        .fold(Router::new(), |r, (route, handler)| {
            r.route(route.path.trim_start_matches("/api/v1"), handler)
        })
        .fallback(error::not_found)
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    let app = Router::new()
        .route("/", get(home))
        .nest("/api/v1", api)
        .fallback(error::not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(body_limit));
    with_security_headers(app)
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(TraceLayer::new_for_http())
}

/// Headers every response carries: no sniffing, no framing, no referrer, nothing loaded from
/// elsewhere.
fn with_security_headers(router: Router) -> Router {
    [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; form-action 'self'",
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

async fn home() -> Html<&'static str> {
    Html(include_str!("home.html"))
}
