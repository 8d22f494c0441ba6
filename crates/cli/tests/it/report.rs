//! `haven report`: suppressed aggregates from a data directory, audited as an export, with
//! errors that name the option at fault.

use std::path::Path;

use crate::{data_dir, haven, stderr, stdout};

/// The audit entries of a data directory, newest last, read through its own keys.
fn audit_actions(dir: &Path) -> Vec<(String, Option<String>, String)> {
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
        store
            .audit_rows(0, 1_000_000)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.action, r.actor, r.details))
            .collect()
    })
}

/// Every published count in a report (counts, numerators, denominators, sample sizes).
fn published_counts(csv_text: &str, hxl: bool) -> Vec<f64> {
    let mut r =
        csv::ReaderBuilder::new().from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let header = r.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (value, num, den, n) = (col("value"), col("numerator"), col("denominator"), col("n"));
    let mut out = Vec::new();
    for (i, row) in r.records().enumerate() {
        let row = row.unwrap();
        if hxl && i == 0 {
            assert!(row[0].starts_with('#'), "the hashtag row comes second");
            continue;
        }
        let nums: Vec<Option<f64>> = [num, den, n].iter().map(|&c| row[c].parse().ok()).collect();
        let is_count = [num, den, n].iter().all(|&c| row[c].is_empty());
        if is_count {
            out.extend(row[value].parse::<f64>().ok());
        }
        out.extend(nums.into_iter().flatten());
    }
    out
}

#[test]
fn a_report_is_suppressed_names_nobody_and_is_audited_as_one_export() {
    let (_tmp, dir) = data_dir();
    let demo = haven(&dir, &["demo", "--cases", "120"]);
    assert!(demo.status.success(), "{}", stderr(&demo));
    let before = audit_actions(&dir).len();
    let out = haven(
        &dir,
        &[
            "report",
            "--area",
            "1",
            "--from",
            "2020-01-01",
            "--by",
            "sex,age",
            "--format",
            "hxl",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let counts = published_counts(&text, true);
    assert!(!counts.is_empty(), "{text}");
    assert!(
        counts.iter().all(|&c| c == 0.0 || c > 4.0),
        "a count from 1 to 4 was published: {counts:?}"
    );
    assert!(counts.iter().any(|&c| c > 4.0), "something was published");
    let audit = audit_actions(&dir);
    let new: Vec<_> = audit[before..].iter().collect();
    assert_eq!(new.len(), 1, "{new:?}");
    let (action, actor, details) = new[0];
    assert_eq!(action, "report.export");
    assert_eq!(*actor, None, "the console");
    assert!(
        details.contains("\"area\":1") && details.contains("sex,age"),
        "{details}"
    );
    assert!(!details.contains("\"ids\""), "{details}");
    // (Reading the names back is itself audited, so it comes after the audit check.)
    for case in crate::decrypted_cases(&dir).0 {
        if let Some(name) = case.doc.given_name.filter(|n| n.chars().count() > 3) {
            assert!(!text.contains(&name), "a child's name in a report");
        }
    }
    let verify = haven(&dir, &["audit", "verify"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
}

#[test]
fn formats_go_where_they_are_told() {
    let (tmp, dir) = data_dir();
    assert!(haven(&dir, &["demo", "--cases", "40"]).status.success());
    let file = tmp.path().join("detention.xlsx");
    let out = haven(
        &dir,
        &[
            "report",
            "--area",
            "detention",
            "--from",
            "2020-01-01",
            "--format",
            "xlsx",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(&bytes[..2], b"PK", "an XLSX is a zip");
    let json = haven(
        &dir,
        &[
            "report",
            "--area",
            "3",
            "--from",
            "2020-01-01",
            "--format",
            "json",
            "--indicator",
            "id_birth_registered",
        ],
    );
    assert!(json.status.success(), "{}", stderr(&json));
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["tables"][0]["indicator"], "id_birth_registered");
    assert_eq!(v["threshold"], 4);
}

#[test]
fn bad_options_are_named_and_nothing_is_audited() {
    let (_tmp, dir) = data_dir();
    let missing = haven(&dir, &["report", "--area", "1"]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("--data-dir"),
        "{}",
        stderr(&missing)
    );
    assert!(
        !dir.join("haven.db").exists(),
        "no database made by a report"
    );
    assert!(haven(&dir, &["demo", "--cases", "10"]).status.success());
    let before = audit_actions(&dir).len();
    for (args, option) in [
        (&["report"][..], "--area"),
        (&["report", "--area", "9"][..], "--area"),
        (&["report", "--area", "1", "--by", "sex,agee"][..], "--by"),
        (&["report", "--area", "6", "--by", "risk"][..], "--by"),
        (
            &[
                "report",
                "--area",
                "1",
                "--from",
                "2026-02-01",
                "--to",
                "2026-01-01",
            ][..],
            "--from",
        ),
        (
            &["report", "--area", "1", "--from", "2026-02-30"][..],
            "--from",
        ),
        (
            &["report", "--area", "1", "--format", "pdf"][..],
            "--format",
        ),
        (
            &["report", "--area", "1", "--threshold", "0"][..],
            "--threshold",
        ),
        (
            &["report", "--area", "1", "--threshold", "2"][..],
            "--threshold",
        ),
        (
            &["report", "--area", "2", "--indicator", "id_documents"][..],
            "--indicator",
        ),
    ] {
        let out = haven(&dir, args);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr(&out).contains(option), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(audit_actions(&dir).len(), before, "refused before any read");
}

#[test]
fn the_catalogue_is_listed() {
    let (_tmp, dir) = data_dir();
    let out = haven(&dir, &["report", "indicators"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), haven_report::CATALOGUE.len());
    assert!(text.contains("det_in_immigration_detention"));
    let md = haven(&dir, &["report", "indicators", "--markdown"]);
    assert_eq!(stdout(&md), haven_report::catalogue::markdown());
}
