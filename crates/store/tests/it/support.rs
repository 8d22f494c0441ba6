//! Fresh stores on both backends, a settable clock, fixtures and raw SQL for the tamper tests.

use std::sync::{Arc, Mutex};

use haven_crypto::field::Keyring;
use haven_domain::access::{AGENCY_ADMIN, CASEWORKER};
use haven_domain::case::{CaseDoc, doc_from_json};
use haven_domain::clock::Clock;
use haven_domain::ids::AgencyId;
use haven_domain::user::{Actor, User};
use haven_store::{Agency, Backend, NewUser, Sealer, Store};
use serde_json::Value;
use sqlx::Connection;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// A clock the test moves by hand.
#[derive(Debug)]
pub struct TestClock(Mutex<OffsetDateTime>);

impl TestClock {
    pub const START: OffsetDateTime = datetime!(2026-11-23 10:00:00.123456 UTC);

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap();
        *now += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

/// A sealer over a key that lives only as long as the process.
pub fn sealer() -> Sealer {
    Sealer::new(Arc::new(Keyring::ephemeral().unwrap()))
}

pub struct TestDb {
    pub store: Arc<dyn Store>,
    pub clock: Arc<TestClock>,
    /// The URL the store was opened with, for raw connections and re-opening.
    pub url: String,
    /// The store's keys, to reopen the database (or a backup of it).
    pub sealer: Sealer,
    /// Keeps the SQLite directory alive as long as the test.
    pub _dir: Option<tempfile::TempDir>,
}

pub const PG_ENV: &str = "HAVEN_TEST_POSTGRES_URL";

/// A fresh store of the given kind; `None` when PostgreSQL is not available here (outside CI).
pub async fn fresh(kind: Kind) -> Option<TestDb> {
    let clock = Arc::new(TestClock(Mutex::new(TestClock::START)));
    let sealer = sealer();
    match kind {
        Kind::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("sub/haven.db").display());
            let store = haven_store::open(&url, clock.clone(), sealer.clone())
                .await
                .unwrap();
            Some(TestDb {
                store,
                clock,
                url,
                sealer,
                _dir: Some(dir),
            })
        }
        Kind::Postgres => {
            let Ok(admin_url) = std::env::var(PG_ENV) else {
                if std::env::var_os("CI").is_some() {
                    panic!(
                        "{PG_ENV} is not set: in CI, run the store tests through scripts/with-postgres.sh"
                    );
                }
                eprintln!(
                    "NOTICE: {PG_ENV} is not set; skipping the PostgreSQL run (use scripts/with-postgres.sh)"
                );
                return None;
            };
            let name = format!("haven_test_{}", uuid::Uuid::new_v4().simple());
            let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .unwrap();
            admin.close().await.unwrap();
            let (base, _) = admin_url.rsplit_once('/').unwrap();
            let url = format!("{base}/{name}");
            let store = haven_store::open(&url, clock.clone(), sealer.clone())
                .await
                .unwrap();
            Some(TestDb {
                store,
                clock,
                url,
                sealer,
                _dir: None,
            })
        }
    }
}

impl TestDb {
    pub fn kind(&self) -> Kind {
        match self.store.backend() {
            Backend::Sqlite => Kind::Sqlite,
            Backend::Postgres => Kind::Postgres,
        }
    }

    /// Runs SQL behind the store's back, as an attacker with database access would.
    pub async fn raw(&self, sql: &str) -> Result<(), sqlx::Error> {
        match self.kind() {
            Kind::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&mut c)
                    .await?;
                c.close().await
            }
            Kind::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&mut c)
                    .await?;
                c.close().await
            }
        }
    }

    /// The first column of every row `sql` returns, as text (NULLs left out), read behind the
    /// store's back to see what is stored at rest.
    pub async fn raw_texts(&self, sql: &str) -> Vec<String> {
        use sqlx::Row;
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self.kind() {
            Kind::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                rows.iter()
                    .filter_map(|r| r.get::<Option<String>, _>(0))
                    .collect()
            }
            Kind::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
                let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                rows.iter()
                    .filter_map(|r| r.get::<Option<String>, _>(0))
                    .collect()
            }
        }
    }

    /// Removes the append-only protection, as the tamper tests' attacker does first.
    pub async fn drop_audit_trigger(&self) {
        let sql = match self.kind() {
            Kind::Sqlite => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
            Kind::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER USER;",
        };
        self.raw(sql).await.unwrap();
    }

    pub fn clock_now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// A literal for a time in raw SQL.
    pub fn time_literal(&self, t: OffsetDateTime) -> String {
        format!("'{}'", haven_store::audit::format_at(t))
    }
}

/// Two agencies, each with an admin and a caseworker.
pub struct Fixture {
    pub agency: Agency,
    pub admin: User,
    pub worker: User,
    pub other_agency: Agency,
    pub other_worker: User,
}

impl Fixture {
    pub fn actor(&self) -> Actor {
        Actor::from(&self.worker)
    }

    pub fn other_actor(&self) -> Actor {
        Actor::from(&self.other_worker)
    }

    /// Someone who reads everything of the first agency: its admin.
    pub fn reader(&self) -> Actor {
        Actor::from(&self.admin)
    }
}

pub fn new_user(email: &str, agency: AgencyId, role: &str) -> NewUser {
    NewUser {
        email: email.into(),
        display_name: format!("User {email}"),
        agency_id: agency,
        role: role.into(),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
    }
}

pub async fn fixture(store: &dyn Store) -> Fixture {
    let agency = store
        .create_agency(None, "NRC", "Example Relief Council")
        .await
        .unwrap();
    let other_agency = store
        .create_agency(None, "OTH", "Other Agency")
        .await
        .unwrap();
    let admin = store
        .create_user(None, new_user("admin@example.org", agency.id, AGENCY_ADMIN))
        .await
        .unwrap();
    let worker = store
        .create_user(
            Some(&Actor::from(&admin)),
            new_user("worker@example.org", agency.id, CASEWORKER),
        )
        .await
        .unwrap();
    let other_worker = store
        .create_user(
            None,
            new_user("worker@other.org", other_agency.id, CASEWORKER),
        )
        .await
        .unwrap();
    Fixture {
        agency,
        admin,
        worker,
        other_agency,
        other_worker,
    }
}

pub fn doc(v: Value) -> CaseDoc {
    doc_from_json(v).unwrap()
}

/// Runs each named `async fn(TestDb)` as two tests, `NAME::sqlite` and `NAME::postgres`.
#[macro_export]
macro_rules! store_tests {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    if let Some(db) = $crate::support::fresh($crate::support::Kind::Sqlite).await {
                        super::$name(db).await;
                    }
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(db) = $crate::support::fresh($crate::support::Kind::Postgres).await {
                        super::$name(db).await;
                    }
                }
            }
        )+
    };
}

/// Asserts that nothing but reads (views, lists, histories) and refusals were audited after
/// `head`: a refused or empty write leaves no trace of a write.
pub async fn assert_nothing_written_since(db: &TestDb, head: &haven_store::AuditHead) {
    let rows = db.store.audit_rows(head.seq, 1000).await.unwrap();
    for row in rows {
        assert!(
            [".view", ".list", ".history", "authorization.failure"]
                .iter()
                .any(|s| row.action.ends_with(s)),
            "a write was audited: {}",
            row.action
        );
    }
}
