//! Administration: users (create, disable), roles, groups and agencies, as the admin API sees
//! them (`store.users`, `roles`, `groups`, `agencies`; `admin::new_user`).

use axum::extract::{Path, State};
use axum::response::Response;
use haven_domain::access::Permission;
use haven_domain::ids::UserId;
use haven_store::StoreError;

use super::forms::{FieldErrors, FormData};
use super::{Chrome, Posted, UiError, UiUser, html, see_other};
use crate::AppState;
use crate::admin::NewUserRequest;
use crate::error::ApiError;

pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub agency: String,
    pub active: bool,
    pub mfa: bool,
    pub me: bool,
}

pub struct RoleRow {
    pub name: String,
    pub scope: String,
    pub permissions: String,
    pub mfa: bool,
}

pub struct NamedRow {
    pub name: String,
    pub detail: String,
}

#[derive(askama::Template)]
#[template(path = "admin.html")]
struct AdminPage {
    c: Chrome,
    users: Vec<UserRow>,
    roles: Vec<RoleRow>,
    groups: Vec<NamedRow>,
    agencies: Vec<NamedRow>,
    role_names: Vec<String>,
    input: FormData,
    errors: FieldErrors,
}

pub async fn page(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    render(&state, &user, FormData::default(), FieldErrors::default()).await
}

async fn render(
    state: &AppState,
    user: &UiUser,
    input: FormData,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    user.require(Permission::UserManage)?;
    let c = user.chrome(user.lang.t("admin-title"));
    let store = &state.store;
    let agencies = store.agencies().await.map_err(|e| user.err(e))?;
    let agency_name = |id| {
        agencies
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.code.clone())
            .unwrap_or_default()
    };
    let users = store
        .users(Some(&user.actor))
        .await
        .map_err(|e| user.err(e))?
        .into_iter()
        .map(|u| UserRow {
            id: u.id.to_string(),
            name: u.display_name.clone(),
            email: u.email.clone(),
            role: u.role.name.clone(),
            agency: agency_name(u.agency_id),
            active: u.active,
            mfa: u.mfa_enrolled,
            me: u.id == user.user.id,
        })
        .collect();
    let roles = store.roles().await.map_err(|e| user.err(e))?;
    let role_names = roles.iter().map(|r| r.name.clone()).collect();
    let roles = roles
        .into_iter()
        .map(|r| RoleRow {
            mfa: r.requires_mfa(),
            scope: c.code("scope", r.scope.as_str()),
            permissions: r.permissions.names().join(", "),
            name: r.name,
        })
        .collect();
    let groups = store
        .groups(&user.actor)
        .await
        .map_err(|e| user.err(e))?
        .into_iter()
        .map(|g| NamedRow {
            detail: format!(
                "{} · {}",
                agency_name(g.agency_id),
                c.tn("members", "count", g.members.len() as i64)
            ),
            name: g.name,
        })
        .collect();
    let agencies = agencies
        .iter()
        .map(|a| NamedRow {
            name: a.code.clone(),
            detail: a.name.clone(),
        })
        .collect();
    Ok(html(&AdminPage {
        c,
        users,
        roles,
        groups,
        agencies,
        role_names,
        input,
        errors,
    }))
}

pub async fn create_user(
    State(state): State<AppState>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { user, form } = posted;
    user.require(Permission::UserManage)?;
    let req = NewUserRequest {
        email: form.get("email").trim().to_string(),
        display_name: form.get("display_name").to_string(),
        agency_id: None,
        role: form.get("role").to_string(),
        password: form.get("password").to_string(),
    };
    let fields: &[(&str, &str)] = &[
        ("email", "email"),
        ("display_name", "display_name"),
        ("role", "role"),
        ("password", "password"),
    ];
    match crate::admin::new_user(&state, &user.actor, req).await {
        Ok(_) => Ok(see_other("/admin")),
        Err(ApiError::Validation(p)) => {
            let errors = FieldErrors::from_problems(user.lang, &p, fields);
            render(&state, &user, without_password(form), errors).await
        }
        Err(ApiError::Conflict(_)) => {
            let errors = FieldErrors::single("email", user.lang.t("problem-email-taken"));
            render(&state, &user, without_password(form), errors).await
        }
        Err(e) => Err(user.err(e)),
    }
}

/// A refused form keeps what was typed, except the password.
fn without_password(form: FormData) -> FormData {
    FormData::from_pairs(
        ["email", "display_name", "role"]
            .iter()
            .map(|k| (k.to_string(), form.get(k).to_string()))
            .collect(),
    )
}

pub async fn disable_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, UiError> {
    let user = posted.user;
    user.require(Permission::UserManage)?;
    let id: UserId = id.parse().map_err(|_| user.err(ApiError::NotFound))?;
    match state
        .store
        .set_user_active(Some(&user.actor), id, false)
        .await
    {
        Ok(_) => Ok(see_other("/admin")),
        Err(StoreError::Invalid(p)) => Err(user.err(ApiError::Validation(p))),
        Err(e) => Err(user.err(e)),
    }
}
