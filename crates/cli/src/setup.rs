//! First start, users and tokens: what an operator does from the command line.

use anyhow::{Context, bail};
use haven_crypto::{Secret, hash_password, new_password, new_token, token_digest};
use haven_domain::access::{PermissionSet, SYSTEM_ADMIN};
use haven_domain::user::{User, check_password, parse_email};
use haven_store::{NewToken, NewUser, Store};

/// The administrator's e-mail when none is given.
pub const DEFAULT_ADMIN_EMAIL: &str = "admin@haven.local";

pub struct Created {
    pub user: User,
    pub password: Secret,
    /// Whether the password was generated (and so must be shown).
    pub generated: bool,
}

/// A password from `HAVEN_ADMIN_PASSWORD`-like input, checked, or a fresh one.
fn password_or_new(given: Option<String>) -> anyhow::Result<(Secret, bool)> {
    match given {
        Some(p) => {
            check_password(&p).map_err(|e| anyhow::anyhow!("password: {e}"))?;
            Ok((Secret::new(p), false))
        }
        None => Ok((new_password()?, true)),
    }
}

/// Creates the first agency and its administrator. Refuses if any user exists.
pub async fn init(
    store: &dyn Store,
    admin_email: &str,
    password: Option<String>,
    agency_code: &str,
    agency_name: &str,
) -> anyhow::Result<Created> {
    let users = store.user_count().await?;
    if users > 0 {
        bail!("this database is already initialised ({users} user(s) exist); nothing was changed");
    }
    let email = parse_email(admin_email).map_err(|e| anyhow::anyhow!("admin e-mail: {e}"))?;
    let (password, generated) = password_or_new(password)?;
    let agency = store
        .create_agency(None, agency_code, agency_name)
        .await
        .context("creating the first agency")?;
    let user = create_user(
        store,
        &email,
        "Administrator",
        agency.id,
        SYSTEM_ADMIN,
        &password,
    )
    .await?;
    Ok(Created {
        user,
        password,
        generated,
    })
}

pub async fn create_user(
    store: &dyn Store,
    email: &str,
    display_name: &str,
    agency_id: haven_domain::ids::AgencyId,
    role: &str,
    password: &Secret,
) -> anyhow::Result<User> {
    let email = parse_email(email).map_err(|e| anyhow::anyhow!("e-mail: {e}"))?;
    let to_hash = password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&to_hash)).await??;
    Ok(store
        .create_user(
            None,
            NewUser {
                email,
                display_name: display_name.to_string(),
                agency_id,
                role: role.to_string(),
                password_hash: Some(hash),
            },
        )
        .await?)
}

/// `haven user create`: an account in an existing agency (by code; the first agency if none).
pub async fn add_user(
    store: &dyn Store,
    email: &str,
    name: Option<&str>,
    role: &str,
    agency_code: Option<&str>,
    password: Option<String>,
) -> anyhow::Result<Created> {
    if !store.roles().await?.iter().any(|r| r.name == role) {
        bail!("role: '{role}' is not a role; `haven role list` shows them");
    }
    let agencies = store.agencies().await?;
    let agency = match agency_code {
        Some(code) => agencies
            .iter()
            .find(|a| a.code == code)
            .with_context(|| format!("agency: no agency has the code '{code}'"))?,
        None => agencies
            .first()
            .context("no agency exists yet: run `haven init` first")?,
    };
    let (password, generated) = password_or_new(password)?;
    let user = create_user(
        store,
        email,
        name.unwrap_or(email),
        agency.id,
        role,
        &password,
    )
    .await?;
    Ok(Created {
        user,
        password,
        generated,
    })
}

/// A new API token for a user; only its digest is stored.
pub async fn create_token(
    store: &dyn Store,
    email: &str,
    name: &str,
    expires_in_days: i64,
    permissions: &[String],
) -> anyhow::Result<Secret> {
    let email = parse_email(email).map_err(|e| anyhow::anyhow!("user: {e}"))?;
    let user = store
        .user_by_email(&email)
        .await?
        .with_context(|| format!("user: no user has the e-mail {email}"))?
        .user;
    if !user.active {
        bail!("user: {email} is disabled");
    }
    if !(1..=366).contains(&expires_in_days) {
        bail!("expires-in-days: must be from 1 to 366");
    }
    let expires_at = Some(store.clock().now() + time::Duration::days(expires_in_days));
    let permissions = if permissions.is_empty() {
        None
    } else {
        Some(PermissionSet::parse_all(permissions).map_err(|bad| {
            anyhow::anyhow!(
                "permissions: {}",
                bad.into_iter()
                    .map(|(_, e)| e)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })?)
    };
    let token = new_token(haven_web::auth::TOKEN_PREFIX)?;
    store
        .create_token(
            None,
            NewToken {
                user_id: user.id,
                name: name.to_string(),
                token_digest: token_digest(token.expose()),
                expires_at,
                permissions,
            },
        )
        .await?;
    Ok(token)
}

/// `haven user disable|enable`: disabling ends every session of the user at once.
pub async fn set_active(store: &dyn Store, email: &str, active: bool) -> anyhow::Result<User> {
    let email = parse_email(email).map_err(|e| anyhow::anyhow!("email: {e}"))?;
    let user = store
        .user_by_email(&email)
        .await?
        .with_context(|| format!("email: no user has the e-mail {email}"))?
        .user;
    Ok(store.set_user_active(None, user.id, active).await?)
}
