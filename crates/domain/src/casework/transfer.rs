//! Who holds a case, and what is said about it: assignment to a caseworker, transfer to another
//! agency of the deployment (which accepts or declines; the case keeps its history either way),
//! flags with a reason and a resolution, and case notes.
//!
//! Scope and consent are the access layer's: an assignee is described by an [`Assignee`] the
//! store looked up, and a transfer demands a [`ConsentCheck`] for the receiving agency.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::case::text;
use crate::ids::{AgencyId, UserId};
use crate::problems::Problems;

use super::check::{
    MAX_NOTE_CHARS, MAX_TEXT_CHARS, required_code, required_id, required_listed, required_text,
};
use super::codes::FLAG_REASONS;
use super::{ConsentCheck, Refusal, Rejected, wire_enum};

/// The purpose a [`ConsentCheck`] names for a transfer.
pub const TRANSFER_PURPOSE: &str = "transfer";

/// The user a case is to be assigned to, as the store found them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignee {
    pub user_id: UserId,
    pub agency_id: AgencyId,
    pub active: bool,
}

/// `{"user_id": "…"}`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AssignmentDoc {
    #[serde(default)]
    pub user_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub user_id: UserId,
    pub assigned_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub assigned_at: OffsetDateTime,
}

/// Reads the user id to assign to (→ 422 when it is not one).
pub fn validate_assignment(doc: &AssignmentDoc) -> Result<UserId, Problems> {
    let mut p = Problems::new();
    let id = required_id::<UserId>(&mut p, "user_id", &doc.user_id, "a user id");
    match id {
        Some(id) if p.is_empty() => Ok(id),
        _ => Err(p),
    }
}

/// Assigns a case owned by `case_agency` to `to`: an active user of the same agency. A case being
/// transferred stays with its agency until the transfer is accepted.
pub fn assign(
    case_agency: AgencyId,
    to: &Assignee,
    actor: UserId,
    now: OffsetDateTime,
) -> Result<Assignment, Refusal<TransferActionKind>> {
    if to.agency_id != case_agency {
        return Err(Refusal::new(
            "assignee_out_of_scope",
            "a case is assigned within its agency; transfer it to reach another",
            vec![],
        ));
    }
    if !to.active {
        return Err(Refusal::new(
            "assignee_inactive",
            "the user's account is not active",
            vec![],
        ));
    }
    Ok(Assignment {
        user_id: to.user_id,
        assigned_by: actor,
        assigned_at: now,
    })
}

wire_enum!(TransferStatus {
    Pending = "pending",
    Accepted = "accepted",
    Declined = "declined",
    Cancelled = "cancelled",
});

wire_enum!(TransferActionKind {
    Accept = "accept",
    Decline = "decline",
    Cancel = "cancel",
});

/// `{"to_agency_id": "…", "reason": "…"}`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TransferDoc {
    #[serde(default)]
    pub to_agency_id: String,
    /// Why the case moves. Sensitive: the store encrypts it.
    #[serde(default)]
    pub reason: String,
    /// Without consent to share with the receiving agency, a user holding `consent.override`
    /// says why the case must move (audited).
    #[serde(default)]
    pub consent_override_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transfer {
    pub from_agency: AgencyId,
    pub to_agency: AgencyId,
    pub reason: String,
    pub status: TransferStatus,
    pub requested_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    #[serde(default)]
    pub answered_by: Option<UserId>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub answered_at: Option<OffsetDateTime>,
    /// Why it was declined or cancelled.
    #[serde(default)]
    pub comment: Option<String>,
}

