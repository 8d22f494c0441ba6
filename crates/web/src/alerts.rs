//! What needs a person's attention (`/api/v1/alerts`) and break-the-glass access, which raises
//! one: opening a record outside one's scope for a stated reason, for a limited time.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use haven_domain::casework::placement;
use haven_domain::ids::{AgencyId, UserId};
use haven_domain::problems::from_json;
use haven_domain::sensitivity::RecordKind;
use haven_store::{AccessGrant, Alert};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::records::path_id;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertView {
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    /// `detention`, `break_glass`, `login_failures`, …
    pub kind: String,
    pub agency_id: AgencyId,
    /// The case concerned, when the alert is about a case.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub case_id: Option<uuid::Uuid>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub tracing_request_id: Option<uuid::Uuid>,
    /// The user the alert is about (whose account is attacked, who broke the glass).
    pub user_id: Option<UserId>,
    pub details: serde_json::Value,
    /// For a `detention` alert: the days the child has been detained so far, the first day and
    /// today both counted (it counts up; computed when read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_detained: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub raised_at: OffsetDateTime,
}

impl AlertView {
    fn new(a: Alert, today: time::Date) -> Self {
        let days_detained = (a.kind == "detention")
            .then(|| a.details.get("since").and_then(|s| s.as_str()))
            .flatten()
            .and_then(|s| haven_domain::dates::parse_date(s).ok())
            .map(|since| placement::days_detained_since(since, today));
        Self {
            days_detained,
            ..Self::from(a)
        }
    }
}

impl From<Alert> for AlertView {
    fn from(a: Alert) -> Self {
        let of = |kind: &str| {
            (a.record_type.as_deref() == Some(kind))
                .then_some(a.record_id)
                .flatten()
        };
        Self {
            case_id: of("case"),
            tracing_request_id: of("tracing_request"),
            id: a.id,
            kind: a.kind,
            agency_id: a.agency_id,
            user_id: a.subject_user,
            details: a.details,
            days_detained: None,
            raised_at: a.raised_at,
        }
    }
}

/// Open alerts in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts",
    responses((status = 200, body = [AlertView]), (status = 401, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<AlertView>>, ApiError> {
    let alerts = state.store.alerts(&user.actor).await?;
    let today = state.store.clock().today();
    Ok(Json(
        alerts
            .into_iter()
            .map(|a| AlertView::new(a, today))
            .collect(),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakGlassRequest {
    /// Why the record must be opened: read by the record's supervisors and kept in the audit.
    pub reason: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GrantView {
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    pub record_type: String,
    #[schema(value_type = String, format = Uuid)]
    pub record_id: uuid::Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
}

impl From<AccessGrant> for GrantView {
    fn from(g: AccessGrant) -> Self {
        Self {
            id: g.id,
            record_type: g.record_type,
            record_id: g.record_id,
            expires_at: g.expires_at,
        }
    }
}

async fn break_glass(
    state: &AppState,
    user: &CurrentUser,
    kind: RecordKind,
    id: &str,
    body: serde_json::Value,
) -> Result<(StatusCode, Json<GrantView>), ApiError> {
    let id: uuid::Uuid = path_id(id)?;
    let req: BreakGlassRequest = from_json(body)?;
    let grant = state
        .store
        .break_glass(
            &user.actor,
            kind,
            id,
            &req.reason,
            state.config.break_glass_for,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(GrantView::from(grant))))
}

/// Opens a case outside the caller's scope, for a stated reason and a limited time. Audited;
/// the case's supervisors are alerted.
#[utoipa::path(post, path = "/api/v1/cases/{id}/break-glass", tag = "cases",
    request_body = BreakGlassRequest, params(("id" = String, Path, description = "Case id")),
    responses((status = 201, body = GrantView), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn break_glass_case(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<GrantView>), ApiError> {
    break_glass(&state, &user, RecordKind::Case, &id, body).await
}

/// Opens a tracing request outside the caller's scope, like a case.
#[utoipa::path(post, path = "/api/v1/tracing-requests/{id}/break-glass", tag = "tracing",
    request_body = BreakGlassRequest, params(("id" = String, Path, description = "Tracing request id")),
    responses((status = 201, body = GrantView), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn break_glass_request(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<GrantView>), ApiError> {
    break_glass(&state, &user, RecordKind::TracingRequest, &id, body).await
}
