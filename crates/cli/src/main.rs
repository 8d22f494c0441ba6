//! `haven`: the one binary an operator runs.

mod config;
mod demo;
mod keys;
mod matching;
mod report;
mod setup;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use haven_crypto::field::Keyring;
use haven_domain::audit::{AuditAction, AuditEvent};
use haven_store::audit::{Verification, verify};
use haven_store::clock::SystemClock;
use haven_store::{Sealer, Store, sqlite_url};
use haven_web::{AppState, WebConfig};

use crate::config::{FileConfig, LogFormat};

#[derive(Parser)]
#[command(
    name = "haven",
    version,
    about = "Case management and family tracing for children on the move"
)]
struct Cli {
    /// Where Haven keeps its embedded database [default: ./haven-data]
    #[arg(long, env = "HAVEN_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Use this database instead of the embedded one: postgres://user:pass@host/db
    #[arg(
        long,
        env = "HAVEN_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// Where the encryption keys are [default: DATA_DIR/keys]
    #[arg(long, env = "HAVEN_KEYS_DIR", global = true)]
    keys_dir: Option<PathBuf>,
    /// A configuration file [default: ./haven.toml when present]
    #[arg(long, env = "HAVEN_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Log format: text or json
    #[arg(long, env = "HAVEN_LOG_FORMAT", global = true)]
    log_format: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (creates the database and the first administrator on the first start)
    Serve {
        /// Address and port to listen on [default: 127.0.0.1:8080]
        #[arg(long, env = "HAVEN_LISTEN")]
        listen: Option<String>,
        /// Load the synthetic demo caseload first (once)
        #[arg(long)]
        demo: bool,
        /// Serve HTTPS with this certificate chain (PEM); give --tls-key too
        #[arg(long, env = "HAVEN_TLS_CERT")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM)
        #[arg(long, env = "HAVEN_TLS_KEY")]
        tls_key: Option<PathBuf>,
    },
    /// Create the database, the first agency and its administrator
    Init {
        #[arg(long, env = "HAVEN_ADMIN_EMAIL", default_value = setup::DEFAULT_ADMIN_EMAIL)]
        admin_email: String,
        #[arg(long, default_value = "MAIN")]
        agency_code: String,
        #[arg(long, default_value = "Haven")]
        agency_name: String,
    },
    /// Load a reproducible synthetic caseload (no real person) for trying Haven out
    Demo {
        #[arg(long, default_value_t = demo::DEFAULT_SEED)]
        seed: u64,
        #[arg(long, default_value_t = demo::DEFAULT_CASES)]
        cases: usize,
    },
    /// Manage users
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// List the roles and what they permit
    Role {
        #[command(subcommand)]
        command: RoleCommand,
    },
    /// Manage the encryption keys
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manage API tokens
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Check the audit log
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Copy the embedded database to a file while Haven runs
    Backup {
        #[arg(long)]
        out: PathBuf,
    },
    /// Find the same person across CSV files or within one (--config names the fields)
    Match(matching::MatchArgs),
    /// Aggregates for one commitment area (suppressed), as CSV, HXL, XLSX or JSON; audited
    Report(report::ReportArgs),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; prints a generated password once (or takes HAVEN_USER_PASSWORD)
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// A role name (see `haven role list`), e.g. caseworker, supervisor, agency_admin
        #[arg(long, default_value = "caseworker")]
        role: String,
        /// The agency's code [default: the first agency]
        #[arg(long)]
        agency: Option<String>,
    },
    /// Disable a user: every session of theirs ends at once and their tokens stop working
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled user again
    Enable {
        #[arg(long)]
        email: String,
    },
    /// List the users
    List,
}

