//! The write door's case-management part (issue 5), shared by both backends like [`door`]:
//! every decision (permission, version, validation, the workflow's verdict, the history entry,
//! the audit entry, the detention alert) is made here before any SQL runs; a backend reads the
//! case and its workflow inside its transaction, calls one of these, and carries out the
//! [`CaseworkWrite`] in that same transaction.
//!
//! The workflow (`domain::casework::workflow::Workflow`) is kept in the case row beside the
//! document, sealed whole (it holds summaries, comments and panel members' names), and is part of
//! the case's version: a workflow action is a new version of the case, with its history entry.

use haven_domain::access::Permission;
use haven_domain::audit::{AuditAction, AuditEvent};
use haven_domain::case::{self, CaseDoc, CaseStatus, SeparationStatus};
use haven_domain::casework::placement::{self, PlacementDoc};
use haven_domain::casework::tasks::{self, Task, TaskFor};
use haven_domain::casework::workflow::{self, ActionDoc, Ctx, Workflow};
use haven_domain::casework::{Settings, identity};
use haven_domain::history::{FieldChange, diff};
use haven_domain::ids::{CaseId, UserId};
use haven_domain::policy::authorize;
use haven_domain::user::Actor;
use serde::Serialize;
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};

use crate::door::{self, CaseWrite, DetentionSync};
use crate::error::{StoreError, StoreResult};
use crate::sealing::Sealer;
use crate::types::{Alert, CaseRecord};

/// A case with its workflow, as `GET …/workflow` and every casework write return it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseWork {
    pub case: CaseRecord,
    pub workflow: Workflow,
}

/// One casework write: the case row's new version (document, index, status, history entry,
/// audit entry) and the workflow stored with it.
#[derive(Debug, Clone)]
pub struct CaseworkWrite {
    pub case: CaseWrite,
    pub workflow: Workflow,
}

/// Associated data binding a sealed workflow to its case.
pub(crate) fn workflow_aad(id: CaseId) -> String {
    format!("cases:{id}:workflow")
}

pub(crate) fn seal_workflow(sealer: &Sealer, id: CaseId, w: &Workflow) -> StoreResult<String> {
    let plain = serde_json::to_string(w)
        .map_err(|e| StoreError::Corrupt(format!("case {id}: cannot serialise workflow: {e}")))?;
    sealer.seal_text(&plain, &workflow_aad(id))
}

/// A stored workflow sealed again with the active key (`keys rotate`), or sealed for the first time.
pub(crate) fn reseal_workflow(sealer: &Sealer, case_id: &str, stored: &str) -> StoreResult<String> {
    let aad = format!("cases:{case_id}:workflow");
    let plain = sealer.open_text(stored, &aad)?;
    sealer.seal_text(&plain, &aad)
}

/// The stored workflow, or a new one for a case registered before there was one (or just now).
pub(crate) fn open_workflow(
    sealer: &Sealer,
    case: &CaseRecord,
    stored: Option<&str>,
) -> StoreResult<Workflow> {
    match stored {
        None => Ok(Workflow::new(case.created_at)),
        Some(raw) => {
            let plain = sealer.open_text(raw, &workflow_aad(case.id))?;
            serde_json::from_str(&plain).map_err(|e| {
                StoreError::Corrupt(format!("case {}: unreadable workflow: {e}", case.id))
            })
        }
    }
}

/// What the detention alert must become after a write that takes the document from `old`
/// (`None`: a new case) to `new`.
pub(crate) fn detention_sync(old: Option<&CaseDoc>, new: &CaseDoc, today: Date) -> DetentionSync {
    if old.is_some_and(|o| o.placements == new.placements)
        || (old.is_none() && new.placements.is_empty())
    {
        return DetentionSync::Unchanged;
    }
    match placement::current_detention(&placement::from_case(&new.placements), today) {
        Some(spell) => DetentionSync::Detained {
            since: spell.since,
            kind: spell.kind,
        },
        None => DetentionSync::Free,
    }
}

/// The alert row raised when a child is found detained: ids and codes only.
pub(crate) fn detention_alert(
    case: &CaseRecord,
    since: Date,
    kind: &str,
    at: OffsetDateTime,
) -> Alert {
    Alert {
        id: uuid::Uuid::new_v4(),
        kind: "detention".to_string(),
        agency_id: case.agency_id,
        record_type: Some(door::CASE.to_string()),
        record_id: Some(case.id.0),
        subject_user: None,
        details: json!({ "since": since.to_string(), "placement_type": kind }),
        raised_at: at,
    }
}

