//! The hash-chained audit log: intact after real writes, and every kind of tampering is caught.

use haven_domain::audit::{AuditAction, AuditEvent};
use haven_store::audit::{Verification, verify};
use serde_json::json;
use time::Duration;

use crate::store_tests;
use crate::support::{Kind, TestDb, doc, fixture};

store_tests!(
    chain_is_intact_after_a_series_of_writes,
    the_trigger_refuses_update_and_delete,
    altering_a_row_is_caught_at_that_entry,
    deleting_a_middle_row_is_caught,
    swapping_two_rows_is_caught,
    deleting_the_newest_rows_is_caught_by_the_head,
);

/// Ten entries: 5 from the fixture, 2 cases, 1 update, 2 stand-alone events.
async fn ten_entries(db: &TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let c = db
        .store
        .create_case(&f.actor(), doc(json!({"given_name": "Amal"})))
        .await
        .unwrap();
    db.clock.advance(Duration::seconds(1));
    db.store
        .create_case(&f.actor(), doc(json!({"given_name": "Bilal"})))
        .await
        .unwrap();
    db.store
        .update_case(&f.actor(), c.id, 1, &json!({"risk_level": "high"}))
        .await
        .unwrap();
    db.clock.advance(Duration::milliseconds(1500));
    db.store
        .append_audit(AuditEvent::new(
            Some(f.worker.id),
            AuditAction::LoginSuccess,
        ))
        .await
        .unwrap();
    db.store
        .append_audit(
            AuditEvent::new(None, AuditAction::LoginFailure)
                .details(json!({"reason": "bad password", "n": 1})),
        )
        .await
        .unwrap();
    assert_eq!(
        verify(db.store.as_ref()).await.unwrap(),
        Verification::Intact { entries: 10 }
    );
}

fn broken_at(v: Verification) -> i64 {
    match v {
        Verification::Broken { seq, .. } => seq,
        Verification::Intact { entries } => {
            panic!("tampering went unnoticed ({entries} entries intact)")
        }
    }
}

async fn chain_is_intact_after_a_series_of_writes(db: TestDb) {
    assert_eq!(
        verify(db.store.as_ref()).await.unwrap(),
        Verification::Intact { entries: 0 }
    );
    ten_entries(&db).await;
    let rows = db.store.audit_rows(0, 100).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    assert_eq!(
        rows[9].details, r#"{"n":1,"reason":"bad password"}"#,
        "canonical JSON"
    );
    assert_eq!(rows[8].at, db.clock_now());
    assert_eq!(db.store.audit_rows(8, 1).await.unwrap().len(), 1);
    let head = db.store.audit_head().await.unwrap();
    assert_eq!((head.seq, head.hash), (10, rows[9].hash.clone()));
}

async fn the_trigger_refuses_update_and_delete(db: TestDb) {
    ten_entries(&db).await;
    assert!(
        db.raw("UPDATE audit_log SET action = 'logout' WHERE seq = 3")
            .await
            .is_err()
    );
    assert!(
        db.raw("DELETE FROM audit_log WHERE seq = 10")
            .await
            .is_err()
    );
    assert!(db.raw("DELETE FROM audit_log").await.is_err());
    if db.kind() == Kind::Postgres {
        assert!(db.raw("TRUNCATE audit_log").await.is_err());
    }
    assert_eq!(
        verify(db.store.as_ref()).await.unwrap(),
        Verification::Intact { entries: 10 }
    );
}

async fn altering_a_row_is_caught_at_that_entry(db: TestDb) {
    ten_entries(&db).await;
    db.drop_audit_trigger().await;
    db.raw("UPDATE audit_log SET details = '{\"n\":2,\"reason\":\"bad password\"}' WHERE seq = 10")
        .await
        .unwrap();
    assert_eq!(broken_at(verify(db.store.as_ref()).await.unwrap()), 10);
    db.raw("UPDATE audit_log SET action = 'login.success' WHERE seq = 7")
        .await
        .unwrap();
    let v = verify(db.store.as_ref()).await.unwrap();
    assert!(
        matches!(&v, Verification::Broken { problem, .. } if problem.contains("altered")),
        "{v:?}"
    );
    assert_eq!(broken_at(v), 7);
}

async fn deleting_a_middle_row_is_caught(db: TestDb) {
    ten_entries(&db).await;
    db.drop_audit_trigger().await;
    db.raw("DELETE FROM audit_log WHERE seq = 4").await.unwrap();
    assert_eq!(broken_at(verify(db.store.as_ref()).await.unwrap()), 4);
}

async fn swapping_two_rows_is_caught(db: TestDb) {
    ten_entries(&db).await;
    db.drop_audit_trigger().await;
    db.raw(
        "UPDATE audit_log SET seq = -1 WHERE seq = 6;
         UPDATE audit_log SET seq = 6 WHERE seq = 7;
         UPDATE audit_log SET seq = 7 WHERE seq = -1;",
    )
    .await
    .unwrap();
    assert_eq!(broken_at(verify(db.store.as_ref()).await.unwrap()), 6);
}

async fn deleting_the_newest_rows_is_caught_by_the_head(db: TestDb) {
    ten_entries(&db).await;
    db.drop_audit_trigger().await;
    db.raw("DELETE FROM audit_log WHERE seq > 8").await.unwrap();
    let v = verify(db.store.as_ref()).await.unwrap();
    assert!(
        matches!(&v, Verification::Broken { problem, .. } if problem.contains("deleted")),
        "{v:?}"
    );
    assert_eq!(broken_at(v), 9);
}

/// The grant the README documents for PostgreSQL: the application's role works normally but
/// cannot change or remove audit entries, even with the triggers gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_role_of_the_documented_grant_cannot_change_the_audit_log() {
    use sqlx::Connection;
    let Some(db) = crate::support::fresh(Kind::Postgres).await else {
        return;
    };
    let f = fixture(db.store.as_ref()).await;
    let role = format!("haven_app_{}", uuid::Uuid::new_v4().simple());
    db.raw(&format!(
        "CREATE ROLE {role} LOGIN PASSWORD 'app-password';
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
         REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {role};
         ALTER TABLE audit_log DISABLE TRIGGER USER;"
    ))
    .await
    .unwrap();
    let (scheme_host, name) = db.url.rsplit_once('/').unwrap();
    let host = scheme_host
        .rsplit_once('@')
        .map_or(scheme_host.trim_start_matches("postgres://"), |(_, h)| h);
    let app_url = format!("postgres://{role}:app-password@{host}/{name}");
    let app = haven_store::open(&app_url, db.clock.clone(), db.sealer.clone())
        .await
        .unwrap();
    app.create_case(&f.actor(), doc(json!({"given_name": "Amal"})))
        .await
        .unwrap();
    let mut conn = sqlx::PgConnection::connect(&app_url).await.unwrap();
    for sql in [
        "UPDATE audit_log SET actor = NULL",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let err = sqlx::raw_sql(sql).execute(&mut conn).await.unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{sql}: {err}"
        );
    }
    assert!(matches!(
        verify(app.as_ref()).await.unwrap(),
        Verification::Intact { .. }
    ));
}
