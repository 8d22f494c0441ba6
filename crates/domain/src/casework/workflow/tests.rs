use proptest::prelude::*;
use serde_json::json;
use time::macros::{date, datetime};

use super::*;
use crate::problems::from_json;

const TODAY: Date = date!(2026 - 11 - 23);
const NOW: OffsetDateTime = datetime!(2026-11-23 10:00 UTC);

fn user(n: u128) -> UserId {
    UserId(uuid::Uuid::from_u128(n))
}

fn caseworker(settings: &ApprovalSettings) -> Ctx<'_> {
    Ctx {
        actor: user(1),
        may_approve: false,
        settings,
        now: NOW,
        separated_child: false,
    }
}

fn supervisor(settings: &ApprovalSettings) -> Ctx<'_> {
    Ctx {
        actor: user(2),
        may_approve: true,
        ..caseworker(settings)
    }
}

fn goals() -> Vec<Goal> {
    vec![Goal {
        goal: "Safe, stable care".into(),
        actions: vec![PlanAction {
            action: "Find a foster family".into(),
            responsible: "caseworker".into(),
            due: date!(2026 - 12 - 15),
            done_on: None,
        }],
    }]
}

/// Applies each action in turn, checking the invariants after every step.
fn run(mut w: Workflow, steps: &[(&Ctx<'_>, Action)]) -> (Workflow, Vec<Event>) {
    let mut all = Vec::new();
    for (ctx, a) in steps {
        let applied = w
            .apply(a, ctx)
            .unwrap_or_else(|r| panic!("{a:?} refused: {} {}", r.code, r.reason));
        check_invariants(&applied.next).unwrap();
        all.extend(applied.events);
        w = applied.next;
    }
    (w, all)
}

fn assessed(settings: &ApprovalSettings) -> Workflow {
    let (cw, sv) = (caseworker(settings), supervisor(settings));
    run(
        Workflow::new(NOW),
        &[
            (
                &cw,
                Action::StartAssessment {
                    kind: BiaKind::Comprehensive,
                },
            ),
            (
                &cw,
                Action::CompleteAssessment {
                    completed_on: TODAY,
                    summary: None,
                },
            ),
            (
                &cw,
                Action::RequestApproval {
                    subject: Subject::Assessment,
                },
            ),
            (
                &sv,
                Action::Approve {
                    subject: Subject::Assessment,
                },
            ),
        ],
    )
    .0
}

#[test]
fn the_six_steps_with_every_approval() {
    let s = ApprovalSettings::default();
    let (cw, sv) = (caseworker(&s), supervisor(&s));
    let (w, events) = run(
        assessed(&s),
        &[
            (&cw, Action::SetCasePlan { goals: goals() }),
            (
                &cw,
                Action::RequestApproval {
                    subject: Subject::CasePlan,
                },
            ),
            (
                &sv,
                Action::Approve {
                    subject: Subject::CasePlan,
                },
            ),
            (&cw, Action::StartImplementation),
            (
                &cw,
                Action::RecordFollowUp {
                    on: TODAY,
                    note: None,
                },
            ),
            (
                &cw,
                Action::RequestClosure {
                    reason: "plan_goals_met".into(),
                },
            ),
            (
                &sv,
                Action::Approve {
                    subject: Subject::Closure,
                },
            ),
        ],
    );
    assert_eq!(w.stage, Stage::Closed);
    let closure = w.closure.as_ref().unwrap();
    assert_eq!(closure.from, Stage::FollowUp);
    assert!(
        matches!(closure.approval, Approval::Approved { decided_by, .. } if decided_by == user(2))
    );
    let stages: Vec<Stage> = events
        .iter()
        .filter_map(|e| match e {
            Event::StageChanged { to, .. } => Some(*to),
            _ => None,
        })
        .collect();
    assert_eq!(
        stages,
        [
            Stage::CasePlanning,
            Stage::Implementation,
            Stage::FollowUp,
            Stage::Closed
        ]
    );
    assert_eq!(w.allowed_actions(&cw), [ActionKind::Reopen]);
}

#[test]
fn a_closed_case_refuses_services_and_names_what_is_allowed() {
    let s = ApprovalSettings {
        closure: false,
        ..ApprovalSettings::default()
    };
    let cw = caseworker(&s);
    let (w, _) = run(
        Workflow::new(NOW),
        &[(
            &cw,
            Action::Close {
                reason: "duplicate".into(),
            },
        )],
    );
    let r = w
        .apply(
            &Action::ChangeCase {
                what: CaseChange::Service,
            },
            &cw,
        )
        .unwrap_err();
    assert_eq!(r.code, "case_closed");
    assert_eq!(r.allowed, [ActionKind::Reopen]);
    let (w, _) = run(
        w,
        &[(
            &cw,
            Action::Reopen {
                reason: "not a duplicate after all".into(),
            },
        )],
    );
    assert_eq!(w.stage, Stage::Registration);
    assert_eq!(w.past_closures.len(), 1);
    assert!(
        w.apply(
            &Action::ChangeCase {
                what: CaseChange::Placement
            },
            &cw
        )
        .is_ok()
    );
}

#[test]
fn a_supervisor_may_not_approve_their_own_request() {
    let s = ApprovalSettings::default();
    let sv = supervisor(&s);
    let (w, _) = run(
        Workflow::new(NOW),
        &[
            (
                &sv,
                Action::StartAssessment {
                    kind: BiaKind::Short,
                },
            ),
            (
                &sv,
                Action::CompleteAssessment {
                    completed_on: TODAY,
                    summary: None,
                },
            ),
            (
                &sv,
                Action::RequestApproval {
                    subject: Subject::Assessment,
                },
            ),
        ],
    );
    let r = w
        .apply(
            &Action::Approve {
                subject: Subject::Assessment,
            },
            &sv,
        )
        .unwrap_err();
    assert_eq!(r.code, "own_request");
    assert!(!r.allowed.contains(&ActionKind::Approve));
    let other = Ctx {
        actor: user(3),
        ..sv
    };
    assert!(w.allowed_actions(&other).contains(&ActionKind::Approve));
    let r = w
        .apply(
            &Action::Approve {
                subject: Subject::Assessment,
            },
            &caseworker(&s),
        )
        .unwrap_err();
    assert_eq!(r.code, "not_a_supervisor");
}

#[test]
fn required_approvals_block_the_next_step_until_given() {
    let s = ApprovalSettings::default();
    let cw = caseworker(&s);
    let (w, _) = run(
        Workflow::new(NOW),
        &[
            (
                &cw,
                Action::StartAssessment {
                    kind: BiaKind::Short,
                },
            ),
            (
                &cw,
                Action::CompleteAssessment {
                    completed_on: TODAY,
                    summary: None,
                },
            ),
        ],
    );
    let r = w
        .apply(&Action::SetCasePlan { goals: goals() }, &cw)
        .unwrap_err();
    assert_eq!(r.code, "approval_required");
    assert!(r.allowed.contains(&ActionKind::RequestApproval));
    assert!(!r.allowed.contains(&ActionKind::SetCasePlan));
    let r = w
        .apply(
            &Action::Close {
                reason: "duplicate".into(),
            },
            &cw,
        )
        .unwrap_err();
    assert_eq!(r.code, "approval_required");
    assert!(r.allowed.contains(&ActionKind::RequestClosure));
    let r = w
        .apply(
            &Action::Approve {
                subject: Subject::Assessment,
            },
            &supervisor(&s),
        )
        .unwrap_err();
    assert_eq!(r.code, "nothing_to_approve");
}

#[test]
fn a_rejection_keeps_its_comment_and_the_step_can_be_redone() {
    let s = ApprovalSettings::default();
    let (cw, sv) = (caseworker(&s), supervisor(&s));
    let (w, events) = run(
        Workflow::new(NOW),
        &[
            (
                &cw,
                Action::StartAssessment {
                    kind: BiaKind::Short,
                },
            ),
            (
                &cw,
                Action::CompleteAssessment {
                    completed_on: TODAY,
                    summary: None,
                },
            ),
            (
                &cw,
                Action::RequestApproval {
                    subject: Subject::Assessment,
                },
            ),
            (
                &sv,
                Action::Reject {
                    subject: Subject::Assessment,
                    comment: "Speak with the child alone".into(),
                },
            ),
        ],
    );
    assert!(
        matches!(&w.assessment.as_ref().unwrap().approval, Approval::Rejected { comment, .. } if comment == "Speak with the child alone")
    );
    assert!(events.contains(&Event::Rejected {
        subject: Subject::Assessment
    }));
    // The audit event does not carry the comment.
    assert!(!serde_json::to_string(&events).unwrap().contains("alone"));
    let (w, _) = run(
        w,
        &[
            (
                &cw,
                Action::CompleteAssessment {
                    completed_on: TODAY,
                    summary: Some("Seen alone".into()),
                },
            ),
            (
                &cw,
                Action::RequestApproval {
                    subject: Subject::Assessment,
                },
            ),
        ],
    );
    assert_eq!(w.pending_approval(), Some(Subject::Assessment));
}

#[test]
fn without_required_approvals_steps_pass_and_say_so() {
    let s = ApprovalSettings {
        assessment: false,
        case_plan: false,
        closure: false,
    };
    let cw = caseworker(&s);
    let (w, _) = run(
        Workflow::new(NOW),
        &[
            (
                &cw,
                Action::StartAssessment {
                    kind: BiaKind::Short,
                },
            ),
            (
                &cw,
                Action::CompleteAssessment {
                    completed_on: TODAY,
                    summary: None,
                },
            ),
            (&cw, Action::SetCasePlan { goals: goals() }),
            (&cw, Action::StartImplementation),
            (
                &cw,
                Action::Close {
                    reason: "moved_away".into(),
                },
            ),
        ],
    );
    assert_eq!(w.assessment.unwrap().approval, Approval::NotRequired);
    assert_eq!(w.case_plan.unwrap().approval, Approval::NotRequired);
    assert_eq!(w.closure.unwrap().approval, Approval::NotRequired);
    let r = Workflow::new(NOW)
        .apply(
            &Action::RequestApproval {
                subject: Subject::Assessment,
            },
            &cw,
        )
        .unwrap_err();
    assert_eq!(r.code, "approval_not_required");
}

#[test]
fn goals_met_cannot_close_a_case_without_a_plan_in_progress() {
    let s = ApprovalSettings::default();
    let r = assessed(&s)
        .apply(
            &Action::RequestClosure {
                reason: "plan_goals_met".into(),
            },
            &caseworker(&s),
        )
        .unwrap_err();
    assert_eq!(r.code, "goals_not_implemented");
}

#[test]
fn a_revised_plan_needs_approval_again() {
    let s = ApprovalSettings::default();
    let (cw, sv) = (caseworker(&s), supervisor(&s));
    let (w, _) = run(
        assessed(&s),
        &[
            (&cw, Action::SetCasePlan { goals: goals() }),
            (
                &cw,
                Action::RequestApproval {
                    subject: Subject::CasePlan,
                },
            ),
            (
                &sv,
                Action::Approve {
                    subject: Subject::CasePlan,
                },
            ),
            (&cw, Action::StartImplementation),
            (&cw, Action::ReviseCasePlan),
        ],
    );
    assert_eq!(w.stage, Stage::CasePlanning);
    assert_eq!(w.case_plan.as_ref().unwrap().version, 2);
    let r = w.apply(&Action::StartImplementation, &cw).unwrap_err();
    assert_eq!(r.code, "approval_required");
}

#[test]
fn plan_actions_are_marked_done_during_implementation() {
    let s = ApprovalSettings {
        case_plan: false,
        ..ApprovalSettings::default()
    };
    let cw = caseworker(&s);
    let (w, _) = run(
        assessed(&s),
        &[(&cw, Action::SetCasePlan { goals: goals() })],
    );
    let doc = |goal: usize, action: usize| {
        action_from_json(json!({
            "action": "complete_plan_action", "goal": goal, "plan_action": action, "done_on": "2026-11-22"
        }))
        .unwrap()
    };
    let a = validate_action(doc(0, 0), &w, TODAY).unwrap();
    assert_eq!(w.apply(&a, &cw).unwrap_err().code, "wrong_stage");
    let (w, _) = run(w, &[(&cw, Action::StartImplementation), (&cw, a)]);
    let done = &w.case_plan.as_ref().unwrap().goals[0].actions[0];
    assert_eq!(done.done_on, Some(date!(2026 - 11 - 22)));
    let paths = |d| {
        validate_action(d, &w, TODAY)
            .unwrap_err()
            .errors()
            .iter()
            .map(|e| e.path.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(paths(doc(3, 0)), ["goal"]);
    assert_eq!(paths(doc(0, 5)), ["plan_action"]);
}

#[test]
fn a_bid_needs_an_assessment_a_panel_and_undertakings() {
    let s = ApprovalSettings::default();
    let cw = caseworker(&s);
    let doc = from_json::<ActionDoc>(json!({
        "action": "convene_bid_panel",
        "convened_on": "2026-11-20",
        "panel": [
            {"name": "A. Officer", "role": "UNHCR protection officer", "undertaking_signed_on": "2026-11-19"},
            {"name": "B. Worker", "role": "child protection caseworker", "undertaking_signed_on": "2026-11-21"},
        ],
    }))
    .unwrap();
    let err = validate_action(doc, &Workflow::new(NOW), TODAY).unwrap_err();
    let paths: Vec<&str> = err.errors().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["panel", "panel.1.undertaking_signed_on"]);

    let panel: Vec<PanelMember> = (0..3)
        .map(|i| PanelMember {
            name: format!("Member {i}"),
            role: "panel".into(),
            user_id: None,
            undertaking_signed_on: date!(2026 - 11 - 19),
        })
        .collect();
    let convene = Action::ConveneBidPanel {
        convened_on: date!(2026 - 11 - 20),
        panel,
    };
    let r = Workflow::new(NOW).apply(&convene, &cw).unwrap_err();
    assert_eq!(r.code, "assessment_incomplete");
    let (w, _) = run(assessed(&s), &[(&cw, convene)]);

    let decision = |decided_on: &str, review_on: &str| ActionDoc::RecordBidDecision {
        outcome: "family_reunification".into(),
        decided_on: decided_on.into(),
        review_on: review_on.into(),
        summary: None,
    };
    let err = validate_action(decision("2026-11-19", "2026-11-19"), &w, TODAY).unwrap_err();
    let paths: Vec<&str> = err.errors().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["review_on", "decided_on"]);
    let a = validate_action(decision("2026-11-22", "2027-05-22"), &w, TODAY).unwrap();
    let (w, events) = run(w, &[(&cw, a.clone())]);
    assert_eq!(
        events,
        [Event::BidDecided {
            outcome: "family_reunification".into()
        }]
    );
    assert_eq!(w.apply(&a, &cw).unwrap_err().code, "no_bid_panel");
}

#[test]
fn every_bad_field_of_an_action_is_named() {
    let w = Workflow::new(NOW);
    let doc = from_json::<ActionDoc>(json!({
        "action": "set_case_plan",
        "goals": [
            {"goal": "", "actions": []},
            {"goal": "School", "actions": [{"action": "Enrol", "responsible": " ", "due": "2026-02-30"}]},
        ],
    }))
    .unwrap();
    let err = validate_action(doc, &w, TODAY).unwrap_err();
    let paths: Vec<&str> = err.errors().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "goals.0.goal",
            "goals.0.actions",
            "goals.1.actions.0.responsible",
            "goals.1.actions.0.due"
        ]
    );
    let bad = [
        (json!({"action": "close", "reason": "bored"}), "reason"),
        (
            json!({"action": "start_assessment", "kind": "long"}),
            "kind",
        ),
        (
            json!({"action": "record_follow_up", "on": "2027-01-01"}),
            "on",
        ),
        (
            json!({"action": "reject", "subject": "case_plan", "comment": ""}),
            "comment",
        ),
    ];
    for (doc, path) in bad {
        let err = validate_action(from_json(doc).unwrap(), &w, TODAY).unwrap_err();
        assert_eq!(err.errors()[0].path, path);
    }
    let err = action_from_json(json!({"action": "close", "reason": "duplicate", "note": "x"}))
        .unwrap_err();
    assert_eq!(err.errors()[0].path, "note");
    let err = action_from_json(json!({"action": "reject", "subject": "closure"})).unwrap_err();
    assert_eq!(
        (
            err.errors()[0].path.as_str(),
            err.errors()[0].problem.as_str()
        ),
        ("comment", "is required")
    );
    let err = action_from_json(json!({"action": "teleport"})).unwrap_err();
    assert_eq!(err.errors()[0].path, "action");
    let err = action_from_json(json!({"action": "change_case", "what": "service"})).unwrap_err();
    assert_eq!(err.errors()[0].path, "action");
    assert_eq!(
        validate_action(
            from_json(json!({"action": "start_implementation"})).unwrap(),
            &w,
            TODAY
        ),
        Ok(Action::StartImplementation)
    );
}

