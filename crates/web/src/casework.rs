//! Case management (issue 5): a case's workflow (`/api/v1/cases/{id}/workflow`), its care
//! arrangements (`/api/v1/cases/{id}/placements`) and the task lists (`/api/v1/tasks`). The
//! rules are the domain's (`domain::casework`), the write door the store's (`store::casework`);
//! these handlers translate.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use haven_domain::access::FieldClass;
use haven_domain::casework::placement::{self, DetentionSpell, Placement, PlacementDoc};
use haven_domain::casework::tasks::Task;
use haven_domain::casework::workflow::{ActionDoc, ActionKind, Stage, Subject, Workflow};
use haven_domain::ids::{CaseId, UserId};
use haven_domain::user::Actor;
use haven_store::{CaseTask, CaseWork, casework as door};
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
    let today = state.store.clock().today();
    let history = placement::from_case(&work.case.doc.placements);
    let view = PlacementsView {
        case_id: work.case.id,
        version: work.case.version,
        current_detention: placement::current_detention(&history, today),
        days_detained: placement::days_detained(&history, today),
        placements: history,
    };
    let mut resp = (StatusCode::CREATED, Json(view)).into_response();
    resp.headers_mut()
        .insert(header::ETAG, etag(work.case.version));
    Ok(resp)
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
