//! `/api/v1/cases/{id}/consents`: who consented to what, or the basis that stands in for consent.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use haven_domain::access::FieldClass;
use haven_domain::consent::ConsentDoc;
use haven_domain::ids::{CaseId, UserId};
use haven_domain::problems::from_json;
use haven_domain::user::Actor;
use haven_store::Consent;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::records::path_id;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConsentView {
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    pub case_id: CaseId,
    pub basis: &'static str,
    pub purposes: Vec<&'static str>,
    pub recipients: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_by: Option<String>,
    /// Absent for roles that do not see identifying fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_by_name: Option<String>,
    pub given_on: String,
    pub withdrawn_on: Option<String>,
    /// Absent for roles that do not see protection fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub recorded_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: OffsetDateTime,
}

impl ConsentView {
    fn new(c: Consent, actor: &Actor) -> Self {
        let doc = c.doc;
        Self {
            id: c.record.id,
            case_id: c.case_id,
            basis: c.record.basis.as_str(),
            purposes: c.record.purposes.iter().map(|p| p.as_str()).collect(),
            recipients: c.record.recipients.iter().map(|r| r.as_str()).collect(),
            given_by: doc.given_by,
            given_by_name: doc
                .given_by_name
                .filter(|_| actor.sees.contains(FieldClass::Identifying)),
            given_on: c.record.given_on.to_string(),
            withdrawn_on: c.record.withdrawn_on.map(|d| d.to_string()),
            notes: doc
                .notes
                .filter(|_| actor.sees.contains(FieldClass::Protection)),
            recorded_by: c.recorded_by,
            recorded_at: c.recorded_at,
        }
    }
}

/// The consents recorded on a case, oldest first.
#[utoipa::path(get, path = "/api/v1/cases/{id}/consents", tag = "cases",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = [ConsentView]), (status = 404, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<ConsentView>>, ApiError> {
    let consents = state
        .store
        .consents(&user.actor, path_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(
        consents
            .into_iter()
            .map(|c| ConsentView::new(c, &user.actor))
            .collect(),
    ))
}

/// Records a consent, or another legal basis, on a case. Under 13 a caregiver or representative
/// consents.
#[utoipa::path(post, path = "/api/v1/cases/{id}/consents", tag = "cases", request_body = ConsentDoc,
    params(("id" = String, Path, description = "Case id")),
    responses((status = 201, body = ConsentView), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn record(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<ConsentView>), ApiError> {
    let doc: ConsentDoc = from_json(body)?;
    let consent = state
        .store
        .record_consent(&user.actor, path_id(&id)?, doc)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ConsentView::new(consent, &user.actor)),
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    /// YYYY-MM-DD; today when absent.
    #[serde(default)]
    pub withdrawn_on: Option<String>,
}

/// Withdraws a consent: from that day on it no longer allows anything.
#[utoipa::path(post, path = "/api/v1/cases/{id}/consents/{consent_id}/withdraw", tag = "cases",
    request_body = Withdrawal,
    params(("id" = String, Path, description = "Case id"),
           ("consent_id" = String, Path, description = "Consent id")),
    responses((status = 200, body = ConsentView), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn withdraw(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, consent_id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Json<ConsentView>, ApiError> {
    let req: Withdrawal = from_json(body)?;
    let consent = state
        .store
        .withdraw_consent(
            &user.actor,
            path_id(&id)?,
            path_id(&consent_id)?,
            req.withdrawn_on.as_deref(),
        )
        .await?;
    Ok(Json(ConsentView::new(consent, &user.actor)))
}
