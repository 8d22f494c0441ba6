//! Potential matches between a tracing request and a case: the states a pair goes through, what
//! a tracing officer may decide, and what re-scoring a pair does to a decision already taken.
//!
//! The matcher proposes; people decide. A rejected pair stays rejected while the evidence is the
//! same: the evidence is the pair's *pattern* (the agreement level of every compared field), so a
//! corrected typo that changes no level does not bring the pair back, and a newly agreeing date
//! of birth does.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::case::{code, code_enum, optional_date, text};
use crate::problems::Problems;

/// Longest reviewer's comment.
pub const MAX_COMMENT_CHARS: usize = 2000;

code_enum!(
    /// Where a pair stands.
    MatchStatus {
        Proposed = "proposed",
        Confirmed = "confirmed",
        Rejected = "rejected",
        Reunified = "reunified",
    }
);

code_enum!(
    /// What a reviewer decides about a pair.
    Decision {
        Confirm = "confirm",
        Reject = "reject",
        Reunify = "reunify",
    }
);

impl MatchStatus {
    /// The decisions this state allows.
    pub fn allowed(self) -> &'static [Decision] {
        match self {
            Self::Proposed => &[Decision::Confirm, Decision::Reject],
            // A confirmation found wrong later can still be rejected.
            Self::Confirmed => &[Decision::Reunify, Decision::Reject],
            // A reviewer may change their mind on a rejection.
            Self::Rejected => &[Decision::Confirm],
            Self::Reunified => &[],
        }
    }

    /// The state after `decision`, or `None` when this state does not allow it.
    pub fn after(self, decision: Decision) -> Option<Self> {
        if !self.allowed().contains(&decision) {
            return None;
        }
        Some(match decision {
            Decision::Confirm => Self::Confirmed,
            Decision::Reject => Self::Rejected,
            Decision::Reunify => Self::Reunified,
        })
    }
}

/// A reviewer's decision as the API carries it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DecisionDoc {
    /// confirm | reject | reunify
    #[serde(default)]
    pub decision: String,
    /// Why; required to reject.
    #[serde(default)]
    pub comment: Option<String>,
    /// YYYY-MM-DD, for `reunify`; today when absent.
    #[serde(default)]
    pub reunified_on: Option<String>,
}

/// A decision that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidDecision {
    pub decision: Decision,
    pub comment: Option<String>,
    pub reunified_on: Option<Date>,
}

/// Checks the fields of a decision, naming every problem by field. Whether the pair's state
/// allows it is [`MatchStatus::after`]'s question.
pub fn validate(doc: &DecisionDoc, today: Date) -> Result<ValidDecision, Problems> {
    let mut p = Problems::new();
    let decision = if doc.decision.trim().is_empty() {
        p.push("decision", "is required");
        None
    } else {
        code(&mut p, "decision", Some(&doc.decision), Decision::parse)
    };
    let comment = text(&mut p, "comment", doc.comment.as_deref(), MAX_COMMENT_CHARS);
    if decision == Some(Decision::Reject) && comment.is_none() && !p.has("comment") {
        p.push("comment", "is required to reject a match");
    }
    let reunified_on = optional_date(&mut p, "reunified_on", doc.reunified_on.as_deref(), today);
    if reunified_on.is_some() && decision.is_some_and(|d| d != Decision::Reunify) {
        p.push("reunified_on", "is only for a reunification");
    }
    match decision {
        Some(decision) if p.is_empty() => Ok(ValidDecision {
            decision,
            comment,
            reunified_on: match decision {
                Decision::Reunify => Some(reunified_on.unwrap_or(today)),
                _ => None,
            },
        }),
        _ => Err(p),
    }
}

/// What re-scoring does to a stored pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rescore {
    /// A new pair above the threshold: propose it.
    Propose,
    /// Still proposed: refresh its probability and explanation.
    Refresh,
    /// Rejected, but the evidence changed: propose it again.
    Repropose,
    /// No longer a candidate and never decided: take the proposal back.
    Withdraw,
    /// Leave it as it is.
    Keep,
}

