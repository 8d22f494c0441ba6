//! Reports and pledges: facts come from the actor's scope only, a report read is ONE audit entry
//! without case ids, and pledges go through the write door with their history and audit entries.

use haven_domain::access::{DATA_OFFICER, SUPERVISOR};
use haven_domain::casework::Settings;
use haven_domain::casework::incident::IncidentDoc;
use haven_domain::user::Actor;
use haven_store::{PledgeDoc, ReportPurpose, StoreError};
use serde_json::{Value, json};

use crate::store_tests;
use crate::support::{Fixture, TestDb, doc, fixture, new_user};

store_tests!(
    facts_cover_the_readers_scope_and_one_audit_entry_names_no_case,
    only_report_roles_read_facts_and_only_exporters_export,
    pledges_are_written_with_history_and_audit_and_refuse_stale_or_bad_input,
);

async fn officer(db: &TestDb, f: &Fixture, role: &str, email: &str) -> Actor {
    let u = db
        .store
        .create_user(None, new_user(email, f.agency.id, role))
        .await
        .unwrap();
    Actor::from(&u)
}

fn purpose(export: bool) -> ReportPurpose {
    ReportPurpose {
        export,
        area: Some(1),
        tables: vec!["sex,age".into()],
        format: export.then(|| "csv".to_string()),
        ..ReportPurpose::default()
    }
}

async fn facts_cover_the_readers_scope_and_one_audit_entry_names_no_case(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let mut ours = Vec::new();
    for sex in ["female", "male", "female"] {
        let c = db
            .store
            .create_case(
                &f.actor(),
                doc(
                    json!({"given_name": "Zqxamal", "sex": sex, "risk_level": "high",
                    "separation_status": "unaccompanied", "nationality": "SY"}),
                ),
            )
            .await
            .unwrap();
        ours.push(c.id);
    }
    db.store
        .create_case(
            &f.other_actor(),
            doc(json!({"given_name": "Other", "sex": "male"})),
        )
        .await
        .unwrap();
    let incident: IncidentDoc = serde_json::from_value(json!({
        "category": "violence", "types": ["violence.physical"],
        "case_ids": [ours[0].to_string(), ours[1].to_string()], "date": "2026-11-01"
    }))
    .unwrap();
    db.store
        .create_incident(&f.actor(), incident, &Settings::default())
        .await
        .unwrap();
    let data = officer(&db, &f, DATA_OFFICER, "data@example.org").await;
    let head = db.store.audit_head().await.unwrap();
    let facts = db
        .store
        .report_facts(Some(&data), &purpose(false))
        .await
        .unwrap();
    assert_eq!(
        facts.cases.len(),
        3,
        "the agency's cases, not the other agency's"
    );
    assert_eq!(facts.incidents.len(), 1);
    assert_eq!(facts.incidents[0].children.len(), 2);
    let rows = db.store.audit_rows(head.seq, 100).await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].action, "report.view");
    let details = rows[0].details.clone();
    for id in &ours {
        assert!(!details.contains(&id.to_string()), "{details}");
    }
    assert!(!details.contains("Zqxamal"));
    let v: Value = serde_json::from_str(&details).unwrap();
    assert_eq!(v["cases"], 3);
    assert_eq!(v["area"], 1);
    // The console reaches every agency.
    let all = db.store.report_facts(None, &purpose(true)).await.unwrap();
    assert_eq!(all.cases.len(), 4);
    let last = db.store.audit_rows(head.seq + 1, 100).await.unwrap();
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].action, "report.export");
    assert_eq!(last[0].actor, None);
}

async fn only_report_roles_read_facts_and_only_exporters_export(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let err = db
        .store
        .report_facts(Some(&f.actor()), &purpose(false))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Denied(ref m) if m.contains("report.read")),
        "{err}"
    );
    let sup = officer(&db, &f, SUPERVISOR, "sup@example.org").await;
    db.store
        .report_facts(Some(&sup), &purpose(false))
        .await
        .unwrap();
    let err = db
        .store
        .report_facts(Some(&sup), &purpose(true))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Denied(ref m) if m.contains("report.export")),
        "{err}"
    );
}

fn pledge(v: Value) -> PledgeDoc {
    let mut base = json!({"party": "government", "name": "Ministry of Interior", "area": 2,
        "indicator": "det_in_immigration_detention", "baseline": 40.0, "target": 0.0,
        "baseline_date": "2026-01-01", "due_date": "2027-01-01", "notes": "GCM pledge"});
    if let (Value::Object(b), Value::Object(e)) = (&mut base, v) {
        b.extend(e);
    }
    serde_json::from_value(base).unwrap()
}

async fn pledges_are_written_with_history_and_audit_and_refuse_stale_or_bad_input(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let data = officer(&db, &f, DATA_OFFICER, "data@example.org").await;
    let err = db
        .store
        .create_pledge(&f.actor(), pledge(json!({})))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Denied(ref m) if m.contains("pledge.manage")),
        "{err}"
    );
    let head = db.store.audit_head().await.unwrap();
    let err = db
        .store
        .create_pledge(&data, pledge(json!({"area": 1, "due_date": "2025-01-01"})))
        .await
        .unwrap_err();
    let StoreError::Invalid(p) = err else {
        panic!("{err}")
    };
    let fields: Vec<&str> = p.errors().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(fields, ["indicator", "due_date"]);
    assert_eq!(
        db.store.audit_head().await.unwrap().seq,
        head.seq,
        "nothing written"
    );

    let created = db
        .store
        .create_pledge(&data, pledge(json!({})))
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    let err = db
        .store
        .update_pledge(&data, created.id, 2, &json!({"target": 5.0}))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { current: 1 }), "{err}");
    let updated = db
        .store
        .update_pledge(&data, created.id, 1, &json!({"target": 5.0, "notes": null}))
        .await
        .unwrap();
    assert_eq!(updated.version, 2);
    assert_eq!(updated.doc.target, 5.0);
    assert_eq!(updated.doc.notes, None);
    let err = db
        .store
        .update_pledge(&data, created.id, 2, &json!({"indicator": "nope"}))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    let got = db
        .store
        .get_pledge(&data, created.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, updated);
    let sup = officer(&db, &f, SUPERVISOR, "sup@example.org").await;
    assert_eq!(
        db.store.pledges(&sup).await.unwrap().len(),
        1,
        "report readers see pledges"
    );
    assert!(db.store.pledges(&f.actor()).await.is_err());
    let actions: Vec<String> = db
        .store
        .audit_rows(head.seq, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .filter(|a| a.starts_with("pledge."))
        .collect();
    assert_eq!(
        actions,
        [
            "pledge.create",
            "pledge.update",
            "pledge.view",
            "pledge.list"
        ]
    );
    let history = db
        .raw_texts(&format!(
            "SELECT action FROM record_history WHERE record_type = 'pledge' AND record_id = '{}' ORDER BY version",
            created.id
        ))
        .await;
    assert_eq!(history, ["create", "update"]);
}
