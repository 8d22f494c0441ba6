//! `/api/v1/matches`: the pairs the matcher proposes, and the tracing officer's decisions; and
//! `/api/v1/cases/duplicates`, the check before registering a child.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use haven_domain::case::doc_from_json;
use haven_domain::ids::{CaseId, TracingRequestId, UserId};
use haven_domain::potential_match::{DecisionDoc, MatchStatus};
use haven_domain::sensitivity::RecordKind;
use haven_domain::user::Actor;
use haven_matching::FieldWeight;
use haven_store::{MatchFilter, PotentialMatch};
use serde::Serialize;
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::cases::CaseView;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::records::{etag, field, if_match_version, parse_list_query, path_id, visible};
use crate::tracing_requests::TracingRequestView;

/// What one compared field contributed to a pair's score.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldWeightView {
    pub field: String,
    /// The agreement level (`exact`, `similar`, `different`, …) or `missing`.
    pub level: String,
    /// Bits of evidence: positive for the same child, negative against.
    pub weight: f64,
}

impl From<FieldWeight> for FieldWeightView {
    fn from(w: FieldWeight) -> Self {
        Self {
            field: w.field,
            level: w.level,
            weight: w.weight,
        }
    }
}

/// A proposed (or decided) pair of a tracing request and a case.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MatchView {
    pub id: uuid::Uuid,
    /// Increases with every decision; the ETag carries it.
    pub version: i64,
    /// proposed | confirmed | rejected | reunified
    pub status: &'static str,
    /// The calibrated chance that both records are the same child.
    pub probability: f64,
    pub explanation: Vec<FieldWeightView>,
    pub tracing_request_id: TracingRequestId,
    pub case_id: CaseId,
    /// The decisions the pair's state allows.
    pub allowed: Vec<&'static str>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub decided_by: Option<UserId>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<OffsetDateTime>,
    #[schema(value_type = Option<String>, format = Date)]
    pub reunified_on: Option<String>,
    pub comment: Option<String>,
}

impl From<PotentialMatch> for MatchView {
    fn from(p: PotentialMatch) -> Self {
        Self {
            id: p.id,
            version: p.version,
            status: p.status.as_str(),
            probability: p.probability,
            explanation: p.explanation.into_iter().map(Into::into).collect(),
            tracing_request_id: p.tracing_request_id,
            case_id: p.case_id,
            allowed: p.status.allowed().iter().map(|d| d.as_str()).collect(),
            created_at: p.created_at,
            updated_at: p.updated_at,
            decided_by: p.decided_by,
            decided_at: p.decided_at,
            reunified_on: p.reunified_on.map(|d| d.to_string()),
            comment: p.comment,
        }
    }
}

/// A pair with the two records side by side, each as the caller may see it (`null` when it is
/// outside their scope).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MatchDetail {
    #[serde(flatten)]
    pub pair: MatchView,
    #[schema(value_type = Option<TracingRequestView>)]
    pub tracing_request: Option<serde_json::Value>,
    #[schema(value_type = Option<CaseView>)]
    pub case: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MatchList {
    pub items: Vec<MatchView>,
}

/// Pairs with at least one side in the caller's scope, most probable first.
#[utoipa::path(get, path = "/api/v1/matches", tag = "tracing",
    params(
        ("status" = Option<String>, Query, description = "proposed | confirmed | rejected | reunified"),
        ("tracing_request_id" = Option<String>, Query, description = "One request's pairs"),
        ("case_id" = Option<String>, Query, description = "One case's pairs"),
    ),
    responses((status = 200, body = MatchList), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(query): RawQuery,
) -> Result<Json<MatchList>, ApiError> {
    let mut filter = MatchFilter::default();
    parse_list_query(query.as_deref().unwrap_or(""), |p, key, v| {
        match key {
            "status" => filter.status = field(p, key, MatchStatus::parse(v)),
            "tracing_request_id" => {
                filter.tracing_request_id = field(p, key, parse_id(v, "tracing request"))
            }
            "case_id" => filter.case_id = field(p, key, parse_id(v, "case")),
            _ => return false,
        }
        true
    })?;
    let items = state.store.potential_matches(&user.actor, &filter).await?;
    Ok(Json(MatchList {
        items: items.into_iter().map(MatchView::from).collect(),
    }))
}

