//! What is due on a case, and by when: derived, never stored, from the risk level, the workflow
//! and the legal identity, so a due date cannot drift from the facts it comes from.
//!
//! Default response times follow those commonly used with the Inter-Agency Guidelines for Case
//! Management and Child Protection (2014) and the Child Protection Minimum Standards: a high-risk
//! child is assessed within 24 hours, a medium-risk child within 3 days, a low-risk child within
//! a week; the case plan follows within days, and follow-up visits are weekly for high risk,
//! fortnightly for medium and monthly for low. Every number is a deployment setting
//! ([`TaskSettings`]); a case without a risk level is treated as medium until assessed.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime, Time};

use crate::case::RiskLevel;

use super::identity::ValidLegalIdentity;
use super::wire_enum;
use super::workflow::{Stage, Workflow};

/// Response times for one risk level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResponseTimes {
    /// From registration to a completed assessment.
    pub assessment_within_hours: i64,
    /// From the assessment's completion to a case plan.
    pub case_plan_within_days: i64,
    /// Between follow-ups once the plan is being implemented.
    pub follow_up_every_days: i64,
}

/// The deployment's task settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct TaskSettings {
    pub high: ResponseTimes,
    pub medium: ResponseTimes,
    pub low: ResponseTimes,
    /// How long a supervisor has to decide on a request for approval.
    pub approval_within_days: i64,
    /// How long before a legal status or a document expires the caseworker is asked to act.
    pub expiry_warning_days: i64,
    /// How long before a BID's review date the review becomes a task.
    pub bid_review_warning_days: i64,
}

impl Default for TaskSettings {
    fn default() -> Self {
        Self {
            high: ResponseTimes {
                assessment_within_hours: 24,
                case_plan_within_days: 3,
                follow_up_every_days: 7,
            },
            medium: ResponseTimes {
                assessment_within_hours: 72,
                case_plan_within_days: 14,
                follow_up_every_days: 14,
            },
            low: ResponseTimes {
                assessment_within_hours: 168,
                case_plan_within_days: 30,
                follow_up_every_days: 30,
            },
            approval_within_days: 3,
            expiry_warning_days: 30,
            bid_review_warning_days: 14,
        }
    }
}

impl TaskSettings {
    pub fn for_risk(&self, risk: Option<RiskLevel>) -> &ResponseTimes {
        match risk {
            Some(RiskLevel::High) => &self.high,
            Some(RiskLevel::Low) => &self.low,
            Some(RiskLevel::Medium) | None => &self.medium,
        }
    }
}

wire_enum!(TaskKind {
    Assessment = "assessment",
    CasePlan = "case_plan",
    FollowUp = "follow_up",
    PlanAction = "plan_action",
    ApprovalDecision = "approval_decision",
    BidReview = "bid_review",
    LegalStatusRenewal = "legal_status_renewal",
    DocumentRenewal = "document_renewal",
});

