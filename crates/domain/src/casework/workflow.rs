//! The case-management workflow as a state machine: registration → assessment (Best Interests
//! Assessment, short or comprehensive) → case plan → implementation → follow-up & review →
//! closure, with supervisor approvals and the Best Interests Determination (BID).
//!
//! [`Workflow`] is stored with the case (it is also what `GET …/workflow` shows). A change is an
//! [`ActionDoc`] from the wire, checked by [`validate_action`] (bad fields → 422 naming the field),
//! then [`Workflow::apply`]ed: either the next state and the [`Event`]s to write to the history and
//! the audit log, or a [`Refusal`] with a stable code, the reason and the actions that *are*
//! allowed now (→ 409). Nothing is half-applied: `apply` takes `&self` and returns a new value.
//!
//! Rules worth knowing:
//! - Which steps need a supervisor's approval is a deployment setting ([`ApprovalSettings`]).
//!   Approval is asked for ([`ActionKind::RequestApproval`], or [`ActionKind::RequestClosure`]
//!   with the reason), then approved or rejected with a comment. A step that was passed without
//!   approval because the setting did not require it is marked [`Approval::NotRequired`], so the
//!   record says so even if the setting changes later.
//! - A supervisor may not approve or reject their own request (four eyes), and only one request
//!   waits for a decision at a time; a case cannot be closed while one waits.
//! - A closed case refuses every change ([`Action::ChangeCase`]: services, referrals,
//!   placements, …) until it is reopened; reopening returns it to the step it was closed from.
//! - `plan_goals_met` can close a case only once its plan is being implemented, and
//!   `durable_solution` closes the case of an unaccompanied or separated child only after a Best
//!   Interests Determination has decided (UNHCR: BID is mandatory for durable solutions for UASC).

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::case::text;
use crate::ids::UserId;
use crate::problems::Problems;

use super::check::{
    MAX_TEXT_CHARS, limit, required_code, required_date, required_listed, required_text,
};
use super::codes::{BID_DECISIONS, CLOSURE_REASONS};
use super::{wire_enum, ymd};

pub use super::Refusal;

/// Fewest members of a BID panel (UNHCR BID guidelines: a multi-disciplinary panel of at least
/// three people).
pub const MIN_BID_PANEL: usize = 3;

wire_enum!(
    /// The steps of the Inter-Agency Case Management Guidelines.
    Stage {
        Registration = "registration",
        Assessment = "assessment",
        CasePlanning = "case_planning",
        Implementation = "implementation",
        FollowUp = "follow_up",
        Closed = "closed",
    }
);

wire_enum!(
    /// Best Interests Assessment depth.
    BiaKind {
        Short = "short",
        Comprehensive = "comprehensive",
    }
);

wire_enum!(
    /// What a supervisor approves.
    Subject {
        Assessment = "assessment",
        CasePlan = "case_plan",
        Closure = "closure",
    }
);

wire_enum!(
    /// The kinds of [`Action`]; what a refusal lists as allowed.
    ActionKind {
        StartAssessment = "start_assessment",
        CompleteAssessment = "complete_assessment",
        RequestApproval = "request_approval",
        Approve = "approve",
        Reject = "reject",
        SetCasePlan = "set_case_plan",
        StartImplementation = "start_implementation",
        CompletePlanAction = "complete_plan_action",
        RecordFollowUp = "record_follow_up",
        ReviseCasePlan = "revise_case_plan",
        ConveneBidPanel = "convene_bid_panel",
        RecordBidDecision = "record_bid_decision",
        RequestClosure = "request_closure",
        Close = "close",
        Reopen = "reopen",
        ChangeCase = "change_case",
    }
);

wire_enum!(
    /// Changes to a case's work that a closed case refuses. Notes and flags stay possible on a
    /// closed case: they are record keeping, not case work.
    CaseChange {
        Service = "service",
        Referral = "referral",
        Placement = "placement",
        Incident = "incident",
        Identity = "identity",
        Route = "route",
        Assignment = "assignment",
        Transfer = "transfer",
    }
);

/// Which steps need a supervisor's approval in this deployment. All do by default, as the
/// Inter-Agency guidelines recommend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ApprovalSettings {
    pub assessment: bool,
    pub case_plan: bool,
    pub closure: bool,
}

impl Default for ApprovalSettings {
    fn default() -> Self {
        Self {
            assessment: true,
            case_plan: true,
            closure: true,
        }
    }
}

impl ApprovalSettings {
    pub fn requires(&self, s: Subject) -> bool {
        match s {
            Subject::Assessment => self.assessment,
            Subject::CasePlan => self.case_plan,
            Subject::Closure => self.closure,
        }
    }
}

/// Who acts, with what authority, under which settings, when.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub actor: UserId,
    /// Whether the actor's role may approve (a supervisor); the access-control layer decides.
    pub may_approve: bool,
    pub settings: &'a ApprovalSettings,
    pub now: OffsetDateTime,
    /// Whether the child is unaccompanied or separated (the case's separation status): a
    /// durable solution for such a child needs a Best Interests Determination first.
    pub separated_child: bool,
}

/// Where a step's approval stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Approval {
    NotRequested,
    Requested {
        requested_by: UserId,
        #[serde(with = "time::serde::rfc3339")]
        requested_at: OffsetDateTime,
    },
    Approved {
        requested_by: UserId,
        #[serde(with = "time::serde::rfc3339")]
        requested_at: OffsetDateTime,
        decided_by: UserId,
        #[serde(with = "time::serde::rfc3339")]
        decided_at: OffsetDateTime,
    },
    Rejected {
        requested_by: UserId,
        #[serde(with = "time::serde::rfc3339")]
        requested_at: OffsetDateTime,
        decided_by: UserId,
        #[serde(with = "time::serde::rfc3339")]
        decided_at: OffsetDateTime,
        comment: String,
    },
    /// The step was passed without approval because the deployment did not require one then.
    NotRequired,
}

