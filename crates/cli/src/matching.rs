//! `haven match link|dedupe`: the matching engine on any CSV file, for data officers.
//!
//! Configuration mistakes (a missing column, an unknown kind, a bad date format) stop the run
//! before any work. Dirty values do not: a value that does not parse is used as far as it can
//! be (a date that is only a year, as a year; otherwise as missing) and counted in a summary on
//! standard error that names the column and a few example rows.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use haven_matching::{Kind, Linkage, Params, Progress, Record, Schema, Value, Ymd, explain_line};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Deserialize;

#[derive(Args)]
pub struct MatchArgs {
    #[command(subcommand)]
    command: MatchCommand,
}

#[derive(Args)]
struct Common {
    /// Where to write the pairs (CSV: left_id,right_id,probability,explanation)
    #[arg(long)]
    out: PathBuf,
    /// Keep pairs at or above this match probability
    #[arg(long, default_value_t = 0.5)]
    threshold: f64,
    /// Use these trained parameters instead of training on the input
    #[arg(long)]
    params: Option<PathBuf>,
    /// Save the trained parameters here (JSON), to reuse with --params
    #[arg(long)]
    save_params: Option<PathBuf>,
}

#[derive(Subcommand)]
enum MatchCommand {
    /// Find records in RIGHT that are the same person as records in LEFT
    Link {
        #[arg(long)]
        left: PathBuf,
        #[arg(long)]
        right: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Find records in INPUT that are the same person
    Dedupe {
        #[arg(long)]
        input: PathBuf,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    id: String,
    fields: Vec<FieldConfig>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldConfig {
    column: String,
    kind: String,
    format: Option<String>,
    recorded_on: Option<String>,
}

/// A date format: `%Y`, `%m`, `%d` and literal characters.
#[derive(Debug, Clone)]
enum Piece {
    Year,
    Month,
    Day,
    Lit(char),
}

fn parse_format(spec: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some('Y') => out.push(Piece::Year),
                Some('m') => out.push(Piece::Month),
                Some('d') => out.push(Piece::Day),
                Some(other) => return Err(format!("%{other} is not supported (use %Y, %m, %d)")),
                None => return Err("ends with a lone %".into()),
            }
        } else {
            out.push(Piece::Lit(c));
        }
    }
    if !out.iter().any(|p| matches!(p, Piece::Year)) {
        return Err("has no %Y".into());
    }
    Ok(out)
}

fn parse_date(pieces: &[Piece], s: &str) -> Option<Ymd> {
    let s = s.trim();
    let b = s.as_bytes();
    let mut pos = 0;
    let (mut y, mut m, mut d) = (None, None, None);
    let number = |pos: &mut usize, max: usize| -> Option<u32> {
        let start = *pos;
        while *pos < b.len() && *pos - start < max && b.get(*pos)?.is_ascii_digit() {
            *pos += 1;
        }
        s.get(start..*pos)?.parse().ok()
    };
    for p in pieces {
        match p {
            Piece::Year => y = Some(number(&mut pos, 4)?),
            Piece::Month => m = Some(number(&mut pos, 2)?),
            Piece::Day => d = Some(number(&mut pos, 2)?),
            Piece::Lit(c) => {
                if s.get(pos..)?.starts_with(*c) {
                    pos += c.len_utf8();
                } else {
                    return None;
                }
            }
        }
    }
    if pos != b.len() {
        return None;
    }
    let year = i32::try_from(y?).ok()?;
    match (m, d) {
        (Some(m), Some(d)) => Ymd::day(year, u8::try_from(m).ok()?, u8::try_from(d).ok()?),
        (Some(m), None) if (1..=12).contains(&m) => Some(Ymd {
            year,
            month: Some(m as u8),
            day: None,
        }),
        (None, None) => Some(Ymd {
            year,
            month: None,
            day: None,
        }),
        _ => None,
    }
}

/// A date that does not fit the format but is a plain year (or YYYY-MM): used as that.
fn partial_date(s: &str) -> Option<Ymd> {
    let t = s.trim();
    let year = |p: &str| {
        (p.len() == 4)
            .then(|| p.parse::<i32>().ok())
            .flatten()
            .filter(|y| (1900..=2100).contains(y))
    };
    if let Some(y) = year(t) {
        return Some(Ymd {
            year: y,
            month: None,
            day: None,
        });
    }
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    // 19871341: the year may still be right.
    if digits.len() == 8 {
        year(&digits[..4]).map(|y| Ymd {
            year: y,
            month: None,
            day: None,
        })
    } else {
        None
    }
}

/// How each field is read from a CSV row.
struct Plan {
    id: usize,
    schema: Schema,
    cols: Vec<FieldPlan>,
}