#[derive(Subcommand)]
enum RoleCommand {
    /// Every role: its scope, what it sees and what it permits
    List,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make the first key, for a database that has none
    Create,
    /// Add a new key, re-encrypt everything with it, and delete the old keys (servers stopped)
    Rotate,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user and print it (only its hash is kept)
    Create {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until it expires (1 to 366)
        #[arg(long, default_value_t = 90)]
        expires_in_days: i64,
        /// Limit the token to these of the user's permissions (comma-separated, e.g. case.read)
        #[arg(long, value_delimiter = ',')]
        permissions: Vec<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; exits non-zero naming the first bad entry
    Verify,
}

struct Settings {
    data_dir: PathBuf,
    keys_dir: Option<PathBuf>,
    database_url: Option<String>,
    file: FileConfig,
}

impl Settings {
    fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| sqlite_url(&self.data_dir))
    }

    fn keys_dir(&self) -> PathBuf {
        self.keys_dir
            .clone()
            .or_else(|| self.file.keys_dir.clone())
            .unwrap_or_else(|| self.data_dir.join("keys"))
    }

    /// Opens the database with its keys; an embedded database made now gets its keys made too.
    async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        haven_store::backend_of(&self.database_url())?;
        let new_database = match self.database_url {
            None => {
                config::ensure_data_dir(&self.data_dir)?;
                !self.data_dir.join("haven.db").exists()
            }
            Some(_) => false,
        };
        let keyring = keys::load_or_create(&self.keys_dir(), new_database)?;
        self.open_with(keyring).await
    }

    async fn open_with(&self, keyring: Arc<Keyring>) -> anyhow::Result<Arc<dyn Store>> {
        haven_store::open(
            &self.database_url(),
            Arc::new(SystemClock),
            Sealer::new(keyring),
        )
        .await
        .context("opening the database")
    }
}

fn main() -> ExitCode {
    let matches = <Cli as clap::CommandFactory>::command().get_matches();
    let mut cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // `--config` names the matcher's fields here, not haven.toml; no database is opened. Only a
    // `--config` given on the command line counts: HAVEN_CONFIG names the server's haven.toml.
    let typed = matches.value_source("config") == Some(clap::parser::ValueSource::CommandLine);
    cli.command = match cli.command {
        Command::Match(args) => {
            return match matching::run(args, cli.config.as_deref().filter(|_| typed)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e),
            };
        }
        other => other,
    };
    let file = match FileConfig::load(cli.config.as_deref()) {
        Ok(f) => f,
        Err(e) => return fail(&e),
    };
    let format = match config::log_format(cli.log_format.as_deref().or(file.log_format.as_deref()))
    {
        Ok(f) => f,
        Err(e) => return fail(&e),
    };
    init_logging(format);
    let settings = Settings {
        data_dir: cli
            .data_dir
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from(config::DEFAULT_DATA_DIR)),
        keys_dir: cli.keys_dir,
        database_url: cli.database_url.or_else(|| file.database_url.clone()),
        file,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&e.into()),
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

