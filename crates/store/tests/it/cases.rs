//! The write door and scoped reads of cases.

use std::collections::HashSet;

use haven_domain::case::{CaseStatus, RiskLevel, SeparationStatus};
use haven_domain::ids::CaseId;
use haven_store::{CaseFilter, PageRequest, StoreError};
use serde_json::json;
use time::Duration;

use crate::store_tests;
use crate::support::{TestDb, assert_nothing_written_since, doc, fixture};

store_tests!(
    case_round_trips_with_names_in_any_script,
    create_writes_history_and_audit_without_names,
    update_applies_patch_and_records_history,
    update_that_changes_nothing_writes_nothing,
    stale_update_conflicts_and_changes_nothing,
    update_out_of_scope_is_not_found,
    other_agencies_cases_are_invisible,
    list_filters,
    list_pages_without_duplicates_or_gaps,
    list_refuses_bad_cursors_and_clamps_limits,
    invalid_create_writes_nothing,
    caseworker_of_another_agency_is_refused,
    undecodable_rows_are_corrupt_not_panics,
    concurrent_creates_all_succeed_and_chain_verifies,
);

async fn case_round_trips_with_names_in_any_script(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let created = db
        .store
        .create_case(
            &f.actor(),
            doc(json!({
                "given_name": "أمل",
                "family_name": "ገብረመድህን",
                "other_names": ["Алёна", "Zoë"],
                "sex": "female",
                "risk_level": "high",
                "separation_status": "unaccompanied",
                "location": {"pcode": "sy0203", "name": "حلب"},
            })),
        )
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    assert_eq!(created.status, CaseStatus::Open);
    assert_eq!(created.agency_id, f.agency.id);
    assert_eq!(created.created_by, f.worker.id);
    assert_eq!(created.created_at, db.clock_now());
    assert_eq!(
        created.doc.location.as_ref().unwrap().pcode.as_deref(),
        Some("SY0203")
    );

    let got = db
        .store
        .get_case(&f.reader(), created.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, created);
    assert_eq!(got.doc.given_name.as_deref(), Some("أمل"));
    assert_eq!(got.doc.family_name.as_deref(), Some("ገብረመድህን"));
    assert_eq!(got.doc.other_names, ["Алёна", "Zoë"]);
    assert!(
        db.store
            .get_case(&f.reader(), CaseId::new_random())
            .await
            .unwrap()
            .is_none()
    );
}

async fn create_writes_history_and_audit_without_names(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let before = db.store.audit_head().await.unwrap();
    let c = db
        .store
        .create_case(
            &f.actor(),
            doc(json!({"given_name": "Самира", "family_name": "Haddad"})),
        )
        .await
        .unwrap();

    let history = db
        .store
        .case_history(&f.reader(), c.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].version, 1);
    assert_eq!(history[0].action, "create");
    assert_eq!(history[0].actor_id, f.worker.id);
    assert_eq!(history[0].at, db.clock_now());
    assert_eq!(history[0].changes[0].field, "given_name");
    assert_eq!(history[0].changes[0].to, json!("Самира"));

    let head = db.store.audit_head().await.unwrap();
    assert_eq!(
        head.seq,
        before.seq + 2,
        "the creation, then the history view"
    );
    let rows = db.store.audit_rows(before.seq, 10).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].action, "case.history");
    assert_eq!(
        rows[1].actor.as_deref(),
        Some(f.admin.id.to_string().as_str())
    );
    let row = &rows[0];
    assert_eq!(row.action, "case.create");
    assert_eq!(row.actor.as_deref(), Some(f.worker.id.to_string().as_str()));
    assert_eq!(row.target_type.as_deref(), Some("case"));
    assert_eq!(row.target_id.as_deref(), Some(c.id.to_string().as_str()));
    assert_eq!(row.at, db.clock_now());
    assert_eq!(row.hash, rows[1].prev_hash);
    assert!(row.details.contains("given_name"));
    assert!(
        !row.details.contains("Самира") && !row.details.contains("Haddad"),
        "{}",
        row.details
    );
}

