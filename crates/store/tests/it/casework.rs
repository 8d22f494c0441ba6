//! Case management through the write door: the workflow with its approvals, placements with the
//! detention alert, tasks.

use haven_domain::case::CaseStatus;
use haven_domain::casework::Settings;
use haven_domain::casework::placement::PlacementDoc;
use haven_domain::casework::referral::{ReferralActionDoc, ReferralDoc};
use haven_domain::casework::tasks::TaskKind;
use haven_domain::casework::transfer::{FlagDoc, NoteDoc, TransferActionDoc, TransferDoc};
use haven_domain::casework::workflow::{ActionDoc, Stage, action_from_json};
use haven_domain::ids::CaseId;
use haven_domain::user::Actor;
use haven_store::{CaseFilter, CaseItemChange, CaseWork, NewCaseItem, PageRequest, StoreError};
use serde_json::{Value, json};
use time::Duration;

use crate::store_tests;
use crate::support::{Fixture, TestDb, assert_nothing_written_since, doc, fixture};

store_tests!(
    workflow_approvals_and_closure_keep_the_case_status,
    refused_stale_and_invalid_actions_change_nothing,
    detention_raises_an_alert_at_once_and_an_alternative_resolves_it,
    a_closed_case_refuses_placements_and_service_changes,
    a_case_registered_in_detention_alerts_at_once_and_a_patch_keeps_the_alert_in_step,
    tasks_fall_due_by_risk_and_show_on_the_right_lists,
    the_workflow_is_sealed_at_rest_and_survives_key_rotation,
    a_referral_is_answered_by_the_receiving_agency_and_both_see_it,
    notes_are_sealed_and_the_timeline_merges_every_history,
    an_accepted_transfer_moves_the_case_and_keeps_its_history,
    an_incident_links_several_cases_all_in_scope,
);

fn action(v: Value) -> ActionDoc {
    action_from_json(v).unwrap()
}

fn settings() -> Settings {
    Settings::default()
}

async fn new_case(db: &TestDb, f: &Fixture, extra: Value) -> CaseId {
    let mut body = json!({"given_name": "Zqxamal", "risk_level": "high",
        "separation_status": "unaccompanied"});
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    db.store
        .create_case(&f.actor(), doc(body))
        .await
        .unwrap()
        .id
}

async fn act(db: &TestDb, who: &Actor, id: CaseId, v: Value) -> Result<CaseWork, StoreError> {
    let version = db.store.case_work(who, id).await?.unwrap().case.version;
    db.store
        .apply_workflow(who, id, version, action(v), &settings())
        .await
}

