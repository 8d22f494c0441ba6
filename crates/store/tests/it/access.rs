//! Scopes, groups, roles, locks, second factors, break-the-glass and re-sealing, on both backends.

use haven_domain::access::{CASEWORKER, PermissionSet, RoleSpec, SUPERVISOR, ScopeLevel};
use haven_domain::sensitivity::RecordKind;
use haven_domain::user::Actor;
use haven_store::{CaseFilter, PageRequest, StoreError};
use serde_json::json;
use time::Duration;

use crate::store_tests;
use crate::support::{TestDb, doc, fixture, new_user};

store_tests!(
    scopes_reach_own_group_and_agency_records,
    roles_are_data_and_granted_only_by_those_holding_them,
    failed_logins_lock_for_a_growing_time_and_alert_once,
    a_totp_step_is_accepted_once,
    break_the_glass_opens_one_record_until_it_expires,
    reseal_rewrites_every_sealed_value_under_the_active_key,
);

async fn count(db: &TestDb, actor: &Actor) -> usize {
    db.store
        .list_cases(actor, &CaseFilter::default(), &PageRequest::first(100))
        .await
        .unwrap()
        .items
        .len()
}

async fn scopes_reach_own_group_and_agency_records(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let s = db.store.as_ref();
    let teammate = s
        .create_user(None, new_user("mate@example.org", f.agency.id, CASEWORKER))
        .await
        .unwrap();
    let supervisor = s
        .create_user(None, new_user("super@example.org", f.agency.id, SUPERVISOR))
        .await
        .unwrap();
    let group = s.create_group(None, f.agency.id, "Team").await.unwrap();
    s.set_group_members(None, group.id, &[f.worker.id, supervisor.id])
        .await
        .unwrap();
    let mine = s
        .create_case(&f.actor(), doc(json!({"given_name": "Mine"})))
        .await
        .unwrap();
    s.create_case(
        &Actor::from(&teammate),
        doc(json!({"given_name": "Theirs"})),
    )
    .await
    .unwrap();
    s.create_case(&f.other_actor(), doc(json!({"given_name": "Elsewhere"})))
        .await
        .unwrap();

    assert_eq!(count(&db, &f.actor()).await, 1, "own");
    assert_eq!(
        count(&db, &Actor::from(&supervisor)).await,
        1,
        "group: the worker's case"
    );
    assert_eq!(count(&db, &f.reader()).await, 2, "agency");
    let sup = Actor::from(&supervisor);
    assert!(s.get_case(&sup, mine.id).await.unwrap().is_some());
    // The teammate is not in the group: nothing of the worker's is theirs to see.
    let mate = Actor::from(&teammate);
    assert!(s.get_case(&mate, mine.id).await.unwrap().is_none());
    let err = s
        .update_case(&mate, mine.id, 1, &json!({"risk_level": "high"}))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    // Group members are users of the group's agency only.
    let err = s
        .set_group_members(None, group.id, &[f.other_worker.id])
        .await
        .unwrap_err();
    let StoreError::Invalid(p) = err else {
        panic!("{err:?}")
    };
    assert_eq!(p.errors()[0].path, "members.0");
}

async fn roles_are_data_and_granted_only_by_those_holding_them(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let s = db.store.as_ref();
    let names: Vec<String> = s
        .roles()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(
        names,
        [
            "agency_admin",
            "caseworker",
            "data_officer",
            "supervisor",
            "system_admin",
            "tracing_officer"
        ]
    );
    let reader = RoleSpec {
        name: "reader".into(),
        description: "Reads the agency's cases".into(),
        permissions: [haven_domain::access::Permission::CaseRead]
            .into_iter()
            .collect(),
        scope: ScopeLevel::Agency,
        sees: haven_domain::access::FieldClassSet::NONE,
    };
    // The agency admin may not define roles at all; the console may.
    let err = s
        .save_role(Some(&f.reader()), reader.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Denied(_)), "{err:?}");
    s.save_role(None, reader.clone()).await.unwrap();
    let user = s
        .create_user(
            Some(&f.reader()),
            new_user("r@example.org", f.agency.id, "reader"),
        )
        .await
        .unwrap();
    assert_eq!(user.role, reader);
    // A caseworker cannot hand out a role, even one within their own.
    let err = s
        .set_user_role(Some(&f.actor()), user.id, CASEWORKER)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Denied(_)), "{err:?}");
    // Reading through the new role: agency cases, names hidden by the web layer, not here.
    s.create_case(&f.actor(), doc(json!({"given_name": "Amal"})))
        .await
        .unwrap();
    assert_eq!(count(&db, &Actor::from(&user)).await, 1);
    let limited = Actor::from(&user).narrowed(PermissionSet::EMPTY);
    let err = s
        .list_cases(&limited, &CaseFilter::default(), &PageRequest::first(5))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Denied(_)), "{err:?}");
}

