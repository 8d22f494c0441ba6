use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::json;

use crate::{data_dir, haven, password_from, stdout};

/// `haven serve` on a free port; returns the child, its base URL and what it printed before
/// listening.
fn serve(dir: &std::path::Path, extra: &[&str]) -> (Child, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_haven"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .args(extra)
        .env_remove("HAVEN_DATABASE_URL")
        .env_remove("HAVEN_ADMIN_PASSWORD")
        .env_remove("HAVEN_ADMIN_EMAIL")
        .current_dir(dir.parent().unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut printed = String::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if let Some(url) = line.strip_prefix("Haven is listening on ") {
            break url.trim().to_string();
        }
    };
    (child, base, printed)
}

struct Stop(Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_first_start_creates_an_admin_who_can_sign_in_and_register_a_child() {
    let (_tmp, dir) = data_dir();
    let (child, base, printed) = serve(&dir, &[]);
    let _stop = Stop(child);
    assert!(
        printed.contains("Created the first administrator"),
        "{printed}"
    );
    let password = password_from(&printed);

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let anon = client
        .get(format!("{base}/api/v1/cases"))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "admin@haven.local", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    // The administrator reaches every agency, so a second factor must be set up first.
    let session: serde_json::Value = login.json().await.unwrap();
    assert_eq!(session["mfa"], "enrol");
    let csrf = session["csrf_token"].as_str().unwrap().to_string();
    let blocked = client
        .get(format!("{base}/api/v1/cases"))
        .send()
        .await
        .unwrap();
    assert_eq!(blocked.status(), 401);
    let setup: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/totp/setup"))
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = setup["secret"].as_str().unwrap();
    // The server reads the real clock; so must the "authenticator app".
    #[allow(clippy::disallowed_methods)]
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = haven_crypto::totp::code(
        &haven_crypto::totp::TotpSecret::from_base32(secret).unwrap(),
        now,
    )
    .unwrap();
    let enrolled = client
        .post(format!("{base}/api/v1/auth/totp/confirm"))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"secret": secret, "code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(enrolled.status(), 200);
    let enrolled: serde_json::Value = enrolled.json().await.unwrap();
    assert_eq!(enrolled["recovery_codes"].as_array().unwrap().len(), 10);

    let created = client
        .post(format!("{base}/api/v1/cases"))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"given_name":"Amal","family_name":"Haddad","sex":"female","date_of_birth":"2014-03-02","nationality":"SY"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
}

#[tokio::test]
async fn serve_demo_loads_the_caseload_and_tokens_from_the_cli_work() {
    let (_tmp, dir) = data_dir();
    let (child, base, printed) = serve(&dir, &["--demo"]);
    let stop = Stop(child);
    assert!(printed.contains("synthetic cases"), "{printed}");
    let token = stdout(&haven(
        &dir,
        &[
            "token",
            "create",
            "--user",
            "supervisor@hvn-cp.demo.example",
        ],
    ))
    .trim()
    .to_string();
    let list: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/cases?limit=500"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The first agency's supervisor sees their team's cases: that agency's share of the 400.
    let n = list["items"].as_array().unwrap().len();
    assert!((150..=250).contains(&n), "{n}");
    assert!(printed.contains("and 133 tracing requests"), "{printed}");
    let requests: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/tracing-requests?limit=500"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Half of the 133 requests, give or take, were filed by the first agency's team.
    let n = requests["items"].as_array().unwrap().len();
    assert!((40..=95).contains(&n), "{n}");

    // Every case-management feature shows: children in detention, approvals waiting, overdue
    // tasks, referrals.
    let get = |path: &str| {
        reqwest::Client::new()
            .get(format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
    };
    let alerts: serde_json::Value = get("/api/v1/alerts").await.unwrap().json().await.unwrap();
    assert!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "detention" && a["days_detained"].as_i64() > Some(0)),
        "{alerts}"
    );
    let tasks: serde_json::Value = get("/api/v1/tasks").await.unwrap().json().await.unwrap();
    let tasks = tasks.as_array().unwrap();
    assert!(tasks.iter().any(|t| t["kind"] == "approval_decision"));
    assert!(tasks.iter().any(|t| t["overdue"] == true));
    assert!(
        tasks.iter().any(|t| t["kind"] == "legal_status_renewal"),
        "{tasks:?}"
    );
    let referrals: serde_json::Value = get("/api/v1/referrals")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let referrals = referrals.as_array().unwrap();
    assert!(referrals.iter().any(|r| r["status"] == "requested"));
    assert!(referrals.iter().any(|r| r["status"] == "accepted"));
    drop(stop);

    // A second start neither re-creates the admin nor reloads the demo.
    let (child, _, printed) = serve(&dir, &["--demo"]);
    let _stop = Stop(child);
    assert!(
        !printed.contains("Created the first administrator"),
        "{printed}"
    );
    assert!(printed.contains("already loaded"), "{printed}");
}

#[tokio::test]
async fn serves_https_itself_with_secure_cookies_and_hsts() {
    let (tmp, dir) = data_dir();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_file, key_file) = (tmp.path().join("cert.pem"), tmp.path().join("key.pem"));
    std::fs::write(&cert_file, cert.cert.pem()).unwrap();
    std::fs::write(&key_file, cert.signing_key.serialize_pem()).unwrap();
    let (child, base, printed) = serve(
        &dir,
        &[
            "--tls-cert",
            cert_file.to_str().unwrap(),
            "--tls-key",
            key_file.to_str().unwrap(),
        ],
    );
    let _stop = Stop(child);
    assert!(base.starts_with("https://"), "{base}");
    let password = password_from(&printed);
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .resolve(
            "localhost",
            base.trim_start_matches("https://").parse().unwrap(),
        )
        .build()
        .unwrap();
    let port = base.rsplit(':').next().unwrap();
    let login = client
        .post(format!("https://localhost:{port}/api/v1/auth/login"))
        .json(&json!({"email": "admin@haven.local", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let hsts = login.headers()["strict-transport-security"]
        .to_str()
        .unwrap();
    assert!(hsts.contains("max-age="), "{hsts}");
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}
