//! The hash chain over the audit log.
//!
//! Entry `n` stores `prev_hash` (entry `n-1`'s hash, or [`GENESIS`]) and
//! `hash = SHA-256(canonical(entry))`, where the canonical form is a JSON array of every column
//! including `seq` and `prev_hash`. Altering a row breaks its hash; deleting or reordering rows
//! breaks a `prev_hash` link or the sequence; deleting the newest rows is caught by the head
//! table, which each append updates in the same transaction.

use haven_crypto::sha256_hex;
use haven_domain::audit::AuditEvent;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::Store;
use crate::error::StoreResult;
use crate::types::{AuditHead, AuditRow};

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// RFC 3339 in UTC with microseconds: the one text form of a time that the hash covers.
pub fn format_at(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let base = utc
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    // Rfc3339 drops a zero fraction; always write six digits so the form is fixed.
    let without_z = base.trim_end_matches('Z');
    format!("{without_z}.{:06}Z", utc.microsecond())
}

/// The hash an entry must carry.
pub fn entry_hash(row: &AuditRow) -> String {
    let canonical = json!([
        row.seq,
        format_at(row.at),
        row.actor,
        row.action,
        row.target_type,
        row.target_id,
        row.details,
        row.prev_hash,
    ]);
    sha256_hex(canonical.to_string().as_bytes())
}

/// The row that appending `event` after `head` at time `at` must write.
pub fn next_row(head: &AuditHead, event: &AuditEvent, at: OffsetDateTime) -> AuditRow {
    let mut row = AuditRow {
        seq: head.seq + 1,
        at,
        actor: event.actor.map(|a| a.to_string()),
        action: event.action.as_str().to_string(),
        target_type: event.target.as_ref().map(|(kind, _)| (*kind).to_string()),
        target_id: event.target.as_ref().map(|(_, id)| id.clone()),
        // serde_json's maps are sorted, so this text is canonical.
        details: event.details.to_string(),
        prev_hash: head.hash.clone(),
        hash: String::new(),
    };
    row.hash = entry_hash(&row);
    row
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Intact {
        entries: i64,
    },
    /// The first entry found wrong, and what is wrong with it.
    Broken {
        seq: i64,
        problem: String,
    },
}

/// Walks the whole chain from the first entry, in pages.
pub async fn verify(store: &dyn Store) -> StoreResult<Verification> {
    const PAGE: i64 = 1000;
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS.to_string();
    loop {
        let rows = store.audit_rows(expected_seq - 1, PAGE).await?;
        let n = rows.len();
        for row in rows {
            if row.seq != expected_seq {
                return Ok(Verification::Broken {
                    seq: expected_seq,
                    problem: format!(
                        "entry {expected_seq} is missing (the next entry is {})",
                        row.seq
                    ),
                });
            }
            if row.prev_hash != prev_hash {
                return Ok(Verification::Broken {
                    seq: row.seq,
                    problem: format!(
                        "entry {} does not follow entry {} (its prev_hash does not match)",
                        row.seq,
                        row.seq - 1
                    ),
                });
            }
            if entry_hash(&row) != row.hash {
                return Ok(Verification::Broken {
                    seq: row.seq,
                    problem: format!(
                        "entry {} was altered (its hash does not match its content)",
                        row.seq
                    ),
                });
            }
            prev_hash = row.hash;
            expected_seq += 1;
        }
        if n < usize::try_from(PAGE).unwrap_or(usize::MAX) {
            break;
        }
    }
    let last = expected_seq - 1;
    let head = store.audit_head().await?;
    if head.seq != last || head.hash != prev_hash {
        return Ok(Verification::Broken {
            seq: last + 1,
            problem: format!(
                "the log ends at entry {last} but its head records entry {}: entries were deleted",
                head.seq
            ),
        });
    }
    Ok(Verification::Intact { entries: last })
}

#[cfg(test)]
mod tests {
    use super::*;
    use haven_domain::audit::AuditAction;
    use time::macros::datetime;

    #[test]
    fn times_have_one_fixed_form() {
        assert_eq!(
            format_at(datetime!(2026-01-05 10:00 UTC)),
            "2026-01-05T10:00:00.000000Z"
        );
        assert_eq!(
            format_at(datetime!(2026-01-05 12:00:00.123456 +2)),
            "2026-01-05T10:00:00.123456Z"
        );
    }

    #[test]
    fn each_hash_covers_the_previous_one() {
        let head = AuditHead {
            seq: 0,
            hash: GENESIS.into(),
        };
        let e = AuditEvent::new(None, AuditAction::Backup);
        let at = datetime!(2026-01-05 10:00 UTC);
        let first = next_row(&head, &e, at);
        let second = next_row(
            &AuditHead {
                seq: 1,
                hash: first.hash.clone(),
            },
            &e,
            at,
        );
        assert_eq!(second.prev_hash, first.hash);
        assert_ne!(first.hash, second.hash);
        let mut altered = second.clone();
        altered.action = "case.create".into();
        assert_ne!(entry_hash(&altered), second.hash);
    }
}
