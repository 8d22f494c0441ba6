//! `haven match` on generated CSV files with known truth.

use std::path::Path;

use haven_synth::{FIELDS_TOML, LinkageSetting, linkage};

use crate::{data_dir, haven, stderr};

fn today() -> time::Date {
    time::Date::from_calendar_date(2026, time::Month::June, 1).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn dedupe_and_link_write_pairs_with_explanations() {
    let (tmp, dir) = data_dir();
    let d = linkage(5, 400, LinkageSetting::Easy, today());
    let all = write(tmp.path(), "all.csv", &d.csv(|_| true));
    let left = write(tmp.path(), "left.csv", &d.csv(|i| !d.second[i]));
    let right = write(tmp.path(), "right.csv", &d.csv(|i| d.second[i]));
    let config = write(tmp.path(), "fields.toml", FIELDS_TOML);
    let out = tmp.path().join("pairs.csv");
    let out_s = out.to_string_lossy().into_owned();

    let o = haven(
        &dir,
        &[
            "match", "dedupe", "--input", &all, "--config", &config, "--out", &out_s,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("left_id,right_id,probability,explanation")
    );
    let rows: Vec<&str> = lines.collect();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.contains("given_name: ")));

    let params = tmp
        .path()
        .join("params.json")
        .to_string_lossy()
        .into_owned();
    let o = haven(
        &dir,
        &[
            "match",
            "link",
            "--left",
            &left,
            "--right",
            &right,
            "--config",
            &config,
            "--out",
            &out_s,
            "--threshold",
            "0.9",
            "--save-params",
            &params,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let probs: Vec<f64> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    assert!(!probs.is_empty() && probs.iter().all(|p| *p >= 0.9));
    // Saved parameters are reused without training.
    let o = haven(
        &dir,
        &[
            "match", "link", "--left", &left, "--right", &right, "--config", &config, "--out",
            &out_s, "--params", &params,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn bad_config_is_a_clear_error_before_any_work() {
    let (tmp, dir) = data_dir();
    let input = write(
        tmp.path(),
        "in.csv",
        "record_id,first,dob\n1,Ahmad,2015-01-02\n",
    );
    let out = tmp.path().join("pairs.csv");
    let out_s = out.to_string_lossy().into_owned();
    let cases = [
        (
            "id = \"record_id\"\nfields = [{ column = \"surname\", kind = \"family_name\" }]\n",
            "no column 'surname'",
        ),
        (
            "id = \"record_id\"\nfields = [{ column = \"first\", kind = \"nickname\" }]\n",
            "unknown kind 'nickname'",
        ),
        (
            "id = \"record_id\"\nfields = [{ column = \"dob\", kind = \"date\", format = \"%Y-%Q\" }]\n",
            "invalid format '%Y-%Q'",
        ),
        (
            "id = \"nope\"\nfields = [{ column = \"first\", kind = \"given_name\" }]\n",
            "no column 'nope'",
        ),
    ];
    for (toml, expected) in cases {
        let config = write(tmp.path(), "fields.toml", toml);
        let o = haven(
            &dir,
            &[
                "match", "dedupe", "--input", &input, "--config", &config, "--out", &out_s,
            ],
        );
        assert!(!o.status.success());
        assert!(stderr(&o).contains(expected), "{expected}: {}", stderr(&o));
        assert!(!out.exists(), "nothing written");
    }
    // HAVEN_CONFIG names the server's haven.toml, never the matcher's fields.
    let server = write(tmp.path(), "haven.toml", "session_idle_minutes = 20\n");
    let o = crate::haven_env(
        &dir,
        &["match", "dedupe", "--input", &input, "--out", &out_s],
        &[("HAVEN_CONFIG", &server)],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("needs --config FIELDS.toml"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists(), "nothing written");
}

#[test]
fn dirty_values_are_counted_not_fatal() {
    let (tmp, dir) = data_dir();
    let input = write(
        tmp.path(),
        "in.csv",
        "record_id,first,dob,age,seen\n1,Ahmad,19871341,,\n2,Ahmed,1987-01-02,about ten,2024-01-01\n3,Sara,2015-02-03,7,2022-05-05\n",
    );
    let config = write(
        tmp.path(),
        "fields.toml",
        "id = \"record_id\"\nfields = [\n  { column = \"first\", kind = \"given_name\" },\n  { column = \"dob\", kind = \"date\", format = \"%Y-%m-%d\" },\n  { column = \"age\", kind = \"age\", recorded_on = \"seen\" },\n]\n",
    );
    let out = tmp.path().join("pairs.csv").to_string_lossy().into_owned();
    let o = haven(
        &dir,
        &[
            "match",
            "dedupe",
            "--input",
            &input,
            "--config",
            &config,
            "--out",
            &out,
            "--threshold",
            "0",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("column dob: 1 value(s)") && err.contains("row 2: '19871341'"),
        "{err}"
    );
    assert!(
        err.contains("column age: 1 value(s)") && err.contains("row 3: 'about ten'"),
        "{err}"
    );
}