async fn workflow_approvals_and_closure_keep_the_case_status(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let (worker, supervisor) = (f.actor(), f.reader());
    let id = new_case(&db, &f, json!({})).await;

    let w = db.store.case_work(&worker, id).await.unwrap().unwrap();
    assert_eq!(w.workflow.stage, Stage::Registration);
    act(
        &db,
        &worker,
        id,
        json!({"action": "start_assessment", "kind": "short"}),
    )
    .await
    .unwrap();
    act(
        &db,
        &worker,
        id,
        json!({"action": "complete_assessment",
        "completed_on": "2026-11-23", "summary": "Zqxsecret summary"}),
    )
    .await
    .unwrap();
    act(
        &db,
        &worker,
        id,
        json!({"action": "request_approval", "subject": "assessment"}),
    )
    .await
    .unwrap();
    // A caseworker cannot approve: the refusal says what they may do instead.
    let Err(StoreError::Refused { allowed, .. }) = act(
        &db,
        &worker,
        id,
        json!({"action": "approve", "subject": "assessment"}),
    )
    .await
    else {
        panic!("a caseworker approved");
    };
    assert!(!allowed.contains(&"approve".to_string()), "{allowed:?}");
    let w = act(
        &db,
        &supervisor,
        id,
        json!({"action": "approve", "subject": "assessment"}),
    )
    .await
    .unwrap();
    assert_eq!(w.case.version, 5);

    // Closure needs approval too; the case's status follows the stage, both ways.
    act(
        &db,
        &worker,
        id,
        json!({"action": "request_closure", "reason": "reunified"}),
    )
    .await
    .unwrap();
    let w = act(
        &db,
        &supervisor,
        id,
        json!({"action": "approve", "subject": "closure"}),
    )
    .await
    .unwrap();
    assert_eq!(w.workflow.stage, Stage::Closed);
    assert_eq!(w.case.status, CaseStatus::Closed);
    let got = db.store.get_case(&worker, id).await.unwrap().unwrap();
    assert_eq!(got.status, CaseStatus::Closed);
    let closed = db
        .store
        .list_cases(
            &supervisor,
            &CaseFilter {
                status: Some(CaseStatus::Closed),
                ..CaseFilter::default()
            },
            &PageRequest::first(50),
        )
        .await
        .unwrap();
    assert_eq!(closed.items.len(), 1);
    let w = act(
        &db,
        &worker,
        id,
        json!({"action": "reopen", "reason": "Zqx came back"}),
    )
    .await
    .unwrap();
    assert_eq!(w.case.status, CaseStatus::Open);
    assert_eq!(w.workflow.stage, Stage::Assessment);

    // Every step is a version of the case with its history entry; the audit names codes only.
    let history = db.store.case_history(&worker, id).await.unwrap().unwrap();
    let actions: Vec<&str> = history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "create",
            "workflow.start_assessment",
            "workflow.complete_assessment",
            "workflow.request_approval",
            "workflow.approve",
            "workflow.request_closure",
            "workflow.approve",
            "workflow.reopen",
        ]
    );
    assert!(history[6].changes.iter().any(|c| c.field == "status"));
    let rows = db.store.audit_rows(0, 1000).await.unwrap();
    let workflow_rows: Vec<_> = rows
        .iter()
        .filter(|r| r.action == "case.workflow")
        .collect();
    assert_eq!(workflow_rows.len(), 7);
    for r in rows {
        assert!(!r.details.contains("Zqx"), "content audited: {}", r.details);
    }
}

async fn refused_stale_and_invalid_actions_change_nothing(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let worker = f.actor();
    let id = new_case(&db, &f, json!({})).await;
    let head = db.store.audit_head().await.unwrap();

    let stale = db
        .store
        .apply_workflow(
            &worker,
            id,
            7,
            action(json!({"action": "start_assessment", "kind": "short"})),
            &settings(),
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict { current: 1 })));
    let Err(StoreError::Invalid(p)) = db
        .store
        .apply_workflow(
            &worker,
            id,
            1,
            action(json!({"action": "start_assessment", "kind": "deep"})),
            &settings(),
        )
        .await
    else {
        panic!("an unknown BIA kind was accepted");
    };
    assert_eq!(p.errors()[0].path, "kind");
    let Err(StoreError::Refused { code, allowed, .. }) = db
        .store
        .apply_workflow(
            &worker,
            id,
            1,
            action(json!({"action": "start_implementation"})),
            &settings(),
        )
        .await
    else {
        panic!("implementation started before any assessment");
    };
    assert!(!code.is_empty());
    assert!(
        allowed.contains(&"start_assessment".to_string()),
        "{allowed:?}"
    );
    // Out of scope reads as absent.
    assert!(matches!(
        db.store
            .apply_workflow(
                &f.other_actor(),
                id,
                1,
                action(json!({"action": "start_assessment", "kind": "short"})),
                &settings(),
            )
            .await,
        Err(StoreError::NotFound)
    ));
    let w = db.store.case_work(&worker, id).await.unwrap().unwrap();
    assert_eq!((w.case.version, w.workflow.stage), (1, Stage::Registration));
    assert_nothing_written_since(&db, &head).await;
}

fn placement(kind: &str, start: &str) -> PlacementDoc {
    PlacementDoc {
        kind: kind.into(),
        start_date: start.into(),
        place: Some("Zqx holding centre".into()),
        ..PlacementDoc::default()
    }
}

