use haven_domain::Problems;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record, or none the actor may see: the two are indistinguishable on purpose.
    #[error("not found")]
    NotFound,
    /// The record changed since the version the caller read.
    #[error("the record is at version {current}, not the version given")]
    Conflict { current: i64 },
    #[error("invalid input: {0}")]
    Invalid(Problems),
    /// An action the record's state does not allow now (a casework refusal): a stable `code`,
    /// the reason, and the actions that are allowed instead.
    #[error("refused ({code}): {reason}")]
    Refused {
        code: String,
        reason: String,
        allowed: Vec<String>,
    },
    /// What the actor lacks, in words fit to show them (`the role lacks case.create`).
    #[error("not permitted: {0}")]
    Denied(String),
    /// The use of a child's data needs a consent (or other basis) the case does not have; the
    /// message names what is needed.
    #[error("consent required: {0}")]
    ConsentRequired(String),
    /// A unique value (agency code, e-mail) is taken.
    #[error("{0} is already taken")]
    Duplicate(String),
    #[error("{0}")]
    Unsupported(String),
    /// The audit log could not be appended to; whatever needed the entry did not happen.
    #[error("audit log: {0}")]
    Audit(String),
    #[error("configuration: {0}")]
    Config(String),
    /// Stored data that cannot be read back (a bug or tampering).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<Problems> for StoreError {
    fn from(p: Problems) -> Self {
        Self::Invalid(p)
    }
}

impl From<haven_domain::policy::Denied> for StoreError {
    fn from(d: haven_domain::policy::Denied) -> Self {
        Self::Denied(format!("{} is needed", d.0))
    }
}

impl<K: std::fmt::Display> From<haven_domain::casework::Refusal<K>> for StoreError {
    fn from(r: haven_domain::casework::Refusal<K>) -> Self {
        Self::Refused {
            code: r.code,
            reason: r.reason,
            allowed: r.allowed.iter().map(ToString::to_string).collect(),
        }
    }
}

impl<K: std::fmt::Display> From<haven_domain::casework::Rejected<K>> for StoreError {
    fn from(r: haven_domain::casework::Rejected<K>) -> Self {
        match r {
            haven_domain::casework::Rejected::Invalid(p) => Self::Invalid(p),
            haven_domain::casework::Rejected::Refused(r) => r.into(),
        }
    }
}

/// What went wrong decoding stored JSON, without the text serde would quote: once opened, a
/// document holds names, and this message ends up in the server's log.
pub(crate) fn shape(e: &serde_json::Error) -> String {
    format!(
        "not the expected shape ({:?} error at line {}, column {})",
        e.classify(),
        e.line(),
        e.column()
    )
}