/// The `since` of an open detention alert's details, to tell whether it is about the same spell.
pub(crate) fn alert_since(details: &str) -> Option<String> {
    serde_json::from_str::<Value>(details)
        .ok()?
        .get("since")?
        .as_str()
        .map(str::to_string)
}

fn separated(doc: &CaseDoc) -> bool {
    doc.separation_status
        .as_deref()
        .and_then(|s| SeparationStatus::parse(s).ok())
        .is_some_and(|s| {
            matches!(
                s,
                SeparationStatus::Unaccompanied | SeparationStatus::Separated
            )
        })
}

fn ctx<'a>(
    actor: &Actor,
    current: &CaseWork,
    settings: &'a Settings,
    now: OffsetDateTime,
) -> Ctx<'a> {
    Ctx {
        actor: actor.user_id,
        may_approve: actor.permissions.contains(Permission::CaseApprove),
        settings: &settings.approvals,
        now,
        separated_child: separated(&current.case.doc),
    }
}

/// The workflow a role may act on: the actions allowed to `actor` now.
pub fn allowed_actions(
    actor: &Actor,
    current: &CaseWork,
    settings: &Settings,
    now: OffsetDateTime,
) -> Vec<workflow::ActionKind> {
    if !actor.permissions.contains(Permission::CaseUpdate) {
        return Vec::new();
    }
    current
        .workflow
        .allowed_actions(&ctx(actor, current, settings, now))
}

/// The tasks of one case at `now` (due dates from its risk level and its workflow).
pub fn case_tasks(current: &CaseWork, settings: &Settings, now: OffsetDateTime) -> Vec<Task> {
    let risk = current
        .case
        .doc
        .risk_level
        .as_deref()
        .and_then(|r| case::RiskLevel::parse(r).ok());
    let state = tasks::CaseState {
        risk_level: risk,
        registered_at: current.case.created_at,
        workflow: &current.workflow,
        identity: None::<&identity::ValidLegalIdentity>,
    };
    tasks::due(&state, &settings.tasks, now)
}

/// Which of a case's tasks are on `actor`'s list: a supervisor (`case.approve`) sees every task
/// of the cases in their scope, a caseworker the caseworker's tasks of the cases assigned to them.
pub fn task_visible(actor: &Actor, caseworker: Option<UserId>, task: &Task) -> bool {
    actor.permissions.contains(Permission::CaseApprove)
        || (task.assignee == TaskFor::Caseworker && caseworker == Some(actor.user_id))
}

/// The new version of `current` carrying `workflow` and `doc` (both may be unchanged), with the
/// history entry `action` naming what was done and the audit entry `audit_action` with `details`
/// (codes and counts only).
#[allow(clippy::too_many_arguments)]
fn new_version(
    actor: &Actor,
    current: &CaseWork,
    doc: CaseDoc,
    workflow: Workflow,
    action: &str,
    audit_action: AuditAction,
    details: Value,
    now: OffsetDateTime,
) -> StoreResult<CaseworkWrite> {
    let valid = case::validate(doc, now.date())?;
    let mut record = current.case.clone();
    record.version += 1;
    record.updated_at = now;
    record.status = if workflow.is_closed() {
        CaseStatus::Closed
    } else {
        CaseStatus::Open
    };
    let mut write = door::finish(
        actor,
        record,
        Some(&current.case.doc),
        valid,
        AuditAction::CaseUpdate,
    )?;
    #[derive(Serialize)]
    struct State<'a> {
        status: &'static str,
        workflow: &'a Workflow,
    }
    let before = State {
        status: current.case.status.as_str(),
        workflow: &current.workflow,
    };
    let after = State {
        status: write.record.status.as_str(),
        workflow: &workflow,
    };
    let more: Vec<FieldChange> = diff(Some(&before), &after);
    write.history.changes.extend(more);
    write.history.action = action.to_string();
    let fields: Vec<&str> = write
        .history
        .changes
        .iter()
        .map(|c| c.field.as_str())
        .collect();
    let mut details = details;
    if let Value::Object(map) = &mut details {
        map.insert("version".into(), json!(write.record.version));
        map.insert("fields".into(), json!(fields));
    }
    write.audit = AuditEvent::new(Some(actor.user_id), audit_action)
        .target(door::CASE, write.record.id)
        .details(details);
    Ok(CaseworkWrite {
        case: write,
        workflow,
    })
}

fn check_version(current: &CaseWork, expected: Option<i64>) -> StoreResult<()> {
    match expected {
        Some(v) if v != current.case.version => Err(StoreError::Conflict {
            current: current.case.version,
        }),
        _ => Ok(()),
    }
}