async fn detention_raises_an_alert_at_once_and_an_alternative_resolves_it(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let (worker, supervisor) = (f.actor(), f.reader());
    let id = new_case(&db, &f, json!({})).await;
    let detained = db
        .store
        .record_placement(
            &worker,
            id,
            Some(1),
            placement("immigration_detention", "2026-01-05"),
            &settings(),
        )
        .await
        .unwrap();
    assert_eq!(detained.case.version, 2);
    assert_eq!(detained.case.doc.placements.len(), 1);

    let alerts = db.store.alerts(&supervisor).await.unwrap();
    let detention: Vec<_> = alerts.iter().filter(|a| a.kind == "detention").collect();
    assert_eq!(detention.len(), 1);
    assert_eq!(detention[0].record_id, Some(id.0));
    assert_eq!(detention[0].record_type.as_deref(), Some("case"));
    assert_eq!(detention[0].details["since"], "2026-01-05");
    assert!(!detention[0].details.to_string().contains("Zqx"));
    assert!(
        db.store
            .alerts(&f.other_actor())
            .await
            .unwrap()
            .iter()
            .all(|a| a.kind != "detention"),
        "another agency saw the alert"
    );
    let audit = db.store.audit_rows(0, 1000).await.unwrap();
    let placed = audit
        .iter()
        .rfind(|r| r.action == "case.placement")
        .unwrap();
    assert!(
        placed.details.contains("case.detention.started"),
        "{}",
        placed.details
    );

    // Police custody before it in the history is refused where it overlaps.
    let Err(StoreError::Invalid(p)) = db
        .store
        .record_placement(
            &worker,
            id,
            None,
            PlacementDoc {
                end_date: Some("2026-02-01".into()),
                ..placement("police_custody", "2026-01-01")
            },
            &settings(),
        )
        .await
    else {
        panic!("an overlapping placement was accepted");
    };
    assert_eq!(p.errors()[0].path, "end_date");
    let Err(StoreError::Invalid(p)) = db
        .store
        .record_placement(
            &worker,
            id,
            None,
            placement("foster", "2099-01-01"),
            &settings(),
        )
        .await
    else {
        panic!("a placement in the future was accepted");
    };
    assert_eq!(p.errors()[0].path, "start_date");

    let moved = db
        .store
        .record_placement(
            &worker,
            id,
            None,
            placement("foster", "2026-02-01"),
            &settings(),
        )
        .await
        .unwrap();
    assert_eq!(moved.case.doc.placements.len(), 2);
    assert_eq!(
        moved.case.doc.placements[0].end_date.as_deref(),
        Some("2026-02-01")
    );
    assert!(
        db.store
            .alerts(&supervisor)
            .await
            .unwrap()
            .iter()
            .all(|a| a.kind != "detention"),
        "the alert outlived the detention"
    );
}

async fn a_closed_case_refuses_placements_and_service_changes(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let (worker, supervisor) = (f.actor(), f.reader());
    let id = new_case(&db, &f, json!({})).await;
    act(
        &db,
        &worker,
        id,
        json!({"action": "request_closure", "reason": "duplicate"}),
    )
    .await
    .unwrap();
    act(
        &db,
        &supervisor,
        id,
        json!({"action": "approve", "subject": "closure"}),
    )
    .await
    .unwrap();
    let head = db.store.audit_head().await.unwrap();
    let Err(StoreError::Refused { code, allowed, .. }) = db
        .store
        .record_placement(
            &worker,
            id,
            None,
            placement("immigration_detention", "2026-01-05"),
            &settings(),
        )
        .await
    else {
        panic!("a closed case took a placement");
    };
    assert_eq!(code, "case_closed");
    assert!(allowed.contains(&"reopen".to_string()), "{allowed:?}");
    let Err(StoreError::Refused { .. }) = db
        .store
        .update_case(
            &worker,
            id,
            3,
            &json!({"services": [{"type": "education", "status": "needed"}]}),
        )
        .await
    else {
        panic!("a closed case took a service");
    };
    // Record keeping stays possible.
    db.store
        .update_case(&worker, id, 3, &json!({"family_name": "Zqxcorrected"}))
        .await
        .unwrap();
    let _ = head;
}

