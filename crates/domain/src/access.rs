//! Roles as data: what a role permits (permissions = resources × actions), how far it reaches (a
//! record scope) and which classes of fields it sees. Admins edit roles; the seeded ones below are
//! where a deployment starts.

use std::fmt;

use crate::country::clip;

macro_rules! permissions {
    ($($variant:ident = $s:literal: $doc:literal),+ $(,)?) => {
        /// One thing a role may do: `resource.action`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Permission { $(#[doc = $doc] $variant),+ }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Permission::$variant => $s),+ }
            }

            pub fn describe(self) -> &'static str {
                match self { $(Permission::$variant => $doc),+ }
            }

            pub fn parse(raw: &str) -> Result<Self, String> {
                match raw.trim() {
                    $($s => Ok(Permission::$variant),)+
                    other => Err(format!("'{}' is not a permission", clip(other))),
                }
            }
        }
    };
}

permissions! {
    CaseRead = "case.read": "see cases and their history",
    CaseCreate = "case.create": "register children",
    CaseUpdate = "case.update": "change cases",
    CaseApprove = "case.approve": "approve assessments, case plans and closures",
    CaseAssign = "case.assign": "assign cases to caseworkers",
    CaseTransfer = "case.transfer": "transfer cases to another agency",
    TracingRead = "tracing_request.read": "see tracing requests",
    TracingCreate = "tracing_request.create": "file tracing requests",
    TracingUpdate = "tracing_request.update": "change tracing requests",
    MatchReview = "match.review": "confirm or reject proposed matches",
    ConsentOverride = "consent.override": "act without consent, stating a reason",
    BreakGlass = "record.break_glass": "open a record outside one's scope, stating a reason",
    RecordExport = "record.export": "export records with personal data",
    ReportRead = "report.read": "see aggregate reports",
    ReportExport = "report.export": "export aggregate reports",
    PledgeManage = "pledge.manage": "record and change commitments (pledges) in the tracker",
    UserManage = "user.manage": "create, disable and change users",
    GroupManage = "group.manage": "create groups and set their members",
    RoleManage = "role.manage": "create and edit roles",
    AgencyManage = "agency.manage": "create agencies",
    AuditRead = "audit.read": "read and verify the audit log",
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PermissionSet(u64);

impl PermissionSet {
    pub const EMPTY: Self = Self(0);

    pub fn all() -> Self {
        Permission::ALL.iter().copied().collect()
    }

    pub fn contains(self, p: Permission) -> bool {
        self.0 & (1 << p as u8) != 0
    }

    pub fn insert(&mut self, p: Permission) {
        self.0 |= 1 << p as u8;
    }

    pub fn is_subset(self, of: Self) -> bool {
        self.0 & !of.0 == 0
    }

    pub fn intersect(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .iter()
            .copied()
            .filter(move |p| self.contains(*p))
    }

    /// Parses a list of permission names, naming the position of each bad one.
    pub fn parse_all<S: AsRef<str>>(raw: &[S]) -> Result<Self, Vec<(usize, String)>> {
        let mut set = Self::EMPTY;
        let mut bad = Vec::new();
        for (i, r) in raw.iter().enumerate() {
            match Permission::parse(r.as_ref()) {
                Ok(p) => set.insert(p),
                Err(e) => bad.push((i, e)),
            }
        }
        if bad.is_empty() { Ok(set) } else { Err(bad) }
    }

    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Permission::as_str).collect()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<T: IntoIterator<Item = Permission>>(iter: T) -> Self {
        let mut set = Self::EMPTY;
        for p in iter {
            set.insert(p);
        }
        set
    }
}

/// How far a role reaches among records. Ordered: each level includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScopeLevel {
    /// The cases one is the caseworker of (and the requests one filed).
    Own,
    /// Those of anyone sharing a group with one, in one's agency.
    Group,
    /// Everything of one's agency.
    Agency,
    /// Every agency of the deployment.
    All,
}

impl ScopeLevel {
    pub const ALL: &'static [ScopeLevel] = &[Self::Own, Self::Group, Self::Agency, Self::All];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Own => "own",
            Self::Group => "group",
            Self::Agency => "agency",
            Self::All => "all",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "own" => Ok(Self::Own),
            "group" => Ok(Self::Group),
            "agency" => Ok(Self::Agency),
            "all" => Ok(Self::All),
            other => Err(format!(
                "'{}' is not one of: own, group, agency, all",
                clip(other)
            )),
        }
    }
}