fn fail(e: &anyhow::Error) -> ExitCode {
    eprintln!("error: {e:#}");
    ExitCode::FAILURE
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HAVEN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve {
            listen,
            demo,
            tls_cert,
            tls_key,
        } => {
            let tls = match (
                tls_cert.or_else(|| settings.file.tls_cert.clone()),
                tls_key.or_else(|| settings.file.tls_key.clone()),
            ) {
                (Some(cert), Some(key)) => Some((cert, key)),
                (None, None) => None,
                _ => {
                    anyhow::bail!("tls: give both the certificate (tls_cert) and its key (tls_key)")
                }
            };
            serve(&settings, listen, demo, tls).await?
        }
        Command::Init {
            admin_email,
            agency_code,
            agency_name,
        } => {
            let store = settings.open().await?;
            let created = setup::init(
                store.as_ref(),
                &admin_email,
                std::env::var("HAVEN_ADMIN_PASSWORD").ok(),
                &agency_code,
                &agency_name,
            )
            .await?;
            print_admin(&created);
        }
        Command::Demo { seed, cases } => {
            let store = settings.open().await?;
            first_start(store.as_ref()).await?;
            load_demo(store.as_ref(), seed, cases).await?;
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    name,
                    role,
                    agency,
                },
        } => {
            let store = settings.open().await?;
            let created = setup::add_user(
                store.as_ref(),
                &email,
                name.as_deref(),
                &role,
                agency.as_deref(),
                std::env::var("HAVEN_USER_PASSWORD").ok(),
            )
            .await?;
            println!(
                "created {} ({})",
                created.user.email, created.user.role.name
            );
            if created.generated {
                println!("password: {}", created.password.expose());
                println!("This password is shown only now.");
            }
        }
        Command::User {
            command: UserCommand::Disable { email },
        } => {
            let store = settings.open().await?;
            let user = setup::set_active(store.as_ref(), &email, false).await?;
            println!("disabled {}; their sessions have ended", user.email);
        }
        Command::User {
            command: UserCommand::Enable { email },
        } => {
            let store = settings.open().await?;
            let user = setup::set_active(store.as_ref(), &email, true).await?;
            println!("enabled {}", user.email);
        }
        Command::User {
            command: UserCommand::List,
        } => {
            let store = settings.open().await?;
            let agencies = store.agencies().await?;
            for u in store.users(None).await? {
                let agency = agencies
                    .iter()
                    .find(|a| a.id == u.agency_id)
                    .map_or("?", |a| a.code.as_str());
                println!(
                    "{}\t{}\t{}\t{}{}",
                    u.email,
                    agency,
                    u.role.name,
                    if u.active { "active" } else { "disabled" },
                    if u.mfa_enrolled { "\ttotp" } else { "" }
                );
            }
        }
        Command::Role {
            command: RoleCommand::List,
        } => {
            let store = settings.open().await?;
            for r in store.roles().await? {
                println!(
                    "{}\tscope={}\tsees={}\tmfa={}\n  {}",
                    r.name,
                    r.scope.as_str(),
                    r.sees.names().join(","),
                    if r.requires_mfa() {
                        "required"
                    } else {
                        "optional"
                    },
                    r.permissions.names().join(" ")
                );
            }
        }
        Command::Keys {
            command: KeysCommand::Create,
        } => keys::create(&settings.keys_dir())?,
        Command::Keys {
            command: KeysCommand::Rotate,
        } => {
            let dir = settings.keys_dir();
            let done =
                keys::rotate(&dir, async |keyring| settings.open_with(keyring).await).await?;
            println!(
                "re-encrypted {} records, {} history entries and {} secrets; old keys deleted from {}",
                done.records,
                done.history_entries,
                done.secrets,
                dir.display()
            );
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    user,
                    name,
                    expires_in_days,
                    permissions,
                },
        } => {
            let store = settings.open().await?;
            let token =
                setup::create_token(store.as_ref(), &user, &name, expires_in_days, &permissions)
                    .await?;
            // Only the token on stdout, so scripts can capture it.
            println!("{}", token.expose());
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let store = settings.open().await?;
            match verify(store.as_ref()).await? {
                Verification::Intact { entries } => println!("audit log intact: {entries} entries"),
                Verification::Broken { seq, problem } => {
                    eprintln!("audit log BROKEN at entry {seq}: {problem}");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Backup { out } => backup(&settings, &out).await?,
        Command::Match(_) => {}
        Command::Report(args) => report::run(args, &settings).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// On an empty database, make the first administrator and show the login once.
async fn first_start(store: &dyn Store) -> anyhow::Result<()> {
    if store.user_count().await? == 0 {
        let email = std::env::var("HAVEN_ADMIN_EMAIL")
            .unwrap_or_else(|_| setup::DEFAULT_ADMIN_EMAIL.to_string());
        let created = setup::init(
            store,
            &email,
            std::env::var("HAVEN_ADMIN_PASSWORD").ok(),
            "MAIN",
            "Haven",
        )
        .await?;
        print_admin(&created);
    }
    Ok(())
}

fn print_admin(created: &setup::Created) {
    println!("Created the first administrator.");
    println!("  e-mail:   {}", created.user.email);
    if created.generated {
        println!("  password: {}", created.password.expose());
        println!("The password is shown only now: keep it somewhere safe.");
    } else {
        println!("  password: the one given in HAVEN_ADMIN_PASSWORD");
    }
}

async fn load_demo(store: &dyn Store, seed: u64, cases: usize) -> anyhow::Result<()> {
    match demo::load(store, seed, cases).await? {
        None => println!("The demo caseload is already loaded."),
        Some(loaded) => {
            println!(
                "Loaded {} synthetic cases and {} tracing requests in {} agencies (seed {seed}); \
                 the matcher proposed {} pairs for review.",
                loaded.cases, loaded.tracing_requests, loaded.agencies, loaded.matches_proposed
            );
            println!("Demo users (password {}):", loaded.password.expose());
            for login in loaded.logins {
                println!("  {login}");
            }
        }
    }
    Ok(())
}

/// How often the server works through the matching queue.
const MATCH_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

async fn serve(
    settings: &Settings,
    listen: Option<String>,
    demo: bool,
    tls: Option<(PathBuf, PathBuf)>,
) -> anyhow::Result<()> {
    let listen = listen
        .or_else(|| settings.file.listen.clone())
        .unwrap_or_else(|| config::DEFAULT_LISTEN.to_string());
    let addr = config::listen_addr(&listen)?;
    let store = settings.open().await?;
    first_start(store.as_ref()).await?;
    if demo {
        load_demo(store.as_ref(), demo::DEFAULT_SEED, demo::DEFAULT_CASES).await?;
    }
    let defaults = WebConfig::default();
    let web = WebConfig {
        // Over TLS cookies are always Secure and browsers are told to keep to HTTPS.
        secure_cookies: tls.is_some()
            || settings
                .file
                .secure_cookies
                .unwrap_or(defaults.secure_cookies),
        hsts: tls.is_some(),
        session_idle: settings
            .file
            .session_idle_minutes
            .map_or(defaults.session_idle, time::Duration::minutes),
        session_absolute: settings
            .file
            .session_absolute_hours
            .map_or(defaults.session_absolute, time::Duration::hours),
        break_glass_for: settings
            .file
            .break_glass_minutes
            .map_or(defaults.break_glass_for, time::Duration::minutes),
        trust_forwarded_for: settings
            .file
            .trust_forwarded_for
            .unwrap_or(defaults.trust_forwarded_for),
        reports: settings.file.report_settings()?,
        casework: settings.file.casework,
        ..defaults
    };
    // Its first round builds the matching index from the decrypted records.
    let _matcher = haven_web::matches::spawn_matcher(store.clone(), MATCH_EVERY);
    let app = haven_web::router(AppState::new(store.clone(), web))
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let database = store.backend().as_str();
    match tls {
        None => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            let bound = listener.local_addr()?;
            announce(database, &format!("http://{bound}"));
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown_signal())
                .await
                .context("serving")?;
        }
        Some((cert, key)) => {
            // sqlx brings rustls with ring; use the same provider for serving.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                .await
                .with_context(|| {
                    format!(
                        "tls: cannot use the certificate {} with the key {}",
                        cert.display(),
                        key.display()
                    )
                })?;
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                shutdown_signal().await;
                stopper.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
            });
            let server = axum_server::bind_rustls(addr, config)
                .handle(handle.clone())
                .serve(app);
            let announcer = async {
                if let Some(bound) = handle.listening().await {
                    announce(database, &format!("https://{bound}"));
                }
            };
            let (served, ()) = tokio::join!(server, announcer);
            served.with_context(|| format!("serving HTTPS on {addr}"))?;
        }
    }
    Ok(())
}

fn announce(database: &str, url: &str) {
    tracing::info!(database, "Haven is listening on {url}");
    println!("Haven is listening on {url}");
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

async fn backup(settings: &Settings, out: &Path) -> anyhow::Result<()> {
    let store = settings.open().await?;
    store.backup_to(out).await?;
    config::owner_only(out)?;
    store
        .append_audit(
            AuditEvent::new(None, AuditAction::Backup)
                .details(serde_json::json!({ "file": out.display().to_string() })),
        )
        .await?;
    println!("backup written to {}", out.display());
    Ok(())
}