/// Asks `to_agency_id` to take over a case owned by `case_agency`. One transfer waits at a time;
/// consent for the receiving agency is required.
pub fn request_transfer(
    doc: &TransferDoc,
    case_agency: AgencyId,
    past: &[Transfer],
    consent: Option<&ConsentCheck>,
    actor: UserId,
    now: OffsetDateTime,
) -> Result<Transfer, TransferError> {
    let mut p = Problems::new();
    let to = required_id::<AgencyId>(&mut p, "to_agency_id", &doc.to_agency_id, "an agency id");
    let reason = required_text(&mut p, "reason", &doc.reason, MAX_TEXT_CHARS);
    if to == Some(case_agency) {
        p.push("to_agency_id", "is the agency that holds the case");
    }
    let (Some(to_agency), Some(reason)) = (to, reason) else {
        return Err(Rejected::Invalid(p));
    };
    if !p.is_empty() {
        return Err(Rejected::Invalid(p));
    }
    if past.iter().any(|t| t.status == TransferStatus::Pending) {
        return Err(Rejected::Refused(Refusal::new(
            "transfer_pending",
            "a transfer of this case already awaits an answer",
            vec![TransferActionKind::Cancel],
        )));
    }
    match consent {
        Some(c) if c.recipient == to_agency && c.purpose == TRANSFER_PURPOSE => {}
        _ => {
            return Err(Rejected::Refused(Refusal::new(
                "consent_required",
                "a transfer needs the child's consent (or another legal basis) for the receiving agency",
                vec![],
            )));
        }
    }
    Ok(Transfer {
        from_agency: case_agency,
        to_agency,
        reason,
        status: TransferStatus::Pending,
        requested_by: actor,
        requested_at: now,
        answered_by: None,
        answered_at: None,
        comment: None,
    })
}

/// Why a transfer could not be made: bad fields (→ 422) or the state (→ 409).
pub type TransferError = Rejected<TransferActionKind>;

/// `{"action": "decline", "comment": "…"}`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TransferActionDoc {
    /// accept | decline | cancel
    #[serde(default)]
    pub action: String,
    /// Required to decline or cancel.
    #[serde(default)]
    pub comment: Option<String>,
}

pub fn validate_transfer_action(
    doc: &TransferActionDoc,
) -> Result<(TransferActionKind, Option<String>), Problems> {
    let mut p = Problems::new();
    let kind = required_code(&mut p, "action", &doc.action, TransferActionKind::parse);
    let comment = match kind {
        Some(TransferActionKind::Decline | TransferActionKind::Cancel) => required_text(
            &mut p,
            "comment",
            doc.comment.as_deref().unwrap_or_default(),
            MAX_TEXT_CHARS,
        ),
        _ => text(&mut p, "comment", doc.comment.as_deref(), MAX_TEXT_CHARS),
    };
    match kind {
        Some(k) if p.is_empty() => Ok((k, comment)),
        _ => Err(p),
    }
}

impl Transfer {
    /// What `actor_agency` may do with this transfer now.
    pub fn allowed(&self, actor_agency: AgencyId) -> Vec<TransferActionKind> {
        if self.status != TransferStatus::Pending {
            return Vec::new();
        }
        if actor_agency == self.to_agency {
            vec![TransferActionKind::Accept, TransferActionKind::Decline]
        } else if actor_agency == self.from_agency {
            vec![TransferActionKind::Cancel]
        } else {
            Vec::new()
        }
    }

    /// Answers a pending transfer. On `accept` the store moves the case (its `agency_id`) to
    /// `to_agency` and clears the assignment, in the same transaction; the history stays.
    pub fn apply(
        &self,
        kind: TransferActionKind,
        comment: Option<String>,
        actor: UserId,
        actor_agency: AgencyId,
        now: OffsetDateTime,
    ) -> Result<Transfer, Refusal<TransferActionKind>> {
        let allowed = self.allowed(actor_agency);
        if !allowed.contains(&kind) {
            let (code, reason) = if self.status != TransferStatus::Pending {
                ("wrong_status", format!("the transfer is {}", self.status))
            } else if kind == TransferActionKind::Cancel {
                (
                    "not_your_transfer",
                    "only the sending agency may cancel".to_string(),
                )
            } else {
                (
                    "not_your_transfer",
                    "only the receiving agency may answer".to_string(),
                )
            };
            return Err(Refusal::new(code, reason, allowed));
        }
        let mut next = self.clone();
        next.status = match kind {
            TransferActionKind::Accept => TransferStatus::Accepted,
            TransferActionKind::Decline => TransferStatus::Declined,
            TransferActionKind::Cancel => TransferStatus::Cancelled,
        };
        next.answered_by = Some(actor);
        next.answered_at = Some(now);
        next.comment = comment;
        Ok(next)
    }
}

