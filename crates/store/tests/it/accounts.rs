//! Agencies, users, sessions and API tokens.

use haven_domain::access::{AGENCY_ADMIN, CASEWORKER};
use haven_store::{NewToken, StoreError};
use time::Duration;

use crate::store_tests;
use crate::support::{TestClock, TestDb, fixture, new_user};

store_tests!(
    users_and_agencies_round_trip_and_are_audited,
    duplicate_email_and_agency_code_are_refused,
    sessions_expire_absolutely_and_when_idle,
    tokens_stop_working_when_expired_or_revoked,
);

async fn users_and_agencies_round_trip_and_are_audited(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let agencies = db.store.agencies().await.unwrap();
    assert_eq!(agencies, vec![f.agency.clone(), f.other_agency.clone()]);
    assert_eq!(f.agency.created_at, TestClock::START);
    assert_eq!(db.store.user_count().await.unwrap(), 3);
    let creds = db
        .store
        .user_by_email("worker@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(creds.user, f.worker);
    assert!(creds.password_hash.unwrap().starts_with("$argon2id$"));
    assert!(creds.user.active);
    assert_eq!(creds.user.role.name, CASEWORKER);
    assert!(
        db.store
            .user_by_email("nobody@example.org")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        db.store.user_by_id(f.admin.id).await.unwrap().unwrap(),
        f.admin
    );

    let err = db
        .store
        .create_user(
            None,
            new_user(
                "x@example.org",
                haven_domain::ids::AgencyId::new_random(),
                AGENCY_ADMIN,
            ),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");

    let actions: Vec<String> = db
        .store
        .audit_rows(0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(
        actions,
        [
            "agency.create",
            "agency.create",
            "user.create",
            "user.create",
            "user.create"
        ]
    );
    let rows = db.store.audit_rows(0, 100).await.unwrap();
    assert_eq!(rows[3].actor, Some(f.admin.id.to_string()));
    assert!(
        rows.iter().all(|r| !r.details.contains("@")),
        "no e-mail addresses in the audit log"
    );
}

async fn duplicate_email_and_agency_code_are_refused(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let head = db.store.audit_head().await.unwrap();
    let err = db
        .store
        .create_user(
            None,
            new_user("worker@example.org", f.other_agency.id, CASEWORKER),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Duplicate(what) if what == "email"),
        "{err:?}"
    );
    let err = db
        .store
        .create_agency(None, "NRC", "Again")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Duplicate(what) if what == "agency code"),
        "{err:?}"
    );
    assert_eq!(
        db.store.audit_head().await.unwrap(),
        head,
        "refused writes are not audited"
    );
    assert_eq!(db.store.user_count().await.unwrap(), 3);
}

async fn sessions_expire_absolutely_and_when_idle(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let idle = Duration::minutes(30);
    let start = TestClock::START;
    db.store
        .create_session(new_session(
            f.worker.id,
            "digest-a",
            start + Duration::hours(2),
        ))
        .await
        .unwrap();
    assert_eq!(
        db.store
            .session("digest-a", idle)
            .await
            .unwrap()
            .map(|s| s.user),
        Some(f.worker.clone())
    );
    assert!(
        db.store
            .session("digest-unknown", idle)
            .await
            .unwrap()
            .map(|s| s.user)
            .is_none()
    );

    // Used every 20 minutes, it stays alive until its absolute expiry.
    for _ in 0..5 {
        db.clock.advance(Duration::minutes(20));
        assert!(
            db.store
                .session("digest-a", idle)
                .await
                .unwrap()
                .map(|s| s.user)
                .is_some()
        );
    }
    db.clock.advance(Duration::minutes(20)); // 2 h after creation
    assert!(
        db.store
            .session("digest-a", idle)
            .await
            .unwrap()
            .map(|s| s.user)
            .is_none(),
        "absolute expiry"
    );

    // Idle for longer than the timeout, it is over.
    db.store
        .create_session(new_session(
            f.worker.id,
            "digest-b",
            db.clock_now() + Duration::hours(8),
        ))
        .await
        .unwrap();
    db.clock.advance(Duration::minutes(29));
    assert!(
        db.store
            .session("digest-b", idle)
            .await
            .unwrap()
            .map(|s| s.user)
            .is_some()
    );
    db.clock.advance(Duration::minutes(29));
    assert!(
        db.store
            .session("digest-b", idle)
            .await
            .unwrap()
            .map(|s| s.user)
            .is_some(),
        "the last use counts"
    );
    db.clock.advance(Duration::minutes(31));
    assert!(
        db.store
            .session("digest-b", idle)
            .await
            .unwrap()
            .map(|s| s.user)
            .is_none(),
        "idle expiry"
    );

    // Uses less than a minute apart do not move last_seen_at.
    db.store
        .create_session(new_session(
            f.worker.id,
            "digest-c",
            db.clock_now() + Duration::hours(8),
        ))
        .await
        .unwrap();
    db.clock.advance(Duration::seconds(59));
    assert!(
        db.store
            .session("digest-c", Duration::minutes(1))
            .await
            .unwrap()
            .map(|s| s.user)
            .is_some()
    );
    db.clock.advance(Duration::seconds(2));
    assert!(
        db.store
            .session("digest-c", Duration::minutes(1))
            .await
            .unwrap()
            .map(|s| s.user)
            .is_none(),
        "last_seen_at was not rewritten 59 s after creation"
    );

    // Logout, and deactivated users.
    db.store
        .create_session(new_session(
            f.worker.id,
            "digest-d",
            db.clock_now() + Duration::hours(8),
        ))
        .await
        .unwrap();
    db.store.delete_session("digest-d").await.unwrap();
    assert!(
        db.store
            .session("digest-d", idle)
            .await
            .unwrap()
            .map(|s| s.user)
            .is_none()
    );
    db.store
        .create_session(new_session(
            f.worker.id,
            "digest-e",
            db.clock_now() + Duration::hours(8),
        ))
        .await
        .unwrap();
    db.raw(&format!(
        "UPDATE users SET active = FALSE WHERE id = '{}'",
        f.worker.id
    ))
    .await
    .unwrap();
    assert!(
        db.store
            .session("digest-e", idle)
            .await
            .unwrap()
            .map(|s| s.user)
            .is_none(),
        "inactive user"
    );
}

