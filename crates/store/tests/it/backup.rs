//! Online backups: SQLite copies itself; PostgreSQL says to use pg_dump.

use std::sync::Arc;

use haven_domain::clock::FixedClock;
use haven_store::audit::{Verification, verify};
use haven_store::{CaseFilter, PageRequest, StoreError};
use serde_json::json;

use crate::store_tests;
use crate::support::{Kind, TestClock, TestDb, doc, fixture};

store_tests!(backup_copies_everything_and_refuses_to_overwrite);

async fn backup_copies_everything_and_refuses_to_overwrite(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    for name in ["أمل", "Алёна", "ሰላም"] {
        db.store
            .create_case(&f.actor(), doc(json!({"given_name": name})))
            .await
            .unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("backup.db");
    if db.kind() == Kind::Postgres {
        let err = db.store.backup_to(&target).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Unsupported(m) if m.contains("pg_dump")),
            "{err:?}"
        );
        return;
    }
    db.store.backup_to(&target).await.unwrap();
    let err = db.store.backup_to(&target).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Config(m) if m.contains("already exists")),
        "{err:?}"
    );

    let copy = haven_store::open(
        &format!("sqlite://{}", target.display()),
        Arc::new(FixedClock(TestClock::START)),
        db.sealer.clone(),
    )
    .await
    .unwrap();
    assert_eq!(
        verify(copy.as_ref()).await.unwrap(),
        Verification::Intact { entries: 8 }
    );
    assert_eq!(
        copy.audit_head().await.unwrap(),
        db.store.audit_head().await.unwrap()
    );
    let page = copy
        .list_cases(&f.reader(), &CaseFilter::default(), &PageRequest::first(10))
        .await
        .unwrap();
    let names: Vec<_> = page
        .items
        .iter()
        .filter_map(|c| c.doc.given_name.clone())
        .collect();
    assert_eq!(names, ["ሰላም", "Алёна", "أمل"]);
}