impl Approval {
    pub fn is_requested(&self) -> bool {
        matches!(self, Self::Requested { .. })
    }

    /// Approved, or passed when no approval was required.
    pub fn is_cleared(&self) -> bool {
        matches!(self, Self::Approved { .. } | Self::NotRequired)
    }

    fn can_be_requested(&self) -> bool {
        matches!(self, Self::NotRequested | Self::Rejected { .. })
    }

    /// Whether the step may be passed: approved, or not required and not waiting for a decision.
    fn lets_pass(&self, required: bool) -> bool {
        match self {
            Self::Approved { .. } | Self::NotRequired => true,
            Self::NotRequested | Self::Rejected { .. } => !required,
            Self::Requested { .. } => false,
        }
    }

    /// Passing the step: an approval stays, anything else is recorded as not required.
    fn passed(&self) -> Self {
        match self {
            Self::Approved { .. } => self.clone(),
            _ => Self::NotRequired,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assessment {
    pub kind: BiaKind,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "ymd::option", default)]
    pub completed_on: Option<Date>,
    #[serde(default)]
    pub summary: Option<String>,
    pub approval: Approval,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CasePlan {
    /// 1 for the first plan; each revision counts up.
    pub version: u32,
    pub goals: Vec<Goal>,
    pub approval: Approval,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Goal {
    pub goal: String,
    pub actions: Vec<PlanAction>,
}

/// One thing to do towards a goal: what, who, by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanAction {
    pub action: String,
    /// A person, a role or an agency, as written.
    pub responsible: String,
    #[serde(with = "ymd")]
    pub due: Date,
    /// The day it was done; open until then (and a task once due).
    #[serde(with = "ymd::option", default)]
    pub done_on: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowUp {
    #[serde(with = "ymd")]
    pub on: Date,
    pub by: UserId,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bid {
    #[serde(with = "ymd")]
    pub convened_on: Date,
    pub panel: Vec<PanelMember>,
    #[serde(default)]
    pub decision: Option<BidDecision>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PanelMember {
    pub name: String,
    /// Their function on the panel, e.g. "child protection officer".
    pub role: String,
    #[serde(default)]
    pub user_id: Option<UserId>,
    /// The day they signed the confidentiality undertaking; nobody sits without one.
    #[serde(with = "ymd")]
    pub undertaking_signed_on: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BidDecision {
    /// A code from the `bid_decisions` list.
    pub outcome: String,
    #[serde(with = "ymd")]
    pub decided_on: Date,
    #[serde(with = "ymd")]
    pub review_on: Date,
    #[serde(default)]
    pub summary: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Closure {
    /// A code from the `closure_reasons` list.
    pub reason: String,
    /// The step the case was in; reopening returns there.
    pub from: Stage,
    pub approval: Approval,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub closed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub reopened_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub reopen_reason: Option<String>,
}

/// Where a case stands in case management.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workflow {
    pub stage: Stage,
    #[serde(with = "time::serde::rfc3339")]
    pub stage_since: OffsetDateTime,
    #[serde(default)]
    pub assessment: Option<Assessment>,
    #[serde(default)]
    pub case_plan: Option<CasePlan>,
    #[serde(default)]
    pub follow_ups: Vec<FollowUp>,
    /// Every panel convened, oldest first; only the last may still await its decision.
    #[serde(default)]
    pub bids: Vec<Bid>,
    /// The current closure, or the last request to close (pending or rejected).
    #[serde(default)]
    pub closure: Option<Closure>,
    /// Closures undone by reopening, oldest first.
    #[serde(default)]
    pub past_closures: Vec<Closure>,
}

/// A workflow change, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    StartAssessment {
        kind: BiaKind,
    },
    CompleteAssessment {
        completed_on: Date,
        summary: Option<String>,
    },
    /// For the assessment or the case plan; closure is asked for with [`Action::RequestClosure`].
    RequestApproval {
        subject: Subject,
    },
    Approve {
        subject: Subject,
    },
    Reject {
        subject: Subject,
        comment: String,
    },
    SetCasePlan {
        goals: Vec<Goal>,
    },
    StartImplementation,
    /// Marks action `action` of goal `goal` (indices into the current plan) done.
    CompletePlanAction {
        goal: usize,
        action: usize,
        done_on: Date,
    },
    RecordFollowUp {
        on: Date,
        note: Option<String>,
    },
    ReviseCasePlan,
    ConveneBidPanel {
        convened_on: Date,
        panel: Vec<PanelMember>,
    },
    RecordBidDecision {
        decision: BidDecision,
    },
    RequestClosure {
        reason: String,
    },
    /// Closing at once, where the deployment does not require approval for closure.
    Close {
        reason: String,
    },
    Reopen {
        reason: String,
    },
    /// Not from the wire: the store asks this before any change to the case's work, so a closed
    /// case refuses it with the same 409 as any other workflow refusal.
    ChangeCase {
        what: CaseChange,
    },
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Self::StartAssessment { .. } => ActionKind::StartAssessment,
            Self::CompleteAssessment { .. } => ActionKind::CompleteAssessment,
            Self::RequestApproval { .. } => ActionKind::RequestApproval,
            Self::Approve { .. } => ActionKind::Approve,
            Self::Reject { .. } => ActionKind::Reject,
            Self::SetCasePlan { .. } => ActionKind::SetCasePlan,
            Self::StartImplementation => ActionKind::StartImplementation,
            Self::CompletePlanAction { .. } => ActionKind::CompletePlanAction,
            Self::RecordFollowUp { .. } => ActionKind::RecordFollowUp,
            Self::ReviseCasePlan => ActionKind::ReviseCasePlan,
            Self::ConveneBidPanel { .. } => ActionKind::ConveneBidPanel,
            Self::RecordBidDecision { .. } => ActionKind::RecordBidDecision,
            Self::RequestClosure { .. } => ActionKind::RequestClosure,
            Self::Close { .. } => ActionKind::Close,
            Self::Reopen { .. } => ActionKind::Reopen,
            Self::ChangeCase { .. } => ActionKind::ChangeCase,
        }
    }
}

/// What happened, for the record's history and the audit log. Names things by code, never by
/// content (no summaries, comments or names), so an event is safe in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    StageChanged { from: Stage, to: Stage },
    AssessmentStarted { kind: BiaKind },
    AssessmentCompleted,
    ApprovalRequested { subject: Subject },
    Approved { subject: Subject },
    Rejected { subject: Subject },
    CasePlanSet { version: u32 },
    PlanActionCompleted { goal: usize, action: usize },
    FollowUpRecorded,
    BidPanelConvened { members: usize },
    BidDecided { outcome: String },
    ClosureRequested { reason: String },
    Closed { reason: String },
    Reopened,
    CaseChanged { what: CaseChange },
}

impl Event {
    /// The audit action name, `case.workflow.<event>`.
    pub fn audit_name(&self) -> &'static str {
        match self {
            Self::StageChanged { .. } => "case.workflow.stage_changed",
            Self::AssessmentStarted { .. } => "case.workflow.assessment_started",
            Self::AssessmentCompleted => "case.workflow.assessment_completed",
            Self::ApprovalRequested { .. } => "case.workflow.approval_requested",
            Self::Approved { .. } => "case.workflow.approved",
            Self::Rejected { .. } => "case.workflow.rejected",
            Self::CasePlanSet { .. } => "case.workflow.case_plan_set",
            Self::PlanActionCompleted { .. } => "case.workflow.plan_action_completed",
            Self::FollowUpRecorded => "case.workflow.follow_up_recorded",
            Self::BidPanelConvened { .. } => "case.workflow.bid_panel_convened",
            Self::BidDecided { .. } => "case.workflow.bid_decided",
            Self::ClosureRequested { .. } => "case.workflow.closure_requested",
            Self::Closed { .. } => "case.workflow.closed",
            Self::Reopened => "case.workflow.reopened",
            Self::CaseChanged { .. } => "case.workflow.case_changed",
        }
    }
}

