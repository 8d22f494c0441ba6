//! The encryption keys: where they live, when they are made, and `haven keys create|rotate`.
//!
//! Keys are files outside the database (`<data-dir>/keys/` unless configured), so a copy of the
//! database or of a backup is useless without them. The server makes them only for a database it
//! is creating; for anything else a missing key directory is an error, never a silent new key
//! that would leave the existing data unreadable.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use haven_crypto::field::Keyring;
use haven_store::{Resealed, Store};

/// The keyring in `dir`. `new_database` says whether the database is being created now, the
/// one case where missing keys are made rather than refused.
pub fn load_or_create(dir: &Path, new_database: bool) -> anyhow::Result<Arc<Keyring>> {
    if dir.exists() {
        return Ok(Arc::new(Keyring::load(dir).with_context(|| {
            format!("loading the encryption keys from {}", dir.display())
        })?));
    }
    if !new_database {
        bail!(
            "the encryption keys are missing: {} does not exist. Restore the keys directory that \
             belongs to this database (or, for a database that never held encrypted data, run \
             `haven keys create`)",
            dir.display()
        );
    }
    let keyring = Keyring::create(dir)
        .with_context(|| format!("creating the encryption keys in {}", dir.display()))?;
    println!(
        "Created the encryption key in {}: back it up apart from the database.",
        dir.display()
    );
    Ok(Arc::new(keyring))
}

/// `haven keys create`: the first key, for a database that has none yet.
pub fn create(dir: &Path) -> anyhow::Result<()> {
    let keyring = Keyring::create(dir)
        .with_context(|| format!("creating the encryption keys in {}", dir.display()))?;
    println!(
        "Created key {} in {}. Copy the directory to every app server and keep a backup apart from the database.",
        keyring.active_id(),
        dir.display()
    );
    Ok(())
}

/// `haven keys rotate`: a new active key, everything re-sealed with it, then the old keys
/// retired (deleted), so they are no longer needed. Run it with the servers stopped: a running
/// server keeps sealing with the key it loaded.
pub async fn rotate(
    dir: &Path,
    open: impl AsyncFnOnce(Arc<Keyring>) -> anyhow::Result<Arc<dyn Store>>,
) -> anyhow::Result<Resealed> {
    let keyring =
        Keyring::rotate(dir).with_context(|| format!("adding a key in {}", dir.display()))?;
    let active = keyring.active_id();
    let old: Vec<_> = keyring
        .key_ids()
        .into_iter()
        .filter(|k| *k != active)
        .collect();
    let store = open(Arc::new(keyring)).await?;
    let done = store
        .reseal_all()
        .await
        .context("re-sealing with the new key (run `haven keys rotate` again to finish)")?;
    for key in old {
        Keyring::retire(dir, key).with_context(|| format!("retiring key {key}"))?;
    }
    Ok(done)
}