async fn tasks_fall_due_by_risk_and_show_on_the_right_lists(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let (worker, supervisor) = (f.actor(), f.reader());
    let high = new_case(&db, &f, json!({})).await;
    let low = new_case(&db, &f, json!({"risk_level": "low"})).await;
    db.clock.advance(Duration::hours(30));

    let overdue = db.store.tasks(&worker, &settings(), true).await.unwrap();
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert_eq!(overdue[0].case_id, high);
    assert_eq!(overdue[0].task.kind, TaskKind::Assessment);
    let all = db.store.tasks(&worker, &settings(), false).await.unwrap();
    assert!(all.iter().any(|t| t.case_id == low && !t.task.overdue));
    assert!(
        db.store
            .tasks(&f.other_actor(), &settings(), false)
            .await
            .unwrap()
            .is_empty()
    );

    // An approval waiting is the supervisor's task, not the caseworker's.
    act(
        &db,
        &worker,
        low,
        json!({"action": "start_assessment", "kind": "short"}),
    )
    .await
    .unwrap();
    act(
        &db,
        &worker,
        low,
        json!({"action": "complete_assessment", "completed_on": "2026-11-24"}),
    )
    .await
    .unwrap();
    act(
        &db,
        &worker,
        low,
        json!({"action": "request_approval", "subject": "assessment"}),
    )
    .await
    .unwrap();
    let sup = db
        .store
        .tasks(&supervisor, &settings(), false)
        .await
        .unwrap();
    assert!(
        sup.iter()
            .any(|t| t.case_id == low && t.task.kind == TaskKind::ApprovalDecision)
    );
    assert!(
        db.store
            .tasks(&worker, &settings(), false)
            .await
            .unwrap()
            .iter()
            .all(|t| t.task.kind != TaskKind::ApprovalDecision)
    );
    let audit = db.store.audit_rows(0, 1000).await.unwrap();
    assert!(audit.iter().any(|r| r.action == "task.list"));
}