/// Sensitivity classes of fields. A role sees a field only if it sees the field's class; a
/// field it does not see is absent from what it gets, not blanked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FieldClass {
    /// Names, dates of birth: what tells who the child or a relative is.
    Identifying,
    /// Phone numbers, addresses, other ways to reach someone.
    Contact,
    /// Health conditions and care.
    Health,
    /// Specific needs, incidents, notes: the story of what happened to the child.
    Protection,
}

impl FieldClass {
    pub const ALL: &'static [FieldClass] = &[
        Self::Identifying,
        Self::Contact,
        Self::Health,
        Self::Protection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identifying => "identifying",
            Self::Contact => "contact",
            Self::Health => "health",
            Self::Protection => "protection",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == raw.trim())
            .ok_or_else(|| {
                format!(
                    "'{}' is not one of: identifying, contact, health, protection",
                    clip(raw)
                )
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FieldClassSet(u8);

impl FieldClassSet {
    pub const NONE: Self = Self(0);

    pub fn all() -> Self {
        FieldClass::ALL.iter().copied().collect()
    }

    pub fn contains(self, c: FieldClass) -> bool {
        self.0 & (1 << c as u8) != 0
    }

    pub fn is_subset(self, of: Self) -> bool {
        self.0 & !of.0 == 0
    }

    pub fn names(self) -> Vec<&'static str> {
        FieldClass::ALL
            .iter()
            .filter(|c| self.contains(**c))
            .map(|c| c.as_str())
            .collect()
    }

    pub fn parse_all<S: AsRef<str>>(raw: &[S]) -> Result<Self, Vec<(usize, String)>> {
        let mut set = Self::NONE;
        let mut bad = Vec::new();
        for (i, r) in raw.iter().enumerate() {
            match FieldClass::parse(r.as_ref()) {
                Ok(c) => set.0 |= 1 << c as u8,
                Err(e) => bad.push((i, e)),
            }
        }
        if bad.is_empty() { Ok(set) } else { Err(bad) }
    }
}

impl FromIterator<FieldClass> for FieldClassSet {
    fn from_iter<T: IntoIterator<Item = FieldClass>>(iter: T) -> Self {
        Self(iter.into_iter().fold(0, |acc, c| acc | 1 << c as u8))
    }
}

/// A role: a name, what it permits, how far it reaches and what it sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSpec {
    pub name: String,
    pub description: String,
    pub permissions: PermissionSet,
    pub scope: ScopeLevel,
    pub sees: FieldClassSet,
}

impl RoleSpec {
    /// Roles that can take data out of the system or act across agencies need a second factor.
    pub fn requires_mfa(&self) -> bool {
        self.scope == ScopeLevel::All
            || self.permissions.contains(Permission::RecordExport)
            || self.permissions.contains(Permission::ReportExport)
    }

    /// Whether someone holding `granter` may hand this role out (or create it): they must hold
    /// every permission it has, reach at least as far, and see at least what it sees.
    pub fn grantable_by(&self, granter: &RoleSpec) -> bool {
        self.within(granter.permissions, granter.scope, granter.sees)
    }

    /// Whether this role asks for nothing beyond the given permissions, reach and classes.
    pub fn within(
        &self,
        permissions: PermissionSet,
        scope: ScopeLevel,
        sees: FieldClassSet,
    ) -> bool {
        self.permissions.is_subset(permissions) && self.scope <= scope && self.sees.is_subset(sees)
    }
}

/// Longest role name accepted.
pub const MAX_ROLE_NAME_CHARS: usize = 64;

/// Role names are short snake_case identifiers, so they can appear in URLs and audit entries.
pub fn parse_role_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    let ok = !name.is_empty()
        && name.len() <= MAX_ROLE_NAME_CHARS
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(name.to_string())
    } else {
        Err(format!(
            "'{}' is not a role name: use 1 to {MAX_ROLE_NAME_CHARS} lower-case letters, digits and _, starting with a letter",
            clip(raw)
        ))
    }
}

pub const CASEWORKER: &str = "caseworker";
pub const SUPERVISOR: &str = "supervisor";
pub const TRACING_OFFICER: &str = "tracing_officer";
pub const DATA_OFFICER: &str = "data_officer";
pub const AGENCY_ADMIN: &str = "agency_admin";
pub const SYSTEM_ADMIN: &str = "system_admin";