struct FieldPlan {
    name: String,
    col: usize,
    kind: Kind,
    format: Option<Vec<Piece>>,
    recorded_on: Option<usize>,
}

struct Config {
    id: String,
    fields: Vec<(FieldConfig, Kind, Option<Vec<Piece>>)>,
}

fn load_config(path: &Path) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the config {}", path.display()))?;
    let raw: FileConfig = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("config {}: {}", path.display(), e.message()))?;
    let mut fields = Vec::new();
    for f in raw.fields {
        let Some(kind) = Kind::parse(&f.kind) else {
            let kinds: Vec<&str> = Kind::ALL.iter().map(|(n, _)| *n).collect();
            bail!(
                "config: column {}: unknown kind '{}' (kinds: {})",
                f.column,
                f.kind,
                kinds.join(", ")
            );
        };
        let format = match (&f.format, kind) {
            (Some(spec), Kind::Date | Kind::Age) => Some(parse_format(spec).map_err(|e| {
                anyhow::anyhow!("config: column {}: invalid format '{spec}': {e}", f.column)
            })?),
            (Some(_), _) => bail!(
                "config: column {}: a format is only for date and age fields",
                f.column
            ),
            (None, Kind::Date) => Some(parse_format("%Y-%m-%d").map_err(anyhow::Error::msg)?),
            (None, _) => None,
        };
        if kind == Kind::Age && f.recorded_on.is_none() {
            bail!(
                "config: column {}: an age needs `recorded_on`, the column with the date it was estimated",
                f.column
            );
        }
        fields.push((f, kind, format));
    }
    if fields.is_empty() {
        bail!("config: no fields");
    }
    Ok(Config { id: raw.id, fields })
}

fn plan(config: &Config, header: &csv::StringRecord, file: &Path) -> anyhow::Result<Plan> {
    let find = |name: &str| -> anyhow::Result<usize> {
        header
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
            .with_context(|| {
                format!(
                    "{}: no column '{name}' (columns: {})",
                    file.display(),
                    header.iter().collect::<Vec<_>>().join(", ")
                )
            })
    };
    let id = find(&config.id)?;
    let mut cols = Vec::new();
    for (f, kind, format) in &config.fields {
        cols.push(FieldPlan {
            name: f.column.clone(),
            col: find(&f.column)?,
            kind: *kind,
            format: format.clone(),
            recorded_on: f.recorded_on.as_deref().map(find).transpose()?,
        });
    }
    let schema = Schema::new(cols.iter().map(|c| (c.name.clone(), c.kind)));
    Ok(Plan { id, schema, cols })
}

/// Dirty values per column: how many, and a few examples (row number, value).
#[derive(Default)]
struct Dirty(BTreeMap<String, (usize, Vec<(usize, String)>)>);

impl Dirty {
    fn note(&mut self, column: &str, row: usize, value: &str) {
        let e = self.0.entry(column.to_string()).or_default();
        e.0 += 1;
        if e.1.len() < 3 {
            e.1.push((row, value.chars().take(40).collect()));
        }
    }

    fn report(&self, file: &Path) {
        for (col, (n, examples)) in &self.0 {
            let ex: Vec<String> = examples
                .iter()
                .map(|(r, v)| format!("row {r}: '{v}'"))
                .collect();
            eprintln!(
                "{}: column {col}: {n} value(s) could not be read and were used as far as possible ({})",
                file.display(),
                ex.join(", ")
            );
        }
    }
}

