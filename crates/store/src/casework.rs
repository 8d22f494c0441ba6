//! The write door's case-management part (issue 5), shared by both backends like [`door`]:
//! every decision (permission, version, validation, the workflow's verdict, the history entry,
//! the audit entry, the detention alert) is made here before any SQL runs; a backend reads the
//! case and its workflow inside its transaction, calls one of these, and carries out the
//! [`CaseworkWrite`] in that same transaction.
//!
//! The workflow (`domain::casework::workflow::Workflow`) is kept in the case row beside the
//! document, sealed whole (it holds summaries, comments and panel members' names), and is part of
//! the case's version: a workflow action is a new version of the case, with its history entry.

use haven_domain::Problems;
use haven_domain::access::Permission;
use haven_domain::audit::{AuditAction, AuditEvent};
use haven_domain::case::{self, CaseDoc, CaseStatus, SeparationStatus};
use haven_domain::casework::placement::{self, PlacementDoc};
use haven_domain::casework::referral::{self, Referral, ReferralDoc};
use haven_domain::casework::tasks::{self, Task, TaskFor};
use haven_domain::casework::workflow::{self, ActionDoc, Ctx, Workflow};
use haven_domain::casework::{ConsentCheck, Settings, identity, incident, transfer};
use haven_domain::consent::{ConsentRecord, Need, Recipient};
use haven_domain::history::{FieldChange, diff};
use haven_domain::ids::{AgencyId, CaseId, UserId};
use haven_domain::policy::authorize;
use haven_domain::user::Actor;
use serde::Serialize;
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};

use crate::door::{self, CaseWrite, DetentionSync};
use crate::error::{StoreError, StoreResult, shape};
use crate::sealing::Sealer;
use crate::types::{
    Alert, CaseItem, CaseItemChange, CaseRecord, HistoryEntry, ItemKind, NewCaseItem,
};

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
                StoreError::Corrupt(format!(
                    "case {}: unreadable workflow: {}",
                    case.id,
                    shape(&e)
                ))
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
    // Stored documents were validated when written; one that no longer validates (a rule added
    // since) simply gives no identity tasks.
    let identity = current
        .case
        .doc
        .legal_identity
        .clone()
        .and_then(|li| identity::validate(li, now.date()).ok());
    // Response times run from when the child was registered, which may be before the record
    // was entered (a paper form typed in later).
    let registered_at = current
        .case
        .doc
        .registration_date
        .as_deref()
        .and_then(|d| haven_domain::dates::parse_date(d).ok())
        .map(|d| d.midnight().assume_utc())
        .map_or(current.case.created_at, |d| d.min(current.case.created_at));
    let state = tasks::CaseState {
        risk_level: risk,
        registered_at,
        workflow: &current.workflow,
        identity: identity.as_ref(),
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
        pcode: p.pcode.clone(),
        provider: p.provider.clone(),
        start_date: p.start_date.to_string(),
        end_date: p.end_date.map(|d| d.to_string()),
    }
}

