//! What protects children's data at rest, checked on the real binary: a canary name written
//! through the API appears in no byte of the database, its WAL, a backup or the logs; keys are
//! refused when others can read them; `keys rotate` leaves the old key unneeded.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::json;

use crate::{data_dir, haven, haven_env, stderr, stdout};

const CANARY: &str = "Zqxvcanaryname";
const CANARY_2: &str = "Wqkjcanaryparent";
const CANARY_PHONE: &str = "+999 5550 1234 77";

fn contains(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// A caseworker with a token in a fresh data directory.
fn with_caseworker(dir: &Path) -> String {
    let env = [("HAVEN_ADMIN_PASSWORD", "an admin password long enough")];
    assert!(haven_env(dir, &["init"], &env).status.success());
    let made = haven_env(
        dir,
        &[
            "user",
            "create",
            "--email",
            "cw@example.org",
            "--role",
            "caseworker",
        ],
        &[("HAVEN_USER_PASSWORD", "a caseworker password long enough")],
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let token = haven(dir, &["token", "create", "--user", "cw@example.org"]);
    assert!(token.status.success(), "{}", stderr(&token));
    stdout(&token).trim().to_string()
}

#[tokio::test]
async fn a_canary_name_is_in_no_byte_of_the_database_its_wal_a_backup_or_the_logs() {
    let (tmp, dir) = data_dir();
    let token = with_caseworker(&dir);
    let log = tmp.path().join("server.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_haven"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--data-dir",
        ])
        .arg(&dir)
        .env("HAVEN_LOG", "debug")
        .env_remove("HAVEN_DATABASE_URL")
        .current_dir(tmp.path())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if let Some(url) = line.strip_prefix("Haven is listening on ") {
            break url.trim().to_string();
        }
    };
    let c = reqwest::Client::new();
    let created: serde_json::Value = c
        .post(format!("{base}/api/v1/cases"))
        .bearer_auth(&token)
        .json(
            &json!({"given_name": CANARY, "family_name": "Haddad", "sex": "female",
            "family": [{"relation": "mother", "given_name": CANARY_2, "contact": CANARY_PHONE}]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    // Change it too, so the history holds the canary as well.
    let patched = c
        .patch(format!("{base}/api/v1/cases/{id}"))
        .bearer_auth(&token)
        .header("If-Match", "\"1\"")
        .json(&json!({"other_names": [format!("{CANARY}-nick")]}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let request = c
        .post(format!("{base}/api/v1/tracing-requests"))
        .bearer_auth(&token)
        .json(&json!({"inquirer": {"given_name": CANARY_2, "relation": "mother", "contact": CANARY_PHONE},
            "child": {"given_name": CANARY}}))
        .send()
        .await
        .unwrap();
    assert_eq!(request.status(), 201);
    // The positive control: the API gives the names back.
    let read: serde_json::Value = c
        .get(format!("{base}/api/v1/cases/{id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["given_name"], CANARY);
    assert_eq!(read["family"][0]["contact"], CANARY_PHONE);
    // A name search (the name in the URL) and a duplicate check (in the body) find the child
    // through the in-memory index; neither leaves the name in the log or the database.
    let found: serde_json::Value = c
        .get(format!("{base}/api/v1/cases?q={CANARY}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["items"][0]["id"], id, "{found}");
    let dups: serde_json::Value = c
        .post(format!("{base}/api/v1/cases/duplicates"))
        .bearer_auth(&token)
        .json(&json!({"given_name": CANARY, "family_name": "Haddad", "sex": "female"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dups["items"][0]["case"]["id"], id, "{dups}");

    let backup = tmp.path().join("backup.db");
    let out = haven(&dir, &["backup", "--out", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));

    let mut files = vec![dir.join("haven.db"), backup.clone()];
    let wal = dir.join("haven.db-wal");
    assert!(
        wal.exists(),
        "the server is running: its WAL holds the latest writes"
    );
    files.push(wal);
    let check = |files: &[std::path::PathBuf]| {
        for f in files.iter().filter(|f| f.exists()) {
            let bytes = std::fs::read(f).unwrap();
            for canary in [CANARY, CANARY_2, CANARY_PHONE] {
                assert!(!contains(&bytes, canary), "{canary} is in {}", f.display());
            }
        }
    };
    check(&files);
    let _ = child.kill();
    let _ = child.wait();
    files.push(log.clone());
    check(&files);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("listening"),
        "the log was captured: {logged}"
    );
}

#[test]
fn keys_readable_by_others_are_refused_and_missing_keys_are_not_replaced() {
    let (_tmp, dir) = data_dir();
    with_caseworker(&dir);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = dir.join("keys/k1.key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = haven(&dir, &["audit", "verify"]);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("k1.key"), "{}", stderr(&out));
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    std::fs::rename(dir.join("keys"), dir.join("keys.away")).unwrap();
    let out = haven(&dir, &["audit", "verify"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("keys are missing"),
        "{}",
        stderr(&out)
    );
    assert!(
        !dir.join("keys").exists(),
        "no new key was made for an existing database"
    );
}

#[test]
fn keys_rotate_re_encrypts_everything_and_the_old_key_is_no_longer_needed() {
    let (_tmp, dir) = data_dir();
    assert!(haven(&dir, &["demo", "--cases", "30"]).status.success());
    let rotated = haven(&dir, &["keys", "rotate"]);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    // Every record (30 cases, their tracing requests and case items) and its history.
    let said = stdout(&rotated);
    let numbers: Vec<u64> = said
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(
        numbers.len() >= 2 && numbers[0] >= 40 && numbers[1] >= numbers[0],
        "{said}"
    );
    let keys: Vec<String> = std::fs::read_dir(dir.join("keys"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(keys, ["k2.key"], "the old key is deleted");
    // Everything still opens with the new key alone, and the audit chain is whole.
    let token = haven(
        &dir,
        &[
            "token",
            "create",
            "--user",
            "caseworker1@hvn-cp.demo.example",
        ],
    );
    assert!(token.status.success(), "{}", stderr(&token));
    let verify = haven(&dir, &["audit", "verify"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    let listed = haven(&dir, &["user", "list"]);
    assert!(stdout(&listed).contains("supervisor@hvn-cp.demo.example"));
    let (cases, history) = crate::decrypted_cases(&dir);
    assert!(!history[0].changes.is_empty());
    let names = cases
        .into_iter()
        .filter_map(|c| c.doc.given_name.or(c.doc.family_name))
        .count();
    assert_eq!(names, 30, "every name opens with the new key");
}
