//! `/api/v1/cases`: register, read, list and change cases.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use haven_domain::Problems;
use haven_domain::case::{
    CaseDoc, CaseStatus, RiskLevel, SeparationStatus, age, doc_from_json, parse_pcode,
};
use haven_domain::history::FieldChange;
use haven_domain::ids::{AgencyId, CaseId, UserId};
use haven_domain::policy::Scope;
use haven_store::{CaseFilter, CaseRecord, HistoryEntry, PageRequest};
use serde::Serialize;
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::JsonBody;

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
    fn new(rec: CaseRecord, today: time::Date) -> Self {
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
    pub items: Vec<CaseView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryView {
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    pub actor_id: UserId,
    /// create | update
    pub action: String,
    pub changes: Vec<FieldChange>,
}

impl From<HistoryEntry> for HistoryView {
    fn from(h: HistoryEntry) -> Self {
        Self {
            version: h.version,
            at: h.at,
            actor_id: h.actor_id,
            action: h.action,
            changes: h.changes,
        }
    }
}

fn etag(version: i64) -> HeaderValue {
    // Digits and quotes only: always a valid header value.
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

fn case_response(state: &AppState, status: StatusCode, rec: CaseRecord) -> Response {
    let tag = etag(rec.version);
    let location = HeaderValue::from_str(&format!("/api/v1/cases/{}", rec.id)).ok();
    let mut resp = (
        status,
        Json(CaseView::new(rec, state.store.clock().today())),
    )
        .into_response();
    resp.headers_mut().insert(header::ETAG, tag);
    if status == StatusCode::CREATED
        && let Some(l) = location
    {
        resp.headers_mut().insert(header::LOCATION, l);
    }
    resp
}

fn case_id(raw: &str) -> Result<CaseId, ApiError> {
    // A malformed id cannot name a case: the same answer as an unknown one.
    raw.parse().map_err(|_| ApiError::NotFound)
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
    Ok(case_response(&state, StatusCode::CREATED, rec))
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
        .get_case(Scope::of(&user.actor), case_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(case_response(&state, StatusCode::OK, rec))
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
    Ok(case_response(&state, StatusCode::OK, rec))
}

/// The version named by `If-Match`. Missing → 428; `*` is refused too, since it would let a
/// stale edit overwrite someone else's.
fn if_match_version(headers: &HeaderMap) -> Result<i64, ApiError> {
    let raw = headers
        .get(header::IF_MATCH)
        .ok_or(ApiError::PreconditionRequired)?
        .to_str()
        .map_err(|_| bad_if_match())?
        .trim();
    if raw == "*" {
        return Err(ApiError::PreconditionRequired);
    }
    raw.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(bad_if_match)
}

fn bad_if_match() -> ApiError {
    ApiError::BadHeader {
        header: "If-Match",
        problem: "must be the ETag of the case, e.g. \"3\"".into(),
    }
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
    let (filter, page) = parse_list_query(query.as_deref().unwrap_or(""))?;
    let result = state
        .store
        .list_cases(Scope::of(&user.actor), &filter, &page)
        .await
        .map_err(|e| match e {
            haven_store::StoreError::Invalid(p) => ApiError::InvalidQuery(p),
            other => other.into(),
        })?;
    let today = state.store.clock().today();
    Ok(Json(CaseList {
        items: result
            .items
            .into_iter()
            .map(|r| CaseView::new(r, today))
            .collect(),
        next: result.next,
    }))
}

fn parse_list_query(query: &str) -> Result<(CaseFilter, PageRequest), ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| ApiError::InvalidQuery(Problems::single("", e.to_string())))?;
    let mut params = BTreeMap::new();
    let mut p = Problems::new();
    for (k, v) in pairs {
        if params.insert(k.clone(), v).is_some() {
            p.push(k, "is given more than once");
        }
    }
    let mut filter = CaseFilter::default();
    let mut page = PageRequest::first(PageRequest::DEFAULT_LIMIT);
    for (key, value) in &params {
        let v = value.as_str();
        match key.as_str() {
            "status" => filter.status = field(&mut p, key, CaseStatus::parse(v)),
            "risk_level" => filter.risk_level = field(&mut p, key, RiskLevel::parse(v)),
            "separation_status" => {
                filter.separation_status = field(&mut p, key, SeparationStatus::parse(v))
            }
            "agency_id" => {
                filter.agency_id = field(
                    &mut p,
                    key,
                    v.parse::<AgencyId>()
                        .map_err(|_| format!("'{v}' is not an agency id")),
                )
            }
            "location" => filter.location_prefix = field(&mut p, key, parse_pcode(v)),
            "limit" => {
                let max = PageRequest::MAX_LIMIT;
                page.limit = field(
                    &mut p,
                    key,
                    v.parse::<u32>()
                        .ok()
                        .filter(|n| (1..=max).contains(n))
                        .ok_or_else(|| format!("must be a whole number from 1 to {max}")),
                )
                .unwrap_or(PageRequest::DEFAULT_LIMIT)
            }
            "cursor" => page.after = Some(value.clone()),
            _ => p.push(key.clone(), "is not a known parameter"),
        }
    }
    if p.is_empty() {
        Ok((filter, page))
    } else {
        Err(ApiError::InvalidQuery(p))
    }
}

fn field<T>(p: &mut Problems, key: &str, result: Result<T, String>) -> Option<T> {
    result.map_err(|e| p.push(key, e)).ok()
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
        .case_history(Scope::of(&user.actor), case_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(entries.into_iter().map(HistoryView::from).collect()))
}
