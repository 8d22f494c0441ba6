//! Case management (issue 5): a case's workflow (`/api/v1/cases/{id}/workflow`), its care
//! arrangements (`…/placements`), assignment, referrals, flags, notes, transfers and incidents
//! (its items), its timeline, and the task lists (`/api/v1/tasks`). The rules are the domain's
//! (`domain::casework`), the write door the store's (`store::casework`); these handlers
//! translate.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use haven_domain::access::FieldClass;
use haven_domain::casework::incident::IncidentDoc;
use haven_domain::casework::placement::{self, DetentionSpell, Placement, PlacementDoc};
use haven_domain::casework::referral::{ReferralActionDoc, ReferralDoc};
use haven_domain::casework::tasks::Task;
use haven_domain::casework::transfer::{
    AssignmentDoc, FlagDoc, NoteDoc, TransferActionDoc, TransferDoc,
};
use haven_domain::casework::workflow::{ActionDoc, ActionKind, Stage, Subject, Workflow};
use haven_domain::ids::{CaseId, UserId};
use haven_domain::user::Actor;
use haven_store::{CaseItemChange, CaseRecord, CaseTask, CaseWork, NewCaseItem, casework as door};
use serde::Serialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::records::{etag, if_match_version, parse_list_query, path_id};

/// A case's workflow as the caller may act on it. `ETag` carries the case's version: a workflow
/// action is a new version of the case.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkflowView {
    pub case_id: CaseId,
    pub version: i64,
    /// open | closed: closed exactly when the stage is.
    pub status: &'static str,
    pub stage: Stage,
    /// The step waiting for a supervisor's decision, if any.
    pub pending_approval: Option<Subject>,
    /// What the caller may do now (`POST` one of these as `action`).
    pub allowed: Vec<ActionKind>,
    /// The case's open tasks with their due dates.
    pub tasks: Vec<Task>,
    /// The whole record of the work (assessment, case plan, follow-ups, BID, closures); absent
    /// for roles that do not see protection details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow: Option<Workflow>,
}

fn workflow_response(state: &AppState, actor: &Actor, work: CaseWork) -> Response {
    let now = state.store.clock().now();
    let settings = &state.config.casework;
    let view = WorkflowView {
        case_id: work.case.id,
        version: work.case.version,
        status: work.case.status.as_str(),
        stage: work.workflow.stage,
        pending_approval: work.workflow.pending_approval(),
        allowed: door::allowed_actions(actor, &work, settings, now),
        tasks: door::case_tasks(&work, settings, now),
        workflow: actor
            .sees
            .contains(FieldClass::Protection)
            .then_some(work.workflow),
    };
    let mut resp = Json(view).into_response();
    resp.headers_mut()
        .insert(header::ETAG, etag(work.case.version));
    resp
}

