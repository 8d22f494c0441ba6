//! The OpenAPI document, generated from the handlers' annotations and the wire types.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Haven API", description = "Case management and family tracing for children on the move."),
    paths(
        crate::health,
        crate::auth::login,
        crate::auth::logout,
        crate::auth::totp,
        crate::auth::totp_setup,
        crate::auth::totp_confirm,
        crate::auth::me,
        crate::alerts::list,
        crate::consents::list,
        crate::consents::record,
        crate::consents::withdraw,
        crate::alerts::break_glass_case,
        crate::alerts::break_glass_request,
        crate::admin::list_users,
        crate::admin::create_user,
        crate::admin::disable_user,
        crate::admin::enable_user,
        crate::admin::set_role,
        crate::admin::list_roles,
        crate::admin::save_role,
        crate::admin::list_groups,
        crate::admin::create_group,
        crate::admin::set_members,
        crate::admin::list_agencies,
        crate::admin::create_agency,
        crate::admin::list_tokens,
        crate::admin::create_token,
        crate::admin::revoke_token,
        crate::cases::create,
        crate::cases::get,
        crate::cases::update,
        crate::cases::list,
        crate::cases::history,
        crate::casework::get_workflow,
        crate::casework::apply_workflow,
        crate::casework::record_placement,
        crate::casework::get_placements,
        crate::casework::list_tasks,
        crate::casework::assign,
        crate::casework::create_referral,
        crate::casework::create_flag,
        crate::casework::create_note,
        crate::casework::list_items,
        crate::casework::timeline,
        crate::casework::list_referrals,
        crate::casework::answer_referral,
        crate::casework::resolve_flag,
        crate::casework::create_transfer,
        crate::casework::answer_transfer,
        crate::casework::create_incident,
        crate::tracing_requests::create,
        crate::tracing_requests::get,
        crate::tracing_requests::update,
        crate::tracing_requests::list,
        crate::tracing_requests::history,
        crate::matches::list,
        crate::matches::get,
        crate::matches::decide,
        crate::matches::duplicates,
    ),
    modifiers(&Security),
    tags((name = "cases", description = "Children's cases"),
         (name = "casework", description = "Case management: workflow and approvals, placements and detention, tasks"),
         (name = "tracing", description = "Tracing requests: relatives looking for a child"),
         (name = "auth", description = "Signing in, second factor"),
         (name = "alerts", description = "What needs attention: detention, break-the-glass, attacked accounts"),
         (name = "admin", description = "Users, roles, groups, agencies and API tokens"),
         (name = "system", description = "Operations"))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