#[test]
fn a_durable_solution_for_a_separated_child_needs_a_bid() {
    let s = ApprovalSettings {
        closure: false,
        ..ApprovalSettings::default()
    };
    let cw = Ctx {
        separated_child: true,
        ..caseworker(&s)
    };
    let close = Action::Close {
        reason: "durable_solution".into(),
    };
    let w = assessed(&s);
    assert_eq!(w.apply(&close, &cw).unwrap_err().code, "bid_required");
    assert!(w.apply(&close, &caseworker(&s)).is_ok());
    let panel = (0..3)
        .map(|i| PanelMember {
            name: format!("Member {i}"),
            role: "panel".into(),
            user_id: None,
            undertaking_signed_on: TODAY,
        })
        .collect();
    let (w, events) = run(
        w,
        &[
            (
                &cw,
                Action::ConveneBidPanel {
                    convened_on: TODAY,
                    panel,
                },
            ),
            (
                &cw,
                Action::RecordBidDecision {
                    decision: BidDecision {
                        outcome: "resettlement".into(),
                        decided_on: TODAY,
                        review_on: date!(2027 - 05 - 23),
                        summary: None,
                    },
                },
            ),
            (&cw, close),
        ],
    );
    assert!(w.is_closed());
    let wire = serde_json::to_value(&events).unwrap();
    assert_eq!(
        wire,
        json!([
            {"event": "bid_panel_convened", "members": 3},
            {"event": "bid_decided", "outcome": "resettlement"},
            {"event": "closed", "reason": "durable_solution"},
            {"event": "stage_changed", "from": "assessment", "to": "closed"},
        ])
    );
}