async fn tokens_stop_working_when_expired_or_revoked(db: TestDb) {
    let f = fixture(db.store.as_ref()).await;
    let token = |digest: &str, expires_at| NewToken {
        user_id: f.worker.id,
        name: format!("token {digest}"),
        token_digest: digest.into(),
        expires_at,
        permissions: None,
    };
    let forever = db
        .store
        .create_token(Some(&f.reader()), token("t-forever", None))
        .await
        .unwrap();
    assert_eq!(forever.user_id, f.worker.id);
    assert_eq!(forever.created_at, TestClock::START);
    let soon = db
        .store
        .create_token(
            Some(&f.reader()),
            token("t-soon", Some(TestClock::START + Duration::days(1))),
        )
        .await
        .unwrap();
    assert_eq!(soon.expires_at, Some(TestClock::START + Duration::days(1)));
    let revoked = db
        .store
        .create_token(None, token("t-revoked", None))
        .await
        .unwrap();
    let err = db
        .store
        .create_token(None, token("t-forever", None))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Duplicate(_)), "{err:?}");

    assert_eq!(
        db.store.token_user("t-forever").await.unwrap(),
        Some((f.worker.clone(), None))
    );
    assert!(db.store.token_user("t-soon").await.unwrap().is_some());
    assert!(db.store.token_user("t-unknown").await.unwrap().is_none());

    let now = db.time_literal(db.clock_now());
    db.raw(&format!(
        "UPDATE api_tokens SET revoked_at = {now} WHERE id = '{}'",
        revoked.id
    ))
    .await
    .unwrap();
    assert!(
        db.store.token_user("t-revoked").await.unwrap().is_none(),
        "revoked"
    );

    db.clock.advance(Duration::days(1));
    assert!(
        db.store.token_user("t-soon").await.unwrap().is_none(),
        "expired"
    );
    assert!(db.store.token_user("t-forever").await.unwrap().is_some());

    db.raw(&format!(
        "UPDATE users SET active = FALSE WHERE id = '{}'",
        f.worker.id
    ))
    .await
    .unwrap();
    assert!(
        db.store.token_user("t-forever").await.unwrap().is_none(),
        "inactive user"
    );

    let actions = db.store.audit_rows(5, 100).await.unwrap();
    assert_eq!(
        actions
            .iter()
            .filter(|r| r.action == "token.create")
            .count(),
        3
    );
}

fn new_session(
    user: haven_domain::ids::UserId,
    digest: &str,
    expires_at: time::OffsetDateTime,
) -> haven_store::NewSession {
    haven_store::NewSession {
        user_id: user,
        token_digest: digest.into(),
        csrf_token: format!("csrf-{digest}"),
        expires_at,
        mfa: haven_store::MfaState::Complete,
    }
}