fn read(path: &Path, config: &Config) -> anyhow::Result<(Plan, Vec<Record>, Dirty)> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let header = reader
        .headers()
        .with_context(|| format!("reading the header of {}", path.display()))?
        .clone();
    let plan = plan(config, &header, path)?;
    let mut records = Vec::new();
    let mut dirty = Dirty::default();
    let default_date = parse_format("%Y-%m-%d").map_err(anyhow::Error::msg)?;
    for (n, row) in reader.records().enumerate() {
        let row = row.with_context(|| format!("{}: row {}", path.display(), n + 2))?;
        let line = n + 2;
        let cell = |i: usize| row.get(i).unwrap_or("").trim();
        let mut values = Vec::with_capacity(plan.cols.len());
        for f in &plan.cols {
            let raw = cell(f.col);
            let value = if raw.is_empty() {
                Value::Missing
            } else {
                match f.kind {
                    Kind::Date => {
                        match parse_date(f.format.as_deref().unwrap_or(&default_date), raw) {
                            Some(d) => Value::Date(d),
                            None => {
                                dirty.note(&f.name, line, raw);
                                partial_date(raw).map_or(Value::Missing, Value::Date)
                            }
                        }
                    }
                    Kind::Age => {
                        let on_raw = f.recorded_on.map_or("", cell);
                        let years = raw
                            .replace(',', ".")
                            .parse::<f32>()
                            .ok()
                            .filter(|y| (0.0..=130.0).contains(y));
                        let on = parse_date(f.format.as_deref().unwrap_or(&default_date), on_raw);
                        match (years, on) {
                            (Some(years), Some(on)) => Value::Age { years, on },
                            (None, _) => {
                                dirty.note(&f.name, line, raw);
                                Value::Missing
                            }
                            (Some(_), None) => {
                                dirty.note(&format!("{} (recorded_on)", f.name), line, on_raw);
                                Value::Missing
                            }
                        }
                    }
                    _ => Value::Text(raw.to_string()),
                }
            };
            values.push(value);
        }
        records.push(Record {
            id: cell(plan.id).to_string(),
            values,
        });
    }
    Ok((plan, records, dirty))
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn stage(&self, name: &str, total: u64) {
        self.0.set_position(0);
        self.0.set_length(total);
        self.0.set_message(name.to_string());
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
}

fn bar() -> Bar {
    let pb = ProgressBar::new(0);
    if std::io::stderr().is_terminal() {
        pb.set_style(
            ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    } else {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    }
    Bar(pb)
}

/// A cell a spreadsheet would run as a formula gets a leading apostrophe.
fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

pub fn run(args: MatchArgs, config: Option<&Path>) -> anyhow::Result<()> {
    let Some(config_path) = config else {
        bail!("haven match needs --config FIELDS.toml: the id column and the fields to compare");
    };
    let config = load_config(config_path)?;
    let (common, left_path, right_path) = match &args.command {
        MatchCommand::Link {
            left,
            right,
            common,
        } => (common, left.clone(), Some(right.clone())),
        MatchCommand::Dedupe { input, common } => (common, input.clone(), None),
    };
    if !(0.0..=1.0).contains(&common.threshold) {
        bail!("--threshold must be between 0 and 1");
    }
    let loaded = match &common.params {
        Some(p) => Some(
            Params::from_json(
                &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
            )
            .with_context(|| format!("{}", p.display()))?,
        ),
        None => None,
    };
    // Every file's columns are checked before any work.
    let (plan, left, left_dirty) = read(&left_path, &config)?;
    let right = match &right_path {
        Some(p) => Some(read(p, &config)?),
        None => None,
    };
    if let Some(p) = &loaded
        && p.schema != plan.schema
    {
        bail!("the parameters in --params were trained on other fields than this config names");
    }
    left_dirty.report(&left_path);
    if let (Some((_, _, d)), Some(p)) = (&right, &right_path) {
        d.report(p);
    }
    let progress = bar();
    let job = match &right {
        Some((_, r, _)) => Linkage::link(&plan.schema, &left, r, &progress)?,
        None => Linkage::dedupe(&plan.schema, &left, &progress)?,
    };
    let params = match loaded {
        Some(p) => p,
        None => job.train(&progress),
    };
    if let Some(path) = &common.save_params {
        std::fs::write(path, params.to_json())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let pairs = job.score(&params, common.threshold, &progress)?;
    progress.0.finish_and_clear();
    let mut w = csv::Writer::from_path(&common.out)
        .with_context(|| format!("writing {}", common.out.display()))?;
    w.write_record(["left_id", "right_id", "probability", "explanation"])?;
    let right_recs = right.as_ref().map_or(&left, |(_, r, _)| r);
    for m in &pairs {
        let (Some(l), Some(r)) = (left.get(m.left), right_recs.get(m.right)) else {
            continue;
        };
        w.write_record([
            neutralise(&l.id),
            neutralise(&r.id),
            format!("{:.4}", m.probability),
            neutralise(&explain_line(&m.explanation)),
        ])?;
    }
    w.flush()?;
    eprintln!(
        "{} pair(s) at or above {} written to {} ({} candidate pairs compared)",
        pairs.len(),
        common.threshold,
        common.out.display(),
        job.candidate_pairs()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_and_reject() {
        let f = parse_format("%d/%m/%Y").unwrap_or_default();
        assert_eq!(parse_date(&f, "07/03/2015"), Ymd::day(2015, 3, 7));
        assert_eq!(parse_date(&f, "32/03/2015"), None);
        assert!(parse_format("%Y-%q").is_err());
        assert!(parse_format("%m-%d").is_err());
        assert_eq!(partial_date("19871341").map(|d| d.year), Some(1987));
        assert_eq!(neutralise("=cmd()"), "'=cmd()");
    }
}
