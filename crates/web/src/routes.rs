//! The route table: every API route with the access rule it keeps. The router is built from this
//! table and the authorization matrix test walks it, so a route cannot be added without a rule,
//! and a rule the handlers do not keep fails the test.

use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, patch, post, put};

use haven_domain::sensitivity::RecordKind;

use crate::{
    AppState, admin, alerts, auth, cases, casework, consents, health, matches, openapi, reports,
    tracing_requests,
};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// A session at any stage of the second factor (the routes that complete it).
    Session,
    /// Anyone signed in, past every factor their role needs.
    SignedIn,
    /// Signed in, with this permission (403 without it); the store may still refuse what lies
    /// beyond the caller's reach.
    Permission(haven_domain::access::Permission),
    /// One record: 403 without the permission, 404 when the record is outside the caller's
    /// scope, exactly as for one that does not exist.
    Record(RecordKind, haven_domain::access::Permission),
    /// One record anywhere in the deployment, for a stated reason (break-the-glass).
    AnyRecord(RecordKind, haven_domain::access::Permission),
}

#[derive(Debug, Clone)]
pub struct Route {
    pub method: Method,
    /// With `{id}` (a record id) or `{name}` placeholders.
    pub path: &'static str,
    pub access: Access,
}

fn route(
    method: Method,
    path: &'static str,
    access: Access,
    handler: MethodRouter<AppState>,
) -> (Route, MethodRouter<AppState>) {
    (
        Route {
            method,
            path,
            access,
        },
        handler,
    )
}