/// A case's workflow: its stage, what the caller may do, its tasks.
#[utoipa::path(get, path = "/api/v1/cases/{id}/workflow", tag = "casework",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = WorkflowView, description = "`ETag` carries the case's version"),
              (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn get_workflow(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let work = state
        .store
        .case_work(&user.actor, path_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(workflow_response(&state, &user.actor, work))
}

/// Applies a workflow action (`{"action": "approve", "subject": "assessment"}`) to the version
/// named by `If-Match`. An action the case's state does not allow is 409
/// `{"error": code, "message": reason, "allowed": [...]}`; bad fields are 422 naming each.
/// Approving and rejecting need `case.approve`, and nobody decides on their own request.
#[utoipa::path(post, path = "/api/v1/cases/{id}/workflow", tag = "casework", request_body = ActionDoc,
    params(("id" = String, Path, description = "Case id"),
           ("If-Match" = String, Header, description = "The ETag of the case version being changed")),
    responses((status = 200, body = WorkflowView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::RefusalBody), (status = 412, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody), (status = 428, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn apply_workflow(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id: CaseId = path_id(&id)?;
    let expected = if_match_version(&headers)?;
    let action = haven_domain::casework::workflow::action_from_json(body)?;
    let work = state
        .store
        .apply_workflow(&user.actor, id, expected, action, &state.config.casework)
        .await?;
    Ok(workflow_response(&state, &user.actor, work))
}

/// A case's care arrangements as a history, with its detention.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlacementsView {
    pub case_id: CaseId,
    pub version: i64,
    /// Oldest first; at most one current (no `end_date`).
    pub placements: Vec<Placement>,
    /// The detention going on now, with the days detained so far.
    pub current_detention: Option<DetentionSpell>,
    /// Calendar days in detention, all spells together.
    pub days_detained: i64,
}

/// Records a care arrangement: `{"type": "immigration_detention", "start_date": "2026-01-05",
/// "place": "…"}`. A new current placement ends the current one on its start date. A placement
/// in detention or police custody raises a `detention` alert for the case's supervisors at once
/// (`GET /api/v1/alerts`); a move out of detention resolves it. `If-Match` is optional here: a
/// placement is added to a history, not written over anything.
#[utoipa::path(post, path = "/api/v1/cases/{id}/placements", tag = "casework", request_body = PlacementDoc,
    params(("id" = String, Path, description = "Case id"),
           ("If-Match" = Option<String>, Header, description = "The ETag of the case version, to refuse a stale change")),
    responses((status = 201, body = PlacementsView, description = "`ETag` carries the case's new version"),
              (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::RefusalBody),
              (status = 412, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn record_placement(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id: CaseId = path_id(&id)?;
    let expected = match headers.get(header::IF_MATCH) {
        Some(_) => Some(if_match_version(&headers)?),
        None => None,
    };
    let doc: PlacementDoc = haven_domain::problems::from_json(body)?;
    let work = state
        .store
        .record_placement(&user.actor, id, expected, doc, &state.config.casework)
        .await?;
    Ok(placements_response(&state, StatusCode::CREATED, &work.case))
}

fn placements_response(state: &AppState, status: StatusCode, case: &CaseRecord) -> Response {
    let today = state.store.clock().today();
    let history = placement::from_case(&case.doc.placements);
    let view = PlacementsView {
        case_id: case.id,
        version: case.version,
        current_detention: placement::current_detention(&history, today),
        days_detained: placement::days_detained(&history, today),
        placements: history,
    };
    let mut resp = (status, Json(view)).into_response();
    resp.headers_mut().insert(header::ETAG, etag(case.version));
    resp
}

/// A case's care arrangements as a history, with the detention going on and the days detained
/// (all spells together), counted to today.
#[utoipa::path(get, path = "/api/v1/cases/{id}/placements", tag = "casework",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = PlacementsView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn get_placements(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let case = state
        .store
        .get_case(&user.actor, path_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(placements_response(&state, StatusCode::OK, &case))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    pub case_id: CaseId,
    pub caseworker_id: Option<UserId>,
    #[serde(flatten)]
    pub task: Task,
}

impl From<CaseTask> for TaskView {
    fn from(t: CaseTask) -> Self {
        Self {
            case_id: t.case_id,
            caseworker_id: t.caseworker_id,
            task: t.task,
        }
    }
}

/// The caller's tasks, soonest due first: a caseworker's on the cases assigned to them; with
/// `case.approve`, every task of the open cases in their scope (approvals waiting included).
#[utoipa::path(get, path = "/api/v1/tasks", tag = "casework",
    params(("overdue" = Option<bool>, Query, description = "Only tasks past their due date")),
    responses((status = 200, body = [TaskView]), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_tasks(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<TaskView>>, ApiError> {
    let mut overdue = false;
    parse_list_query(query.as_deref().unwrap_or(""), |p, key, v| {
        if key != "overdue" {
            return false;
        }
        match v {
            "true" => overdue = true,
            "false" => overdue = false,
            _ => p.push(key, "must be true or false"),
        }
        true
    })?;
    let tasks = state
        .store
        .tasks(&user.actor, &state.config.casework, overdue)
        .await?;
    Ok(Json(tasks.into_iter().map(TaskView::from).collect()))
}

/// A referral, flag or note as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    /// referral | flag | note | transfer | incident
    pub kind: &'static str,
    pub case_id: CaseId,
    pub agency_id: haven_domain::ids::AgencyId,
    /// A referral's receiving agency.
    pub to_agency_id: Option<haven_domain::ids::AgencyId>,
    /// A referral: requested | accepted | declined | completed | cancelled; a flag: open |
    /// resolved; a note: written.
    pub status: String,
    pub version: i64,
    pub created_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: time::OffsetDateTime,
    /// The referral, flag or note itself. Its narrative (a note's text, reasons, comments) is
    /// absent for roles that do not see protection details.
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
}

/// Narrative fields of an item's body: what a role without the protection class does not see.
const NARRATIVE: &[&str] = &[
    "text",
    "note",
    "reason",
    "comment",
    "resolution",
    "description",
];

pub(crate) fn item_view(actor: &Actor, item: haven_store::CaseItem) -> ItemView {
    let mut body = item.body;
    if !actor.sees.contains(FieldClass::Protection)
        && let serde_json::Value::Object(map) = &mut body
    {
        for f in NARRATIVE {
            map.remove(*f);
        }
    }
    ItemView {
        id: item.id,
        kind: item.kind.as_str(),
        case_id: item.case_id,
        agency_id: item.agency_id,
        to_agency_id: item.to_agency_id,
        status: item.status,
        version: item.version,
        created_by: item.created_by,
        created_at: item.created_at,
        updated_at: item.updated_at,
        body,
    }
}

async fn create_item(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    new: NewCaseItem,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    let item = state
        .store
        .create_case_item(&user.actor, path_id(id)?, new, &state.config.casework)
        .await?;
    Ok((StatusCode::CREATED, Json(item_view(&user.actor, item))))
}

/// Refers the child to a service, inside the agency or to another agency of the deployment
/// (`to_agency_id`), which then accepts, declines or completes it. Both agencies see the referral.
#[utoipa::path(post, path = "/api/v1/cases/{id}/referrals", tag = "casework", request_body = ReferralDoc,
    params(("id" = String, Path, description = "Case id")),
    responses((status = 201, body = ItemView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::RefusalBody), (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_referral(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    let doc: ReferralDoc = haven_domain::problems::from_json(body)?;
    create_item(&state, &user, &id, NewCaseItem::Referral(doc)).await
}

/// Raises a flag on a case: a reason from the `flag_reasons` list and a note.
#[utoipa::path(post, path = "/api/v1/cases/{id}/flags", tag = "casework", request_body = FlagDoc,
    params(("id" = String, Path, description = "Case id")),
    responses((status = 201, body = ItemView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_flag(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    let doc: FlagDoc = haven_domain::problems::from_json(body)?;
    create_item(&state, &user, &id, NewCaseItem::Flag(doc)).await
}

/// Writes a case note; its text is encrypted at rest.
#[utoipa::path(post, path = "/api/v1/cases/{id}/notes", tag = "casework", request_body = NoteDoc,
    params(("id" = String, Path, description = "Case id")),
    responses((status = 201, body = ItemView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_note(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    let doc: NoteDoc = haven_domain::problems::from_json(body)?;
    create_item(&state, &user, &id, NewCaseItem::Note(doc)).await
}

/// A case's referrals, flags and notes, oldest first.
#[utoipa::path(get, path = "/api/v1/cases/{id}/items", tag = "casework",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = [ItemView]), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_items(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<ItemView>>, ApiError> {
    let items = state
        .store
        .case_items(&user.actor, path_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(
        items
            .into_iter()
            .map(|i| item_view(&user.actor, i))
            .collect(),
    ))
}

/// Referrals of the cases in the caller's scope and referrals made to the caller's agency,
/// newest first.
#[utoipa::path(get, path = "/api/v1/referrals", tag = "casework",
    responses((status = 200, body = [ItemView]), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_referrals(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<ItemView>>, ApiError> {
    let items = state.store.referrals(&user.actor).await?;
    Ok(Json(
        items
            .into_iter()
            .map(|i| item_view(&user.actor, i))
            .collect(),
    ))
}

/// Answers a referral: the receiving agency accepts, declines (with a comment) or completes it;
/// the referring agency may cancel it. Not allowed now → 409 with the allowed actions.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/actions", tag = "casework", request_body = ReferralActionDoc,
    params(("id" = String, Path, description = "Referral id")),
    responses((status = 200, body = ItemView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::RefusalBody), (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn answer_referral(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<ItemView>, ApiError> {
    let doc: ReferralActionDoc = haven_domain::problems::from_json(body)?;
    let item = state
        .store
        .change_case_item(
            &user.actor,
            path_id(&id)?,
            CaseItemChange::AnswerReferral(doc),
        )
        .await?;
    Ok(Json(item_view(&user.actor, item)))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveFlag {
    /// What was done about it.
    pub resolution: String,
}

/// Resolves a flag with what was done; a resolved flag stays resolved (409 `flag_resolved`).
#[utoipa::path(post, path = "/api/v1/flags/{id}/resolve", tag = "casework", request_body = ResolveFlag,
    params(("id" = String, Path, description = "Flag id")),
    responses((status = 200, body = ItemView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::RefusalBody), (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn resolve_flag(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<ItemView>, ApiError> {
    let req: ResolveFlag = haven_domain::problems::from_json(body)?;
    let item = state
        .store
        .change_case_item(
            &user.actor,
            path_id(&id)?,
            CaseItemChange::ResolveFlag {
                resolution: req.resolution,
            },
        )
        .await?;
    Ok(Json(item_view(&user.actor, item)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineView {
    /// `case`, or the kind of the case's item: `referral`, `flag`, `note`.
    pub record_type: String,
    #[schema(value_type = String, format = Uuid)]
    pub record_id: uuid::Uuid,
    #[serde(flatten)]
    pub entry: crate::records::HistoryView,
}

/// Every change of a case and of its referrals, flags and notes, oldest first: the history the
/// write door keeps, as one timeline. Changes to fields the caller may not see are left out.
#[utoipa::path(get, path = "/api/v1/cases/{id}/timeline", tag = "casework",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = [TimelineView]), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn timeline(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<TimelineView>>, ApiError> {
    let entries = state
        .store
        .case_timeline(&user.actor, path_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(
        entries
            .into_iter()
            .map(|t| {
                let mut views = crate::records::visible_history(
                    haven_domain::sensitivity::RecordKind::Case,
                    &user.actor,
                    vec![t.entry],
                );
                TimelineView {
                    record_type: t.record_type,
                    record_id: t.record_id,
                    entry: views.remove(0),
                }
            })
            .collect(),
    ))
}

/// Assigns the case to a caseworker of its agency (`case.assign`).
#[utoipa::path(post, path = "/api/v1/cases/{id}/assignment", tag = "casework", request_body = AssignmentDoc,
    params(("id" = String, Path, description = "Case id"),
           ("If-Match" = String, Header, description = "The ETag of the case version being changed")),
    responses((status = 200, body = WorkflowView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 412, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
              (status = 428, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn assign(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id: CaseId = path_id(&id)?;
    let expected = if_match_version(&headers)?;
    let doc: AssignmentDoc = haven_domain::problems::from_json(body)?;
    let to = haven_domain::casework::transfer::validate_assignment(&doc)?;
    haven_domain::policy::authorize(&user.actor, haven_domain::access::Permission::CaseAssign)
        .map_err(|d| ApiError::Forbidden(format!("{} is needed", d.0)))?;
    state
        .store
        .update_case(
            &user.actor,
            id,
            expected,
            &serde_json::json!({ "caseworker_id": to.to_string() }),
        )
        .await?;
    let work = state
        .store
        .case_work(&user.actor, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(workflow_response(&state, &user.actor, work))
}

/// Asks another agency of the deployment to take the case over (`case.transfer`). One transfer
/// waits at a time; the receiving agency sees it and accepts or declines.
#[utoipa::path(post, path = "/api/v1/cases/{id}/transfers", tag = "casework", request_body = TransferDoc,
    params(("id" = String, Path, description = "Case id")),
    responses((status = 201, body = ItemView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::RefusalBody), (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_transfer(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    let doc: TransferDoc = haven_domain::problems::from_json(body)?;
    create_item(&state, &user, &id, NewCaseItem::Transfer(doc)).await
}

/// Answers a transfer: the receiving agency accepts (the case moves to it, assigned to whoever
/// accepted; its history stays) or declines with a comment; the sending agency may cancel.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/actions", tag = "casework", request_body = TransferActionDoc,
    params(("id" = String, Path, description = "Transfer id")),
    responses((status = 200, body = ItemView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::RefusalBody), (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn answer_transfer(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<ItemView>, ApiError> {
    let doc: TransferActionDoc = haven_domain::problems::from_json(body)?;
    let item = state
        .store
        .change_case_item(
            &user.actor,
            path_id(&id)?,
            CaseItemChange::AnswerTransfer(doc),
        )
        .await?;
    Ok(Json(item_view(&user.actor, item)))
}

/// Records an incident (violence, exploitation, trafficking, discrimination) concerning one or
/// more children; every case named must be one the caller can see, and open. It shows in each
/// child's items and timeline.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "casework", request_body = IncidentDoc,
    responses((status = 201, body = ItemView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::RefusalBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_incident(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    let doc: IncidentDoc = haven_domain::problems::from_json(body)?;
    let item = state
        .store
        .create_incident(&user.actor, doc, &state.config.casework)
        .await?;
    Ok((StatusCode::CREATED, Json(item_view(&user.actor, item))))
}