#[test]
fn a_stored_workflow_reads_back_as_written() {
    let s = ApprovalSettings::default();
    let w = assessed(&s);
    let text = serde_json::to_value(&w).unwrap();
    assert_eq!(text["stage"], "assessment");
    assert_eq!(text["assessment"]["completed_on"], "2026-11-23");
    assert_eq!(text["assessment"]["approval"]["status"], "approved");
    assert_eq!(
        text["assessment"]["approval"]["decided_at"],
        "2026-11-23T10:00:00Z"
    );
    let back: Workflow = serde_json::from_value(text).unwrap();
    assert_eq!(back, w);
}

// Property: no sequence of actions, by any mix of caseworkers and supervisors, under any
// settings, reaches a state that breaks the invariants; and the rules that depend on the settings
// and on the state before each step hold too.

fn arb_action() -> impl Strategy<Value = Action> {
    let subject = prop::sample::select(Subject::ALL.to_vec());
    let reason = prop::sample::select(vec![
        "plan_goals_met",
        "durable_solution",
        "duplicate",
        "transferred",
    ]);
    prop_oneof![
        prop::sample::select(BiaKind::ALL.to_vec())
            .prop_map(|kind| Action::StartAssessment { kind }),
        Just(Action::CompleteAssessment {
            completed_on: TODAY,
            summary: None
        }),
        subject
            .clone()
            .prop_map(|subject| Action::RequestApproval { subject }),
        subject
            .clone()
            .prop_map(|subject| Action::Approve { subject }),
        subject.prop_map(|subject| Action::Reject {
            subject,
            comment: "no".into()
        }),
        Just(Action::SetCasePlan { goals: goals() }),
        Just(Action::StartImplementation),
        (0usize..2, 0usize..2).prop_map(|(goal, action)| Action::CompletePlanAction {
            goal,
            action,
            done_on: TODAY
        }),
        Just(Action::RecordFollowUp {
            on: TODAY,
            note: None
        }),
        Just(Action::ReviseCasePlan),
        Just(Action::ConveneBidPanel {
            convened_on: TODAY,
            panel: Vec::new()
        }),
        Just(Action::RecordBidDecision {
            decision: BidDecision {
                outcome: "local_integration".into(),
                decided_on: TODAY,
                review_on: date!(2027 - 05 - 23),
                summary: None,
            }
        }),
        reason
            .clone()
            .prop_map(|r| Action::RequestClosure { reason: r.into() }),
        reason.prop_map(|r| Action::Close { reason: r.into() }),
        Just(Action::Reopen {
            reason: "new concern".into()
        }),
        prop::sample::select(CaseChange::ALL.to_vec()).prop_map(|what| Action::ChangeCase { what }),
    ]
}

