use std::str::FromStr;

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use crate::{data_dir, haven, haven_env, password_from, stderr, stdout};

#[test]
fn init_shows_the_admin_login_once_and_refuses_to_run_twice() {
    let (_tmp, dir) = data_dir();
    let first = haven(&dir, &["init", "--admin-email", "Ops@Example.org"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let out = stdout(&first);
    assert!(out.contains("ops@example.org"), "{out}");
    assert_eq!(password_from(&out).len(), 23);

    let again = haven(&dir, &["init", "--admin-email", "other@example.org"]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already initialised"),
        "{}",
        stderr(&again)
    );
    assert!(!stdout(&again).contains("password"));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o700,
            "the data directory is for its owner only"
        );
    }
}

#[test]
fn init_takes_the_password_from_the_environment_and_checks_it() {
    let (_tmp, dir) = data_dir();
    let weak = haven_env(
        &dir,
        &["init", "--admin-email", "ops@example.org"],
        &[("HAVEN_ADMIN_PASSWORD", "short")],
    );
    assert!(!weak.status.success());
    assert!(
        stderr(&weak).contains("password: must be at least 12"),
        "{}",
        stderr(&weak)
    );
    let bad_email = haven(&dir, &["init", "--admin-email", "not-an-email"]);
    assert!(
        stderr(&bad_email).contains("admin e-mail"),
        "{}",
        stderr(&bad_email)
    );

    // Nothing was created by the refused attempts, so a good one still works.
    let ok = haven_env(
        &dir,
        &["init", "--admin-email", "ops@example.org"],
        &[("HAVEN_ADMIN_PASSWORD", "a long enough passphrase")],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(!stdout(&ok).contains("a long enough passphrase"));
}

#[test]
fn token_create_prints_only_the_token() {
    let (_tmp, dir) = data_dir();
    assert!(
        haven(&dir, &["init", "--admin-email", "ops@example.org"])
            .status
            .success()
    );
    let out = haven(&dir, &["token", "create", "--user", "ops@example.org"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1);
    assert!(text.starts_with("hvn_") && text.trim().len() > 40, "{text}");

    let unknown = haven(&dir, &["token", "create", "--user", "nobody@example.org"]);
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("no user has the e-mail"));
    assert!(stdout(&unknown).is_empty());
}

#[test]
fn the_demo_caseload_is_the_same_every_time_and_loads_once() {
    let (_tmp_a, a) = data_dir();
    let (_tmp_b, b) = data_dir();
    for dir in [&a, &b] {
        let out = haven(dir, &["demo", "--cases", "60"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("Created the first administrator"));
        assert!(
            text.contains("Loaded 60 synthetic cases and 20 tracing requests in 3 agencies"),
            "{text}"
        );
    }
    let again = haven(&a, &["demo", "--cases", "60"]);
    assert!(stdout(&again).contains("already loaded"));

    let names = |dir: &std::path::Path| {
        crate::decrypted_cases(dir)
            .0
            .into_iter()
            .map(|c| serde_json::to_value(c.doc).unwrap())
            .collect::<Vec<_>>()
    };
    let (docs_a, docs_b) = (names(&a), names(&b));
    assert_eq!(docs_a.len(), 60);
    // Caseworker ids differ between databases; everything about the children is the same.
    let strip = |d: &serde_json::Value| {
        let mut v = d.clone();
        v.as_object_mut().unwrap().remove("caseworker_id");
        v
    };
    assert_eq!(
        docs_a.iter().map(strip).collect::<Vec<_>>(),
        docs_b.iter().map(strip).collect::<Vec<_>>()
    );
}

async fn tamper(dir: &std::path::Path, sql: &'static str) {
    let mut conn = SqliteConnection::connect_with(
        &SqliteConnectOptions::from_str(&format!("sqlite://{}", dir.join("haven.db").display()))
            .unwrap(),
    )
    .await
    .unwrap();
    // As an attacker with the file would: remove the guard first.
    sqlx::query("DROP TRIGGER IF EXISTS audit_log_no_update")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("DROP TRIGGER IF EXISTS audit_log_no_delete")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(sql).execute(&mut conn).await.unwrap();
}

#[tokio::test]
async fn audit_verify_names_the_first_tampered_entry() {
    let (_tmp, dir) = data_dir();
    assert!(haven(&dir, &["demo", "--cases", "20"]).status.success());
    let ok = haven(&dir, &["audit", "verify"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("intact"));

    tamper(&dir, "UPDATE audit_log SET details = '{}' WHERE seq = 7").await;
    let bad = haven(&dir, &["audit", "verify"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("entry 7"), "{}", stderr(&bad));
}

#[tokio::test]
async fn audit_verify_notices_deleted_newest_entries() {
    let (_tmp, dir) = data_dir();
    assert!(haven(&dir, &["demo", "--cases", "5"]).status.success());
    tamper(
        &dir,
        "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)",
    )
    .await;
    let bad = haven(&dir, &["audit", "verify"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("deleted"), "{}", stderr(&bad));
}

#[test]
fn a_backup_restores_into_a_working_data_directory() {
    let (tmp, dir) = data_dir();
    assert!(haven(&dir, &["demo", "--cases", "25"]).status.success());
    let file = tmp.path().join("backup.db");
    let out = haven(&dir, &["backup", "--out", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let twice = haven(&dir, &["backup", "--out", file.to_str().unwrap()]);
    assert!(
        !twice.status.success(),
        "an existing backup is never overwritten"
    );

    // Restore as the README says: the backup becomes haven.db of a data directory.
    let restored = tmp.path().join("restored");
    std::fs::create_dir(&restored).unwrap();
    std::fs::copy(&file, restored.join("haven.db")).unwrap();
    // Without its keys the backup is unreadable, and Haven says so instead of making new ones.
    let keyless = haven(&restored, &["audit", "verify"]);
    assert!(!keyless.status.success());
    assert!(
        stderr(&keyless).contains("keys are missing"),
        "{}",
        stderr(&keyless)
    );
    copy_dir(&dir.join("keys"), &restored.join("keys"));
    let verify = haven(&restored, &["audit", "verify"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    let token = haven(
        &restored,
        &[
            "token",
            "create",
            "--user",
            "caseworker1@hvn-cp.demo.example",
        ],
    );
    assert!(token.status.success(), "{}", stderr(&token));
}

#[test]
fn bad_configuration_is_named() {
    let (tmp, dir) = data_dir();
    let out = haven(&dir, &["serve", "--listen", "everywhere"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("listen: 'everywhere'"),
        "{}",
        stderr(&out)
    );

    std::fs::write(
        tmp.path().join("haven.toml"),
        "listen = \"127.0.0.1:0\"\nlisten_port = 3\n",
    )
    .unwrap();
    let out = haven(&dir, &["audit", "verify"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("listen_port"), "{}", stderr(&out));

    std::fs::remove_file(tmp.path().join("haven.toml")).unwrap();
    let out = haven_env(
        &dir,
        &["audit", "verify"],
        &[("HAVEN_DATABASE_URL", "mysql://x")],
    );
    assert!(
        stderr(&out).contains("sqlite:// or postgres://"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn user_create_names_bad_input_and_adds_nobody() {
    let (_tmp, dir) = data_dir();
    assert!(
        haven(&dir, &["init", "--admin-email", "ops@example.org"])
            .status
            .success()
    );

    let bad_role = haven(
        &dir,
        &[
            "user",
            "create",
            "--email",
            "worker@example.org",
            "--role",
            "boss",
        ],
    );
    assert!(!bad_role.status.success());
    assert!(
        stderr(&bad_role).contains("role: 'boss'"),
        "{}",
        stderr(&bad_role)
    );
    let bad_agency = haven(
        &dir,
        &[
            "user",
            "create",
            "--email",
            "worker@example.org",
            "--agency",
            "NOPE",
        ],
    );
    assert!(
        stderr(&bad_agency).contains("agency: no agency has the code 'NOPE'"),
        "{}",
        stderr(&bad_agency)
    );
    let bad_email = haven(&dir, &["user", "create", "--email", "worker"]);
    assert!(
        stderr(&bad_email).contains("e-mail"),
        "{}",
        stderr(&bad_email)
    );
    // None of those created the account.
    let none = haven(&dir, &["token", "create", "--user", "worker@example.org"]);
    assert!(
        stderr(&none).contains("no user has the e-mail"),
        "{}",
        stderr(&none)
    );

    let ok = haven(
        &dir,
        &[
            "user",
            "create",
            "--email",
            "Worker@Example.org",
            "--agency",
            "MAIN",
        ],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(
        stdout(&ok).contains("created worker@example.org (caseworker)"),
        "{}",
        stdout(&ok)
    );
    assert_eq!(password_from(&stdout(&ok)).len(), 23);
    let again = haven(&dir, &["user", "create", "--email", "worker@example.org"]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already taken"),
        "{}",
        stderr(&again)
    );
    assert!(
        haven(&dir, &["token", "create", "--user", "worker@example.org"])
            .status
            .success()
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}

#[test]
fn token_create_limits_and_expires_tokens_and_names_bad_input() {
    let (_tmp, dir) = data_dir();
    assert!(haven(&dir, &["init"]).status.success());
    let bad = haven(
        &dir,
        &[
            "token",
            "create",
            "--user",
            "admin@haven.local",
            "--permissions",
            "case.read,case.destroy",
        ],
    );
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("case.destroy"), "{}", stderr(&bad));
    let never = haven(
        &dir,
        &[
            "token",
            "create",
            "--user",
            "admin@haven.local",
            "--expires-in-days",
            "0",
        ],
    );
    assert!(
        stderr(&never).contains("expires-in-days"),
        "{}",
        stderr(&never)
    );
    let ok = haven(
        &dir,
        &[
            "token",
            "create",
            "--user",
            "admin@haven.local",
            "--permissions",
            "case.read",
        ],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
}
