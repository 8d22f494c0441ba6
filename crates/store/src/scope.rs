//! The one place record queries get their scope: a `WHERE` fragment built from the actor's
//! [`Scope`], shared by both backends. Every query that returns records (or checks that one is
//! visible) includes it, so no caller can forget the filter.

use haven_domain::access::ScopeLevel;

/// How a backend numbers its parameters: `?1` on SQLite, `$1` on PostgreSQL.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Params {
    Sqlite,
    Postgres,
}

impl Params {
    fn n(self, n: usize) -> String {
        match self {
            Self::Sqlite => format!("?{n}"),
            Self::Postgres => format!("${n}"),
        }
    }
}

/// The record tables that scopes apply to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Table {
    Cases,
    TracingRequests,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Self::Cases => "cases",
            Self::TracingRequests => "tracing_requests",
        }
    }

    pub fn record_type(self) -> &'static str {
        match self {
            Self::Cases => crate::door::CASE,
            Self::TracingRequests => crate::door::TRACING_REQUEST,
        }
    }

    /// The user a record belongs to at the `own` level: a case's caseworker, a request's author.
    fn owner(self) -> &'static str {
        match self {
            Self::Cases => "caseworker_id",
            Self::TracingRequests => "created_by",
        }
    }
}

/// The fragment restricting rows of `table` (unaliased) to `scope`. It uses three parameters,
/// numbered from `first`: the actor's agency, the actor's user id, and now (for break-the-glass
/// grants still running); bind them with the backend's `bind_scope`.
pub(crate) fn clause(p: Params, table: Table, level: ScopeLevel, first: usize) -> String {
    let (agency, user, now) = (p.n(first), p.n(first + 1), p.n(first + 2));
    let owner = table.owner();
    let level_sql = match level {
        // Every level uses all three parameters, so every caller binds the same three.
        ScopeLevel::All => {
            return format!("({agency} IS NOT NULL AND {user} IS NOT NULL AND {now} IS NOT NULL)");
        }
        ScopeLevel::Agency => format!("agency_id = {agency}"),
        ScopeLevel::Group => format!(
            "(agency_id = {agency} AND ({owner} = {user} OR {owner} IN (
                SELECT m2.user_id FROM group_members m1
                JOIN group_members m2 ON m2.group_id = m1.group_id
                WHERE m1.user_id = {user})))"
        ),
        ScopeLevel::Own => format!("(agency_id = {agency} AND {owner} = {user})"),
    };
    format!(
        "({level_sql} OR id IN (
            SELECT g.record_id FROM access_grants g
            WHERE g.user_id = {user} AND g.record_type = '{}' AND g.expires_at > {now}))",
        table.record_type()
    )
}
