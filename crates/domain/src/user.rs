//! People who sign in, and the checks on what they type when an account is made.

use crate::access::{FieldClassSet, PermissionSet, RoleSpec, ScopeLevel};
use crate::country::clip;
use crate::ids::{AgencyId, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub agency_id: AgencyId,
    pub role: RoleSpec,
    pub active: bool,
    /// Whether a TOTP second factor is set up.
    pub mfa_enrolled: bool,
}

/// The authenticated person behind a request or a command, with what their role (narrowed by
/// the credential they used) lets them do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub agency_id: AgencyId,
    pub role: String,
    pub permissions: PermissionSet,
    pub scope: ScopeLevel,
    pub sees: FieldClassSet,
}

impl Actor {
    /// The actor with only those of its permissions that are also in `allowed` (an API token
    /// scoped to part of its user's role).
    pub fn narrowed(mut self, allowed: PermissionSet) -> Self {
        self.permissions = self.permissions.intersect(allowed);
        self
    }
}

impl From<&User> for Actor {
    fn from(u: &User) -> Self {
        Self {
            user_id: u.id,
            agency_id: u.agency_id,
            role: u.role.name.clone(),
            permissions: u.role.permissions,
            scope: u.role.scope,
            sees: u.role.sees,
        }
    }
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Lower-cases and checks an e-mail address used as a login name.
pub fn parse_email(raw: &str) -> Result<String, String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@').unwrap_or(("", ""));
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(email)
    } else {
        Err(format!("'{}' is not an e-mail address", clip(raw)))
    }
}

pub fn check_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "must be at least {MIN_PASSWORD_CHARS} characters long"
        ));
    }
    if crate::passwords::is_common(password) {
        return Err("is one of the most common passwords; choose another".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            parse_email(" Admin@Example.org ").as_deref(),
            Ok("admin@example.org")
        );
        assert!(parse_email("admin").is_err());
        assert!(parse_email("a@b@c").is_err());
        assert!(parse_email("a b@c").is_err());
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password("short").is_err());
        assert!(check_password("correct horse battery").is_ok());
    }
}
