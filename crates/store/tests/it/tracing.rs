//! The write door and scoped reads of tracing requests: the same rules as cases.

use std::collections::HashSet;

use haven_domain::ids::TracingRequestId;
use haven_domain::tracing_request::{RequestStatus, TracingRequestDoc, doc_from_json};
use haven_store::{PageRequest, StoreError, TracingRequestFilter};
use serde_json::{Value, json};
use time::Duration;

use crate::store_tests;
use crate::support::{TestDb, assert_nothing_written_since, fixture};

store_tests!(
    tracing_request_round_trips_with_names_in_any_script,
    tracing_create_writes_history_and_audit_without_names,
    tracing_update_applies_patch_and_records_history,
    tracing_stale_update_conflicts_and_changes_nothing,
    tracing_requests_out_of_scope_are_not_found_and_invisible,
    tracing_invalid_input_writes_nothing,
    tracing_list_filters_and_pages,
    case_and_request_histories_stay_apart,
);

fn request(v: Value) -> TracingRequestDoc {
    doc_from_json(v).unwrap()
}

fn simple(child: &str, pcode: &str) -> TracingRequestDoc {
    request(json!({
        "inquirer": {"given_name": "Fatima", "family_name": "Haddad", "relation": "mother"},
        "child": {"given_name": child},
        "separation": {"place": {"pcode": pcode}},
    }))
}

async fn tracing_request_round_trips_with_names_in_any_script(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let created = db
        .store
        .create_tracing_request(
            &f.actor(),
            request(json!({
                "inquirer": {"given_name": "ፍረወይኒ", "family_name": "ተስፋይ", "relation": "mother",
                             "contact": "+000 12 345 6789", "location": {"pcode": "it9101"}},
                "child": {"given_name": "أمل", "family_name": "Haddad", "other_names": ["Алёна", "Zoë"],
                          "sex": "female", "estimated_age": {"years": 9}, "nationality": "sy"},
                "separation": {"date": "2025-03", "place": {"pcode": "ly", "name": "طرابلس"},
                               "circumstances": ["lost_in_transit"]},
            })),
        )
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    assert_eq!(created.status, RequestStatus::Open);
    assert_eq!(created.agency_id, f.agency.id);
    assert_eq!(created.created_by, f.worker.id);
    assert_eq!(created.created_at, db.clock_now());
    let today = db.clock_now().date().to_string();
    assert_eq!(created.doc.date_of_inquiry.as_deref(), Some(today.as_str()));
    assert_eq!(
        created
            .doc
            .child
            .estimated_age
            .as_ref()
            .and_then(|e| e.estimated_on.as_deref()),
        Some(today.as_str())
    );

    let got = db
        .store
        .get_tracing_request(&f.reader(), created.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, created);
    assert_eq!(got.doc.inquirer.given_name.as_deref(), Some("ፍረወይኒ"));
    assert_eq!(got.doc.child.given_name.as_deref(), Some("أمل"));
    assert_eq!(got.doc.child.other_names, ["Алёна", "Zoë"]);
    let place = got.doc.separation.place.as_ref().unwrap();
    assert_eq!(place.pcode.as_deref(), Some("LY"));
    assert_eq!(place.name.as_deref(), Some("طرابلس"));
    assert!(
        db.store
            .get_tracing_request(&f.reader(), TracingRequestId::new_random())
            .await
            .unwrap()
            .is_none()
    );
}

async fn tracing_create_writes_history_and_audit_without_names(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let before = db.store.audit_head().await.unwrap();
    let r = db
        .store
        .create_tracing_request(
            &f.actor(),
            request(json!({
                "inquirer": {"given_name": "Самира", "relation": "aunt_uncle", "contact": "+000 99"},
                "child": {"given_name": "Amal", "family_name": "Haddad"},
            })),
        )
        .await
        .unwrap();

    let history = db
        .store
        .tracing_request_history(&f.reader(), r.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].version, 1);
    assert_eq!(history[0].action, "create");
    assert_eq!(history[0].actor_id, f.worker.id);
    assert_eq!(history[0].at, db.clock_now());
    let fields: Vec<&str> = history[0]
        .changes
        .iter()
        .map(|c| c.field.as_str())
        .collect();
    assert_eq!(fields, ["inquirer", "child", "date_of_inquiry"]);
    assert_eq!(history[0].changes[1].to["given_name"], json!("Amal"));

    let head = db.store.audit_head().await.unwrap();
    assert_eq!(
        head.seq,
        before.seq + 2,
        "one audit entry in the write's transaction, then the history view"
    );
    let rows = db.store.audit_rows(before.seq, 10).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].action, "tracing_request.history");
    let row = &rows[0];
    assert_eq!(row.action, "tracing_request.create");
    assert_eq!(row.actor.as_deref(), Some(f.worker.id.to_string().as_str()));
    assert_eq!(row.target_type.as_deref(), Some("tracing_request"));
    assert_eq!(row.target_id.as_deref(), Some(r.id.to_string().as_str()));
    assert_eq!(row.hash, rows[1].prev_hash);
    assert!(row.details.contains("inquirer"));
    for secret in ["Самира", "Amal", "Haddad", "+000 99"] {
        assert!(!row.details.contains(secret), "{}", row.details);
    }
}