/// The result of an action that is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub next: Workflow,
    pub events: Vec<Event>,
}

type Guard = Result<(), (&'static str, String)>;

fn no(code: &'static str, reason: impl Into<String>) -> Guard {
    Err((code, reason.into()))
}

impl Workflow {
    /// A case just registered.
    pub fn new(registered_at: OffsetDateTime) -> Self {
        Self {
            stage: Stage::Registration,
            stage_since: registered_at,
            assessment: None,
            case_plan: None,
            follow_ups: Vec::new(),
            bids: Vec::new(),
            closure: None,
            past_closures: Vec::new(),
        }
    }

    pub fn is_closed(&self) -> bool {
        self.stage == Stage::Closed
    }

    /// The approval of `subject`, when the step exists.
    pub fn approval(&self, subject: Subject) -> Option<&Approval> {
        match subject {
            Subject::Assessment => self.assessment.as_ref().map(|a| &a.approval),
            Subject::CasePlan => self.case_plan.as_ref().map(|p| &p.approval),
            Subject::Closure => self.closure.as_ref().map(|c| &c.approval),
        }
    }

    /// The step waiting for a supervisor's decision, if any (at most one waits).
    pub fn pending_approval(&self) -> Option<Subject> {
        Subject::ALL
            .iter()
            .copied()
            .find(|s| self.approval(*s).is_some_and(Approval::is_requested))
    }

    /// The kinds of action `ctx.actor` may take now.
    pub fn allowed_actions(&self, ctx: &Ctx<'_>) -> Vec<ActionKind> {
        let mut out: Vec<ActionKind> = Vec::new();
        for probe in probes(ctx.now.date()) {
            let kind = probe.kind();
            if !out.contains(&kind) && self.guard(&probe, ctx).is_ok() {
                out.push(kind);
            }
        }
        out
    }

    /// Applies a validated action: the next state and what happened, or why not.
    pub fn apply(&self, action: &Action, ctx: &Ctx<'_>) -> Result<Applied, Refusal> {
        if let Err((code, reason)) = self.guard(action, ctx) {
            return Err(Refusal {
                code: code.to_string(),
                reason,
                allowed: self.allowed_actions(ctx),
            });
        }
        let mut next = self.clone();
        let mut events = Vec::new();
        let now = ctx.now;
        match action {
            Action::StartAssessment { kind } => {
                next.assessment = Some(Assessment {
                    kind: *kind,
                    started_at: now,
                    completed_on: None,
                    summary: None,
                    approval: Approval::NotRequested,
                });
                events.push(Event::AssessmentStarted { kind: *kind });
                next.move_to(Stage::Assessment, now, &mut events);
            }
            Action::CompleteAssessment {
                completed_on,
                summary,
            } => {
                if let Some(a) = next.assessment.as_mut() {
                    a.completed_on = Some(*completed_on);
                    a.summary.clone_from(summary);
                    a.approval = Approval::NotRequested;
                }
                events.push(Event::AssessmentCompleted);
            }
            Action::RequestApproval { subject } => {
                let requested = Approval::Requested {
                    requested_by: ctx.actor,
                    requested_at: now,
                };
                if let Some(a) = next.approval_mut(*subject) {
                    *a = requested;
                }
                events.push(Event::ApprovalRequested { subject: *subject });
            }
            Action::Approve { subject } => {
                if let Some(a) = next.approval_mut(*subject)
                    && let Approval::Requested {
                        requested_by,
                        requested_at,
                    } = a.clone()
                {
                    *a = Approval::Approved {
                        requested_by,
                        requested_at,
                        decided_by: ctx.actor,
                        decided_at: now,
                    };
                }
                events.push(Event::Approved { subject: *subject });
                if *subject == Subject::Closure {
                    next.close(now, &mut events);
                }
            }
            Action::Reject { subject, comment } => {
                if let Some(a) = next.approval_mut(*subject)
                    && let Approval::Requested {
                        requested_by,
                        requested_at,
                    } = a.clone()
                {
                    *a = Approval::Rejected {
                        requested_by,
                        requested_at,
                        decided_by: ctx.actor,
                        decided_at: now,
                        comment: comment.clone(),
                    };
                }
                events.push(Event::Rejected { subject: *subject });
            }
            Action::SetCasePlan { goals } => {
                if next.stage == Stage::Assessment {
                    if let Some(a) = next.assessment.as_mut() {
                        a.approval = a.approval.passed();
                    }
                    let version = next.case_plan.as_ref().map_or(1, |p| p.version + 1);
                    next.case_plan = Some(CasePlan {
                        version,
                        goals: goals.clone(),
                        approval: Approval::NotRequested,
                    });
                    next.move_to(Stage::CasePlanning, now, &mut events);
                } else if let Some(p) = next.case_plan.as_mut() {
                    p.goals.clone_from(goals);
                    p.approval = Approval::NotRequested;
                }
                if let Some(p) = &next.case_plan {
                    events.push(Event::CasePlanSet { version: p.version });
                }
            }
            Action::StartImplementation => {
                if let Some(p) = next.case_plan.as_mut() {
                    p.approval = p.approval.passed();
                }
                next.move_to(Stage::Implementation, now, &mut events);
            }
            Action::CompletePlanAction {
                goal,
                action,
                done_on,
            } => {
                if let Some(a) = next
                    .case_plan
                    .as_mut()
                    .and_then(|p| p.goals.get_mut(*goal))
                    .and_then(|g| g.actions.get_mut(*action))
                {
                    a.done_on = Some(*done_on);
                }
                events.push(Event::PlanActionCompleted {
                    goal: *goal,
                    action: *action,
                });
            }
            Action::RecordFollowUp { on, note } => {
                next.follow_ups.push(FollowUp {
                    on: *on,
                    by: ctx.actor,
                    note: note.clone(),
                });
                events.push(Event::FollowUpRecorded);
                next.move_to(Stage::FollowUp, now, &mut events);
            }
            Action::ReviseCasePlan => {
                if let Some(p) = next.case_plan.as_mut() {
                    p.version += 1;
                    p.approval = Approval::NotRequested;
                    events.push(Event::CasePlanSet { version: p.version });
                }
                next.move_to(Stage::CasePlanning, now, &mut events);
            }
            Action::ConveneBidPanel { convened_on, panel } => {
                let bid = Bid {
                    convened_on: *convened_on,
                    panel: panel.clone(),
                    decision: None,
                };
                match next.bids.last_mut() {
                    Some(last) if last.decision.is_none() => *last = bid,
                    _ => next.bids.push(bid),
                }
                events.push(Event::BidPanelConvened {
                    members: panel.len(),
                });
            }
            Action::RecordBidDecision { decision } => {
                if let Some(last) = next.bids.last_mut() {
                    last.decision = Some(decision.clone());
                }
                events.push(Event::BidDecided {
                    outcome: decision.outcome.clone(),
                });
            }
            Action::RequestClosure { reason } => {
                next.closure = Some(Closure {
                    reason: reason.clone(),
                    from: self.stage,
                    approval: Approval::Requested {
                        requested_by: ctx.actor,
                        requested_at: now,
                    },
                    closed_at: None,
                    reopened_at: None,
                    reopen_reason: None,
                });
                events.push(Event::ClosureRequested {
                    reason: reason.clone(),
                });
                events.push(Event::ApprovalRequested {
                    subject: Subject::Closure,
                });
            }
            Action::Close { reason } => {
                next.closure = Some(Closure {
                    reason: reason.clone(),
                    from: self.stage,
                    approval: Approval::NotRequired,
                    closed_at: None,
                    reopened_at: None,
                    reopen_reason: None,
                });
                next.close(now, &mut events);
            }
            Action::Reopen { reason } => {
                if let Some(mut c) = next.closure.take() {
                    c.reopened_at = Some(now);
                    c.reopen_reason = Some(reason.clone());
                    let back = c.from;
                    next.past_closures.push(c);
                    events.push(Event::Reopened);
                    next.move_to(back, now, &mut events);
                }
            }
            Action::ChangeCase { what } => events.push(Event::CaseChanged { what: *what }),
        }
        Ok(Applied { next, events })
    }

    fn approval_mut(&mut self, subject: Subject) -> Option<&mut Approval> {
        match subject {
            Subject::Assessment => self.assessment.as_mut().map(|a| &mut a.approval),
            Subject::CasePlan => self.case_plan.as_mut().map(|p| &mut p.approval),
            Subject::Closure => self.closure.as_mut().map(|c| &mut c.approval),
        }
    }

    fn move_to(&mut self, to: Stage, now: OffsetDateTime, events: &mut Vec<Event>) {
        if self.stage != to {
            events.push(Event::StageChanged {
                from: self.stage,
                to,
            });
            self.stage = to;
            self.stage_since = now;
        }
    }

    fn close(&mut self, now: OffsetDateTime, events: &mut Vec<Event>) {
        if let Some(c) = self.closure.as_mut() {
            // The step may have changed while the request waited (a plan revised).
            c.from = self.stage;
            c.closed_at = Some(now);
            events.push(Event::Closed {
                reason: c.reason.clone(),
            });
        }
        self.move_to(Stage::Closed, now, events);
    }

    fn assessment_done(&self) -> bool {
        self.assessment
            .as_ref()
            .is_some_and(|a| a.completed_on.is_some())
    }

    /// Everything that must hold for `action` to be allowed now, payload included.
    fn guard(&self, action: &Action, ctx: &Ctx<'_>) -> Guard {
        let s = ctx.settings;
        if self.is_closed() && !matches!(action, Action::Reopen { .. }) {
            return no("case_closed", "the case is closed; reopen it first");
        }
        let pending = self.pending_approval();
        let stage_is = |want: &[Stage], what: &str| -> Guard {
            if want.contains(&self.stage) {
                Ok(())
            } else {
                no(
                    "wrong_stage",
                    format!("{what} is not possible while the case is in {}", self.stage),
                )
            }
        };
        match action {
            Action::StartAssessment { .. } => {
                stage_is(&[Stage::Registration], "starting an assessment")
            }
            Action::CompleteAssessment { .. } => {
                stage_is(&[Stage::Assessment], "completing the assessment")?;
                match self.assessment.as_ref().map(|a| &a.approval) {
                    Some(Approval::Requested { .. }) => no(
                        "approval_pending",
                        "the assessment awaits the supervisor's decision",
                    ),
                    Some(Approval::Approved { .. }) => no(
                        "already_approved",
                        "the assessment is approved and can no longer change",
                    ),
                    _ => Ok(()),
                }
            }
            Action::RequestApproval { subject } => {
                if *subject == Subject::Closure {
                    return no(
                        "closure_needs_reason",
                        "ask for closure with request_closure and a reason",
                    );
                }
                if !s.requires(*subject) {
                    return no(
                        "approval_not_required",
                        format!("this deployment does not require approval of the {subject}"),
                    );
                }
                if let Some(p) = pending {
                    return no(
                        "approval_pending",
                        format!("the {p} awaits the supervisor's decision"),
                    );
                }
                match subject {
                    Subject::Assessment => {
                        stage_is(&[Stage::Assessment], "asking approval of the assessment")?;
                        if !self.assessment_done() {
                            return no("assessment_incomplete", "complete the assessment first");
                        }
                    }
                    _ => {
                        stage_is(&[Stage::CasePlanning], "asking approval of the case plan")?;
                    }
                }
                match self.approval(*subject) {
                    Some(a) if a.can_be_requested() => Ok(()),
                    Some(_) => no(
                        "already_approved",
                        format!("the {subject} is already approved"),
                    ),
                    None => no("case_plan_missing", "set a case plan first"),
                }
            }
            Action::Approve { subject } | Action::Reject { subject, .. } => {
                if !ctx.may_approve {
                    return no(
                        "not_a_supervisor",
                        "only a supervisor may decide on approvals",
                    );
                }
                match self.approval(*subject) {
                    Some(Approval::Requested { requested_by, .. })
                        if *requested_by == ctx.actor =>
                    {
                        no(
                            "own_request",
                            "a supervisor may not decide on their own request",
                        )
                    }
                    Some(Approval::Requested { .. }) => Ok(()),
                    _ => no(
                        "nothing_to_approve",
                        format!("no approval of the {subject} has been requested"),
                    ),
                }
            }
            Action::SetCasePlan { .. } => match self.stage {
                Stage::Assessment => {
                    if !self.assessment_done() {
                        return no("assessment_incomplete", "complete the assessment first");
                    }
                    self.may_pass(Subject::Assessment, s)
                }
                Stage::CasePlanning => match self.case_plan.as_ref().map(|p| &p.approval) {
                    Some(Approval::Requested { .. }) => no(
                        "approval_pending",
                        "the case plan awaits the supervisor's decision",
                    ),
                    Some(Approval::Approved { .. }) => no(
                        "already_approved",
                        "the case plan is approved; start implementing it, or revise it later",
                    ),
                    _ => Ok(()),
                },
                _ => stage_is(
                    &[Stage::Assessment, Stage::CasePlanning],
                    "setting the case plan",
                ),
            },
            Action::StartImplementation => {
                stage_is(&[Stage::CasePlanning], "starting implementation")?;
                self.may_pass(Subject::CasePlan, s)
            }
            Action::CompletePlanAction { goal, action, .. } => {
                stage_is(
                    &[Stage::Implementation, Stage::FollowUp],
                    "completing a plan action",
                )?;
                let exists = self
                    .case_plan
                    .as_ref()
                    .and_then(|p| p.goals.get(*goal))
                    .is_some_and(|g| *action < g.actions.len());
                if exists {
                    Ok(())
                } else {
                    no(
                        "no_such_plan_action",
                        format!("the case plan has no action {action} under goal {goal}"),
                    )
                }
            }
            Action::RecordFollowUp { .. } => stage_is(
                &[Stage::Implementation, Stage::FollowUp],
                "recording a follow-up",
            ),
            Action::ReviseCasePlan => stage_is(
                &[Stage::Implementation, Stage::FollowUp],
                "revising the case plan",
            ),
            Action::ConveneBidPanel { .. } => {
                if self.assessment_done() {
                    Ok(())
                } else {
                    no(
                        "assessment_incomplete",
                        "a Best Interests Determination needs a completed assessment",
                    )
                }
            }
            Action::RecordBidDecision { .. } => match self.bids.last() {
                Some(b) if b.decision.is_none() => Ok(()),
                _ => no("no_bid_panel", "convene a BID panel first"),
            },
            Action::RequestClosure { reason } | Action::Close { reason } => {
                let asks = matches!(action, Action::RequestClosure { .. });
                if asks && !s.closure {
                    return no(
                        "approval_not_required",
                        "this deployment does not require approval of closure; close the case",
                    );
                }
                if !asks && s.closure {
                    return no(
                        "approval_required",
                        "closure needs the supervisor's approval; request closure",
                    );
                }
                if let Some(p) = pending {
                    return no(
                        "approval_pending",
                        format!("the {p} awaits the supervisor's decision"),
                    );
                }
                if reason == "plan_goals_met"
                    && !matches!(self.stage, Stage::Implementation | Stage::FollowUp)
                {
                    return no(
                        "goals_not_implemented",
                        "plan_goals_met needs a case plan that is being implemented",
                    );
                }
                if reason == "durable_solution"
                    && ctx.separated_child
                    && !self.bids.iter().any(|b| b.decision.is_some())
                {
                    return no(
                        "bid_required",
                        "a durable solution for an unaccompanied or separated child needs a Best Interests Determination",
                    );
                }
                Ok(())
            }
            Action::Reopen { .. } => {
                if self.is_closed() {
                    Ok(())
                } else {
                    no("case_open", "the case is open")
                }
            }
            Action::ChangeCase { .. } => Ok(()),
        }
    }

    /// Whether the step of `subject` lets the case move on under `settings`.
    fn may_pass(&self, subject: Subject, settings: &ApprovalSettings) -> Guard {
        let required = settings.requires(subject);
        match self.approval(subject) {
            Some(a) if a.lets_pass(required) => Ok(()),
            Some(Approval::Requested { .. }) => no(
                "approval_pending",
                format!("the {subject} awaits the supervisor's decision"),
            ),
            Some(_) => no(
                "approval_required",
                format!("the {subject} needs the supervisor's approval first"),
            ),
            None => no("case_plan_missing", format!("there is no {subject} yet")),
        }
    }
}

/// One action of each kind and subject, to ask [`Workflow::guard`] which kinds are allowed. Their
/// payloads are neutral: a reason that every stage accepts, empty lists.
fn probes(today: Date) -> Vec<Action> {
    let mut out = vec![
        Action::StartAssessment {
            kind: BiaKind::Short,
        },
        Action::CompleteAssessment {
            completed_on: today,
            summary: None,
        },
    ];
    for subject in Subject::ALL.iter().copied() {
        out.push(Action::RequestApproval { subject });
        out.push(Action::Approve { subject });
        out.push(Action::Reject {
            subject,
            comment: String::new(),
        });
    }
    out.extend([
        Action::SetCasePlan { goals: Vec::new() },
        Action::StartImplementation,
        Action::CompletePlanAction {
            goal: 0,
            action: 0,
            done_on: today,
        },
        Action::RecordFollowUp {
            on: today,
            note: None,
        },
        Action::ReviseCasePlan,
        Action::ConveneBidPanel {
            convened_on: today,
            panel: Vec::new(),
        },
        Action::RecordBidDecision {
            decision: BidDecision {
                outcome: String::new(),
                decided_on: today,
                review_on: today,
                summary: None,
            },
        },
        Action::RequestClosure {
            reason: "transferred".into(),
        },
        Action::Close {
            reason: "transferred".into(),
        },
        Action::Reopen {
            reason: String::new(),
        },
        Action::ChangeCase {
            what: CaseChange::Service,
        },
    ]);
    out
}

/// Every rule a stored workflow keeps, whatever the settings were; the property tests drive random
/// actions through [`Workflow::apply`] and call this after each. `Err` names the first broken rule.
pub fn check_invariants(w: &Workflow) -> Result<(), String> {
    let fail = |what: &str| Err(what.to_string());
    let approvals: Vec<(Subject, &Approval)> = Subject::ALL
        .iter()
        .filter_map(|s| w.approval(*s).map(|a| (*s, a)))
        .collect();
    if approvals.iter().filter(|(_, a)| a.is_requested()).count() > 1 {
        return fail("more than one approval awaits a decision");
    }
    for (s, a) in &approvals {
        match a {
            Approval::Approved {
                requested_by,
                decided_by,
                ..
            }
            | Approval::Rejected {
                requested_by,
                decided_by,
                ..
            } if requested_by == decided_by => {
                return Err(format!("the {s} was decided by the person who asked"));
            }
            _ => {}
        }
    }
    match &w.closure {
        Some(c) if w.stage == Stage::Closed => {
            if !c.approval.is_cleared() {
                return fail("closed without approval of the closure");
            }
            if c.closed_at.is_none() || c.reopened_at.is_some() {
                return fail("closed without a closing time, or closed and reopened at once");
            }
            if c.from == Stage::Closed {
                return fail("closed from closed");
            }
        }
        None if w.stage == Stage::Closed => return fail("closed without a closure"),
        Some(c) if c.closed_at.is_some() || c.approval.is_cleared() => {
            return fail("an open case holds a completed closure");
        }
        _ => {}
    }
    if w.stage == Stage::Closed && w.pending_approval().is_some() {
        return fail("a closed case has an approval waiting");
    }
    if w.past_closures
        .iter()
        .any(|c| c.closed_at.is_none() || c.reopened_at.is_none() || !c.approval.is_cleared())
    {
        return fail("a past closure was never completed or never reopened");
    }
    // The stage the case works in (for a closed case: the one it was closed from).
    let working = match (&w.closure, w.stage) {
        (Some(c), Stage::Closed) => c.from,
        (_, s) => s,
    };
    match working {
        Stage::Registration => {
            if w.assessment.is_some() || w.case_plan.is_some() {
                return fail("a case in registration has an assessment or plan");
            }
        }
        _ => {
            let Some(a) = &w.assessment else {
                return fail("past registration without an assessment");
            };
            let planned = matches!(
                working,
                Stage::CasePlanning | Stage::Implementation | Stage::FollowUp
            );
            if planned && (a.completed_on.is_none() || !a.approval.is_cleared()) {
                return fail("planning without a completed, cleared assessment");
            }
            if planned != w.case_plan.is_some() {
                return fail("a case plan exists exactly from case planning on");
            }
            if a.approval.is_requested() && w.stage != Stage::Assessment {
                return fail("an assessment approval waits outside the assessment step");
            }
            if a.approval != Approval::NotRequested && a.completed_on.is_none() {
                return fail("an approval concerns an assessment not completed");
            }
        }
    }
    if let Some(p) = &w.case_plan {
        let implementing = matches!(working, Stage::Implementation | Stage::FollowUp);
        if implementing && !p.approval.is_cleared() {
            return fail("implementing a case plan that is not cleared");
        }
        if p.approval.is_requested() && w.stage != Stage::CasePlanning {
            return fail("a case-plan approval waits outside case planning");
        }
    }
    if working == Stage::FollowUp && w.follow_ups.is_empty() {
        return fail("in follow-up without a follow-up");
    }
    let undecided = w.bids.iter().filter(|b| b.decision.is_none()).count();
    if undecided > 1 || (undecided == 1 && w.bids.last().is_some_and(|b| b.decision.is_some())) {
        return fail("a BID other than the last awaits its decision");
    }
    if !w.bids.is_empty()
        && w.assessment
            .as_ref()
            .is_none_or(|a| a.completed_on.is_none())
    {
        return fail("a BID without a completed assessment");
    }
    Ok(())
}

/// A workflow action as the API takes it: `{"action": "start_assessment", "kind": "short"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionDoc {
    /// `kind`: short | comprehensive
    StartAssessment {
        kind: String,
    },
    CompleteAssessment {
        /// YYYY-MM-DD, not in the future.
        completed_on: String,
        #[serde(default)]
        summary: Option<String>,
    },
    /// `subject`: assessment | case_plan
    RequestApproval {
        subject: String,
    },
    /// `subject`: assessment | case_plan | closure
    Approve {
        subject: String,
    },
    /// A rejection says why.
    Reject {
        subject: String,
        comment: String,
    },
    SetCasePlan {
        goals: Vec<GoalDoc>,
    },
    StartImplementation,
    /// `goal` and `plan_action` are indices into the current plan's goals and their actions.
    CompletePlanAction {
        goal: usize,
        plan_action: usize,
        /// YYYY-MM-DD, not in the future.
        done_on: String,
    },
    RecordFollowUp {
        /// YYYY-MM-DD, not in the future.
        on: String,
        #[serde(default)]
        note: Option<String>,
    },
    ReviseCasePlan,
    ConveneBidPanel {
        convened_on: String,
        panel: Vec<PanelMemberDoc>,
    },
    RecordBidDecision {
        /// A code from the `bid_decisions` list.
        outcome: String,
        decided_on: String,
        /// When the decision is to be reviewed: after `decided_on`.
        review_on: String,
        #[serde(default)]
        summary: Option<String>,
    },
    /// `reason`: a code from the `closure_reasons` list.
    RequestClosure {
        reason: String,
    },
    Close {
        reason: String,
    },
    Reopen {
        reason: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GoalDoc {
    pub goal: String,
    #[serde(default)]
    pub actions: Vec<PlanActionDoc>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanActionDoc {
    pub action: String,
    pub responsible: String,
    /// YYYY-MM-DD; may be in the future.
    pub due: String,
    /// YYYY-MM-DD, not in the future: carried over when a revised plan keeps a done action.
    #[serde(default)]
    pub done_on: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PanelMemberDoc {
    pub name: String,
    pub role: String,
    #[serde(default)]
    pub user_id: Option<String>,
    /// YYYY-MM-DD the confidentiality undertaking was signed; required.
    #[serde(default)]
    pub undertaking_signed_on: String,
}

/// Reads an action from JSON. Serde reads a tagged enum from a buffer and so loses the field path
/// of an unknown or missing field; this puts the field's name back into the problem's path.
pub fn action_from_json(value: serde_json::Value) -> Result<ActionDoc, Problems> {
    if let Some(raw) = value.get("action") {
        match raw.as_str().map(ActionKind::parse) {
            Some(Ok(ActionKind::ChangeCase)) | None => {
                return Err(Problems::single("action", "is not a workflow action"));
            }
            Some(Err(e)) => return Err(Problems::single("action", e)),
            Some(Ok(_)) => {}
        }
    }
    match serde_json::from_value::<ActionDoc>(value.clone()) {
        Ok(doc) => Ok(doc),
        Err(e) => {
            let message = e.to_string();
            let named = |prefix: &str| {
                message
                    .strip_prefix(prefix)
                    .and_then(|rest| rest.split('`').next())
                    .map(str::to_string)
            };
            if let Some(f) = named("unknown field `") {
                Err(Problems::single(f, "is not a known field"))
            } else if let Some(f) = named("missing field `") {
                Err(Problems::single(f, "is required"))
            } else {
                // A value of the wrong type: the general reader names the field when it can.
                crate::problems::from_json(value)
            }
        }
    }
}

/// Checks an action's fields (→ 422 naming each), against today and the current workflow where a
/// date must follow one already recorded (a BID decision after its panel met).
pub fn validate_action(
    doc: ActionDoc,
    current: &Workflow,
    today: Date,
) -> Result<Action, Problems> {
    let mut p = Problems::new();
    let action = match doc {
        ActionDoc::StartAssessment { kind } => required_code(&mut p, "kind", &kind, BiaKind::parse)
            .map(|kind| Action::StartAssessment { kind }),
        ActionDoc::CompleteAssessment {
            completed_on,
            summary,
        } => {
            let on = required_date(&mut p, "completed_on", &completed_on, today, false);
            let summary = text(&mut p, "summary", summary.as_deref(), MAX_TEXT_CHARS);
            on.map(|completed_on| Action::CompleteAssessment {
                completed_on,
                summary,
            })
        }
        ActionDoc::RequestApproval { subject } => {
            required_code(&mut p, "subject", &subject, Subject::parse)
                .map(|subject| Action::RequestApproval { subject })
        }
        ActionDoc::Approve { subject } => {
            required_code(&mut p, "subject", &subject, Subject::parse)
                .map(|subject| Action::Approve { subject })
        }
        ActionDoc::Reject { subject, comment } => {
            let subject = required_code(&mut p, "subject", &subject, Subject::parse);
            let comment = required_text(&mut p, "comment", &comment, MAX_TEXT_CHARS);
            subject
                .zip(comment)
                .map(|(subject, comment)| Action::Reject { subject, comment })
        }
        ActionDoc::SetCasePlan { goals } => {
            let goals = case_plan_goals(&mut p, &goals, today);
            Some(Action::SetCasePlan { goals })
        }
        ActionDoc::StartImplementation => Some(Action::StartImplementation),
        ActionDoc::CompletePlanAction {
            goal,
            plan_action: action,
            done_on,
        } => {
            let done_on = required_date(&mut p, "done_on", &done_on, today, false);
            match current.case_plan.as_ref().map(|plan| plan.goals.get(goal)) {
                Some(None) => p.push("goal", format!("the case plan has no goal {goal}")),
                Some(Some(g)) if action >= g.actions.len() => {
                    p.push("plan_action", format!("goal {goal} has no action {action}"));
                }
                _ => {}
            }
            done_on.map(|done_on| Action::CompletePlanAction {
                goal,
                action,
                done_on,
            })
        }
        ActionDoc::RecordFollowUp { on, note } => {
            let on = required_date(&mut p, "on", &on, today, false);
            let note = text(&mut p, "note", note.as_deref(), MAX_TEXT_CHARS);
            on.map(|on| Action::RecordFollowUp { on, note })
        }
        ActionDoc::ReviseCasePlan => Some(Action::ReviseCasePlan),
        ActionDoc::ConveneBidPanel { convened_on, panel } => {
            let convened_on = required_date(&mut p, "convened_on", &convened_on, today, false);
            let panel = bid_panel(&mut p, &panel, convened_on, today);
            convened_on.map(|convened_on| Action::ConveneBidPanel { convened_on, panel })
        }
        ActionDoc::RecordBidDecision {
            outcome,
            decided_on,
            review_on,
            summary,
        } => {
            let outcome = required_listed(&mut p, "outcome", &outcome, BID_DECISIONS);
            let decided_on = required_date(&mut p, "decided_on", &decided_on, today, false);
            let review_on = required_date(&mut p, "review_on", &review_on, today, true);
            if let (Some(d), Some(r)) = (decided_on, review_on)
                && r <= d
            {
                p.push("review_on", "must be after decided_on");
            }
            if let (Some(d), Some(b)) = (decided_on, current.bids.last())
                && b.decision.is_none()
                && d < b.convened_on
            {
                p.push("decided_on", "is before the panel was convened");
            }
            let summary = text(&mut p, "summary", summary.as_deref(), MAX_TEXT_CHARS);
            match (outcome, decided_on, review_on) {
                (Some(outcome), Some(decided_on), Some(review_on)) => {
                    Some(Action::RecordBidDecision {
                        decision: BidDecision {
                            outcome,
                            decided_on,
                            review_on,
                            summary,
                        },
                    })
                }
                _ => None,
            }
        }
        ActionDoc::RequestClosure { reason } => {
            required_listed(&mut p, "reason", &reason, CLOSURE_REASONS)
                .map(|reason| Action::RequestClosure { reason })
        }
        ActionDoc::Close { reason } => required_listed(&mut p, "reason", &reason, CLOSURE_REASONS)
            .map(|reason| Action::Close { reason }),
        ActionDoc::Reopen { reason } => required_text(&mut p, "reason", &reason, MAX_TEXT_CHARS)
            .map(|reason| Action::Reopen { reason }),
    };
    match action {
        Some(a) if p.is_empty() => Ok(a),
        _ => {
            if p.is_empty() {
                p.push("action", "is incomplete");
            }
            Err(p)
        }
    }
}

fn case_plan_goals(p: &mut Problems, goals: &[GoalDoc], today: Date) -> Vec<Goal> {
    if goals.is_empty() {
        p.push("goals", "a case plan needs at least one goal");
    }
    let mut out = Vec::new();
    for (i, g) in limit(p, "goals", goals).iter().enumerate() {
        let goal = required_text(p, &format!("goals.{i}.goal"), &g.goal, MAX_TEXT_CHARS);
        if g.actions.is_empty() {
            p.push(
                format!("goals.{i}.actions"),
                "a goal needs at least one action",
            );
        }
        let mut actions = Vec::new();
        for (j, a) in limit(p, &format!("goals.{i}.actions"), &g.actions)
            .iter()
            .enumerate()
        {
            let at = format!("goals.{i}.actions.{j}");
            let action = required_text(p, &format!("{at}.action"), &a.action, MAX_TEXT_CHARS);
            let responsible = required_text(
                p,
                &format!("{at}.responsible"),
                &a.responsible,
                crate::case::MAX_NAME_CHARS,
            );
            // A plan may be written down after some of its actions were due.
            let due = required_date(p, &format!("{at}.due"), &a.due, today, true);
            let done_on = super::check::date(
                p,
                &format!("{at}.done_on"),
                a.done_on.as_deref(),
                today,
                false,
            );
            if let (Some(action), Some(responsible), Some(due)) = (action, responsible, due) {
                actions.push(PlanAction {
                    action,
                    responsible,
                    due,
                    done_on,
                });
            }
        }
        if let Some(goal) = goal {
            out.push(Goal { goal, actions });
        }
    }
    out
}

fn bid_panel(
    p: &mut Problems,
    panel: &[PanelMemberDoc],
    convened_on: Option<Date>,
    today: Date,
) -> Vec<PanelMember> {
    if panel.len() < MIN_BID_PANEL {
        p.push(
            "panel",
            format!("a BID panel needs at least {MIN_BID_PANEL} members"),
        );
    }
    let mut out = Vec::new();
    for (i, m) in limit(p, "panel", panel).iter().enumerate() {
        let at = format!("panel.{i}");
        let name = required_text(
            p,
            &format!("{at}.name"),
            &m.name,
            crate::case::MAX_NAME_CHARS,
        );
        let role = required_text(
            p,
            &format!("{at}.role"),
            &m.role,
            crate::case::MAX_NAME_CHARS,
        );
        let user_id = super::check::id(
            p,
            &format!("{at}.user_id"),
            m.user_id.as_deref(),
            "a user id",
        );
        let signed = required_date(
            p,
            &format!("{at}.undertaking_signed_on"),
            &m.undertaking_signed_on,
            today,
            false,
        );
        if let (Some(s), Some(c)) = (signed, convened_on)
            && s > c
        {
            p.push(
                format!("{at}.undertaking_signed_on"),
                "is after the panel was convened: members sign before they sit",
            );
        }
        if let (Some(name), Some(role), Some(undertaking_signed_on)) = (name, role, signed) {
            out.push(PanelMember {
                name,
                role,
                user_id,
                undertaking_signed_on,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;
