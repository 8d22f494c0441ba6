//! `/api/v1/cases`: register, read, list and change cases.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use haven_domain::case::{
    CaseDoc, CaseStatus, RiskLevel, SeparationStatus, age, doc_from_json, parse_pcode,
};
use haven_domain::ids::{AgencyId, CaseId, UserId};
use haven_domain::sensitivity::RecordKind;
use haven_domain::user::Actor;
use haven_store::{CaseFilter, CaseRecord};
use serde::Serialize;
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
pub use crate::records::HistoryView;
use crate::records::{
    field, if_match_version, list_error, parse_agency_id, parse_list_query, path_id,
    record_response, visible, visible_history,
};

/// A case as the API shows it: the record's own facts, then the document's fields.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub id: CaseId,
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
    /// Age in whole years today, from the date of birth or the estimate.
    pub age: Option<i32>,
    #[serde(flatten)]
    pub doc: CaseDoc,
}

impl CaseView {
    pub(crate) fn new(rec: CaseRecord, today: time::Date) -> Self {
        Self {
            age: age(&rec.doc, today),
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
pub struct CaseList {
    /// Cases as the caller may see them: fields of classes their role does not see are absent.
    #[schema(value_type = Vec<CaseView>)]
    pub items: Vec<serde_json::Value>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next: Option<String>,
}

fn case_response(
    state: &AppState,
    actor: &Actor,
    status: StatusCode,
    rec: CaseRecord,
) -> Result<Response, ApiError> {
    let (version, location) = (rec.version, format!("/api/v1/cases/{}", rec.id));
    let view = CaseView::new(rec, state.store.clock().today());
    record_response(status, RecordKind::Case, actor, version, &location, view)
}

fn case_id(raw: &str) -> Result<CaseId, ApiError> {
    path_id(raw)
}

/// Registers a child's case in the caller's agency.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = CaseDoc,
    responses((status = 201, body = CaseView, description = "Created; `ETag` carries the version"),
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
    let rec = state.store.create_case(&user.actor, doc).await?;
    case_response(&state, &user.actor, StatusCode::CREATED, rec)
}

/// One case, if it is in the caller's scope.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = CaseView), (status = 401, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rec = state
        .store
        .get_case(&user.actor, case_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    case_response(&state, &user.actor, StatusCode::OK, rec)
}

/// Changes a case with a JSON merge patch (RFC 7396). `If-Match` must carry the ETag of the
/// version the change was made on.
#[utoipa::path(patch, path = "/api/v1/cases/{id}", tag = "cases", request_body = CaseDoc,
    params(("id" = String, Path, description = "Case id"),
           ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses((status = 200, body = CaseView), (status = 401, body = crate::error::ErrorBody),
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
    let id = case_id(&id)?;
    let expected = if_match_version(&headers)?;
    let rec = state
        .store
        .update_case(&user.actor, id, expected, &patch)
        .await?;
    case_response(&state, &user.actor, StatusCode::OK, rec)
}

/// Cases in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases",
    params(
        ("status" = Option<String>, Query, description = "open | closed"),
        ("risk_level" = Option<String>, Query, description = "high | medium | low"),
        ("separation_status" = Option<String>, Query, description = "unaccompanied | separated | accompanied | unknown"),
        ("agency_id" = Option<String>, Query, description = "Owning agency"),
        ("location" = Option<String>, Query, description = "P-code prefix, e.g. SY02"),
        ("limit" = Option<u32>, Query, description = "1 to 500; 50 by default"),
        ("cursor" = Option<String>, Query, description = "`next` from the previous page"),
    ),
    responses((status = 200, body = CaseList), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(query): RawQuery,
) -> Result<Json<CaseList>, ApiError> {
    let mut filter = CaseFilter::default();
    let page = parse_list_query(query.as_deref().unwrap_or(""), |p, key, v| {
        match key {
            "status" => filter.status = field(p, key, CaseStatus::parse(v)),
            "risk_level" => filter.risk_level = field(p, key, RiskLevel::parse(v)),
            "separation_status" => {
                filter.separation_status = field(p, key, SeparationStatus::parse(v))
            }
            "agency_id" => filter.agency_id = field(p, key, parse_agency_id(v)),
            "location" => filter.location_prefix = field(p, key, parse_pcode(v)),
            _ => return false,
        }
        true
    })?;
    let result = state
        .store
        .list_cases(&user.actor, &filter, &page)
        .await
        .map_err(list_error)?;
    let today = state.store.clock().today();
    Ok(Json(CaseList {
        items: result
            .items
            .into_iter()
            .map(|r| visible(RecordKind::Case, &user.actor, CaseView::new(r, today)))
            .collect::<Result<_, _>>()?,
        next: result.next,
    }))
}

/// What changed in a case, version by version.
#[utoipa::path(get, path = "/api/v1/cases/{id}/history", tag = "cases",
    params(("id" = String, Path, description = "Case id")),
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
        .case_history(&user.actor, case_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(visible_history(
        RecordKind::Case,
        &user.actor,
        entries,
    )))
}