/// The fate of a pair after its records were scored again. `stored` is its state and the
/// pattern it had when last decided (or proposed); `scored` the pattern now, `None` when the
/// pair is no longer a candidate (below the threshold, or the child's consent for tracing gone).
pub fn rescore(stored: Option<(MatchStatus, &str)>, scored: Option<&str>) -> Rescore {
    match (stored, scored) {
        (None, Some(_)) => Rescore::Propose,
        (None, None) => Rescore::Keep,
        (Some((MatchStatus::Proposed, _)), Some(_)) => Rescore::Refresh,
        (Some((MatchStatus::Proposed, _)), None) => Rescore::Withdraw,
        (Some((MatchStatus::Rejected, was)), Some(now)) if was != now => Rescore::Repropose,
        (Some(_), _) => Rescore::Keep,
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    const TODAY: Date = date!(2026 - 11 - 23);

    fn doc(decision: &str, comment: Option<&str>) -> DecisionDoc {
        DecisionDoc {
            decision: decision.into(),
            comment: comment.map(Into::into),
            reunified_on: None,
        }
    }

    #[test]
    fn a_proposal_is_confirmed_or_rejected_and_only_a_confirmed_pair_is_reunified() {
        use Decision::*;
        use MatchStatus::*;
        assert_eq!(Proposed.after(Confirm), Some(Confirmed));
        assert_eq!(Proposed.after(Reject), Some(Rejected));
        assert_eq!(Proposed.after(Reunify), None);
        assert_eq!(Confirmed.after(Reunify), Some(Reunified));
        assert_eq!(Rejected.after(Reunify), None);
        for d in Decision::ALL {
            assert_eq!(Reunified.after(*d), None, "reunified is final");
        }
    }

    #[test]
    fn rejecting_needs_a_reason_and_each_field_is_named() {
        let e = validate(&doc("reject", None), TODAY).unwrap_err();
        assert!(e.has("comment"));
        let e = validate(&doc("maybe", None), TODAY).unwrap_err();
        assert!(e.has("decision"));
        let e = validate(&doc("", None), TODAY).unwrap_err();
        assert!(e.has("decision"));
        let mut d = doc("confirm", None);
        d.reunified_on = Some("2026-11-01".into());
        assert!(validate(&d, TODAY).unwrap_err().has("reunified_on"));
        let mut d = doc("reunify", None);
        d.reunified_on = Some("2027-01-01".into());
        assert!(validate(&d, TODAY).unwrap_err().has("reunified_on"));
        let ok = validate(&doc("reunify", None), TODAY).unwrap();
        assert_eq!(ok.reunified_on, Some(TODAY));
        let ok = validate(&doc("reject", Some("different parents")), TODAY).unwrap();
        assert_eq!(ok.decision, Decision::Reject);
    }

    #[test]
    fn a_rejected_pair_comes_back_only_when_the_evidence_changes() {
        use MatchStatus::*;
        let before = "given_name:exact;date_of_birth:disagree";
        let after = "given_name:exact;date_of_birth:exact";
        assert_eq!(
            rescore(Some((Rejected, before)), Some(before)),
            Rescore::Keep
        );
        assert_eq!(
            rescore(Some((Rejected, before)), Some(after)),
            Rescore::Repropose
        );
        assert_eq!(rescore(Some((Rejected, before)), None), Rescore::Keep);
        assert_eq!(rescore(None, Some(after)), Rescore::Propose);
        assert_eq!(rescore(None, None), Rescore::Keep);
        assert_eq!(
            rescore(Some((Proposed, before)), Some(after)),
            Rescore::Refresh
        );
        assert_eq!(rescore(Some((Proposed, before)), None), Rescore::Withdraw);
        assert_eq!(rescore(Some((Confirmed, before)), None), Rescore::Keep);
        assert_eq!(
            rescore(Some((Reunified, before)), Some(after)),
            Rescore::Keep
        );
    }
}
