//! Who may do what to which record. Store queries take a [`Scope`] built here, so a handler cannot
//! forget to filter.

use crate::ids::AgencyId;
use crate::user::{Actor, Role};

/// The records an actor may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The records (cases, tracing requests) owned by one agency.
    Agency(AgencyId),
}

impl Scope {
    pub fn of(actor: &Actor) -> Self {
        Self::Agency(actor.agency_id)
    }

    pub fn admits(&self, owner: AgencyId) -> bool {
        match self {
            Self::Agency(a) => *a == owner,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    CreateCase,
    ReadCase,
    UpdateCase,
    CreateTracingRequest,
    ReadTracingRequest,
    UpdateTracingRequest,
    ManageUsers,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not permitted")]
pub struct Denied;

/// Whether `actor` may perform `action` on a record owned by `owner` (None: no record yet).
pub fn authorize(actor: &Actor, action: Action, owner: Option<AgencyId>) -> Result<(), Denied> {
    let in_scope = owner.is_none_or(|o| Scope::of(actor).admits(o));
    let permitted = match action {
        Action::CreateCase
        | Action::ReadCase
        | Action::UpdateCase
        | Action::CreateTracingRequest
        | Action::ReadTracingRequest
        | Action::UpdateTracingRequest => in_scope,
        Action::ManageUsers => actor.role == Role::Admin && in_scope,
    };
    if permitted { Ok(()) } else { Err(Denied) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: UserId::new_random(),
            agency_id: AgencyId::new_random(),
            role,
        }
    }

    #[test]
    fn cases_of_another_agency_are_out_of_reach() {
        let a = actor(Role::Caseworker);
        let other = AgencyId::new_random();
        assert!(authorize(&a, Action::ReadCase, Some(a.agency_id)).is_ok());
        assert_eq!(authorize(&a, Action::ReadCase, Some(other)), Err(Denied));
        assert_eq!(authorize(&a, Action::UpdateCase, Some(other)), Err(Denied));
        assert!(authorize(&a, Action::UpdateTracingRequest, Some(a.agency_id)).is_ok());
        assert_eq!(
            authorize(&a, Action::UpdateTracingRequest, Some(other)),
            Err(Denied)
        );
        let admin = actor(Role::Admin);
        assert_eq!(
            authorize(&admin, Action::ReadCase, Some(other)),
            Err(Denied)
        );
    }

    #[test]
    fn only_admins_manage_users() {
        assert!(authorize(&actor(Role::Admin), Action::ManageUsers, None).is_ok());
        assert_eq!(
            authorize(&actor(Role::Caseworker), Action::ManageUsers, None),
            Err(Denied)
        );
    }
}