async fn the_workflow_is_sealed_at_rest_and_survives_key_rotation(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let worker = f.actor();
    let id = new_case(&db, &f, json!({})).await;
    act(
        &db,
        &worker,
        id,
        json!({"action": "start_assessment", "kind": "short"}),
    )
    .await
    .unwrap();
    act(
        &db,
        &worker,
        id,
        json!({"action": "complete_assessment",
        "completed_on": "2026-11-23", "summary": "Zqxsecret summary"}),
    )
    .await
    .unwrap();
    // A tracing request too: re-sealing walks every record table.
    db.store
        .create_tracing_request(
            &worker,
            haven_domain::tracing_request::doc_from_json(json!({
                "inquirer": {"given_name": "Fatima", "relation": "mother"},
                "child": {"given_name": "Amal"},
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    let stored = db.raw_texts("SELECT workflow FROM cases").await;
    assert_eq!(stored.len(), 1);
    let history = db.raw_texts("SELECT changes FROM record_history").await;
    for text in stored.iter().chain(&history) {
        assert!(!text.contains("Zqxsecret"), "stored in the clear: {text}");
    }
    db.store.reseal_all().await.unwrap();
    assert_ne!(db.raw_texts("SELECT workflow FROM cases").await, stored);
    let w = db.store.case_work(&worker, id).await.unwrap().unwrap();
    assert_eq!(
        w.workflow.assessment.unwrap().summary.as_deref(),
        Some("Zqxsecret summary")
    );
    let h = db.store.case_history(&worker, id).await.unwrap().unwrap();
    assert!(
        serde_json::to_string(&h[2].changes)
            .unwrap()
            .contains("Zqxsecret")
    );
}

fn answer(action: &str, comment: Option<&str>) -> CaseItemChange {
    CaseItemChange::AnswerReferral(ReferralActionDoc {
        action: action.into(),
        comment: comment.map(Into::into),
        education: None,
    })
}

/// Consent to services and to sharing with other agencies, given by a caregiver.
fn sharing_consent() -> haven_domain::consent::ConsentDoc {
    serde_json::from_value(
        json!({"basis": "consent", "purposes": ["services", "sharing"],
        "recipients": ["other_agency"], "given_by": "caregiver", "given_by_name": "Zqx Carer"}),
    )
    .unwrap()
}

async fn a_referral_is_answered_by_the_receiving_agency_and_both_see_it(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let (worker, other) = (f.actor(), f.other_actor());
    let id = new_case(&db, &f, json!({})).await;
    // Without consent to services and to sharing, nothing is referred, nothing written.
    let head = db.store.audit_head().await.unwrap();
    let refused = db
        .store
        .create_case_item(
            &worker,
            id,
            NewCaseItem::Referral(ReferralDoc {
                service: "legal_aid".into(),
                to_agency_id: Some(f.other_agency.id.to_string()),
                ..ReferralDoc::default()
            }),
            &settings(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refused, StoreError::ConsentRequired(_)),
        "{refused:?}"
    );
    crate::support::assert_nothing_written_since(&db, &head).await;
    db.store
        .record_consent(&worker, id, sharing_consent())
        .await
        .unwrap();
    let referral = db
        .store
        .create_case_item(
            &worker,
            id,
            NewCaseItem::Referral(ReferralDoc {
                service: "legal_aid".into(),
                to_agency_id: Some(f.other_agency.id.to_string()),
                reason: Some("Zqx needs a lawyer".into()),
                ..ReferralDoc::default()
            }),
            &settings(),
        )
        .await
        .unwrap();
    assert_eq!(referral.status, "requested");
    assert_eq!(referral.to_agency_id, Some(f.other_agency.id));

    // Both agencies see it; the receiving one does not see the case.
    assert_eq!(db.store.referrals(&worker).await.unwrap().len(), 1);
    assert_eq!(db.store.referrals(&other).await.unwrap().len(), 1);
    assert!(db.store.get_case(&other, id).await.unwrap().is_none());

    // Only the receiving agency answers.
    let Err(StoreError::Refused { code, allowed, .. }) = db
        .store
        .change_case_item(&worker, referral.id, answer("accept", None))
        .await
    else {
        panic!("the referring agency accepted its own referral");
    };
    assert_eq!(code, "not_your_referral");
    assert_eq!(allowed, ["cancel"]);
    let Err(StoreError::Invalid(p)) = db
        .store
        .change_case_item(&other, referral.id, answer("decline", None))
        .await
    else {
        panic!("a decline without a reason was accepted");
    };
    assert_eq!(p.errors()[0].path, "comment");
    let accepted = db
        .store
        .change_case_item(&other, referral.id, answer("accept", None))
        .await
        .unwrap();
    assert_eq!(
        (accepted.status.as_str(), accepted.version),
        ("accepted", 2)
    );
    let done = db
        .store
        .change_case_item(
            &other,
            referral.id,
            answer("complete", Some("Zqx represented")),
        )
        .await
        .unwrap();
    assert_eq!(done.status, "completed");
    // A third agency's worker cannot reach it at all.
    let third = db.store.create_agency(None, "THR", "Third").await.unwrap();
    let stranger = db
        .store
        .create_user(
            None,
            crate::support::new_user("w@third.org", third.id, "caseworker"),
        )
        .await
        .unwrap();
    assert!(matches!(
        db.store
            .change_case_item(
                &Actor::from(&stranger),
                referral.id,
                answer("cancel", Some("x"))
            )
            .await,
        Err(StoreError::NotFound)
    ));
    let audit = db.store.audit_rows(0, 1000).await.unwrap();
    for r in audit {
        assert!(!r.details.contains("Zqx"), "content audited: {}", r.details);
    }
}

async fn notes_are_sealed_and_the_timeline_merges_every_history(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let worker = f.actor();
    let id = new_case(&db, &f, json!({})).await;
    db.clock.advance(Duration::minutes(1));
    let note = db
        .store
        .create_case_item(
            &worker,
            id,
            NewCaseItem::Note(NoteDoc {
                text: "Zqxsecret: the uncle called".into(),
            }),
            &settings(),
        )
        .await
        .unwrap();
    db.clock.advance(Duration::minutes(1));
    act(
        &db,
        &worker,
        id,
        json!({"action": "start_assessment", "kind": "short"}),
    )
    .await
    .unwrap();
    db.clock.advance(Duration::minutes(1));
    let flag = db
        .store
        .create_case_item(
            &worker,
            id,
            NewCaseItem::Flag(FlagDoc {
                reason: "detention".into(),
                note: None,
            }),
            &settings(),
        )
        .await;
    let flag = match flag {
        Ok(f) => f,
        Err(StoreError::Invalid(p)) => panic!("flag reason: {p}"),
        Err(e) => panic!("{e}"),
    };
    db.clock.advance(Duration::minutes(1));
    db.store
        .change_case_item(
            &worker,
            flag.id,
            CaseItemChange::ResolveFlag {
                resolution: "released".into(),
            },
        )
        .await
        .unwrap();
    let Err(StoreError::Refused { code, .. }) = db
        .store
        .change_case_item(
            &worker,
            flag.id,
            CaseItemChange::ResolveFlag {
                resolution: "again".into(),
            },
        )
        .await
    else {
        panic!("a resolved flag was resolved again");
    };
    assert_eq!(code, "flag_resolved");

    for text in db.raw_texts("SELECT body FROM case_items").await {
        assert!(!text.contains("Zqxsecret"), "stored in the clear: {text}");
    }
    let before = db.raw_texts("SELECT body FROM case_items").await;
    db.store.reseal_all().await.unwrap();
    assert_ne!(db.raw_texts("SELECT body FROM case_items").await, before);
    let items = db.store.case_items(&worker, id).await.unwrap().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].id, note.id);
    assert_eq!(items[0].body["text"], "Zqxsecret: the uncle called");

    let timeline = db.store.case_timeline(&worker, id).await.unwrap().unwrap();
    let seen: Vec<(&str, &str)> = timeline
        .iter()
        .map(|t| (t.record_type.as_str(), t.entry.action.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("case", "create"),
            ("note", "note.create"),
            ("case", "workflow.start_assessment"),
            ("flag", "flag.create"),
            ("flag", "flag.resolved"),
        ]
    );
    assert!(
        db.store
            .case_timeline(&f.other_actor(), id)
            .await
            .unwrap()
            .is_none()
    );
}

async fn an_accepted_transfer_moves_the_case_and_keeps_its_history(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let id = new_case(&db, &f, json!({})).await;
    let sup = |user| Actor::from(&user);
    let there = db
        .store
        .create_user(
            None,
            crate::support::new_user("sup@other.org", f.other_agency.id, "supervisor"),
        )
        .await
        .unwrap();
    let request = || {
        NewCaseItem::Transfer(TransferDoc {
            to_agency_id: f.other_agency.id.to_string(),
            reason: "Zqx moved to the other city".into(),
            consent_override_reason: None,
        })
    };
    // Without consent to share with another agency the case does not move, unless someone
    // holding consent.override says why (the agency admin does; a reason is required).
    let admin = f.reader();
    let unconsented = db
        .store
        .create_case_item(&admin, id, request(), &settings())
        .await
        .unwrap_err();
    assert!(
        matches!(unconsented, StoreError::ConsentRequired(_)),
        "{unconsented:?}"
    );
    let short = db
        .store
        .create_case_item(
            &admin,
            id,
            NewCaseItem::Transfer(TransferDoc {
                to_agency_id: f.other_agency.id.to_string(),
                reason: "Zqx moved".into(),
                consent_override_reason: Some("urgent".into()),
            }),
            &settings(),
        )
        .await
        .unwrap_err();
    assert!(matches!(short, StoreError::Invalid(_)), "{short:?}");
    db.store
        .record_consent(&admin, id, sharing_consent())
        .await
        .unwrap();
    // A caseworker lacks case.transfer; the admin (agency scope) has it.
    assert!(matches!(
        db.store
            .create_case_item(&f.actor(), id, request(), &settings())
            .await,
        Err(StoreError::Denied(_))
    ));
    let t = db
        .store
        .create_case_item(&f.reader(), id, request(), &settings())
        .await
        .unwrap();
    assert_eq!(t.status, "pending");
    let Err(StoreError::Refused { code, .. }) = db
        .store
        .create_case_item(&f.reader(), id, request(), &settings())
        .await
    else {
        panic!("a second transfer was accepted while one waits");
    };
    assert_eq!(code, "transfer_pending");
    let answer = |action: &str| {
        CaseItemChange::AnswerTransfer(TransferActionDoc {
            action: action.into(),
            comment: None,
        })
    };
    let Err(StoreError::Refused { code, .. }) = db
        .store
        .change_case_item(&f.reader(), t.id, answer("accept"))
        .await
    else {
        panic!("the sending agency accepted its own transfer");
    };
    assert_eq!(code, "not_your_transfer");
    let accepted = db
        .store
        .change_case_item(&sup(there.clone()), t.id, answer("accept"))
        .await
        .unwrap();
    assert_eq!(accepted.status, "accepted");

    // The case is the other agency's now, assigned to who accepted; its history goes on.
    let moved = db
        .store
        .get_case(&sup(there.clone()), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.agency_id, f.other_agency.id);
    assert_eq!(moved.doc.caseworker_id, Some(there.id.to_string()));
    assert!(db.store.get_case(&f.actor(), id).await.unwrap().is_none());
    let history = db
        .store
        .case_history(&sup(there), id)
        .await
        .unwrap()
        .unwrap();
    let actions: Vec<&str> = history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions, ["create", "transfer.accepted"]);
}

async fn an_incident_links_several_cases_all_in_scope(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let worker = f.actor();
    let a = new_case(&db, &f, json!({})).await;
    let b = new_case(&db, &f, json!({"given_name": "Zqxomar"})).await;
    let theirs = db
        .store
        .create_case(&f.other_actor(), doc(json!({"given_name": "Zqxother"})))
        .await
        .unwrap()
        .id;
    let incident = |cases: Vec<CaseId>| {
        haven_domain::problems::from_json::<haven_domain::casework::incident::IncidentDoc>(json!({
            "category": "discrimination",
            "types": ["discrimination.denial_of_service"],
            "case_ids": cases.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "date": "2026-11-01",
            "setting": "school",
            "bias_motivations": ["nationality"],
            "description": "Zqx turned away at the school gate",
        }))
        .unwrap()
    };
    let Err(StoreError::Invalid(p)) = db
        .store
        .create_incident(&worker, incident(vec![a, theirs]), &settings())
        .await
    else {
        panic!("an incident named a case out of scope");
    };
    assert_eq!(p.errors()[0].path, "case_ids.1");
    let made = match db
        .store
        .create_incident(&worker, incident(vec![a, b]), &settings())
        .await
    {
        Ok(i) => i,
        Err(StoreError::Invalid(p)) => panic!("{p}"),
        Err(e) => panic!("{e}"),
    };
    for case in [a, b] {
        let items = db.store.case_items(&worker, case).await.unwrap().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].id, made.id);
        let timeline = db
            .store
            .case_timeline(&worker, case)
            .await
            .unwrap()
            .unwrap();
        assert!(timeline.iter().any(|t| t.record_type == "incident"));
    }
    let audit = db.store.audit_rows(0, 1000).await.unwrap();
    for r in audit {
        assert!(!r.details.contains("Zqx"), "content audited: {}", r.details);
    }
}

