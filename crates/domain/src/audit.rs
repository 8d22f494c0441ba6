//! What the audit log records. Events name records by id and fields by name, never by content:
//! the log must be safe to show to an auditor who may not see a child's name.

use serde_json::Value;

use crate::ids::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    CaseCreate,
    CaseUpdate,
    TracingRequestCreate,
    TracingRequestUpdate,
    LoginSuccess,
    LoginFailure,
    Logout,
    AgencyCreate,
    UserCreate,
    TokenCreate,
    Backup,
    AuthorizationFailure,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CaseCreate => "case.create",
            Self::CaseUpdate => "case.update",
            Self::TracingRequestCreate => "tracing_request.create",
            Self::TracingRequestUpdate => "tracing_request.update",
            Self::LoginSuccess => "login.success",
            Self::LoginFailure => "login.failure",
            Self::Logout => "logout",
            Self::AgencyCreate => "agency.create",
            Self::UserCreate => "user.create",
            Self::TokenCreate => "token.create",
            Self::Backup => "backup",
            Self::AuthorizationFailure => "authorization.failure",
        }
    }
}

/// One entry to append. `actor` is `None` for the system itself (first start, demo load).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub actor: Option<UserId>,
    pub action: AuditAction,
    /// The kind of record concerned (`case`, `tracing_request`, `user`, …) and its id.
    pub target: Option<(&'static str, String)>,
    /// Ids, field names, counts: never names, contact details or narrative.
    pub details: Value,
}

impl AuditEvent {
    pub fn new(actor: Option<UserId>, action: AuditAction) -> Self {
        Self {
            actor,
            action,
            target: None,
            details: Value::Object(serde_json::Map::new()),
        }
    }

    pub fn target(mut self, kind: &'static str, id: impl ToString) -> Self {
        self.target = Some((kind, id.to_string()));
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}
