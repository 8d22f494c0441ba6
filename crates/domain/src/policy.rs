//! Who may do what to which record. A role's permissions say what; its scope says which records,
//! and store queries are built from the [`Scope`] here, so a handler cannot forget to filter.

use crate::access::{Permission, ScopeLevel};
use crate::ids::{AgencyId, UserId};
use crate::user::Actor;

/// The records an actor may see: the store turns this into the `WHERE` clause of every query
/// that returns records. Records opened by break-the-glass are added by the store from its
/// grants, for as long as the grant lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub level: ScopeLevel,
    pub agency: AgencyId,
    pub user: UserId,
}

impl Scope {
    pub fn of(actor: &Actor) -> Self {
        Self {
            level: actor.scope,
            agency: actor.agency_id,
            user: actor.user_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not permitted: {0} is needed")]
pub struct Denied(pub Permission);

/// Whether `actor`'s role (as narrowed by the credential used) includes `permission`.
pub fn authorize(actor: &Actor, permission: Permission) -> Result<(), Denied> {
    if actor.permissions.contains(permission) {
        Ok(())
    } else {
        Err(Denied(permission))
    }
}

/// Like [`authorize`], for acting on something that belongs to `agency` (a user, a group): only
/// an actor reaching all agencies may act on another agency's.
pub fn authorize_in(actor: &Actor, permission: Permission, agency: AgencyId) -> Result<(), Denied> {
    authorize(actor, permission)?;
    if actor.scope == ScopeLevel::All || actor.agency_id == agency {
        Ok(())
    } else {
        Err(Denied(permission))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{AGENCY_ADMIN, CASEWORKER, SYSTEM_ADMIN, seeded_roles};
    use crate::user::User;

    fn actor(role: &str) -> Actor {
        let role = seeded_roles().into_iter().find(|r| r.name == role).unwrap();
        Actor::from(&User {
            id: UserId::new_random(),
            email: "someone@example.org".into(),
            display_name: "Someone".into(),
            agency_id: AgencyId::new_random(),
            role,
            active: true,
            mfa_enrolled: false,
        })
    }

    #[test]
    fn permissions_come_from_the_role() {
        let a = actor(CASEWORKER);
        assert!(authorize(&a, Permission::CaseRead).is_ok());
        assert_eq!(
            authorize(&a, Permission::UserManage),
            Err(Denied(Permission::UserManage))
        );
    }

    #[test]
    fn only_all_agency_roles_act_on_another_agency() {
        let other = AgencyId::new_random();
        let admin = actor(AGENCY_ADMIN);
        assert!(authorize_in(&admin, Permission::UserManage, admin.agency_id).is_ok());
        assert!(authorize_in(&admin, Permission::UserManage, other).is_err());
        assert!(authorize_in(&actor(SYSTEM_ADMIN), Permission::UserManage, other).is_ok());
    }

    #[test]
    fn a_token_narrows_what_its_user_may_do() {
        let a = actor(AGENCY_ADMIN).narrowed([Permission::CaseRead].into_iter().collect());
        assert!(authorize(&a, Permission::CaseRead).is_ok());
        assert!(authorize(&a, Permission::UserManage).is_err());
    }
}
