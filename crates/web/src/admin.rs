//! Administration under `/api/v1`: users, roles, groups, agencies and API tokens. The store
//! checks every rule (permission, reach, that a role handed out is held whole by its granter);
//! these handlers translate.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use haven_crypto::{Secret, hash_password, new_token, token_digest};
use haven_domain::Problems;
use haven_domain::access::{FieldClassSet, PermissionSet, RoleSpec, ScopeLevel, parse_role_name};
use haven_domain::ids::{AgencyId, UserId};
use haven_domain::problems::from_json;
use haven_domain::user::{check_password, parse_email};
use haven_store::{Agency, Group, NewToken, NewUser, TokenInfo};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::AppState;
use crate::auth::{CurrentUser, TOKEN_PREFIX, UserView};
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::records::path_id;

/// Longest display name accepted, in characters.
const MAX_DISPLAY_NAME_CHARS: usize = 200;
/// Longest API token lifetime, so a forgotten token does not live for ever.
const MAX_TOKEN_DAYS: i64 = 366;

// --- Users ---------------------------------------------------------------------------------------

/// The users the caller manages: their agency's, or everyone's for a deployment-wide admin.
#[utoipa::path(get, path = "/api/v1/users", tag = "admin",
    responses((status = 200, body = [UserView]), (status = 403, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_users(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<UserView>>, ApiError> {
    let users = state.store.users(Some(&user.actor)).await?;
    Ok(Json(users.iter().map(UserView::from).collect()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub email: String,
    pub display_name: String,
    /// The caller's agency when absent.
    #[serde(default)]
    pub agency_id: Option<AgencyId>,
    /// A role name, e.g. `caseworker`.
    pub role: String,
    /// At least 12 characters, not one of the most common passwords.
    pub password: String,
}

/// Creates a user with a role the caller holds entirely.
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUserRequest,
    responses((status = 201, body = UserView), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let req: NewUserRequest = from_json(body)?;
    let created = new_user(&state, &user.actor, req).await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&created))))
}

/// Checks and creates a user (what the API and the admin page share).
pub(crate) async fn new_user(
    state: &AppState,
    actor: &haven_domain::user::Actor,
    req: NewUserRequest,
) -> Result<haven_domain::user::User, ApiError> {
    let mut p = Problems::new();
    let email = parse_email(&req.email).map_err(|e| p.push("email", e)).ok();
    let display_name = req.display_name.trim().to_string();
    if display_name.is_empty() || display_name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        p.push(
            "display_name",
            format!("must be 1 to {MAX_DISPLAY_NAME_CHARS} characters"),
        );
    }
    if let Err(e) = check_password(&req.password) {
        p.push("password", e);
    }
    let email = p.into_result(email)?.ok_or(ApiError::Internal)?;
    let password = Secret::new(req.password);
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(|_| ApiError::Internal)?;
    let created = state
        .store
        .create_user(
            Some(actor),
            NewUser {
                email,
                display_name,
                agency_id: req.agency_id.unwrap_or(actor.agency_id),
                role: req.role,
                password_hash: Some(hash),
            },
        )
        .await?;
    Ok(created)
}

/// Disables a user: every session of theirs ends at once and their tokens stop working.
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "admin",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 404, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn disable_user(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let id: UserId = path_id(&id)?;
    let changed = state
        .store
        .set_user_active(Some(&user.actor), id, false)
        .await?;
    Ok(Json(UserView::from(&changed)))
}

