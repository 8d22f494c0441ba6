//! `haven report`: suppressed aggregates of one commitment area, from the data directory's
//! database, as the console operator (every agency), written as CSV, HXL, XLSX or JSON to
//! standard output or `--out FILE`; audited as an export. `haven report indicators` lists the
//! catalogue.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use haven_domain::clock::Clock;
use haven_domain::dates::parse_date;
use haven_report::catalogue::CATALOGUE;
use haven_report::query::{self, Ask};
use haven_report::{Format, compute};
use haven_store::ReportPurpose;
use haven_store::clock::SystemClock;
use time::Date;

use crate::Settings;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReportArgs {
    #[command(subcommand)]
    command: Option<ReportCommand>,
    /// The commitment area: 1 protection, 2 detention, 3 identity & family, 4 services,
    /// 5 root causes, 6 discrimination (or its name)
    #[arg(long)]
    area: Option<String>,
    /// One indicator of the area (see `haven report indicators`) instead of all of them
    #[arg(long)]
    indicator: Option<String>,
    /// First day, YYYY-MM-DD [default: 1 January of --to's year]
    #[arg(long)]
    from: Option<String>,
    /// Last day, YYYY-MM-DD [default: today]
    #[arg(long)]
    to: Option<String>,
    /// Dimensions of a table, comma-separated (sex, age, separation, nationality, adm0..adm4,
    /// month, quarter, year, risk, reason, origin, bias, setting); `;` starts another table
    #[arg(long, default_value = "")]
    by: String,
    /// csv | hxl | xlsx | json
    #[arg(long, default_value = "csv")]
    format: String,
    /// Write to this file instead of standard output
    #[arg(long)]
    out: Option<PathBuf>,
    /// Suppress counts up to this (only higher than the deployment's [reports] threshold)
    #[arg(long)]
    threshold: Option<i64>,
}

#[derive(Subcommand)]
enum ReportCommand {
    /// List the indicators: code, area, kind and name (`--markdown` for the full catalogue)
    Indicators {
        #[arg(long)]
        markdown: bool,
    },
}

fn date(option: &str, raw: Option<&str>, default: Date) -> anyhow::Result<Date> {
    match raw {
        None => Ok(default),
        Some(r) => parse_date(r).map_err(|e| anyhow::anyhow!("{option}: {e}")),
    }
}

pub async fn run(args: ReportArgs, settings: &Settings) -> anyhow::Result<()> {
    if let Some(ReportCommand::Indicators { markdown }) = args.command {
        return list(markdown);
    }
    let Some(area) = args.area.as_deref() else {
        bail!(
            "--area is required: 1 protection, 2 detention, 3 identity & family, 4 services, 5 root causes, 6 discrimination"
        );
    };
    let format = Format::parse(&args.format).map_err(|e| anyhow::anyhow!("--format: {e}"))?;
    let today = SystemClock.today();
    let to = date("--to", args.to.as_deref(), today)?;
    let from = date(
        "--from",
        args.from.as_deref(),
        Date::from_calendar_date(to.year(), time::Month::January, 1).unwrap_or(to),
    )?;
    let base = settings.file.report_settings()?;
    let ask = Ask {
        area,
        indicator: args.indicator.as_deref(),
        from,
        to,
        by: &args.by,
        threshold: args.threshold,
    };
    let (request, engine) = query::parse(&ask, &base).map_err(|problems| {
        let lines: Vec<String> = problems
            .iter()
            .map(|(field, problem)| format!("--{field}: {problem}"))
            .collect();
        anyhow::anyhow!(lines.join("\n       "))
    })?;
    // Refuse a binary on a terminal before any work (and before the audit entry).
    let to_terminal = args.out.is_none() && std::io::stdout().is_terminal();
    if format == Format::Xlsx && to_terminal {
        bail!("--format xlsx writes a binary file: give --out FILE or redirect standard output");
    }
    if settings.database_url.is_none() && !settings.data_dir.join("haven.db").exists() {
        bail!(
            "--data-dir: there is no Haven database in {}",
            settings.data_dir.display()
        );
    }
    let store = settings.open().await?;
    let purpose = ReportPurpose {
        export: true,
        area: request.indicators.first().map(|i| i.area.number()),
        indicators: request
            .indicators
            .iter()
            .map(|i| i.code.to_string())
            .collect(),
        from: Some(from),
        to: Some(to),
        tables: request
            .tables
            .iter()
            .map(|t| t.iter().map(|d| d.name()).collect::<Vec<_>>().join(","))
            .collect(),
        format: Some(args.format.trim().to_string()),
    };
    let started = std::time::Instant::now();
    let facts = store.report_facts(None, &purpose).await?;
    let read = started.elapsed();
    let report = tokio::task::spawn_blocking(move || compute(&facts, &request, &engine))
        .await
        .context("computing the report")?
        .map_err(|e| anyhow::anyhow!("--{}: {e}", query::field_of(&e)))?;
    tracing::info!(
        facts_ms = read.as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        tables = report.tables.len(),
        "report computed"
    );
    match &args.out {
        Some(path) => write_file(path, format, &report),
        None => {
            let mut out = std::io::stdout().lock();
            format.write(&report, &mut out)?;
            out.flush().context("writing the report")
        }
    }
}

fn write_file(path: &Path, format: Format, report: &haven_report::Report) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    format.write(report, &mut buf)?;
    std::fs::write(path, buf).with_context(|| format!("--out: cannot write {}", path.display()))?;
    crate::config::owner_only(path)
}

fn list(markdown: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if markdown {
        out.write_all(haven_report::catalogue::markdown().as_bytes())?;
    } else {
        for i in CATALOGUE {
            writeln!(
                out,
                "{}  {:<36} {:<12} {}",
                i.area.number(),
                i.code,
                format!("{:?}", i.kind).to_lowercase(),
                i.name
            )?;
        }
    }
    out.flush().context("writing the catalogue")
}