async fn a_case_registered_in_detention_alerts_at_once_and_a_patch_keeps_the_alert_in_step(
    db: TestDb,
) {
    let f = fixture(db.store.as_ref()).await;
    let worker = f.actor();
    let detained = json!([{"type": "police_custody", "start_date": "2026-11-01"}]);
    let id = new_case(&db, &f, json!({"placements": detained})).await;
    let open = |alerts: Vec<haven_store::Alert>| {
        alerts
            .into_iter()
            .filter(|a| a.kind == "detention" && a.record_id == Some(id.0))
            .collect::<Vec<_>>()
    };
    let first = open(db.store.alerts(&f.reader()).await.unwrap());
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].details["since"], "2026-11-01");
    // Moved on to immigration detention the same day it ended: one spell, the same alert.
    let patch = json!({"placements": [
        {"type": "police_custody", "start_date": "2026-11-01", "end_date": "2026-11-03"},
        {"type": "immigration_detention", "start_date": "2026-11-03"},
    ]});
    db.store.update_case(&worker, id, 1, &patch).await.unwrap();
    let same = open(db.store.alerts(&f.reader()).await.unwrap());
    assert_eq!(same.len(), 1);
    assert_eq!(same[0].id, first[0].id);
    let released = json!({"placements": [
        {"type": "police_custody", "start_date": "2026-11-01", "end_date": "2026-11-03"},
        {"type": "immigration_detention", "start_date": "2026-11-03", "end_date": "2026-11-10"},
        {"type": "kinship", "start_date": "2026-11-10"},
    ]});
    db.store
        .update_case(&worker, id, 2, &released)
        .await
        .unwrap();
    assert!(open(db.store.alerts(&f.reader()).await.unwrap()).is_empty());
}
