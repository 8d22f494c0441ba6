//! The supervisor's approvals inbox and the referrals inbox. Decisions post to the same store
//! calls as the API (`apply_workflow`, `change_case_item`).

use axum::extract::{Path, State};
use axum::response::Response;
use haven_domain::access::Permission;
use haven_domain::casework::referral::ReferralActionDoc;
use haven_domain::casework::tasks::TaskKind;
use haven_domain::sensitivity::RecordKind;
use haven_store::{CaseItemChange, StoreError};
use serde_json::Value;

use super::{Chrome, Posted, UiError, UiUser, html, see_other};
use crate::AppState;
use crate::cases::CaseView;
use crate::error::ApiError;
use crate::records::visible;

pub struct Approval {
    pub case_id: String,
    pub name: String,
    pub subject_code: String,
    pub subject: String,
    pub version: i64,
    pub due: String,
    pub overdue: bool,
}

#[derive(askama::Template)]
#[template(path = "approvals.html")]
struct ApprovalsPage {
    c: Chrome,
    items: Vec<Approval>,
}

/// Cases waiting for the supervisor's decision, oldest due first.
pub async fn approvals(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    user.require(Permission::CaseApprove)?;
    let c = user.chrome(user.lang.t("approvals-title"));
    let tasks = state
        .store
        .tasks(&user.actor, &state.config.casework, false)
        .await
        .map_err(|e| user.err(e))?;
    let today = state.store.clock().today();
    let mut items = Vec::new();
    for t in tasks
        .into_iter()
        .filter(|t| t.task.kind == TaskKind::ApprovalDecision)
    {
        let Some(work) = state
            .store
            .case_work(&user.actor, t.case_id)
            .await
            .map_err(|e| user.err(e))?
        else {
            continue;
        };
        let Some(subject) = work.workflow.pending_approval() else {
            continue;
        };
        let version = work.case.version;
        let v = visible(
            RecordKind::Case,
            &user.actor,
            CaseView::new(work.case, today),
        )
        .map_err(|e| user.err(e))?;
        let name = [text(&v, "given_name"), text(&v, "family_name")]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        items.push(Approval {
            case_id: t.case_id.to_string(),
            name: if name.is_empty() {
                c.t("name-hidden")
            } else {
                c.name(&name)
            },
            subject_code: subject.as_str().to_string(),
            subject: c.code("subject", subject.as_str()),
            version,
            due: c.datetime(&t.task.due),
            overdue: t.task.overdue,
        });
    }
    Ok(html(&ApprovalsPage { c, items }))
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

pub struct ReferralRow {
    pub id: String,
    pub case_id: String,
    pub service: String,
    pub status: String,
    pub urgent: bool,
    pub incoming: bool,
    pub made: String,
    /// accept | decline | complete | cancel, as the referral's status and side allow.
    pub actions: Vec<(&'static str, String)>,
}

#[derive(askama::Template)]
#[template(path = "referrals.html")]
struct ReferralsPage {
    c: Chrome,
    items: Vec<ReferralRow>,
}

pub async fn referrals(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    user.require(Permission::CaseRead)?;
    let c = user.chrome(user.lang.t("referrals-title"));
    let items = state
        .store
        .referrals(&user.actor)
        .await
        .map_err(|e| user.err(e))?
        .into_iter()
        .map(|i| crate::casework::item_view(&user.actor, i))
        .filter(|i| i.kind == "referral")
        .map(|i| {
            let to = i.to_agency_id.unwrap_or(i.agency_id);
            let incoming = to == user.actor.agency_id;
            let outgoing = i.agency_id == user.actor.agency_id;
            let mut actions: Vec<&'static str> = Vec::new();
            match i.status.as_str() {
                "requested" => {
                    if incoming {
                        actions.extend(["accept", "decline"]);
                    }
                    if outgoing {
                        actions.push("cancel");
                    }
                }
                "accepted" => {
                    if incoming {
                        actions.push("complete");
                    }
                    if outgoing {
                        actions.push("cancel");
                    }
                }
                _ => {}
            }
            ReferralRow {
                id: i.id.to_string(),
                case_id: i.case_id.to_string(),
                service: c.code("service", text(&i.body, "service")),
                status: c.code("item-status", &i.status),
                urgent: i.body.get("urgent").and_then(Value::as_bool) == Some(true),
                incoming,
                made: c.datetime(&i.created_at),
                actions: actions
                    .into_iter()
                    .map(|a| (a, c.code("referral-action", a)))
                    .collect(),
            }
        })
        .collect();
    Ok(html(&ReferralsPage { c, items }))
}

/// Accepts, declines, completes or cancels a referral, as `POST /api/v1/referrals/{id}/actions`.
pub async fn answer_referral(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { user, form } = posted;
    let id: uuid::Uuid = id.parse().map_err(|_| user.err(ApiError::NotFound))?;
    let doc = ReferralActionDoc {
        action: form.get("action").to_string(),
        comment: form.opt("comment"),
        education: None,
    };
    match state
        .store
        .change_case_item(&user.actor, id, CaseItemChange::AnswerReferral(doc))
        .await
    {
        Ok(_) => Ok(see_other("/referrals")),
        Err(StoreError::Invalid(p)) => Err(user.err(ApiError::Validation(p))),
        Err(e) => Err(user.err(e)),
    }
}
