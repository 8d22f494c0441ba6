//! `/api/v1/tracing-requests`: file, read, list and change requests from relatives looking for a
//! child. The same contract as the case routes (ETags, `If-Match`, merge patches, cursors).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use haven_domain::case::parse_pcode;
use haven_domain::ids::{AgencyId, TracingRequestId, UserId};
use haven_domain::sensitivity::RecordKind;
use haven_domain::tracing_request::{RequestStatus, TracingRequestDoc, doc_from_json};
use haven_domain::user::Actor;
use haven_store::{TracingRequestFilter, TracingRequestRecord};
use serde::Serialize;
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::records::{
    HistoryView, field, if_match_version, list_error, parse_agency_id, parse_list_query, path_id,
    record_response, visible, visible_history,
};

/// A tracing request as the API shows it: the record's own facts, then the document's fields.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TracingRequestView {
    pub id: TracingRequestId,
    /// Increases with every change; the ETag carries it.
    pub version: i64,
    /// open | closed
    pub status: &'static str,
    pub agency_id: AgencyId,
    pub created_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    #[serde(flatten)]
    pub doc: TracingRequestDoc,
}

impl From<TracingRequestRecord> for TracingRequestView {
    fn from(rec: TracingRequestRecord) -> Self {
        Self {
            id: rec.id,
            version: rec.version,
            status: rec.status.as_str(),
            agency_id: rec.agency_id,
            created_by: rec.created_by,
            created_at: rec.created_at,
            updated_at: rec.updated_at,
            doc: rec.doc,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TracingRequestList {
    /// Requests as the caller may see them: fields of classes their role does not see are absent.
    #[schema(value_type = Vec<TracingRequestView>)]
    pub items: Vec<serde_json::Value>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next: Option<String>,
}

fn respond(
    actor: &Actor,
    status: StatusCode,
    rec: TracingRequestRecord,
) -> Result<Response, ApiError> {
    let (version, location) = (rec.version, format!("/api/v1/tracing-requests/{}", rec.id));
    let view = TracingRequestView::from(rec);
    record_response(
        status,
        RecordKind::TracingRequest,
        actor,
        version,
        &location,
        view,
    )
}

fn request_id(raw: &str) -> Result<TracingRequestId, ApiError> {
    path_id(raw)
}

/// Files a tracing request in the caller's agency.
#[utoipa::path(post, path = "/api/v1/tracing-requests", tag = "tracing",
    request_body = TracingRequestDoc,
    responses((status = 201, body = TracingRequestView, description = "Created; `ETag` carries the version"),
              (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
              (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let doc = doc_from_json(body)?;
    let rec = state.store.create_tracing_request(&user.actor, doc).await?;
    respond(&user.actor, StatusCode::CREATED, rec)
}

/// One tracing request, if it is in the caller's scope.
#[utoipa::path(get, path = "/api/v1/tracing-requests/{id}", tag = "tracing",
    params(("id" = String, Path, description = "Tracing request id")),
    responses((status = 200, body = TracingRequestView), (status = 401, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rec = state
        .store
        .get_tracing_request(&user.actor, request_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    respond(&user.actor, StatusCode::OK, rec)
}

/// Changes a tracing request with a JSON merge patch (RFC 7396). `If-Match` must carry the ETag
/// of the version the change was made on.
#[utoipa::path(patch, path = "/api/v1/tracing-requests/{id}", tag = "tracing",
    request_body = TracingRequestDoc,
    params(("id" = String, Path, description = "Tracing request id"),
           ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses((status = 200, body = TracingRequestView), (status = 401, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 412, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody), (status = 428, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(patch): JsonBody,
) -> Result<Response, ApiError> {
    let id = request_id(&id)?;
    let expected = if_match_version(&headers)?;
    let rec = state
        .store
        .update_tracing_request(&user.actor, id, expected, &patch)
        .await?;
    respond(&user.actor, StatusCode::OK, rec)
}

/// Tracing requests in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/tracing-requests", tag = "tracing",
    params(
        ("status" = Option<String>, Query, description = "open | closed"),
        ("agency_id" = Option<String>, Query, description = "Owning agency"),
        ("location" = Option<String>, Query, description = "P-code prefix of the place of separation, e.g. SY02"),
        ("limit" = Option<u32>, Query, description = "1 to 500; 50 by default"),
        ("cursor" = Option<String>, Query, description = "`next` from the previous page"),
    ),
    responses((status = 200, body = TracingRequestList), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(query): RawQuery,
) -> Result<Json<TracingRequestList>, ApiError> {
    let mut filter = TracingRequestFilter::default();
    let page = parse_list_query(query.as_deref().unwrap_or(""), |p, key, v| {
        match key {
            "status" => filter.status = field(p, key, RequestStatus::parse(v)),
            "agency_id" => filter.agency_id = field(p, key, parse_agency_id(v)),
            "location" => filter.location_prefix = field(p, key, parse_pcode(v)),
            _ => return false,
        }
        true
    })?;
    let result = state
        .store
        .list_tracing_requests(&user.actor, &filter, &page)
        .await
        .map_err(list_error)?;
    Ok(Json(TracingRequestList {
        items: result
            .items
            .into_iter()
            .map(|r| {
                visible(
                    RecordKind::TracingRequest,
                    &user.actor,
                    TracingRequestView::from(r),
                )
            })
            .collect::<Result<_, _>>()?,
        next: result.next,
    }))
}

/// What changed in a tracing request, version by version.
#[utoipa::path(get, path = "/api/v1/tracing-requests/{id}/history", tag = "tracing",
    params(("id" = String, Path, description = "Tracing request id")),
    responses((status = 200, body = [HistoryView]), (status = 401, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<HistoryView>>, ApiError> {
    let entries = state
        .store
        .tracing_request_history(&user.actor, request_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(visible_history(
        RecordKind::TracingRequest,
        &user.actor,
        entries,
    )))
}