/// Enables a disabled user again (and clears a login lock).
#[utoipa::path(post, path = "/api/v1/users/{id}/enable", tag = "admin",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 404, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn enable_user(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let id: UserId = path_id(&id)?;
    let changed = state
        .store
        .set_user_active(Some(&user.actor), id, true)
        .await?;
    Ok(Json(UserView::from(&changed)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleAssignment {
    pub role: String,
}

/// Gives a user another role; their sessions end, so the new role applies at once.
#[utoipa::path(put, path = "/api/v1/users/{id}/role", tag = "admin", request_body = RoleAssignment,
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn set_role(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<UserView>, ApiError> {
    let id: UserId = path_id(&id)?;
    let req: RoleAssignment = from_json(body)?;
    let changed = state
        .store
        .set_user_role(Some(&user.actor), id, &req.role)
        .await?;
    Ok(Json(UserView::from(&changed)))
}

// --- Roles ---------------------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleView {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Permission names, e.g. `case.read`.
    pub permissions: Vec<String>,
    /// own | group | agency | all
    pub scope: String,
    /// Field classes the role sees: identifying | contact | health | protection.
    pub sees: Vec<String>,
    /// Whether signing in needs a second factor (roles that export or reach all agencies).
    #[serde(default, skip_deserializing)]
    pub requires_mfa: bool,
}

impl From<&RoleSpec> for RoleView {
    fn from(r: &RoleSpec) -> Self {
        Self {
            name: r.name.clone(),
            description: r.description.clone(),
            permissions: r
                .permissions
                .names()
                .into_iter()
                .map(String::from)
                .collect(),
            scope: r.scope.as_str().into(),
            sees: r.sees.names().into_iter().map(String::from).collect(),
            requires_mfa: r.requires_mfa(),
        }
    }
}

/// Every role of the deployment.
#[utoipa::path(get, path = "/api/v1/roles", tag = "admin",
    responses((status = 200, body = [RoleView])),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_roles(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<Vec<RoleView>>, ApiError> {
    let roles = state.store.roles().await?;
    Ok(Json(roles.iter().map(RoleView::from).collect()))
}

/// Creates or replaces a role. The caller must hold everything it grants.
#[utoipa::path(put, path = "/api/v1/roles/{name}", tag = "admin", request_body = RoleView,
    params(("name" = String, Path, description = "Role name, e.g. field_lead")),
    responses((status = 200, body = RoleView), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn save_role(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<RoleView>, ApiError> {
    let req: RoleView = from_json(body)?;
    let mut p = Problems::new();
    let name = parse_role_name(&name).map_err(|e| p.push("name", e)).ok();
    if !req.name.is_empty() && Some(&req.name) != name.as_ref() {
        p.push("name", "must match the name in the path");
    }
    let permissions = PermissionSet::parse_all(&req.permissions)
        .map_err(|bad| {
            for (i, e) in bad {
                p.push(format!("permissions.{i}"), e);
            }
        })
        .ok();
    let scope = ScopeLevel::parse(&req.scope)
        .map_err(|e| p.push("scope", e))
        .ok();
    let sees = FieldClassSet::parse_all(&req.sees)
        .map_err(|bad| {
            for (i, e) in bad {
                p.push(format!("sees.{i}"), e);
            }
        })
        .ok();
    let description = req.description.trim().to_string();
    if description.chars().count() > MAX_DISPLAY_NAME_CHARS {
        p.push(
            "description",
            format!("must be at most {MAX_DISPLAY_NAME_CHARS} characters"),
        );
    }
    let parts = p.into_result((name, permissions, scope, sees))?;
    let (Some(name), Some(permissions), Some(scope), Some(sees)) = parts else {
        return Err(ApiError::Internal);
    };
    let role = RoleSpec {
        name,
        description,
        permissions,
        scope,
        sees,
    };
    let saved = state.store.save_role(Some(&user.actor), role).await?;
    Ok(Json(RoleView::from(&saved)))
}

// --- Groups --------------------------------------------------------------------------------------

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GroupView {
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    pub agency_id: AgencyId,
    pub name: String,
    pub members: Vec<UserId>,
}

impl From<Group> for GroupView {
    fn from(g: Group) -> Self {
        Self {
            id: g.id,
            agency_id: g.agency_id,
            name: g.name,
            members: g.members,
        }
    }
}

/// The groups of the caller's agency (every agency's for a deployment-wide role).
#[utoipa::path(get, path = "/api/v1/groups", tag = "admin",
    responses((status = 200, body = [GroupView])),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_groups(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<GroupView>>, ApiError> {
    let groups = state.store.groups(&user.actor).await?;
    Ok(Json(groups.into_iter().map(GroupView::from).collect()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroupRequest {
    pub name: String,
    /// The caller's agency when absent.
    #[serde(default)]
    pub agency_id: Option<AgencyId>,
}

/// Creates a group (a team: a supervisor sees the cases of their groups' members).
#[utoipa::path(post, path = "/api/v1/groups", tag = "admin", request_body = NewGroupRequest,
    responses((status = 201, body = GroupView), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_group(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<GroupView>), ApiError> {
    let req: NewGroupRequest = from_json(body)?;
    let agency = req.agency_id.unwrap_or(user.actor.agency_id);
    let group = state
        .store
        .create_group(Some(&user.actor), agency, &req.name)
        .await?;
    Ok((StatusCode::CREATED, Json(GroupView::from(group))))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupMembers {
    pub members: Vec<UserId>,
}

/// Replaces a group's members.
#[utoipa::path(put, path = "/api/v1/groups/{id}/members", tag = "admin", request_body = GroupMembers,
    params(("id" = String, Path, description = "Group id")),
    responses((status = 200, body = GroupView), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn set_members(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<GroupView>, ApiError> {
    let id: uuid::Uuid = path_id(&id)?;
    let req: GroupMembers = from_json(body)?;
    let group = state
        .store
        .set_group_members(Some(&user.actor), id, &req.members)
        .await?;
    Ok(Json(GroupView::from(group)))
}

// --- Agencies ------------------------------------------------------------------------------------

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgencyView {
    pub id: AgencyId,
    pub code: String,
    pub name: String,
}

impl From<Agency> for AgencyView {
    fn from(a: Agency) -> Self {
        Self {
            id: a.id,
            code: a.code,
            name: a.name,
        }
    }
}

/// The agencies sharing the deployment (to pick a referral or transfer recipient).
#[utoipa::path(get, path = "/api/v1/agencies", tag = "admin",
    responses((status = 200, body = [AgencyView])),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_agencies(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<Vec<AgencyView>>, ApiError> {
    let agencies = state.store.agencies().await?;
    Ok(Json(agencies.into_iter().map(AgencyView::from).collect()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgencyRequest {
    /// Short unique code, e.g. `RCA`.
    pub code: String,
    pub name: String,
}

/// Adds an agency to the deployment.
#[utoipa::path(post, path = "/api/v1/agencies", tag = "admin", request_body = NewAgencyRequest,
    responses((status = 201, body = AgencyView), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_agency(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<AgencyView>), ApiError> {
    let req: NewAgencyRequest = from_json(body)?;
    let mut p = Problems::new();
    let code = req.code.trim().to_uppercase();
    if code.is_empty()
        || code.len() > 16
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        p.push("code", "must be 1 to 16 letters, digits or -");
    }
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        p.push(
            "name",
            format!("must be 1 to {MAX_DISPLAY_NAME_CHARS} characters"),
        );
    }
    p.into_result(())?;
    let agency = state
        .store
        .create_agency(Some(&user.actor), &code, &name)
        .await?;
    Ok((StatusCode::CREATED, Json(AgencyView::from(agency))))
}

// --- API tokens ----------------------------------------------------------------------------------

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    pub user_id: UserId,
    pub name: String,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
    /// What the token is limited to; `null`: its user's whole role.
    pub permissions: Option<Vec<&'static str>>,
    pub revoked: bool,
}

impl From<TokenInfo> for TokenView {
    fn from(t: TokenInfo) -> Self {
        Self {
            id: t.id,
            user_id: t.user_id,
            name: t.name,
            expires_at: t.expires_at,
            permissions: t.permissions.map(|p| p.names()),
            revoked: t.revoked_at.is_some(),
        }
    }
}

/// The caller's own API tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin",
    responses((status = 200, body = [TokenView])),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let tokens = state
        .store
        .tokens(Some(&user.actor), Some(user.actor.user_id))
        .await?;
    Ok(Json(tokens.into_iter().map(TokenView::from).collect()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    pub name: String,
    /// 1 to 366; 90 when absent.
    #[serde(default)]
    pub expires_in_days: Option<i64>,
    /// Limit the token to these of the caller's permissions.
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewTokenView {
    #[serde(flatten)]
    pub info: TokenView,
    /// Shown once: send it as `Authorization: Bearer …`.
    pub token: String,
}

/// Creates an API token for the caller, expiring, optionally limited to part of their role.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", request_body = NewTokenRequest,
    responses((status = 201, body = NewTokenView), (status = 422, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_token(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<NewTokenView>), ApiError> {
    let req: NewTokenRequest = from_json(body)?;
    let mut p = Problems::new();
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        p.push(
            "name",
            format!("must be 1 to {MAX_DISPLAY_NAME_CHARS} characters"),
        );
    }
    let days = req.expires_in_days.unwrap_or(90);
    if !(1..=MAX_TOKEN_DAYS).contains(&days) {
        p.push(
            "expires_in_days",
            format!("must be from 1 to {MAX_TOKEN_DAYS}"),
        );
    }
    let permissions = match &req.permissions {
        None => None,
        Some(names) => PermissionSet::parse_all(names)
            .map_err(|bad| {
                for (i, e) in bad {
                    p.push(format!("permissions.{i}"), e);
                }
            })
            .ok(),
    };
    p.into_result(())?;
    // A token never carries more than the credential that made it.
    let permissions = Some(
        permissions
            .unwrap_or(user.actor.permissions)
            .intersect(user.actor.permissions),
    );
    let secret = new_token(TOKEN_PREFIX).map_err(|_| ApiError::Internal)?;
    let info = state
        .store
        .create_token(
            Some(&user.actor),
            NewToken {
                user_id: user.actor.user_id,
                name,
                token_digest: token_digest(secret.expose()),
                expires_at: Some(state.store.clock().now() + Duration::days(days)),
                permissions,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenView {
            info: TokenView::from(info),
            token: secret.expose().to_string(),
        }),
    ))
}

/// Revokes a token at once (one's own, or, for a user manager, one of their users').
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "admin",
    params(("id" = String, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), (status = 404, body = crate::error::ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn revoke_token(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: uuid::Uuid = path_id(&id)?;
    state.store.revoke_token(Some(&user.actor), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
