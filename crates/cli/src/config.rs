//! Settings: command-line flags, then `HAVEN_*` environment variables (clap reads both), then
//! `haven.toml`, then defaults that work with nothing configured.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// What `haven.toml` may hold. Unknown keys are an error, so a typo is not silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub keys_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub log_format: Option<String>,
    pub secure_cookies: Option<bool>,
    pub session_idle_minutes: Option<i64>,
    pub session_absolute_hours: Option<i64>,
    pub break_glass_minutes: Option<i64>,
    /// Take the client address from X-Forwarded-For (only behind a proxy that sets it).
    pub trust_forwarded_for: Option<bool>,
    /// Serve HTTPS directly with this certificate chain and key (PEM files).
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// `[casework]`: which steps need a supervisor's approval, response times by risk level.
    #[serde(default)]
    pub casework: haven_domain::casework::Settings,
    /// `[reports]`: small-cell suppression.
    #[serde(default)]
    pub reports: ReportsConfig,
}

/// `[reports]` in `haven.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsConfig {
    /// Counts from 1 to this are suppressed in every report (default 4; below 1 is refused).
    pub threshold: Option<i64>,
}

impl FileConfig {
    /// The report engine's settings: the threshold from `[reports]`, the high-risk response
    /// time from `[casework]`.
    pub fn report_settings(&self) -> anyhow::Result<haven_report::Settings> {
        let mut s = haven_report::Settings::default();
        if let Some(t) = self.reports.threshold {
            s = s
                .with_threshold(t)
                .with_context(|| "[reports] threshold in haven.toml")?;
        }
        s.high_risk_assessment_hours = self.casework.tasks.high.assessment_within_hours;
        Ok(s)
    }
}

impl FileConfig {
    /// `explicit` must exist; otherwise `./haven.toml` is read if present.
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<Self> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None if Path::new("haven.toml").exists() => PathBuf::from("haven.toml"),
            None => return Ok(Self::default()),
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("{} is not a valid Haven configuration", path.display()))
    }
}

pub const DEFAULT_DATA_DIR: &str = "./haven-data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

pub fn log_format(raw: Option<&str>) -> anyhow::Result<LogFormat> {
    match raw.map(str::trim) {
        None | Some("text") => Ok(LogFormat::Text),
        Some("json") => Ok(LogFormat::Json),
        Some(other) => bail!("log format: '{other}' is not one of: text, json"),
    }
}

pub fn listen_addr(raw: &str) -> anyhow::Result<SocketAddr> {
    raw.parse().with_context(|| {
        format!("listen: '{raw}' is not an address and port such as 127.0.0.1:8080")
    })
}

/// Makes the data directory, readable by its owner only: it holds every child's record.
pub fn ensure_data_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    restrict(dir, 0o700)
}

/// Makes a file readable and writable by its owner only (a backup holds every child's record).
pub fn owner_only(file: &Path) -> anyhow::Result<()> {
    restrict(file, 0o600)
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot restrict the permissions of {}", path.display()))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_report_threshold_comes_from_haven_toml_and_below_one_is_refused() {
        assert_eq!(
            FileConfig::default().report_settings().unwrap().threshold(),
            4
        );
        let f: FileConfig = toml::from_str("[reports]\nthreshold = 6\n").unwrap();
        assert_eq!(f.report_settings().unwrap().threshold(), 6);
        let f: FileConfig = toml::from_str("[reports]\nthreshold = 0\n").unwrap();
        let e = format!("{:#}", f.report_settings().unwrap_err());
        assert!(
            e.contains("[reports] threshold") && e.contains("at least 1"),
            "{e}"
        );
        assert!(toml::from_str::<FileConfig>("[reports]\nthreshhold = 6\n").is_err());
    }
}