/// A merge patch of the document on a case whose workflow is closed may not change its work
/// (placements, services, legal identity, route): the same 409 as any workflow refusal. Record keeping (a corrected name)
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
    } else if write.record.doc.legal_identity != current.case.doc.legal_identity {
        CaseChange::Identity
    } else if write.record.doc.route != current.case.doc.route {
        CaseChange::Route
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

// --- Items: referrals, flags, notes -------------------------------------------------------------

/// The `record_history.record_type` of a casework item's history entries.
pub const CASE_ITEM: &str = "case_item";

/// One write of an item: the item after it, its history entry, its audit entry.
#[derive(Debug, Clone)]
pub struct ItemWrite {
    pub item: CaseItem,
    pub history: HistoryEntry,
    pub audit: AuditEvent,
    /// When the item went ahead without consent on someone's say-so: that, audited too.
    pub consent_override: Option<AuditEvent>,
}

/// Associated data binding a sealed item body to its row: `case_notes:{id}:text` for a note's
/// text, `case_{kind}s:{id}:body` for the others.
pub(crate) fn item_aad(kind: ItemKind, id: uuid::Uuid) -> String {
    match kind {
        ItemKind::Note => format!("case_notes:{id}:text"),
        other => format!("case_{}s:{id}:body", other.as_str()),
    }
}

pub(crate) fn seal_item(sealer: &Sealer, item: &CaseItem) -> StoreResult<String> {
    sealer.seal_text(&item.body.to_string(), &item_aad(item.kind, item.id))
}

pub(crate) fn open_item_body(
    sealer: &Sealer,
    kind: ItemKind,
    id: uuid::Uuid,
    stored: &str,
) -> StoreResult<Value> {
    let plain = sealer.open_text(stored, &item_aad(kind, id))?;
    serde_json::from_str(&plain)
        .map_err(|e| StoreError::Corrupt(format!("case item {id}: unreadable body: {}", shape(&e))))
}

fn to_value(v: &impl Serialize) -> StoreResult<Value> {
    serde_json::to_value(v).map_err(|e| StoreError::Corrupt(format!("cannot serialise: {e}")))
}

fn from_value<T: serde::de::DeserializeOwned>(item: &CaseItem) -> StoreResult<T> {
    serde_json::from_value(item.body.clone())
        .map_err(|e| StoreError::Corrupt(format!("case item {}: {}", item.id, shape(&e))))
}

/// The history and audit entries of an item's write: its status (and on creation its kind and
/// receiving agency), never its content.
fn item_write(
    actor: &Actor,
    item: CaseItem,
    old_status: Option<&str>,
    action: AuditAction,
) -> ItemWrite {
    let mut changes = vec![FieldChange {
        field: "status".into(),
        from: old_status.map_or(Value::Null, |s| json!(s)),
        to: json!(item.status),
    }];
    if old_status.is_none() {
        changes.insert(
            0,
            FieldChange {
                field: "kind".into(),
                from: Value::Null,
                to: json!(item.kind.as_str()),
            },
        );
        if let Some(to) = item.to_agency_id {
            changes.push(FieldChange {
                field: "to_agency_id".into(),
                from: Value::Null,
                to: json!(to.to_string()),
            });
        }
    }
    let history = HistoryEntry {
        version: item.version,
        at: item.updated_at,
        actor_id: actor.user_id,
        action: format!(
            "{}.{}",
            item.kind.as_str(),
            if old_status.is_none() {
                "create"
            } else {
                item.status.as_str()
            }
        ),
        changes,
    };
    let audit = AuditEvent::new(Some(actor.user_id), action)
        .target(CASE_ITEM, item.id)
        .details(json!({
            "kind": item.kind.as_str(),
            "case": item.case_id.to_string(),
            "version": item.version,
            "status": item.status,
        }));
    ItemWrite {
        item,
        history,
        audit,
        consent_override: None,
    }
}

fn new_item(
    actor: &Actor,
    case: &CaseRecord,
    kind: ItemKind,
    to_agency_id: Option<AgencyId>,
    status: &str,
    body: Value,
    now: OffsetDateTime,
) -> CaseItem {
    CaseItem {
        id: door::time_ordered_id(now),
        kind,
        case_id: case.id,
        agency_id: case.agency_id,
        to_agency_id,
        status: status.to_string(),
        version: 1,
        created_by: actor.user_id,
        created_at: now,
        updated_at: now,
        body,
    }
}

/// A new referral, flag or note on a case in the actor's scope.
/// `transfers` are the case's transfers so far (one may wait at a time), `consents` its consents
/// (what referrals and transfers need).
pub fn prepare_item(
    actor: &Actor,
    current: &CaseWork,
    new: NewCaseItem,
    transfers: &[CaseItem],
    consents: &[ConsentRecord],
    settings: &Settings,
    now: OffsetDateTime,
) -> StoreResult<ItemWrite> {
    authorize(actor, Permission::CaseUpdate)?;
    match new {
        NewCaseItem::Transfer(doc) => {
            prepare_transfer(actor, current, &doc, transfers, consents, settings, now)
        }
        NewCaseItem::Referral(doc) => {
            prepare_referral(actor, current, &doc, consents, settings, now)
        }
        NewCaseItem::Flag(doc) => {
            let flag = transfer::raise_flag(&doc, actor.user_id, now)?;
            let item = new_item(
                actor,
                &current.case,
                ItemKind::Flag,
                None,
                "open",
                to_value(&flag)?,
                now,
            );
            Ok(item_write(actor, item, None, AuditAction::CaseItemCreate))
        }
        NewCaseItem::Note(doc) => {
            let note = transfer::write_note(&doc, actor.user_id, now)?;
            let item = new_item(
                actor,
                &current.case,
                ItemKind::Note,
                None,
                "written",
                to_value(&note)?,
                now,
            );
            Ok(item_write(actor, item, None, AuditAction::CaseItemCreate))
        }
    }
}

/// A referral: refused on a closed case (409), its fields checked (422), then made.
///
/// The consent rule (`domain::consent`): consent to services, and to sharing when the receiving
/// agency is another one; or a reason from a holder of `consent.override`.
pub fn prepare_referral(
    actor: &Actor,
    current: &CaseWork,
    doc: &ReferralDoc,
    consents: &[ConsentRecord],
    settings: &Settings,
    now: OffsetDateTime,
) -> StoreResult<ItemWrite> {
    current.workflow.apply(
        &workflow::Action::ChangeCase {
            what: workflow::CaseChange::Referral,
        },
        &ctx(actor, current, settings, now),
    )?;
    let valid = referral::validate(doc, now.date())?;
    let from = current.case.agency_id;
    let to = valid.to_agency.unwrap_or(from);
    let recipient = if to == from {
        Recipient::OwnAgency
    } else {
        Recipient::OtherAgency
    };
    let consent_override = door::require_consent(
        actor,
        current.case.id,
        consents,
        Need::Referral(recipient),
        doc.consent_override_reason.as_deref(),
        now.date(),
    )?;
    let consent = ConsentCheck {
        recipient: to,
        purpose: valid.service.clone(),
    };
    let made = referral::make(valid, from, actor.user_id, Some(&consent), now)?;
    let item = new_item(
        actor,
        &current.case,
        ItemKind::Referral,
        Some(made.to_agency),
        made.status.as_str(),
        to_value(&made)?,
        now,
    );
    let mut write = item_write(actor, item, None, AuditAction::CaseItemCreate);
    write.consent_override = consent_override;
    Ok(write)
}

/// A transfer request: `case.transfer`, refused on a closed case (409), one waiting at a time.
///
/// The consent rule (`domain::consent`): consent to sharing with another agency, or a reason
/// from a holder of `consent.override`.
pub fn prepare_transfer(
    actor: &Actor,
    current: &CaseWork,
    doc: &transfer::TransferDoc,
    transfers: &[CaseItem],
    consents: &[ConsentRecord],
    settings: &Settings,
    now: OffsetDateTime,
) -> StoreResult<ItemWrite> {
    authorize(actor, Permission::CaseTransfer)?;
    current.workflow.apply(
        &workflow::Action::ChangeCase {
            what: workflow::CaseChange::Transfer,
        },
        &ctx(actor, current, settings, now),
    )?;
    let past = transfers
        .iter()
        .filter(|i| i.kind == ItemKind::Transfer)
        .map(from_value::<transfer::Transfer>)
        .collect::<StoreResult<Vec<_>>>()?;
    let consent_override = door::require_consent(
        actor,
        current.case.id,
        consents,
        Need::Transfer(Recipient::OtherAgency),
        doc.consent_override_reason.as_deref(),
        now.date(),
    )?;
    let consent = doc
        .to_agency_id
        .trim()
        .parse::<AgencyId>()
        .ok()
        .map(|recipient| ConsentCheck {
            recipient,
            purpose: transfer::TRANSFER_PURPOSE.to_string(),
        });
    let made = transfer::request_transfer(
        doc,
        current.case.agency_id,
        &past,
        consent.as_ref(),
        actor.user_id,
        now,
    )?;
    let item = new_item(
        actor,
        &current.case,
        ItemKind::Transfer,
        Some(made.to_agency),
        made.status.as_str(),
        to_value(&made)?,
        now,
    );
    let mut write = item_write(actor, item, None, AuditAction::CaseItemCreate);
    write.consent_override = consent_override;
    Ok(write)
}

/// What an accepted transfer does to the case: it moves to the receiving agency, assigned to the
/// user who accepted it, as a new version with its history entry (the earlier ones stay).
pub fn prepare_case_move(
    actor: &Actor,
    case: &CaseRecord,
    transfer: uuid::Uuid,
    now: OffsetDateTime,
) -> StoreResult<(CaseRecord, HistoryEntry, AuditEvent)> {
    let mut record = case.clone();
    record.version += 1;
    record.updated_at = now;
    record.agency_id = actor.agency_id;
    record.doc.caseworker_id = Some(actor.user_id.to_string());
    let mut changes = diff(Some(&case.doc), &record.doc);
    changes.push(FieldChange {
        field: "agency_id".into(),
        from: json!(case.agency_id.to_string()),
        to: json!(record.agency_id.to_string()),
    });
    let history = HistoryEntry {
        version: record.version,
        at: now,
        actor_id: actor.user_id,
        action: "transfer.accepted".into(),
        changes,
    };
    let audit = AuditEvent::new(Some(actor.user_id), AuditAction::CaseTransfer)
        .target(door::CASE, record.id)
        .details(json!({
            "version": record.version,
            "transfer": transfer.to_string(),
            "from_agency": case.agency_id.to_string(),
            "to_agency": record.agency_id.to_string(),
        }));
    Ok((record, history, audit))
}

/// An incident concerning `cases` (all in the actor's scope, in the order the incident names
/// them): refused when any of them is closed (409), then one record linked to each of them.
pub fn prepare_incident(
    actor: &Actor,
    cases: &[CaseWork],
    valid: incident::ValidIncident,
    settings: &Settings,
    now: OffsetDateTime,
) -> StoreResult<ItemWrite> {
    authorize(actor, Permission::CaseUpdate)?;
    let Some(first) = cases.first() else {
        return Err(Problems::single("case_ids", "an incident concerns at least one case").into());
    };
    for case in cases {
        case.workflow.apply(
            &workflow::Action::ChangeCase {
                what: workflow::CaseChange::Incident,
            },
            &ctx(actor, case, settings, now),
        )?;
    }
    let item = new_item(
        actor,
        &first.case,
        ItemKind::Incident,
        None,
        valid.category.as_str(),
        to_value(&valid.doc)?,
        now,
    );
    Ok(item_write(actor, item, None, AuditAction::CaseItemCreate))
}

/// Whether an item's change moves its case: an accepted transfer.
pub fn moves_case(write: &ItemWrite) -> bool {
    write.item.kind == ItemKind::Transfer && write.item.status == "accepted"
}

/// A change of an item's state: a referral's answer, a flag's resolution, a transfer's answer.
pub fn prepare_item_change(
    actor: &Actor,
    current: &CaseItem,
    change: CaseItemChange,
    now: OffsetDateTime,
) -> StoreResult<ItemWrite> {
    authorize(actor, Permission::CaseUpdate)?;
    let mut next = current.clone();
    next.version += 1;
    next.updated_at = now;
    match (change, current.kind) {
        (CaseItemChange::AnswerTransfer(doc), ItemKind::Transfer) => {
            authorize(actor, Permission::CaseTransfer)?;
            let (kind, comment) = transfer::validate_transfer_action(&doc)?;
            let t: transfer::Transfer = from_value(current)?;
            let answered = t.apply(kind, comment, actor.user_id, actor.agency_id, now)?;
            next.status = answered.status.as_str().to_string();
            next.body = to_value(&answered)?;
        }
        (CaseItemChange::AnswerReferral(doc), ItemKind::Referral) => {
            let action = referral::validate_action(&doc)?;
            let r: Referral = from_value(current)?;
            let answered = r.apply(&action, actor.user_id, actor.agency_id, now)?;
            next.status = answered.status.as_str().to_string();
            next.body = to_value(&answered)?;
        }
        (CaseItemChange::ResolveFlag { resolution }, ItemKind::Flag) => {
            let f: transfer::Flag = from_value(current)?;
            let resolved = f
                .resolve(&resolution, actor.user_id, now)
                .map_err(|e| match e {
                    transfer::FlagError::Invalid(p) => StoreError::Invalid(p),
                    transfer::FlagError::Resolved => StoreError::Refused {
                        code: "flag_resolved".into(),
                        reason: "the flag is already resolved; a new concern is a new flag".into(),
                        allowed: Vec::new(),
                    },
                })?;
            next.status = "resolved".into();
            next.body = to_value(&resolved)?;
        }
        _ => return Err(StoreError::NotFound),
    }
    Ok(item_write(
        actor,
        next,
        Some(&current.status),
        AuditAction::CaseItemUpdate,
    ))
}

/// The permission making an item needs, checked before the case is looked up (so a role without
/// it is told so, whatever the case).
pub fn item_permission(new: &NewCaseItem) -> Permission {
    match new {
        NewCaseItem::Transfer(_) => Permission::CaseTransfer,
        NewCaseItem::Referral(_) | NewCaseItem::Flag(_) | NewCaseItem::Note(_) => {
            Permission::CaseUpdate
        }
    }
}

/// The permission changing an item needs, checked before the item is looked up.
pub fn change_permission(change: &CaseItemChange) -> Permission {
    match change {
        CaseItemChange::AnswerTransfer(_) => Permission::CaseTransfer,
        CaseItemChange::AnswerReferral(_) | CaseItemChange::ResolveFlag { .. } => {
            Permission::CaseUpdate
        }
    }
}