async fn update_applies_patch_and_records_history(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let c = db
        .store
        .create_case(
            &f.actor(),
            doc(json!({"given_name": "Amal", "risk_level": "low"})),
        )
        .await
        .unwrap();
    db.clock.advance(Duration::minutes(5));
    let u = db
        .store
        .update_case(&f.actor(), c.id, 1, &json!({"risk_level": "high"}))
        .await
        .unwrap();
    assert_eq!(u.version, 2);
    assert_eq!(u.updated_at, db.clock_now());
    assert_eq!(u.created_at, c.created_at);
    assert_eq!(u.doc.risk_level.as_deref(), Some("high"));
    assert_eq!(u.doc.given_name.as_deref(), Some("Amal"));
    let got = db.store.get_case(&f.reader(), c.id).await.unwrap().unwrap();
    assert_eq!(got, u);

    let history = db
        .store
        .case_history(&f.reader(), c.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        history.iter().map(|h| h.version).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(history[1].action, "update");
    assert_eq!(history[1].changes.len(), 1);
    assert_eq!(history[1].changes[0].from, json!("low"));
    assert_eq!(history[1].changes[0].to, json!("high"));
    let rows = db.store.audit_rows(0, 100).await.unwrap();
    let last_write = rows
        .iter()
        .rev()
        .find(|r| !r.action.ends_with(".view") && !r.action.ends_with(".history"));
    assert_eq!(last_write.map(|r| r.action.as_str()), Some("case.update"));

    let high = CaseFilter {
        risk_level: Some(RiskLevel::High),
        ..CaseFilter::default()
    };
    let listed = db
        .store
        .list_cases(&f.reader(), &high, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1, "the index columns follow the update");
}

async fn update_that_changes_nothing_writes_nothing(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let c = db
        .store
        .create_case(
            &f.actor(),
            doc(json!({"given_name": "Amal", "risk_level": "low"})),
        )
        .await
        .unwrap();
    let head = db.store.audit_head().await.unwrap();
    let same = db
        .store
        .update_case(&f.actor(), c.id, 1, &json!({"risk_level": "low"}))
        .await
        .unwrap();
    assert_eq!(same, c);
    assert_nothing_written_since(&db, &head).await;
    assert_eq!(
        db.store
            .case_history(&f.reader(), c.id)
            .await
            .unwrap()
            .unwrap()
            .len(),
        1
    );
}

async fn stale_update_conflicts_and_changes_nothing(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let c = db
        .store
        .create_case(&f.actor(), doc(json!({"given_name": "Amal"})))
        .await
        .unwrap();
    db.store
        .update_case(&f.actor(), c.id, 1, &json!({"risk_level": "medium"}))
        .await
        .unwrap();
    let head = db.store.audit_head().await.unwrap();
    let err = db
        .store
        .update_case(&f.actor(), c.id, 1, &json!({"risk_level": "high"}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { current: 2 }),
        "{err:?}"
    );
    let got = db.store.get_case(&f.reader(), c.id).await.unwrap().unwrap();
    assert_eq!(got.version, 2);
    assert_eq!(got.doc.risk_level.as_deref(), Some("medium"));
    assert_nothing_written_since(&db, &head).await;
    assert_eq!(
        db.store
            .case_history(&f.reader(), c.id)
            .await
            .unwrap()
            .unwrap()
            .len(),
        2
    );
}

async fn update_out_of_scope_is_not_found(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let c = db
        .store
        .create_case(&f.actor(), doc(json!({"given_name": "Amal"})))
        .await
        .unwrap();
    let head = db.store.audit_head().await.unwrap();
    let err = db
        .store
        .update_case(&f.other_actor(), c.id, 1, &json!({"risk_level": "high"}))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = db
        .store
        .update_case(&f.actor(), CaseId::new_random(), 1, &json!({}))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert_eq!(
        db.store.get_case(&f.reader(), c.id).await.unwrap().unwrap(),
        c
    );
    assert_nothing_written_since(&db, &head).await;
}

async fn other_agencies_cases_are_invisible(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let c = db
        .store
        .create_case(&f.actor(), doc(json!({"given_name": "Amal"})))
        .await
        .unwrap();
    let theirs = &f.other_actor();
    assert!(db.store.get_case(theirs, c.id).await.unwrap().is_none());
    assert!(db.store.case_history(theirs, c.id).await.unwrap().is_none());
    let page = db
        .store
        .list_cases(theirs, &CaseFilter::default(), &PageRequest::first(50))
        .await
        .unwrap();
    assert!(page.items.is_empty() && page.next.is_none());
    // Asking for the other agency in the filter does not widen the scope.
    let sneaky = CaseFilter {
        agency_id: Some(f.agency.id),
        ..CaseFilter::default()
    };
    let page = db
        .store
        .list_cases(theirs, &sneaky, &PageRequest::first(50))
        .await
        .unwrap();
    assert!(page.items.is_empty());
    let ours = db
        .store
        .list_cases(&f.reader(), &sneaky, &PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(ours.items.len(), 1);
}

async fn list_filters(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let a = f.actor();
    let mk = |risk: &str, sep: &str, pcode: &str| {
        doc(
            json!({"given_name": "X", "risk_level": risk, "separation_status": sep, "location": {"pcode": pcode}}),
        )
    };
    let c1 = db
        .store
        .create_case(&a, mk("high", "unaccompanied", "SY02"))
        .await
        .unwrap();
    let c2 = db
        .store
        .create_case(&a, mk("high", "separated", "SY0203"))
        .await
        .unwrap();
    let c3 = db
        .store
        .create_case(&a, mk("low", "unaccompanied", "SY0301"))
        .await
        .unwrap();
    let c4 = db
        .store
        .create_case(&a, mk("medium", "accompanied", "IQ02"))
        .await
        .unwrap();
    db.store
        .create_case(&f.other_actor(), mk("high", "unaccompanied", "SY02"))
        .await
        .unwrap();

    let scope = &f.reader();
    let ids = |filter: CaseFilter| {
        let store = db.store.clone();
        async move {
            store
                .list_cases(scope, &filter, &PageRequest::first(100))
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        ids(CaseFilter::default()).await,
        [c4.id, c3.id, c2.id, c1.id],
        "newest first"
    );
    assert_eq!(
        ids(CaseFilter {
            risk_level: Some(RiskLevel::High),
            ..Default::default()
        })
        .await,
        [c2.id, c1.id]
    );
    assert_eq!(
        ids(CaseFilter {
            separation_status: Some(SeparationStatus::Unaccompanied),
            ..Default::default()
        })
        .await,
        [c3.id, c1.id]
    );
    assert_eq!(
        ids(CaseFilter {
            location_prefix: Some("SY02".into()),
            ..Default::default()
        })
        .await,
        [c2.id, c1.id]
    );
    assert_eq!(
        ids(CaseFilter {
            location_prefix: Some("sy".into()),
            ..Default::default()
        })
        .await,
        [c3.id, c2.id, c1.id]
    );
    assert_eq!(
        ids(CaseFilter {
            location_prefix: Some("SY020".into()),
            ..Default::default()
        })
        .await,
        [c2.id]
    );
    assert_eq!(
        ids(CaseFilter {
            location_prefix: Some("SY%".into()),
            ..Default::default()
        })
        .await,
        []
    );
    assert_eq!(
        ids(CaseFilter {
            status: Some(CaseStatus::Open),
            ..Default::default()
        })
        .await
        .len(),
        4
    );
    assert_eq!(
        ids(CaseFilter {
            status: Some(CaseStatus::Closed),
            ..Default::default()
        })
        .await,
        []
    );
    assert_eq!(
        ids(CaseFilter {
            risk_level: Some(RiskLevel::High),
            separation_status: Some(SeparationStatus::Unaccompanied),
            location_prefix: Some("SY".into()),
            ..Default::default()
        })
        .await,
        [c1.id]
    );
}

async fn list_pages_without_duplicates_or_gaps(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let mut created = Vec::new();
    for i in 0..23 {
        let c = db
            .store
            .create_case(&f.actor(), doc(json!({"given_name": format!("Child {i}")})))
            .await
            .unwrap();
        created.push(c.id);
    }
    created.reverse();
    let scope = &f.reader();
    let mut seen = Vec::new();
    let mut page = PageRequest::first(5);
    let mut pages = 0;
    loop {
        let got = db
            .store
            .list_cases(scope, &CaseFilter::default(), &page)
            .await
            .unwrap();
        assert!(got.items.len() <= 5);
        seen.extend(got.items.iter().map(|c| c.id));
        pages += 1;
        match got.next {
            Some(next) => {
                page = PageRequest {
                    after: Some(next),
                    limit: 5,
                }
            }
            None => break,
        }
    }
    assert_eq!(pages, 5);
    assert_eq!(seen, created);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 23);

    // An exact multiple of the page size ends without an empty extra page.
    let mut page = PageRequest::first(23);
    let got = db
        .store
        .list_cases(scope, &CaseFilter::default(), &page)
        .await
        .unwrap();
    assert_eq!(got.items.len(), 23);
    assert!(got.next.is_none());
    page.limit = 22;
    let got = db
        .store
        .list_cases(scope, &CaseFilter::default(), &page)
        .await
        .unwrap();
    let rest = db
        .store
        .list_cases(
            scope,
            &CaseFilter::default(),
            &PageRequest {
                after: got.next,
                limit: 22,
            },
        )
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert!(rest.next.is_none());
}

async fn list_refuses_bad_cursors_and_clamps_limits(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    for _ in 0..3 {
        db.store
            .create_case(&f.actor(), doc(json!({"given_name": "A"})))
            .await
            .unwrap();
    }
    let scope = &f.reader();
    let bad = PageRequest {
        after: Some("nonsense".into()),
        limit: 10,
    };
    let err = db
        .store
        .list_cases(scope, &CaseFilter::default(), &bad)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let zero = db
        .store
        .list_cases(scope, &CaseFilter::default(), &PageRequest::first(0))
        .await
        .unwrap();
    assert_eq!(zero.items.len(), 3, "0 means the default page size");
    let huge = db
        .store
        .list_cases(scope, &CaseFilter::default(), &PageRequest::first(u32::MAX))
        .await
        .unwrap();
    assert_eq!(huge.items.len(), 3);
}

async fn invalid_create_writes_nothing(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let head = db.store.audit_head().await.unwrap();
    let err = db
        .store
        .create_case(
            &f.actor(),
            doc(json!({"given_name": "Amal", "nationality": "XX"})),
        )
        .await
        .unwrap_err();
    let StoreError::Invalid(problems) = err else {
        panic!("expected Invalid, got {err:?}")
    };
    assert_eq!(problems.errors()[0].path, "nationality");
    let err = db
        .store
        .create_case(&f.actor(), doc(json!({})))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let page = db
        .store
        .list_cases(&f.reader(), &CaseFilter::default(), &PageRequest::first(10))
        .await
        .unwrap();
    assert!(page.items.is_empty());
    assert_nothing_written_since(&db, &head).await;
}

async fn caseworker_of_another_agency_is_refused(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let head = db.store.audit_head().await.unwrap();
    let foreign = f.other_worker.id.to_string();
    let err = db
        .store
        .create_case(
            &f.reader(),
            doc(json!({"given_name": "Amal", "caseworker_id": foreign})),
        )
        .await
        .unwrap_err();
    let StoreError::Invalid(problems) = err else {
        panic!("expected Invalid, got {err:?}")
    };
    assert_eq!(problems.errors()[0].path, "caseworker_id");
    assert_nothing_written_since(&db, &head).await;
    let page = db
        .store
        .list_cases(&f.reader(), &CaseFilter::default(), &PageRequest::first(10))
        .await
        .unwrap();
    assert!(page.items.is_empty());

    // Naming a colleague works; moving the case to a foreign caseworker does not.
    let admin = f.admin.id.to_string();
    let c = db
        .store
        .create_case(
            &f.reader(),
            doc(json!({"given_name": "Amal", "caseworker_id": admin})),
        )
        .await
        .unwrap();
    assert_eq!(c.doc.caseworker_id.as_deref(), Some(admin.as_str()));
    let err = db
        .store
        .update_case(&f.reader(), c.id, 1, &json!({"caseworker_id": foreign}))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert_eq!(
        db.store
            .get_case(&f.reader(), c.id)
            .await
            .unwrap()
            .unwrap()
            .version,
        1
    );
}

async fn undecodable_rows_are_corrupt_not_panics(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let scope = &f.reader();
    let c = db
        .store
        .create_case(&f.actor(), doc(json!({"given_name": "Amal"})))
        .await
        .unwrap();
    db.raw(&format!(
        "UPDATE cases SET body = '{{not json' WHERE id = '{}'",
        c.id
    ))
    .await
    .unwrap();
    let err = db.store.get_case(scope, c.id).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    let err = db
        .store
        .list_cases(scope, &CaseFilter::default(), &PageRequest::first(10))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");

    let d = db
        .store
        .create_case(&f.actor(), doc(json!({"given_name": "Amal"})))
        .await
        .unwrap();
    db.raw(&format!(
        "UPDATE cases SET status = 'lost' WHERE id = '{}'",
        d.id
    ))
    .await
    .unwrap();
    let err = db.store.get_case(scope, d.id).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");

    db.raw(&format!(
        "UPDATE users SET role = 'overlord' WHERE id = '{}'",
        f.admin.id
    ))
    .await
    .unwrap();
    let err = db.store.user_by_id(f.admin.id).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");

    if db.kind() == crate::support::Kind::Sqlite {
        db.raw(&format!(
            "UPDATE cases SET status = 'open', created_at = 'yesterday' WHERE id = '{}'",
            d.id
        ))
        .await
        .unwrap();
        let err = db.store.get_case(scope, d.id).await.unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    }
}

async fn concurrent_creates_all_succeed_and_chain_verifies(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = db.store.clone();
        let actor = f.actor();
        tasks.push(tokio::spawn(async move {
            store
                .create_case(&actor, doc(json!({"given_name": format!("Child {i}")})))
                .await
        }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap().unwrap().id);
    }
    assert_eq!(ids.len(), 20);
    let page = db
        .store
        .list_cases(
            &f.reader(),
            &CaseFilter::default(),
            &PageRequest::first(100),
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 20);
    let v = haven_store::audit::verify(db.store.as_ref()).await.unwrap();
    assert_eq!(
        v,
        haven_store::audit::Verification::Intact {
            entries: 5 + 20 + 1
        }
    );
}
