//! The `haven` binary as an operator runs it.
// A failed unwrap in a test helper is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod matching;
mod operate;
mod protect;
mod report;
mod serve;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `haven ARGS --data-dir DIR` with a clean environment for Haven's variables.
pub fn haven(dir: &Path, args: &[&str]) -> Output {
    haven_env(dir, args, &[])
}

pub fn haven_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_haven"));
    cmd.args(args)
        .arg("--data-dir")
        .arg(dir)
        .current_dir(dir.parent().unwrap());
    for var in [
        "HAVEN_DATABASE_URL",
        "HAVEN_ADMIN_PASSWORD",
        "HAVEN_ADMIN_EMAIL",
        "HAVEN_CONFIG",
        "HAVEN_DATA_DIR",
        "HAVEN_LISTEN",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A data directory inside a fresh temporary directory (so a stray haven.toml cannot leak in).
pub fn data_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    (tmp, dir)
}

pub fn password_from(out: &str) -> String {
    out.lines()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .expect("a password line")
        .trim()
        .to_string()
}

/// The cases of a data directory read back through the store with that directory's own keys,
/// as the system administrator (who reaches every agency), oldest first, with the first one's
/// history. On disk every name is sealed, so only this way can tests compare what was stored.
pub fn decrypted_cases(
    dir: &Path,
) -> (Vec<haven_store::CaseRecord>, Vec<haven_store::HistoryEntry>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let keyring = haven_crypto::field::Keyring::load(&dir.join("keys")).unwrap();
        let store = haven_store::open(
            &haven_store::sqlite_url(dir),
            std::sync::Arc::new(haven_store::clock::SystemClock),
            haven_store::Sealer::new(std::sync::Arc::new(keyring)),
        )
        .await
        .unwrap();
        let admin = store
            .users(None)
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.role.name == "system_admin")
            .unwrap();
        let actor = haven_domain::user::Actor::from(&admin);
        let mut cases = store
            .list_cases(
                &actor,
                &Default::default(),
                &haven_store::PageRequest::first(500),
            )
            .await
            .unwrap()
            .items;
        cases.reverse();
        let history = store
            .case_history(&actor, cases[0].id)
            .await
            .unwrap()
            .unwrap();
        (cases, history)
    })
}
