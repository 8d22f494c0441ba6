//! Case management for children on the move: the daily work after registration, following the
//! Inter-Agency Case Management Guidelines.
//!
//! Each module is pure: it validates what a caseworker sends (every problem with its field path,
//! like [`crate::case::validate`]) and decides what a change means (next state, events, alerts,
//! due dates), so the store can carry a change out through the one write door (policy →
//! validation → one transaction: record + history + audit) without any rule of its own.
//!
//! - [`workflow`]: the six steps, supervisor approvals, Best Interests Determination, closure and
//!   reopening, as a state machine whose refusals name the actions that are allowed instead.
//! - [`tasks`]: due dates from the risk level, the case plan, pending approvals, BID reviews and
//!   expiring legal status or documents.
//! - [`placement`]: care arrangements as a history; detention alerts and days detained.
//! - [`identity`]: birth registration, identity documents, legal status.
//! - [`referral`]: services and referrals between agencies.
//! - [`incident`]: violence, exploitation, trafficking (IOM HTCDS), discrimination.
//! - [`route`]: reasons for leaving and the places on the way.
//! - [`transfer`]: assignment, transfer to another agency, flags, case notes.
//!
//! Inputs (`…Doc`) carry codes as strings, like [`crate::case::CaseDoc`]; what the domain hands
//! back to be stored carries typed values that serialise to the same strings.

pub mod codes;
pub mod identity;
pub mod incident;
pub mod placement;
pub mod referral;
pub mod route;
pub mod tasks;
pub mod transfer;
pub mod workflow;

mod check;

pub use check::{MAX_NOTE_CHARS, MAX_TEXT_CHARS};

/// A closed set of codes that the domain's logic depends on (a workflow stage, a referral state),
/// with the same string on the wire as in [`Self::as_str`]. Open-ended vocabularies (closure
/// reasons, incident types) are code lists in `data/` instead, see [`codes`].
macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name { $($(#[$vm])* #[serde(rename = $s)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            pub fn parse(raw: &str) -> Result<Self, String> {
                match raw.trim() {
                    $($s => Ok($name::$variant),)+
                    other => Err(format!(
                        "'{}' is not one of: {}",
                        $crate::country::clip(other),
                        [$($s),+].join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use wire_enum;

/// An action not allowed in the current state (→ 409 with `code`, `reason` and `allowed`).
/// `K` is the kind of action of the machine that refused: [`workflow::ActionKind`],
/// [`referral::ReferralActionKind`], [`transfer::TransferActionKind`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("{reason}")]
pub struct Refusal<K = workflow::ActionKind> {
    /// Stable snake_case, e.g. `case_closed`, `approval_required`, `own_request`.
    pub code: String,
    pub reason: String,
    /// What may be done instead, now, by this actor.
    pub allowed: Vec<K>,
}

impl<K> Refusal<K> {
    pub(crate) fn new(code: &str, reason: impl Into<String>, allowed: Vec<K>) -> Self {
        Self {
            code: code.to_string(),
            reason: reason.into(),
            allowed,
        }
    }
}

/// A deployment's case-management settings, as `haven.toml` would hold them under `[casework]`;
/// whatever is left out keeps its default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub approvals: workflow::ApprovalSettings,
    pub tasks: tasks::TaskSettings,
}

/// Why a casework change was not made: its fields (→ 422 naming each) or the state of the case
/// (→ 409 with the allowed actions). Nothing was changed either way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected<K = workflow::ActionKind> {
    #[error("{0}")]
    Invalid(crate::problems::Problems),
    #[error("{0}")]
    Refused(Refusal<K>),
}

impl<K> From<crate::problems::Problems> for Rejected<K> {
    fn from(p: crate::problems::Problems) -> Self {
        Self::Invalid(p)
    }
}

impl<K> From<Refusal<K>> for Rejected<K> {
    fn from(r: Refusal<K>) -> Self {
        Self::Refused(r)
    }
}

/// The hook for consent (the access layer's business): proof, made by whoever checked the
/// child's consent or another legal basis, that the case may be shared with `recipient` for
/// `purpose`. A referral or a transfer demands one that names its own recipient and purpose, so
/// a check made for one agency or service cannot be reused for another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentCheck {
    pub recipient: crate::ids::AgencyId,
    /// A service type code for a referral (`education`, `legal_aid`, …), `transfer` for a transfer.
    pub purpose: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_from_toml_keep_defaults_for_what_is_left_out() {
        let s: Settings = toml::from_str(
            "[approvals]\nclosure = false\n[tasks.high]\nassessment_within_hours = 12\ncase_plan_within_days = 2\nfollow_up_every_days = 3\n",
        )
        .unwrap();
        assert!(s.approvals.assessment && !s.approvals.closure);
        assert_eq!(s.tasks.high.assessment_within_hours, 12);
        assert_eq!(s.tasks.medium, tasks::TaskSettings::default().medium);
        assert!(toml::from_str::<Settings>("[approvals]\nclosure_typo = true\n").is_err());
    }
}

// Calendar dates travel as `YYYY-MM-DD`, instants as RFC 3339, in every stored casework value.
time::serde::format_description!(pub(crate) ymd, Date, "[year]-[month]-[day]");
