//! What the audit log records. Events name records by id and fields by name, never by content:
//! the log must be safe to show to an auditor who may not see a child's name.

use serde_json::Value;

use crate::ids::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    CaseCreate,
    CaseUpdate,
    CaseView,
    CaseList,
    CaseHistoryView,
    /// A case-management workflow action (approve, close, …): details name the events by code.
    CaseWorkflow,
    CaseWorkflowView,
    /// A care arrangement recorded (details: the placement events, e.g. detention started).
    CasePlacement,
    TaskList,
    /// A referral, flag or note created or changed (details: kind, case, status: codes only).
    CaseItemCreate,
    CaseItemUpdate,
    /// A case moved to another agency (an accepted transfer).
    CaseTransfer,
    CaseItemList,
    CaseTimelineView,
    TracingRequestCreate,
    TracingRequestUpdate,
    TracingRequestView,
    TracingRequestList,
    TracingRequestHistoryView,
    /// The matcher proposed, refreshed or withdrew pairs (the system acts; details: counts).
    MatchPropose,
    MatchList,
    MatchView,
    /// A reviewer confirmed, rejected or reunified a pair.
    MatchDecide,
    /// Registration asked whether a child is already registered (details: the ids shown).
    CaseDuplicateCheck,
    BreakGlass,
    LoginSuccess,
    LoginFailure,
    LoginThrottled,
    Logout,
    MfaEnrol,
    MfaSuccess,
    MfaFailure,
    RecoveryCodeUsed,
    AgencyCreate,
    UserCreate,
    UserUpdate,
    UserDisable,
    UserList,
    RoleCreate,
    RoleUpdate,
    GroupCreate,
    GroupUpdate,
    TokenCreate,
    TokenRevoke,
    ConsentRecord,
    ConsentWithdraw,
    ConsentOverride,
    KeysRotate,
    Backup,
    AuditVerify,
    AuthorizationFailure,
    /// Aggregates seen (details: area, indicators, period, dimensions; never case ids).
    ReportView,
    /// Aggregates downloaded (CSV, HXL, XLSX, JSON file) or written by `haven report`.
    ReportExport,
    PledgeCreate,
    PledgeUpdate,
    PledgeView,
    PledgeList,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CaseCreate => "case.create",
            Self::CaseUpdate => "case.update",
            Self::CaseView => "case.view",
            Self::CaseList => "case.list",
            Self::CaseHistoryView => "case.history",
            Self::CaseWorkflow => "case.workflow",
            Self::CaseWorkflowView => "case.workflow.view",
            Self::CasePlacement => "case.placement",
            Self::TaskList => "task.list",
            Self::CaseItemCreate => "case_item.create",
            Self::CaseItemUpdate => "case_item.update",
            Self::CaseTransfer => "case.transfer",
            Self::CaseItemList => "case_item.list",
            Self::CaseTimelineView => "case.timeline.view",
            Self::TracingRequestCreate => "tracing_request.create",
            Self::TracingRequestUpdate => "tracing_request.update",
            Self::TracingRequestView => "tracing_request.view",
            Self::TracingRequestList => "tracing_request.list",
            Self::TracingRequestHistoryView => "tracing_request.history",
            Self::MatchPropose => "match.propose",
            Self::MatchList => "match.list",
            Self::MatchView => "match.view",
            Self::MatchDecide => "match.decide",
            Self::CaseDuplicateCheck => "case.duplicate_check",
            Self::BreakGlass => "record.break_glass",
            Self::LoginSuccess => "login.success",
            Self::LoginFailure => "login.failure",
            Self::LoginThrottled => "login.throttled",
            Self::Logout => "logout",
            Self::MfaEnrol => "mfa.enrol",
            Self::MfaSuccess => "mfa.success",
            Self::MfaFailure => "mfa.failure",
            Self::RecoveryCodeUsed => "mfa.recovery_code",
            Self::AgencyCreate => "agency.create",
            Self::UserCreate => "user.create",
            Self::UserUpdate => "user.update",
            Self::UserDisable => "user.disable",
            Self::UserList => "user.list",
            Self::RoleCreate => "role.create",
            Self::RoleUpdate => "role.update",
            Self::GroupCreate => "group.create",
            Self::GroupUpdate => "group.update",
            Self::TokenCreate => "token.create",
            Self::TokenRevoke => "token.revoke",
            Self::ConsentRecord => "consent.record",
            Self::ConsentWithdraw => "consent.withdraw",
            Self::ConsentOverride => "consent.override",
            Self::KeysRotate => "keys.rotate",
            Self::Backup => "backup",
            Self::AuditVerify => "audit.verify",
            Self::AuthorizationFailure => "authorization.failure",
            Self::ReportView => "report.view",
            Self::ReportExport => "report.export",
            Self::PledgeCreate => "pledge.create",
            Self::PledgeUpdate => "pledge.update",
            Self::PledgeView => "pledge.view",
            Self::PledgeList => "pledge.list",
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
