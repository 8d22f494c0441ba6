//! People who sign in, and the checks on what they type when an account is made.

use crate::country::clip;
use crate::ids::{AgencyId, UserId};

/// What a user may do. The full permission model (roles as data) replaces this; until then an
/// administrator manages users and tokens, and everyone works the cases of their own agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Caseworker,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Caseworker => "caseworker",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "admin" => Ok(Self::Admin),
            "caseworker" => Ok(Self::Caseworker),
            other => Err(format!(
                "'{}' is not one of: admin, caseworker",
                clip(other)
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub agency_id: AgencyId,
    pub role: Role,
    pub active: bool,
}

/// The authenticated person behind a request or a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub agency_id: AgencyId,
    pub role: Role,
}

impl From<&User> for Actor {
    fn from(u: &User) -> Self {
        Self {
            user_id: u.id,
            agency_id: u.agency_id,
            role: u.role,
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