async fn failed_logins_lock_for_a_growing_time_and_alert_once(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let s = db.store.as_ref();
    for n in 1..=4 {
        let r = s.login_failed(f.worker.id).await.unwrap();
        assert_eq!((r.failures, r.locked_until), (n, None));
    }
    let fifth = s.login_failed(f.worker.id).await.unwrap();
    assert_eq!(
        fifth.locked_until,
        Some(db.clock_now() + Duration::seconds(30))
    );
    let sixth = s.login_failed(f.worker.id).await.unwrap();
    assert_eq!(
        sixth.locked_until,
        Some(db.clock_now() + Duration::seconds(60))
    );
    let creds = s
        .user_by_email("worker@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(creds.locked_until, sixth.locked_until);
    let alerts = s.alerts(&f.reader()).await.unwrap();
    assert_eq!(
        alerts.len(),
        1,
        "one alert for the run, not one per failure"
    );
    assert_eq!(alerts[0].kind, "login_failures");
    assert_eq!(alerts[0].subject_user, Some(f.worker.id));
    assert!(
        s.alerts(&f.actor()).await.unwrap().is_empty(),
        "not for caseworkers"
    );
    s.login_succeeded(f.worker.id).await.unwrap();
    let creds = s
        .user_by_email("worker@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(creds.locked_until, None);
}

async fn a_totp_step_is_accepted_once(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let s = db.store.as_ref();
    assert!(
        !s.accept_totp_step(f.worker.id, 10).await.unwrap(),
        "no second factor yet"
    );
    s.set_totp(f.worker.id, "JBSWY3DPEHPK3PXP", &["d1".into(), "d2".into()])
        .await
        .unwrap();
    let stored = s.totp(f.worker.id).await.unwrap().unwrap();
    assert_eq!(stored.secret, "JBSWY3DPEHPK3PXP");
    assert!(s.accept_totp_step(f.worker.id, 10).await.unwrap());
    assert!(
        !s.accept_totp_step(f.worker.id, 10).await.unwrap(),
        "replayed"
    );
    assert!(!s.accept_totp_step(f.worker.id, 9).await.unwrap(), "older");
    assert!(s.accept_totp_step(f.worker.id, 11).await.unwrap());
    assert!(s.use_recovery_code(f.worker.id, "d1").await.unwrap());
    assert!(!s.use_recovery_code(f.worker.id, "d1").await.unwrap());
    assert!(
        s.user_by_id(f.worker.id)
            .await
            .unwrap()
            .unwrap()
            .mfa_enrolled
    );
}

async fn break_the_glass_opens_one_record_until_it_expires(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let s = db.store.as_ref();
    let theirs = s
        .create_case(&f.other_actor(), doc(json!({"given_name": "Far"})))
        .await
        .unwrap();
    let me = f.actor();
    assert!(s.get_case(&me, theirs.id).await.unwrap().is_none());
    let grant = s
        .break_glass(
            &me,
            RecordKind::Case,
            theirs.id.0,
            "Police report a child matching this case at the border",
            Duration::hours(1),
        )
        .await
        .unwrap();
    assert_eq!(grant.expires_at, db.clock_now() + Duration::hours(1));
    assert!(s.get_case(&me, theirs.id).await.unwrap().is_some());
    assert_eq!(count(&db, &me).await, 1, "the opened case lists too");
    db.clock.advance(Duration::minutes(61));
    assert!(
        s.get_case(&me, theirs.id).await.unwrap().is_none(),
        "expired"
    );
    let err = s
        .break_glass(
            &me,
            RecordKind::Case,
            uuid::Uuid::new_v4(),
            "No such record exists here",
            Duration::hours(1),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let actions: Vec<String> = s
        .audit_rows(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert!(actions.contains(&"record.break_glass".to_string()));
    assert!(actions.contains(&"authorization.failure".to_string()));
}

async fn reseal_rewrites_every_sealed_value_under_the_active_key(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let s = db.store.as_ref();
    let c = s
        .create_case(
            &f.actor(),
            doc(json!({"given_name": "Amal", "family_name": "Haddad"})),
        )
        .await
        .unwrap();
    s.update_case(&f.actor(), c.id, 1, &json!({"given_name": "Amala"}))
        .await
        .unwrap();
    s.set_totp(f.worker.id, "JBSWY3DPEHPK3PXP", &[])
        .await
        .unwrap();
    let done = s.reseal_all().await.unwrap();
    assert_eq!(
        (done.records, done.history_entries, done.secrets),
        (1, 2, 1)
    );
    let read = s.get_case(&f.actor(), c.id).await.unwrap().unwrap();
    assert_eq!(read.doc.given_name.as_deref(), Some("Amala"));
    let history = s.case_history(&f.actor(), c.id).await.unwrap().unwrap();
    assert_eq!(history[1].changes[0].to, json!("Amala"));
    assert_eq!(
        s.totp(f.worker.id).await.unwrap().unwrap().secret,
        "JBSWY3DPEHPK3PXP"
    );
    assert_eq!(
        haven_store::audit::verify(s).await.unwrap(),
        haven_store::audit::Verification::Intact {
            entries: s.audit_head().await.unwrap().seq
        }
    );
}
