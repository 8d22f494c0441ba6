//! Encryption at rest of everything sensitive, decided here for both backends: the classified
//! fields of every record document (`domain::sensitivity`), the same fields in history entries,
//! TOTP secrets and break-the-glass reasons. Each value is sealed on its own (the key id travels
//! with it) and bound to its place by the associated data `kind:id:path`, so a ciphertext moved to
//! another record or field does not open.

use std::fmt::Display;
use std::sync::Arc;

use haven_crypto::field::{Keyring, is_sealed};
use haven_domain::history::FieldChange;
use haven_domain::sensitivity::{self, RecordKind};
use serde_json::Value;

use crate::error::{StoreError, StoreResult, shape};

#[derive(Clone)]
pub struct Sealer {
    keyring: Arc<Keyring>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer").finish_non_exhaustive()
    }
}

fn corrupt(what: &str, e: impl Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

impl Sealer {
    pub fn new(keyring: Arc<Keyring>) -> Self {
        Self { keyring }
    }

    pub fn seal_text(&self, plain: &str, aad: &str) -> StoreResult<String> {
        self.keyring
            .seal(plain.as_bytes(), aad)
            .map_err(|e| corrupt("sealing", e))
    }

    /// Opens a sealed value. A value that is not an envelope was written before encryption at
    /// rest (a foundation-era database): it is returned as it is, and `keys rotate` seals it.
    pub fn open_text(&self, stored: &str, aad: &str) -> StoreResult<String> {
        if !is_sealed(stored) {
            return Ok(stored.to_string());
        }
        self.keyring
            .open_str(stored, aad)
            .map(|s| s.to_string())
            .map_err(|e| corrupt(aad, e))
    }

    fn seal_value(&self, value: &mut Value, aad: &str) -> StoreResult<()> {
        let plain = value.to_string();
        *value = Value::String(self.seal_text(&plain, aad)?);
        Ok(())
    }

    fn open_value(&self, value: &mut Value, aad: &str) -> StoreResult<()> {
        if let Value::String(s) = value
            && is_sealed(s)
        {
            let plain = self.open_text(s, aad)?;
            *value = serde_json::from_str(&plain).map_err(|e| corrupt(aad, shape(&e)))?;
        }
        Ok(())
    }

    /// Seals every classified field of a record document in place.
    pub fn seal_doc(&self, kind: RecordKind, id: impl Display, doc: &mut Value) -> StoreResult<()> {
        let mut result = Ok(());
        sensitivity::for_each_classified(kind, doc, &mut |path, v| {
            if result.is_ok() {
                result = self.seal_value(v, &doc_aad(kind, &id, path));
            }
        });
        result
    }

    pub fn open_doc(&self, kind: RecordKind, id: impl Display, doc: &mut Value) -> StoreResult<()> {
        let mut result = Ok(());
        sensitivity::for_each_classified(kind, doc, &mut |path, v| {
            if result.is_ok() {
                result = self.open_value(v, &doc_aad(kind, &id, path));
            }
        });
        result
    }

    /// Seals the values of history changes to fields that hold anything classified.
    pub fn seal_changes(
        &self,
        kind: RecordKind,
        id: impl Display,
        version: i64,
        changes: &mut [FieldChange],
    ) -> StoreResult<()> {
        for c in changes.iter_mut().filter(|c| classified(kind, &c.field)) {
            let aad = change_aad(kind, &id, version, &c.field);
            self.seal_value(&mut c.from, &format!("{aad}:from"))?;
            self.seal_value(&mut c.to, &format!("{aad}:to"))?;
        }
        Ok(())
    }

    pub fn open_changes(
        &self,
        kind: RecordKind,
        id: impl Display,
        version: i64,
        changes: &mut [FieldChange],
    ) -> StoreResult<()> {
        for c in changes.iter_mut().filter(|c| classified(kind, &c.field)) {
            let aad = change_aad(kind, &id, version, &c.field);
            self.open_value(&mut c.from, &format!("{aad}:from"))?;
            self.open_value(&mut c.to, &format!("{aad}:to"))?;
        }
        Ok(())
    }

    /// Whether a stored value must be (re-)sealed by `keys rotate`: plaintext from before
    /// encryption, or sealed under a key other than the active one.
    pub fn needs_rotation(&self, stored: &str) -> bool {
        !is_sealed(stored) || self.keyring.needs_rotation(stored)
    }
}

fn classified(kind: RecordKind, field: &str) -> bool {
    sensitivity::fields(kind)
        .iter()
        .any(|(path, _)| path.first() == Some(&field))
}

fn doc_aad(kind: RecordKind, id: &impl Display, path: &str) -> String {
    format!("{}:{id}:{path}", kind.as_str())
}

fn change_aad(kind: RecordKind, id: &impl Display, version: i64, field: &str) -> String {
    format!("record_history:{}:{id}:{version}:{field}", kind.as_str())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sealer() -> Sealer {
        Sealer::new(Arc::new(Keyring::ephemeral().unwrap()))
    }

    #[test]
    fn classified_fields_are_sealed_and_open_in_place_only() {
        let s = sealer();
        let plain = json!({"given_name": "Zqx", "sex": "female", "family": [{"relation": "mother", "contact": "+1"}]});
        let mut doc = plain.clone();
        s.seal_doc(RecordKind::Case, "c1", &mut doc).unwrap();
        let text = doc.to_string();
        assert!(!text.contains("Zqx") && !text.contains("+1"), "{text}");
        assert_eq!(doc["sex"], "female");
        let mut moved = doc.clone();
        s.open_doc(RecordKind::Case, "c1", &mut doc).unwrap();
        assert_eq!(doc, plain);
        assert!(s.open_doc(RecordKind::Case, "c2", &mut moved).is_err());
    }

    #[test]
    fn history_values_of_classified_fields_are_sealed() {
        let s = sealer();
        let mut changes = vec![
            FieldChange {
                field: "given_name".into(),
                from: Value::Null,
                to: json!("Zqx"),
            },
            FieldChange {
                field: "sex".into(),
                from: Value::Null,
                to: json!("male"),
            },
        ];
        let plain = changes.clone();
        s.seal_changes(RecordKind::Case, "c1", 1, &mut changes)
            .unwrap();
        assert!(!serde_json::to_string(&changes).unwrap().contains("Zqx"));
        assert_eq!(changes[1], plain[1]);
        s.open_changes(RecordKind::Case, "c1", 1, &mut changes)
            .unwrap();
        assert_eq!(changes, plain);
    }
}