wire_enum!(
    /// Whose list the task is on.
    TaskFor {
        Caseworker = "caseworker",
        Supervisor = "supervisor",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Task {
    pub kind: TaskKind,
    #[serde(rename = "for")]
    pub assignee: TaskFor,
    #[serde(with = "time::serde::rfc3339")]
    pub due: OffsetDateTime,
    pub overdue: bool,
    /// What the task is about, as a code: the approval subject, the document type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
}

/// What tasks are derived from.
#[derive(Debug, Clone, Copy)]
pub struct CaseState<'a> {
    pub risk_level: Option<RiskLevel>,
    pub registered_at: OffsetDateTime,
    pub workflow: &'a Workflow,
    pub identity: Option<&'a ValidLegalIdentity>,
}

/// The open tasks of a case at `now`, soonest due first. A closed case has none.
pub fn due(case: &CaseState<'_>, settings: &TaskSettings, now: OffsetDateTime) -> Vec<Task> {
    let w = case.workflow;
    if w.is_closed() {
        return Vec::new();
    }
    let times = settings.for_risk(case.risk_level);
    let mut out = Vec::new();
    let mut push = |kind, assignee, due: OffsetDateTime, about: Option<String>| {
        out.push(Task {
            kind,
            assignee,
            due,
            overdue: due < now,
            about,
        });
    };

    let assessment_done = w.assessment.as_ref().and_then(|a| a.completed_on);
    match (w.stage, assessment_done) {
        (Stage::Registration | Stage::Assessment, None) => push(
            TaskKind::Assessment,
            TaskFor::Caseworker,
            case.registered_at + Duration::hours(times.assessment_within_hours),
            None,
        ),
        (Stage::Assessment, Some(done)) => push(
            TaskKind::CasePlan,
            TaskFor::Caseworker,
            start_of(done) + Duration::days(times.case_plan_within_days),
            None,
        ),
        (stage @ (Stage::Implementation | Stage::FollowUp), _) => {
            // Counted from the last visit (the day it happened, not the day it was typed in),
            // or from when implementation (re)started if that is later.
            let visited = w.follow_ups.iter().map(|f| start_of(f.on)).max();
            let last = match (stage, visited) {
                (Stage::FollowUp, Some(v)) => v,
                (_, Some(v)) => v.max(w.stage_since),
                (_, None) => w.stage_since,
            };
            push(
                TaskKind::FollowUp,
                TaskFor::Caseworker,
                last + Duration::days(times.follow_up_every_days),
                None,
            );
        }
        _ => {}
    }

    if matches!(w.stage, Stage::Implementation | Stage::FollowUp)
        && let Some(plan) = &w.case_plan
    {
        for (i, g) in plan.goals.iter().enumerate() {
            for (j, a) in g.actions.iter().enumerate() {
                if a.done_on.is_none() {
                    push(
                        TaskKind::PlanAction,
                        TaskFor::Caseworker,
                        start_of(a.due),
                        Some(format!("goals.{i}.actions.{j}")),
                    );
                }
            }
        }
    }

    if let Some(subject) = w.pending_approval()
        && let Some(super::workflow::Approval::Requested { requested_at, .. }) = w.approval(subject)
    {
        push(
            TaskKind::ApprovalDecision,
            TaskFor::Supervisor,
            *requested_at + Duration::days(settings.approval_within_days),
            Some(subject.as_str().to_string()),
        );
    }

    if let Some(review_on) = w
        .bids
        .last()
        .and_then(|b| b.decision.as_ref())
        .map(|d| d.review_on)
        && review_on - Duration::days(settings.bid_review_warning_days) <= now.date()
    {
        push(
            TaskKind::BidReview,
            TaskFor::Caseworker,
            start_of(review_on),
            None,
        );
    }

    if let Some(id) = case.identity {
        for (what, expires) in id.expiring(now.date(), settings.expiry_warning_days) {
            let kind = if what == "legal_status" {
                TaskKind::LegalStatusRenewal
            } else {
                TaskKind::DocumentRenewal
            };
            push(kind, TaskFor::Caseworker, start_of(expires), Some(what));
        }
    }

    out.sort_by_key(|t| t.due);
    out
}

/// Midnight UTC at the start of `d`: a task due "on" a day is overdue once that day has begun
/// without it, which errs on the side of the child.
fn start_of(d: Date) -> OffsetDateTime {
    d.with_time(Time::MIDNIGHT).assume_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::casework::identity::{LegalIdentityDoc, LegalStatusDoc, validate};
    use crate::casework::workflow::{
        Action, ApprovalSettings, BiaKind, Ctx, Goal, PlanAction, Subject,
    };
    use crate::ids::UserId;
    use time::macros::{date, datetime};

    const REGISTERED: OffsetDateTime = datetime!(2026-11-20 09:00 UTC);

    fn apply(w: &Workflow, a: Action, at: OffsetDateTime) -> Workflow {
        let s = ApprovalSettings {
            assessment: false,
            case_plan: false,
            closure: true,
        };
        let ctx = Ctx {
            actor: UserId(uuid::Uuid::from_u128(1)),
            may_approve: false,
            settings: &s,
            now: at,
            separated_child: false,
        };
        w.apply(&a, &ctx).unwrap().next
    }

    fn state(w: &Workflow, risk: RiskLevel) -> CaseState<'_> {
        CaseState {
            risk_level: Some(risk),
            registered_at: REGISTERED,
            workflow: w,
            identity: None,
        }
    }

    #[test]
    fn a_high_risk_child_is_assessed_within_a_day() {
        let w = Workflow::new(REGISTERED);
        let s = TaskSettings::default();
        let t = due(
            &state(&w, RiskLevel::High),
            &s,
            datetime!(2026-11-21 08:59 UTC),
        );
        assert_eq!(t.len(), 1);
        assert_eq!(
            (t[0].kind, t[0].due, t[0].overdue),
            (TaskKind::Assessment, datetime!(2026-11-21 09:00 UTC), false)
        );
        let t = due(
            &state(&w, RiskLevel::High),
            &s,
            datetime!(2026-11-21 09:01 UTC),
        );
        assert!(t[0].overdue);
        let t = due(
            &state(&w, RiskLevel::Low),
            &s,
            datetime!(2026-11-21 09:01 UTC),
        );
        assert_eq!(
            (t[0].due, t[0].overdue),
            (datetime!(2026-11-27 09:00 UTC), false)
        );
        let custom = TaskSettings {
            high: ResponseTimes {
                assessment_within_hours: 48,
                ..s.high
            },
            ..s
        };
        let t = due(
            &state(&w, RiskLevel::High),
            &custom,
            datetime!(2026-11-21 09:01 UTC),
        );
        assert!(!t[0].overdue);
    }

    #[test]
    fn the_plan_then_follow_ups_fall_due_by_risk() {
        let mut w = Workflow::new(REGISTERED);
        let at = datetime!(2026-11-20 10:00 UTC);
        w = apply(
            &w,
            Action::StartAssessment {
                kind: BiaKind::Short,
            },
            at,
        );
        w = apply(
            &w,
            Action::CompleteAssessment {
                completed_on: date!(2026 - 11 - 20),
                summary: None,
            },
            at,
        );
        let s = TaskSettings::default();
        let t = due(
            &state(&w, RiskLevel::High),
            &s,
            datetime!(2026-11-24 00:00 UTC),
        );
        assert_eq!(
            (t[0].kind, t[0].due, t[0].overdue),
            (TaskKind::CasePlan, datetime!(2026-11-23 00:00 UTC), true)
        );
        let goals = vec![Goal {
            goal: "g".into(),
            actions: vec![PlanAction {
                action: "a".into(),
                responsible: "r".into(),
                due: date!(2026 - 12 - 01),
                done_on: None,
            }],
        }];
        w = apply(&w, Action::SetCasePlan { goals }, at);
        w = apply(
            &w,
            Action::StartImplementation,
            datetime!(2026-11-21 12:00 UTC),
        );
        let t = due(
            &state(&w, RiskLevel::Medium),
            &s,
            datetime!(2026-11-23 00:00 UTC),
        );
        let kinds: Vec<(TaskKind, OffsetDateTime, Option<&str>)> = t
            .iter()
            .map(|t| (t.kind, t.due, t.about.as_deref()))
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    TaskKind::PlanAction,
                    datetime!(2026-12-01 00:00 UTC),
                    Some("goals.0.actions.0")
                ),
                (TaskKind::FollowUp, datetime!(2026-12-05 12:00 UTC), None),
            ]
        );
        w = apply(
            &w,
            Action::CompletePlanAction {
                goal: 0,
                action: 0,
                done_on: date!(2026 - 11 - 23),
            },
            datetime!(2026-11-23 12:00 UTC),
        );
        w = apply(
            &w,
            Action::RecordFollowUp {
                on: date!(2026 - 11 - 25),
                note: None,
            },
            datetime!(2026-11-27 15:00 UTC),
        );
        let t = due(
            &state(&w, RiskLevel::High),
            &s,
            datetime!(2026-12-03 00:00 UTC),
        );
        assert_eq!(
            (t[0].due, t[0].overdue),
            (datetime!(2026-12-02 00:00 UTC), true)
        );
        // A pending closure is on the supervisor's list; a closed case has no tasks.
        w = apply(
            &w,
            Action::RequestClosure {
                reason: "moved_away".into(),
            },
            datetime!(2026-12-03 00:00 UTC),
        );
        let t = due(
            &state(&w, RiskLevel::High),
            &s,
            datetime!(2026-12-07 00:00 UTC),
        );
        let approval = t
            .iter()
            .find(|t| t.kind == TaskKind::ApprovalDecision)
            .unwrap();
        assert_eq!(
            (
                approval.assignee,
                approval.overdue,
                approval.about.as_deref()
            ),
            (TaskFor::Supervisor, true, Some(Subject::Closure.as_str()))
        );
    }

    #[test]
    fn an_expiring_legal_status_becomes_a_task() {
        let w = Workflow::new(REGISTERED);
        let id = validate(
            LegalIdentityDoc {
                legal_status: Some(LegalStatusDoc {
                    status: "asylum_seeker".into(),
                    since: None,
                    expires_on: Some("2026-12-10".into()),
                }),
                ..LegalIdentityDoc::default()
            },
            date!(2026 - 11 - 23),
        )
        .unwrap();
        let case = CaseState {
            identity: Some(&id),
            ..state(&w, RiskLevel::Low)
        };
        let s = TaskSettings::default();
        let t = due(&case, &s, datetime!(2026-11-01 00:00 UTC));
        assert!(!t.iter().any(|t| t.kind == TaskKind::LegalStatusRenewal));
        let t = due(&case, &s, datetime!(2026-11-23 00:00 UTC));
        let renewal = t
            .iter()
            .find(|t| t.kind == TaskKind::LegalStatusRenewal)
            .unwrap();
        assert_eq!(
            (renewal.due, renewal.overdue),
            (datetime!(2026-12-10 00:00 UTC), false)
        );
    }

    #[test]
    fn settings_read_from_configuration_keep_defaults_for_what_is_left_out() {
        let s: TaskSettings = serde_json::from_value(serde_json::json!({
            "high": {"assessment_within_hours": 12, "case_plan_within_days": 2, "follow_up_every_days": 3}
        }))
        .unwrap();
        assert_eq!(s.high.assessment_within_hours, 12);
        assert_eq!(s.low, TaskSettings::default().low);
    }
}