async fn tracing_update_applies_patch_and_records_history(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let r = db
        .store
        .create_tracing_request(&f.actor(), simple("Amal", "SY01"))
        .await
        .unwrap();
    db.clock.advance(Duration::minutes(5));
    let u = db
        .store
        .update_tracing_request(
            &f.actor(),
            r.id,
            1,
            &json!({"separation": {"place": {"pcode": "LB9101"}, "circumstances": ["flight"]}}),
        )
        .await
        .unwrap();
    assert_eq!(u.version, 2);
    assert_eq!(u.updated_at, db.clock_now());
    assert_eq!(u.created_at, r.created_at);
    assert_eq!(u.doc.separation.circumstances, ["flight"]);
    assert_eq!(u.doc.child.given_name.as_deref(), Some("Amal"));
    let got = db
        .store
        .get_tracing_request(&f.reader(), r.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, u);

    let history = db
        .store
        .tracing_request_history(&f.reader(), r.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        history.iter().map(|h| h.version).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(history[1].action, "update");
    assert_eq!(history[1].changes.len(), 1);
    assert_eq!(history[1].changes[0].field, "separation");
    let rows = db.store.audit_rows(0, 100).await.unwrap();
    let last_write = rows
        .iter()
        .rev()
        .find(|r| !r.action.ends_with(".view") && !r.action.ends_with(".history"));
    assert_eq!(
        last_write.map(|r| r.action.as_str()),
        Some("tracing_request.update")
    );

    // The index column follows the update.
    let lebanon = TracingRequestFilter {
        location_prefix: Some("LB".into()),
        ..TracingRequestFilter::default()
    };
    let listed = db
        .store
        .list_tracing_requests(&f.reader(), &lebanon, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);

    // A patch that changes nothing writes nothing.
    let head = db.store.audit_head().await.unwrap();
    let same = db
        .store
        .update_tracing_request(
            &f.actor(),
            r.id,
            2,
            &json!({"child": {"given_name": "Amal"}}),
        )
        .await
        .unwrap();
    assert_eq!(same, u);
    assert_nothing_written_since(&db, &head).await;
}

async fn tracing_stale_update_conflicts_and_changes_nothing(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let r = db
        .store
        .create_tracing_request(&f.actor(), simple("Amal", "SY01"))
        .await
        .unwrap();
    db.store
        .update_tracing_request(&f.actor(), r.id, 1, &json!({"child": {"sex": "female"}}))
        .await
        .unwrap();
    let head = db.store.audit_head().await.unwrap();
    let err = db
        .store
        .update_tracing_request(&f.actor(), r.id, 1, &json!({"child": {"sex": "male"}}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { current: 2 }),
        "{err:?}"
    );
    let now = db
        .store
        .get_tracing_request(&f.reader(), r.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.version, 2);
    assert_eq!(now.doc.child.sex.as_deref(), Some("female"));
    assert_nothing_written_since(&db, &head).await;
}

async fn tracing_requests_out_of_scope_are_not_found_and_invisible(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let r = db
        .store
        .create_tracing_request(&f.actor(), simple("Amal", "SY01"))
        .await
        .unwrap();
    let theirs = &f.other_actor();
    assert!(
        db.store
            .get_tracing_request(theirs, r.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.store
            .tracing_request_history(theirs, r.id)
            .await
            .unwrap()
            .is_none()
    );
    let listed = db
        .store
        .list_tracing_requests(
            theirs,
            &TracingRequestFilter::default(),
            &PageRequest::first(10),
        )
        .await
        .unwrap();
    assert!(listed.items.is_empty());
    // Asking for the other agency explicitly does not widen the scope.
    let mine_from_theirs = TracingRequestFilter {
        agency_id: Some(f.agency.id),
        ..TracingRequestFilter::default()
    };
    let listed = db
        .store
        .list_tracing_requests(theirs, &mine_from_theirs, &PageRequest::first(10))
        .await
        .unwrap();
    assert!(listed.items.is_empty());

    let head = db.store.audit_head().await.unwrap();
    let err = db
        .store
        .update_tracing_request(
            &f.other_actor(),
            r.id,
            1,
            &json!({"child": {"sex": "male"}}),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = db
        .store
        .update_tracing_request(
            &f.actor(),
            TracingRequestId::new_random(),
            1,
            &json!({"child": {"sex": "male"}}),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert_nothing_written_since(&db, &head).await;
}

async fn tracing_invalid_input_writes_nothing(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let head = db.store.audit_head().await.unwrap();
    let err = db
        .store
        .create_tracing_request(
            &f.actor(),
            request(json!({
                "inquirer": {"relation": "neighbour"},
                "child": {"sex": "girl", "nationality": "XX"},
                "separation": {"circumstances": ["storm"]},
            })),
        )
        .await
        .unwrap_err();
    let StoreError::Invalid(p) = err else {
        panic!("expected invalid, got {err:?}");
    };
    let paths: Vec<&str> = p.errors().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "inquirer.relation",
            "inquirer.given_name",
            "child.given_name",
            "child.sex",
            "child.nationality",
            "separation.circumstances.0",
        ]
    );
    assert_nothing_written_since(&db, &head).await;
    let listed = db
        .store
        .list_tracing_requests(
            &f.reader(),
            &TracingRequestFilter::default(),
            &PageRequest::first(10),
        )
        .await
        .unwrap();
    assert!(listed.items.is_empty());

    // A bad patch leaves the request as it was.
    let r = db
        .store
        .create_tracing_request(&f.actor(), simple("Amal", "SY01"))
        .await
        .unwrap();
    let head = db.store.audit_head().await.unwrap();
    for patch in [
        json!({"child": {"given_name": null}}),
        json!({"date_of_inquiry": "2999-01-01"}),
        json!({"bogus": 1}),
        json!([1]),
    ] {
        let err = db
            .store
            .update_tracing_request(&f.actor(), r.id, 1, &patch)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{patch}: {err:?}");
    }
    assert_nothing_written_since(&db, &head).await;
    let now = db
        .store
        .get_tracing_request(&f.reader(), r.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now, r);
}

async fn tracing_list_filters_and_pages(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let scope = &f.reader();
    let mut ids = Vec::new();
    for i in 0..7 {
        let pcode = if i < 3 { "SY0203" } else { "AF01" };
        let r = db
            .store
            .create_tracing_request(&f.actor(), simple(&format!("Child {i}"), pcode))
            .await
            .unwrap();
        ids.push(r.id);
    }
    db.store
        .create_tracing_request(&f.other_actor(), simple("Theirs", "SY0203"))
        .await
        .unwrap();

    // Newest first, no duplicates or gaps across pages.
    let mut seen = Vec::new();
    let mut page = PageRequest::first(3);
    loop {
        let got = db
            .store
            .list_tracing_requests(scope, &TracingRequestFilter::default(), &page)
            .await
            .unwrap();
        seen.extend(got.items.iter().map(|r| r.id));
        match got.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    let expected: Vec<_> = ids.iter().rev().copied().collect();
    assert_eq!(seen, expected);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7);

    let count = |filter: TracingRequestFilter| {
        let store = db.store.clone();
        async move {
            store
                .list_tracing_requests(scope, &filter, &PageRequest::first(100))
                .await
                .unwrap()
                .items
                .len()
        }
    };
    let prefix = |p: &str| TracingRequestFilter {
        location_prefix: Some(p.into()),
        ..TracingRequestFilter::default()
    };
    assert_eq!(count(prefix("SY02")).await, 3);
    assert_eq!(count(prefix("sy")).await, 3);
    assert_eq!(count(prefix("AF0")).await, 4);
    assert_eq!(count(prefix("JO")).await, 0);
    let status = |s| TracingRequestFilter {
        status: Some(s),
        ..TracingRequestFilter::default()
    };
    assert_eq!(count(status(RequestStatus::Open)).await, 7);
    assert_eq!(count(status(RequestStatus::Closed)).await, 0);
    let agency = |a| TracingRequestFilter {
        agency_id: Some(a),
        ..TracingRequestFilter::default()
    };
    assert_eq!(count(agency(f.agency.id)).await, 7);
    assert_eq!(count(agency(f.other_agency.id)).await, 0);

    let bad = PageRequest {
        after: Some("garbage".into()),
        limit: 3,
    };
    let err = db
        .store
        .list_tracing_requests(scope, &TracingRequestFilter::default(), &bad)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
}

async fn case_and_request_histories_stay_apart(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let scope = &f.reader();
    let c = db
        .store
        .create_case(
            &f.actor(),
            haven_domain::case::doc_from_json(json!({"given_name": "Amal"})).unwrap(),
        )
        .await
        .unwrap();
    let r = db
        .store
        .create_tracing_request(&f.actor(), simple("Amal", "SY01"))
        .await
        .unwrap();
    // An id of one kind names nothing of the other kind.
    let as_request = TracingRequestId(c.id.0);
    assert!(
        db.store
            .tracing_request_history(scope, as_request)
            .await
            .unwrap()
            .is_none()
    );
    let case_history = db.store.case_history(scope, c.id).await.unwrap().unwrap();
    let request_history = db
        .store
        .tracing_request_history(scope, r.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(case_history.len(), 1);
    assert_eq!(request_history.len(), 1);
    assert_eq!(case_history[0].changes[0].field, "given_name");
    assert_eq!(request_history[0].changes[0].field, "inquirer");
    assert!(db.store.get_case(scope, c.id).await.unwrap().is_some());
}