/// A workflow action (`POST /cases/{id}/workflow`): permission, version, the action's fields
/// (422 naming each), the workflow's verdict (409 with the allowed actions), then the new version.
pub fn prepare_workflow(
    actor: &Actor,
    current: &CaseWork,
    expected_version: i64,
    doc: ActionDoc,
    settings: &Settings,
    now: OffsetDateTime,
) -> StoreResult<CaseworkWrite> {
    authorize(actor, Permission::CaseUpdate)?;
    check_version(current, Some(expected_version))?;
    let action = workflow::validate_action(doc, &current.workflow, now.date())?;
    let applied = current
        .workflow
        .apply(&action, &ctx(actor, current, settings, now))?;
    let events: Vec<&str> = applied.events.iter().map(|e| e.audit_name()).collect();
    let kind = action.kind();
    new_version(
        actor,
        current,
        current.case.doc.clone(),
        applied.next,
        &format!("workflow.{kind}"),
        AuditAction::CaseWorkflow,
        json!({ "action": kind.as_str(), "events": events }),
        now,
    )
}

/// A care arrangement (`POST /cases/{id}/placements`): refused on a closed case (409), checked
/// against the case's placement history (422 naming the field), then stored in the document. The
/// backend raises or resolves the detention alert in the same transaction
/// ([`door::CaseIndex::detention`]).
pub fn prepare_placement(
    actor: &Actor,
    current: &CaseWork,
    expected_version: Option<i64>,
    doc: &PlacementDoc,
    settings: &Settings,
    now: OffsetDateTime,
) -> StoreResult<CaseworkWrite> {
    authorize(actor, Permission::CaseUpdate)?;
    check_version(current, expected_version)?;
    let history = placement::from_case(&current.case.doc.placements);
    let recorded = placement::record_on_case(
        &current.workflow,
        &ctx(actor, current, settings, now),
        &history,
        doc,
    )?;
    let mut next = current.case.doc.clone();
    next.placements = recorded.history.iter().map(to_case_placement).collect();
    let events: Vec<&str> = recorded.events.iter().map(|e| e.audit_name()).collect();
    new_version(
        actor,
        current,
        next,
        current.workflow.clone(),
        "placement",
        AuditAction::CasePlacement,
        json!({ "events": events }),
        now,
    )
}

fn to_case_placement(p: &placement::Placement) -> case::Placement {
    case::Placement {
        kind: p.kind.as_str().to_string(),
        place: p.place.clone(),
        provider: p.provider.clone(),
        start_date: p.start_date.to_string(),
        end_date: p.end_date.map(|d| d.to_string()),
    }
}

/// A merge patch of the document on a case whose workflow is closed may not change its work
/// (placements, services): the same 409 as any workflow refusal. Record keeping (a corrected name)
/// stays possible.
pub fn check_patch_on_closed(
    actor: &Actor,
    current: &CaseWork,
    write: &CaseWrite,
    settings: &Settings,
    now: OffsetDateTime,
) -> StoreResult<()> {
    use workflow::{Action, CaseChange};
    let what = if write.record.doc.placements != current.case.doc.placements {
        CaseChange::Placement
    } else if write.record.doc.services != current.case.doc.services {
        CaseChange::Service
    } else {
        return Ok(());
    };
    current
        .workflow
        .apply(
            &Action::ChangeCase { what },
            &ctx(actor, current, settings, now),
        )
        .map(|_| ())
        .map_err(Into::into)
}

/// Most open cases `Store::tasks` derives tasks from in one call.
pub const MAX_TASK_CASES: usize = 5_000;

/// The tasks on `actor`'s list from these cases, soonest due first, and the ids of the cases
/// they come from (for the audit entry of the read).
pub fn tasks_of(
    actor: &Actor,
    works: &[CaseWork],
    settings: &Settings,
    now: OffsetDateTime,
    overdue_only: bool,
) -> (Vec<crate::types::CaseTask>, Vec<String>) {
    let mut out = Vec::new();
    let mut ids = Vec::new();
    for w in works {
        let caseworker = w
            .case
            .doc
            .caseworker_id
            .as_deref()
            .and_then(|c| c.parse::<UserId>().ok());
        let before = out.len();
        for task in case_tasks(w, settings, now) {
            if (!overdue_only || task.overdue) && task_visible(actor, caseworker, &task) {
                out.push(crate::types::CaseTask {
                    case_id: w.case.id,
                    caseworker_id: caseworker,
                    task,
                });
            }
        }
        if out.len() > before {
            ids.push(w.case.id.to_string());
        }
    }
    out.sort_by_key(|t| t.task.due);
    (out, ids)
}