/// The roles a new deployment starts with.
pub fn seeded_roles() -> Vec<RoleSpec> {
    use FieldClass::*;
    use Permission::*;
    let casework = [
        CaseRead,
        CaseCreate,
        CaseUpdate,
        TracingRead,
        TracingCreate,
        TracingUpdate,
    ];
    let role = |name: &str, description: &str, perms: &[Permission], scope, sees: &[FieldClass]| {
        RoleSpec {
            name: name.to_string(),
            description: description.to_string(),
            permissions: perms.iter().copied().collect(),
            scope,
            sees: sees.iter().copied().collect(),
        }
    };
    let everything = [Identifying, Contact, Health, Protection];
    let supervisor: Vec<Permission> = casework
        .iter()
        .copied()
        .chain([
            CaseApprove,
            CaseAssign,
            CaseTransfer,
            MatchReview,
            ConsentOverride,
            BreakGlass,
            ReportRead,
        ])
        .collect();
    let agency_admin: Vec<Permission> = supervisor
        .iter()
        .copied()
        .chain([UserManage, GroupManage, AuditRead])
        .collect();
    vec![
        role(
            CASEWORKER,
            "Registers and works the cases assigned to them",
            &casework
                .iter()
                .copied()
                .chain([BreakGlass])
                .collect::<Vec<_>>(),
            ScopeLevel::Own,
            &everything,
        ),
        role(
            SUPERVISOR,
            "Approves and assigns the cases of their groups",
            &supervisor,
            ScopeLevel::Group,
            &everything,
        ),
        role(
            TRACING_OFFICER,
            "Files tracing requests and reviews matches across the agency",
            &[
                CaseRead,
                TracingRead,
                TracingCreate,
                TracingUpdate,
                MatchReview,
            ],
            ScopeLevel::Agency,
            &[Identifying, Contact],
        ),
        role(
            DATA_OFFICER,
            "Reports on the commitments from aggregates; never sees a child's record",
            &[ReportRead, ReportExport, PledgeManage],
            ScopeLevel::Agency,
            &[],
        ),
        role(
            AGENCY_ADMIN,
            "Manages the users and groups of one agency",
            &agency_admin,
            ScopeLevel::Agency,
            &everything,
        ),
        role(
            SYSTEM_ADMIN,
            "Manages agencies, roles and the whole deployment",
            Permission::ALL,
            ScopeLevel::All,
            &everything,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeded(name: &str) -> RoleSpec {
        seeded_roles().into_iter().find(|r| r.name == name).unwrap()
    }

    #[test]
    fn permission_names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Ok(*p));
        }
        assert!(Permission::parse("case.delete").is_err());
        assert!(PermissionSet::all().iter().count() == Permission::ALL.len());
    }

    #[test]
    fn the_data_officer_sees_no_field_and_no_record() {
        let d = seeded(DATA_OFFICER);
        assert_eq!(d.sees, FieldClassSet::NONE);
        assert!(!d.permissions.contains(Permission::CaseRead));
        assert!(!d.permissions.contains(Permission::TracingRead));
        assert!(d.requires_mfa(), "it can export");
    }

    #[test]
    fn a_role_is_grantable_only_by_someone_holding_all_of_it() {
        let sys = seeded(SYSTEM_ADMIN);
        let agency_admin = seeded(AGENCY_ADMIN);
        for r in seeded_roles() {
            assert!(r.grantable_by(&sys), "{}", r.name);
        }
        assert!(seeded(CASEWORKER).grantable_by(&agency_admin));
        assert!(seeded(SUPERVISOR).grantable_by(&agency_admin));
        assert!(!seeded(SYSTEM_ADMIN).grantable_by(&agency_admin));
        // The data officer can export, which the agency admin cannot.
        assert!(!seeded(DATA_OFFICER).grantable_by(&agency_admin));
        assert!(!seeded(SUPERVISOR).grantable_by(&seeded(CASEWORKER)));
    }

    #[test]
    fn cross_agency_and_exporting_roles_need_a_second_factor() {
        let needs: Vec<String> = seeded_roles()
            .into_iter()
            .filter(RoleSpec::requires_mfa)
            .map(|r| r.name)
            .collect();
        assert_eq!(needs, [DATA_OFFICER, SYSTEM_ADMIN]);
    }

    #[test]
    fn role_names_are_identifiers() {
        assert_eq!(parse_role_name(" field_lead2 "), Ok("field_lead2".into()));
        assert!(parse_role_name("Field Lead").is_err());
        assert!(parse_role_name("2lead").is_err());
        assert!(parse_role_name("").is_err());
        assert!(parse_role_name("x'; drop table roles;--").is_err());
    }

    #[test]
    fn bad_permission_names_are_reported_by_position() {
        let err = PermissionSet::parse_all(&["case.read", "case.destroy"]).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].0, 1);
    }
}