/// (actor 1–3, may approve, action, steer): three people so that four eyes can be tested. A
/// steered step takes one of the allowed actions instead, so that runs get deep into the workflow
/// (plans, follow-ups, closures, reopenings) rather than bouncing off the first refusal.
fn arb_step() -> impl Strategy<Value = (u128, bool, Action, Option<usize>)> {
    (
        1u128..=3,
        any::<bool>(),
        arb_action(),
        prop::option::weighted(0.6, any::<usize>()),
    )
}

fn steered(w: &Workflow, ctx: &Ctx<'_>, pick: usize) -> Option<Action> {
    let candidates: Vec<Action> = probes(TODAY)
        .into_iter()
        .filter(|a| w.guard(a, ctx).is_ok())
        .collect();
    candidates.get(pick % candidates.len().max(1)).cloned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_sequence_of_actions_reaches_an_invalid_state(
        settings in (any::<bool>(), any::<bool>(), any::<bool>()),
        separated_child in any::<bool>(),
        steps in prop::collection::vec(arb_step(), 1..80),
    ) {
        let settings = ApprovalSettings { assessment: settings.0, case_plan: settings.1, closure: settings.2 };
        let mut w = Workflow::new(NOW);
        for (i, (who, may_approve, action, steer)) in steps.into_iter().enumerate() {
            let ctx = Ctx { actor: user(who), may_approve, settings: &settings, now: NOW + time::Duration::minutes(i as i64), separated_child };
            let action = steer.and_then(|pick| steered(&w, &ctx, pick)).unwrap_or(action);
            let allowed = w.allowed_actions(&ctx);
            match w.apply(&action, &ctx) {
                Ok(Applied { next, events }) => {
                    prop_assert!(allowed.contains(&action.kind()), "{:?} applied but not listed as allowed", action.kind());
                    if w.is_closed() {
                        prop_assert!(matches!(action, Action::Reopen { .. }), "{action:?} changed a closed case");
                    }
                    if let Action::Approve { subject } | Action::Reject { subject, .. } = &action {
                        prop_assert!(may_approve);
                        let asked = w.approval(*subject).cloned();
                        prop_assert!(matches!(asked, Some(Approval::Requested { requested_by, .. }) if requested_by != ctx.actor), "decision without a request, or on one's own");
                    }
                    if let Err(e) = check_invariants(&next) {
                        return Err(TestCaseError::fail(format!("{e} after {action:?}: {next:#?}")));
                    }
                    // What the deployment requires is what the record shows.
                    if next.is_closed() && !w.is_closed() && settings.closure {
                        prop_assert!(matches!(next.closure.as_ref().map(|c| &c.approval), Some(Approval::Approved { .. })), "closed without the required approval");
                    }
                    if separated_child && next.closure != w.closure && next.closure.as_ref().is_some_and(|c| c.reason == "durable_solution") {
                        prop_assert!(next.bids.iter().any(|b| b.decision.is_some()), "a durable solution for a separated child without a BID");
                    }
                    if settings.assessment && next.case_plan.is_some() && w.case_plan.is_none() {
                        prop_assert!(matches!(next.assessment.as_ref().map(|a| &a.approval), Some(Approval::Approved { .. })), "planning without the required approval of the assessment");
                    }
                    if settings.case_plan && next.stage == Stage::Implementation && w.stage == Stage::CasePlanning {
                        prop_assert!(matches!(next.case_plan.as_ref().map(|p| &p.approval), Some(Approval::Approved { .. })), "implementing without the required approval of the plan");
                    }
                    prop_assert!(events.iter().all(|e| !matches!(e, Event::CaseChanged { .. })) || !w.is_closed(), "a closed case changed");
                    w = next;
                }
                Err(r) => {
                    prop_assert_eq!(&r.allowed, &allowed);
                    prop_assert!(!r.code.is_empty() && r.code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
                }
            }
        }
    }
}
