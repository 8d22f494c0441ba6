//! A real Haven server on a free port, over a real database, for tests and benchmarks.
//! Test support: failures here are test failures, so it may panic with a message.
#![allow(clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use haven_crypto::field::Keyring;
use haven_crypto::{Secret, hash_password, new_token, token_digest};
use haven_domain::clock::Clock;
use haven_domain::user::User;
use haven_store::clock::SystemClock;
use haven_store::{Agency, NewToken, NewUser, Sealer, Store};
use haven_web::{AppState, WebConfig};

/// The password every fixture user has.
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
    server: tokio::task::JoinHandle<()>,
}

impl TestApp {
    /// A fresh embedded database in a temporary directory.
    pub async fn sqlite() -> Self {
        Self::sqlite_with(Arc::new(SystemClock), WebConfig::default()).await
    }

    pub async fn sqlite_with(clock: Arc<dyn Clock>, config: WebConfig) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = haven_store::open(&haven_store::sqlite_url(dir.path()), clock, sealer())
            .await
            .expect("open SQLite store");
        let mut app = Self::serve(store, config).await;
        app._dir = Some(dir);
        app
    }

    /// A fresh database on the PostgreSQL server named by `HAVEN_TEST_POSTGRES_URL` (which
    /// `scripts/with-postgres.sh` provides). `None` when it is not set, outside CI; in CI a
    /// missing server is a failure, never a silent skip.
    pub async fn postgres() -> Option<Self> {
        let url = fresh_postgres_database().await?;
        let store = haven_store::open(&url, Arc::new(SystemClock), sealer())
            .await
            .expect("open PostgreSQL store");
        Some(Self::serve(store, WebConfig::default()).await)
    }

    /// Serves `store` on a free loopback port.
    pub async fn serve(store: Arc<dyn Store>, config: WebConfig) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let addr = listener.local_addr().expect("local address");
        let app = haven_web::router(AppState::new(store.clone(), config));
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .expect("server runs");
        });
        Self {
            base: format!("http://{addr}"),
            store,
            _dir: None,
            server,
        }
    }

    /// The data directory of an embedded database (`None` on PostgreSQL).
    pub fn data_dir(&self) -> Option<&std::path::Path> {
        self._dir.as_ref().map(|d| d.path())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A new agency with one user of `role`, whose password is [`PASSWORD`].
    pub async fn agency_with_user(&self, code: &str, email: &str, role: &str) -> (Agency, User) {
        let agency = self
            .store
            .create_agency(None, code, &format!("Agency {code}"))
            .await
            .expect("create agency");
        let user = self.user(&agency, email, role).await;
        (agency, user)
    }

    pub async fn user(&self, agency: &Agency, email: &str, role: &str) -> User {
        let hash = hash_password(&Secret::new(PASSWORD)).expect("hash");
        self.store
            .create_user(
                None,
                NewUser {
                    email: email.into(),
                    display_name: email.into(),
                    agency_id: agency.id,
                    role: role.into(),
                    password_hash: Some(hash),
                },
            )
            .await
            .expect("create user")
    }

    /// A bearer token for `user`.
    pub async fn token(&self, user: &User) -> String {
        let token = new_token(haven_web::auth::TOKEN_PREFIX).expect("token");
        self.store
            .create_token(
                None,
                NewToken {
                    user_id: user.id,
                    name: "test".into(),
                    token_digest: token_digest(token.expose()),
                    expires_at: None,
                    permissions: None,
                },
            )
            .await
            .expect("create token");
        token.expose().to_string()
    }
}

/// A sealer over a key that lives only as long as the process.
pub fn sealer() -> Sealer {
    Sealer::new(Arc::new(Keyring::ephemeral().expect("an in-memory key")))
}

/// The environment variable naming a PostgreSQL server for tests.
pub const POSTGRES_ENV: &str = "HAVEN_TEST_POSTGRES_URL";

/// Creates an empty database on the test server and returns its URL.
pub async fn fresh_postgres_database() -> Option<String> {
    use sqlx::Connection;
    let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{POSTGRES_ENV} is not set: in CI, run the tests through scripts/test"
        );
        eprintln!(
            "NOTICE: {POSTGRES_ENV} is not set; skipping the PostgreSQL run (use scripts/test)"
        );
        return None;
    };
    let name = format!("haven_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    let _ = admin.close().await;
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("a URL ending in /DATABASE");
    Some(format!("{base}/{name}"))
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}