fn parse_id<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, String> {
    raw.parse().map_err(|_| {
        format!(
            "'{}' is not a {what} id",
            raw.chars().take(40).collect::<String>()
        )
    })
}

fn detail_response(
    actor: &Actor,
    today: time::Date,
    detail: haven_store::MatchView,
) -> Result<Response, ApiError> {
    let version = detail.pair.version;
    let body = MatchDetail {
        pair: MatchView::from(detail.pair),
        tracing_request: detail
            .request
            .map(|r| {
                visible(
                    RecordKind::TracingRequest,
                    actor,
                    TracingRequestView::from(r),
                )
            })
            .transpose()?,
        case: detail
            .case
            .map(|c| visible(RecordKind::Case, actor, CaseView::new(c, today)))
            .transpose()?,
    };
    let mut resp = (StatusCode::OK, Json(body)).into_response();
    resp.headers_mut().insert(header::ETAG, etag(version));
    Ok(resp)
}

/// One pair with both records side by side, each shown only if in the caller's scope.
#[utoipa::path(get, path = "/api/v1/matches/{id}", tag = "tracing",
    params(("id" = String, Path, description = "Pair id")),
    responses((status = 200, body = MatchDetail), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let detail = state
        .store
        .potential_match(&user.actor, path_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    detail_response(&user.actor, state.store.clock().today(), detail)
}

/// Confirms, rejects (with a reason) or reunifies a pair. `If-Match` carries the pair's ETag.
#[utoipa::path(post, path = "/api/v1/matches/{id}/decision", tag = "tracing",
    request_body = DecisionDoc,
    params(("id" = String, Path, description = "Pair id"),
           ("If-Match" = String, Header, description = "The ETag of the pair as read")),
    responses((status = 200, body = MatchView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody, description = "match.review missing, or one side outside your scope"),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody, description = "The state does not allow it; `allowed` lists what does"),
              (status = 412, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
              (status = 428, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let expected = if_match_version(&headers)?;
    let doc: DecisionDoc = haven_domain::problems::from_json(body)?;
    let pair = state
        .store
        .decide_match(&user.actor, id, expected, &doc)
        .await?;
    let version = pair.version;
    let mut resp = (StatusCode::OK, Json(MatchView::from(pair))).into_response();
    resp.headers_mut().insert(header::ETAG, etag(version));
    Ok(resp)
}

/// A registered child who may be the one about to be registered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DuplicateView {
    pub probability: f64,
    pub explanation: Vec<FieldWeightView>,
    #[schema(value_type = CaseView)]
    pub case: serde_json::Value,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DuplicateList {
    /// Children in the caller's scope, most likely first; empty when none looks the same.
    pub items: Vec<DuplicateView>,
}

/// Before registering a child: the children already registered (in the caller's scope) who may
/// be the same one. Takes the case as it would be registered; writes nothing.
#[utoipa::path(post, path = "/api/v1/cases/duplicates", tag = "cases",
    request_body = haven_domain::case::CaseDoc,
    responses((status = 200, body = DuplicateList), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn duplicates(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody,
) -> Result<Json<DuplicateList>, ApiError> {
    let doc = doc_from_json(body)?;
    let today = state.store.clock().today();
    let found = state.store.possible_duplicates(&user.actor, &doc).await?;
    Ok(Json(DuplicateList {
        items: found
            .into_iter()
            .map(|d| {
                Ok(DuplicateView {
                    probability: d.probability,
                    explanation: d.explanation.into_iter().map(Into::into).collect(),
                    case: visible(RecordKind::Case, &user.actor, CaseView::new(d.case, today))?,
                })
            })
            .collect::<Result<_, ApiError>>()?,
    }))
}

/// Keeps the matcher current while the server runs: the queue is worked through every
/// `every`, so a saved case or request is matched within seconds without delaying the save.
pub fn spawn_matcher(
    store: std::sync::Arc<dyn haven_store::Store>,
    every: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match store.sync_matches().await {
                Ok(r) if r.jobs > 0 => {
                    tracing::info!(
                        jobs = r.jobs,
                        proposed = r.proposed,
                        withdrawn = r.withdrawn,
                        "matching"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "matching failed; retrying"),
            }
        }
    })
}