/// `{"reason": "detention", "note": "…"}`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FlagDoc {
    /// A code from the `flag_reasons` list.
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Flag {
    pub reason: String,
    #[serde(default)]
    pub note: Option<String>,
    pub raised_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub raised_at: OffsetDateTime,
    #[serde(default)]
    pub resolution: Option<Resolution>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Resolution {
    pub text: String,
    pub by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Raises a flag (→ 422 naming bad fields).
pub fn raise_flag(doc: &FlagDoc, actor: UserId, now: OffsetDateTime) -> Result<Flag, Problems> {
    let mut p = Problems::new();
    let reason = required_listed(&mut p, "reason", &doc.reason, FLAG_REASONS);
    let note = text(&mut p, "note", doc.note.as_deref(), MAX_TEXT_CHARS);
    match reason {
        Some(reason) if p.is_empty() => Ok(Flag {
            reason,
            note,
            raised_by: actor,
            raised_at: now,
            resolution: None,
        }),
        _ => Err(p),
    }
}

impl Flag {
    pub fn is_open(&self) -> bool {
        self.resolution.is_none()
    }

    /// Resolves the flag with what was done. A resolved flag stays resolved (→ 409
    /// `flag_resolved`); a new concern is a new flag.
    pub fn resolve(
        &self,
        resolution: &str,
        actor: UserId,
        now: OffsetDateTime,
    ) -> Result<Flag, FlagError> {
        if !self.is_open() {
            return Err(FlagError::Resolved);
        }
        let mut p = Problems::new();
        let text = required_text(&mut p, "resolution", resolution, MAX_TEXT_CHARS);
        let Some(text) = text.filter(|_| p.is_empty()) else {
            return Err(FlagError::Invalid(p));
        };
        let mut next = self.clone();
        next.resolution = Some(Resolution {
            text,
            by: actor,
            at: now,
        });
        Ok(next)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlagError {
    #[error("{0}")]
    Invalid(Problems),
    /// Stable code `flag_resolved`.
    #[error("the flag is already resolved")]
    Resolved,
}

/// `{"text": "…"}`. The store encrypts the text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NoteDoc {
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Note {
    pub text: String,
    pub written_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub written_at: OffsetDateTime,
}

/// Checks a case note. Unlike short fields, a note keeps its line breaks and tabs; other
/// control characters are refused.
pub fn write_note(doc: &NoteDoc, actor: UserId, now: OffsetDateTime) -> Result<Note, Problems> {
    let t = doc.text.trim();
    let problem = if t.is_empty() {
        Some("is required".to_string())
    } else if t.chars().count() > MAX_NOTE_CHARS {
        Some(format!("is longer than {MAX_NOTE_CHARS} characters"))
    } else if t
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        Some("contains control characters".to_string())
    } else {
        None
    };
    match problem {
        Some(pr) => Err(Problems::single("text", pr)),
        None => Ok(Note {
            text: t.to_string(),
            written_by: actor,
            written_at: now,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 10:00 UTC);

    fn agency(n: u128) -> AgencyId {
        AgencyId(uuid::Uuid::from_u128(n))
    }

    fn user(n: u128) -> UserId {
        UserId(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn a_case_is_assigned_within_its_agency_to_an_active_user() {
        let to = Assignee {
            user_id: user(5),
            agency_id: agency(1),
            active: true,
        };
        assert_eq!(
            assign(agency(1), &to, user(1), NOW).unwrap().user_id,
            user(5)
        );
        let elsewhere = Assignee {
            agency_id: agency(2),
            ..to
        };
        assert_eq!(
            assign(agency(1), &elsewhere, user(1), NOW)
                .unwrap_err()
                .code,
            "assignee_out_of_scope"
        );
        let gone = Assignee {
            active: false,
            ..to
        };
        assert_eq!(
            assign(agency(1), &gone, user(1), NOW).unwrap_err().code,
            "assignee_inactive"
        );
        let bad = validate_assignment(&AssignmentDoc {
            user_id: "bob".into(),
        })
        .unwrap_err();
        assert_eq!(bad.errors()[0].path, "user_id");
    }

    #[test]
    fn a_transfer_waits_for_the_receiving_agency() {
        let doc = TransferDoc {
            to_agency_id: agency(2).to_string(),
            reason: "The child moved to the north".into(),
            consent_override_reason: None,
        };
        let consent = ConsentCheck {
            recipient: agency(2),
            purpose: TRANSFER_PURPOSE.into(),
        };
        let e = request_transfer(&doc, agency(1), &[], None, user(1), NOW).unwrap_err();
        assert!(matches!(e, Rejected::Refused(r) if r.code == "consent_required"));
        let t = request_transfer(&doc, agency(1), &[], Some(&consent), user(1), NOW).unwrap();
        let e = request_transfer(
            &doc,
            agency(1),
            std::slice::from_ref(&t),
            Some(&consent),
            user(1),
            NOW,
        )
        .unwrap_err();
        assert!(matches!(e, Rejected::Refused(r) if r.code == "transfer_pending"));

        let r = t
            .apply(TransferActionKind::Accept, None, user(1), agency(1), NOW)
            .unwrap_err();
        assert_eq!(
            (r.code.as_str(), r.allowed.as_slice()),
            ("not_your_transfer", &[TransferActionKind::Cancel][..])
        );
        let done = t
            .apply(TransferActionKind::Accept, None, user(9), agency(2), NOW)
            .unwrap();
        assert_eq!(done.status, TransferStatus::Accepted);
        let r = done
            .apply(
                TransferActionKind::Decline,
                Some("no".into()),
                user(9),
                agency(2),
                NOW,
            )
            .unwrap_err();
        assert_eq!((r.code.as_str(), r.allowed.len()), ("wrong_status", 0));
    }

    #[test]
    fn bad_transfer_fields_are_named() {
        let doc = TransferDoc {
            to_agency_id: agency(1).to_string(),
            reason: " ".into(),
            consent_override_reason: None,
        };
        let Err(Rejected::Invalid(p)) = request_transfer(&doc, agency(1), &[], None, user(1), NOW)
        else {
            panic!("expected problems");
        };
        let paths: Vec<&str> = p.errors().iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["reason", "to_agency_id"]);
        let e = validate_transfer_action(&TransferActionDoc {
            action: "decline".into(),
            comment: None,
        })
        .unwrap_err();
        assert_eq!(e.errors()[0].path, "comment");
    }

    #[test]
    fn flags_are_raised_and_resolved_once() {
        let f = raise_flag(
            &FlagDoc {
                reason: "Detention".into(),
                note: None,
            },
            user(1),
            NOW,
        )
        .unwrap();
        assert_eq!(f.reason, "detention");
        assert!(matches!(
            f.resolve(" ", user(2), NOW),
            Err(FlagError::Invalid(_))
        ));
        let r = f.resolve("Released to foster care", user(2), NOW).unwrap();
        assert!(!r.is_open());
        assert_eq!(r.resolve("again", user(2), NOW), Err(FlagError::Resolved));
        let e = raise_flag(&FlagDoc::default(), user(1), NOW).unwrap_err();
        assert_eq!(e.errors()[0].path, "reason");
    }

    #[test]
    fn notes_keep_their_lines() {
        let n = write_note(
            &NoteDoc {
                text: " Visited.\nChild is well.\tSchool next week. ".into(),
            },
            user(1),
            NOW,
        )
        .unwrap();
        assert_eq!(n.text, "Visited.\nChild is well.\tSchool next week.");
        for bad in ["", "bell\u{7}", &"x".repeat(MAX_NOTE_CHARS + 1)] {
            let e = write_note(&NoteDoc { text: bad.into() }, user(1), NOW).unwrap_err();
            assert_eq!(e.errors()[0].path, "text");
        }
    }
}