/// Every route of `/api/v1`.
pub fn table() -> Vec<(Route, MethodRouter<AppState>)> {
    use Access::*;
    use RecordKind::{Case, TracingRequest};
    use haven_domain::access::Permission as P;
    vec![
        route(Method::GET, "/api/v1/health", Public, get(health)),
        route(
            Method::GET,
            "/api/v1/openapi.json",
            Public,
            get(openapi::document),
        ),
        route(
            Method::POST,
            "/api/v1/auth/login",
            Public,
            post(auth::login),
        ),
        route(
            Method::POST,
            "/api/v1/auth/logout",
            Public,
            post(auth::logout),
        ),
        route(Method::POST, "/api/v1/auth/totp", Session, post(auth::totp)),
        route(
            Method::POST,
            "/api/v1/auth/totp/setup",
            Session,
            post(auth::totp_setup),
        ),
        route(
            Method::POST,
            "/api/v1/auth/totp/confirm",
            Session,
            post(auth::totp_confirm),
        ),
        route(Method::GET, "/api/v1/me", SignedIn, get(auth::me)),
        route(Method::GET, "/api/v1/alerts", SignedIn, get(alerts::list)),
        route(
            Method::GET,
            "/api/v1/cases",
            Permission(P::CaseRead),
            get(cases::list),
        ),
        route(
            Method::POST,
            "/api/v1/cases",
            Permission(P::CaseCreate),
            post(cases::create),
        ),
        route(
            Method::GET,
            "/api/v1/cases/{id}",
            Record(Case, P::CaseRead),
            get(cases::get),
        ),
        route(
            Method::PATCH,
            "/api/v1/cases/{id}",
            Record(Case, P::CaseUpdate),
            patch(cases::update),
        ),
        route(
            Method::GET,
            "/api/v1/cases/{id}/history",
            Record(Case, P::CaseRead),
            get(cases::history),
        ),
        route(
            Method::GET,
            "/api/v1/cases/{id}/consents",
            Record(Case, P::CaseRead),
            get(consents::list),
        ),
        route(
            Method::POST,
            "/api/v1/cases/{id}/consents",
            Record(Case, P::CaseUpdate),
            post(consents::record),
        ),
        route(
            Method::POST,
            "/api/v1/cases/{id}/consents/{consent_id}/withdraw",
            Record(Case, P::CaseUpdate),
            post(consents::withdraw),
        ),
        route(
            Method::GET,
            "/api/v1/cases/{id}/workflow",
            Record(Case, P::CaseRead),
            get(casework::get_workflow),
        ),
        route(
            Method::POST,
            "/api/v1/cases/{id}/workflow",
            Record(Case, P::CaseUpdate),
            post(casework::apply_workflow),
        ),
        route(
            Method::GET,
            "/api/v1/cases/{id}/placements",
            Record(Case, P::CaseRead),
            get(casework::get_placements),
        ),
        route(
            Method::POST,
            "/api/v1/cases/{id}/placements",
            Record(Case, P::CaseUpdate),
            post(casework::record_placement),
        ),
        route(
            Method::POST,
            "/api/v1/cases/{id}/assignment",
            Record(Case, P::CaseAssign),
            post(casework::assign),
        ),
        route(
            Method::POST,
            "/api/v1/cases/{id}/referrals",
            Record(Case, P::CaseUpdate),
            post(casework::create_referral),
        ),
        route(
            Method::POST,
            "/api/v1/cases/{id}/flags",
            Record(Case, P::CaseUpdate),
            post(casework::create_flag),
        ),
        route(
            Method::POST,
            "/api/v1/cases/{id}/notes",
            Record(Case, P::CaseUpdate),
            post(casework::create_note),
        ),
        route(
            Method::GET,
            "/api/v1/cases/{id}/items",
            Record(Case, P::CaseRead),
            get(casework::list_items),
        ),
        route(
            Method::GET,
            "/api/v1/cases/{id}/timeline",
            Record(Case, P::CaseRead),
            get(casework::timeline),
        ),
        route(
            Method::GET,
            "/api/v1/referrals",
            Permission(P::CaseRead),
            get(casework::list_referrals),
        ),
        route(
            Method::POST,
            "/api/v1/referrals/{id}/actions",
            Permission(P::CaseUpdate),
            post(casework::answer_referral),
        ),
        route(
            Method::POST,
            "/api/v1/flags/{id}/resolve",
            Permission(P::CaseUpdate),
            post(casework::resolve_flag),
        ),
        route(
            Method::POST,
            "/api/v1/cases/{id}/transfers",
            Record(Case, P::CaseTransfer),
            post(casework::create_transfer),
        ),
        route(
            Method::POST,
            "/api/v1/transfers/{id}/actions",
            Permission(P::CaseTransfer),
            post(casework::answer_transfer),
        ),
        route(
            Method::POST,
            "/api/v1/incidents",
            Permission(P::CaseUpdate),
            post(casework::create_incident),
        ),
        route(
            Method::GET,
            "/api/v1/tasks",
            Permission(P::CaseRead),
            get(casework::list_tasks),
        ),
        route(
            Method::POST,
            "/api/v1/cases/{id}/break-glass",
            AnyRecord(Case, P::BreakGlass),
            post(alerts::break_glass_case),
        ),
        route(
            Method::GET,
            "/api/v1/tracing-requests",
            Permission(P::TracingRead),
            get(tracing_requests::list),
        ),
        route(
            Method::POST,
            "/api/v1/tracing-requests",
            Permission(P::TracingCreate),
            post(tracing_requests::create),
        ),
        route(
            Method::GET,
            "/api/v1/tracing-requests/{id}",
            Record(TracingRequest, P::TracingRead),
            get(tracing_requests::get),
        ),
        route(
            Method::PATCH,
            "/api/v1/tracing-requests/{id}",
            Record(TracingRequest, P::TracingUpdate),
            patch(tracing_requests::update),
        ),
        route(
            Method::GET,
            "/api/v1/tracing-requests/{id}/history",
            Record(TracingRequest, P::TracingRead),
            get(tracing_requests::history),
        ),
        route(
            Method::POST,
            "/api/v1/tracing-requests/{id}/break-glass",
            AnyRecord(TracingRequest, P::BreakGlass),
            post(alerts::break_glass_request),
        ),
        route(
            Method::POST,
            "/api/v1/cases/duplicates",
            Permission(P::CaseCreate),
            post(matches::duplicates),
        ),
        route(
            Method::GET,
            "/api/v1/matches",
            Permission(P::MatchReview),
            get(matches::list),
        ),
        route(
            Method::GET,
            "/api/v1/matches/{id}",
            Permission(P::MatchReview),
            get(matches::get),
        ),
        route(
            Method::POST,
            "/api/v1/matches/{id}/decision",
            Permission(P::MatchReview),
            post(matches::decide),
        ),
        route(
            Method::GET,
            "/api/v1/users",
            Permission(P::UserManage),
            get(admin::list_users),
        ),
        route(
            Method::POST,
            "/api/v1/users",
            Permission(P::UserManage),
            post(admin::create_user),
        ),
        route(
            Method::POST,
            "/api/v1/users/{id}/disable",
            Permission(P::UserManage),
            post(admin::disable_user),
        ),
        route(
            Method::POST,
            "/api/v1/users/{id}/enable",
            Permission(P::UserManage),
            post(admin::enable_user),
        ),
        route(
            Method::PUT,
            "/api/v1/users/{id}/role",
            Permission(P::UserManage),
            put(admin::set_role),
        ),
        route(
            Method::GET,
            "/api/v1/roles",
            SignedIn,
            get(admin::list_roles),
        ),
        route(
            Method::PUT,
            "/api/v1/roles/{name}",
            Permission(P::RoleManage),
            put(admin::save_role),
        ),
        route(
            Method::GET,
            "/api/v1/groups",
            SignedIn,
            get(admin::list_groups),
        ),
        route(
            Method::POST,
            "/api/v1/groups",
            Permission(P::GroupManage),
            post(admin::create_group),
        ),
        route(
            Method::PUT,
            "/api/v1/groups/{id}/members",
            Permission(P::GroupManage),
            put(admin::set_members),
        ),
        route(
            Method::GET,
            "/api/v1/agencies",
            SignedIn,
            get(admin::list_agencies),
        ),
        route(
            Method::POST,
            "/api/v1/agencies",
            Permission(P::AgencyManage),
            post(admin::create_agency),
        ),
        route(
            Method::GET,
            "/api/v1/tokens",
            SignedIn,
            get(admin::list_tokens),
        ),
        route(
            Method::POST,
            "/api/v1/tokens",
            SignedIn,
            post(admin::create_token),
        ),
        route(
            Method::DELETE,
            "/api/v1/tokens/{id}",
            SignedIn,
            delete(admin::revoke_token),
        ),
        // --- Reports and pledges (issue 7)
        route(
            Method::GET,
            "/api/v1/indicators",
            SignedIn,
            get(reports::indicators),
        ),
        // Downloads (`format=`) need report.export too; the store checks it.
        route(
            Method::GET,
            "/api/v1/reports/{area}",
            Permission(P::ReportRead),
            get(reports::report),
        ),
        route(
            Method::GET,
            "/api/v1/pledges",
            Permission(P::ReportRead),
            get(reports::list_pledges),
        ),
        route(
            Method::POST,
            "/api/v1/pledges",
            Permission(P::PledgeManage),
            post(reports::create_pledge),
        ),
        route(
            Method::GET,
            "/api/v1/pledges/{id}",
            Permission(P::ReportRead),
            get(reports::get_pledge),
        ),
        route(
            Method::PATCH,
            "/api/v1/pledges/{id}",
            Permission(P::PledgeManage),
            patch(reports::update_pledge),
        ),
    ]
}
