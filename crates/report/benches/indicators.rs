//! Every indicator of the catalogue over 1M synthetic cases, with every single-dimension
//! disaggregation (sex, age, separation, nationality, adm1, adm2, month, quarter, year) plus
//! sex × age, suppressed. Prints the wall time and the peak memory.
//!
//! `cargo bench -p haven-report` (or `-- 200000` for another number of cases).

use std::time::Instant;

use haven_report::dims::Dimension;
use haven_report::{CATALOGUE, Request, Settings, compute, synth};
use time::macros::date;

fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "unknown".into())
}

/// CPU seconds this process has used (user + system), from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let ticks: u64 = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1.to_string();
            let f: Vec<&str> = rest.split_whitespace().collect();
            // Fields 14 and 15 of proc(5), counted after the command name.
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    ticks as f64 / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let threads = std::env::var("HAVEN_BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .min(2)
        });
    let to = date!(2026 - 12 - 31);
    let t0 = Instant::now();
    let facts = synth::generate(n, 7, to);
    let generated = t0.elapsed();
    // `HAVEN_BENCH_TABLES="sex;adm1;sex,age"` measures other tables.
    let custom = std::env::var("HAVEN_BENCH_TABLES").ok();
    let default = [
        "",
        "sex",
        "age",
        "separation",
        "nationality",
        "adm1",
        "adm2",
        "month",
        "quarter",
        "year",
        "sex,age",
    ];
    let names: Vec<&str> = match &custom {
        Some(c) => c.split(';').collect(),
        None => default.to_vec(),
    };
    let tables: Vec<Vec<Dimension>> = names
        .iter()
        .map(|s| Dimension::parse_list(s))
        .collect::<Result<_, _>>()?;
    let req = Request::new(
        date!(2026 - 01 - 01),
        to,
        CATALOGUE.iter().collect(),
        tables,
    )?;
    let settings = Settings::default().with_threads(threads);
    let cpu0 = cpu_seconds();
    let t1 = Instant::now();
    let report = compute(&facts, &req, &settings)?;
    let took = t1.elapsed();
    let cpu = cpu_seconds() - cpu0;
    let rows: usize = report.tables.iter().map(|t| t.rows.len()).sum();
    let t2 = Instant::now();
    let mut sink = Vec::new();
    haven_report::output::to_hxl(&report, &mut sink)?;
    let written = t2.elapsed();
    println!(
        "haven-report bench: {n} cases + {} incidents, {} indicators, {} tables, {rows} rows, {threads} threads",
        facts.incidents.len(),
        CATALOGUE.len(),
        report.tables.len()
    );
    println!("  generate: {:.2} s", generated.as_secs_f64());
    println!(
        "  compute + suppress: {:.3} s wall, {cpu:.2} s CPU",
        took.as_secs_f64()
    );
    println!(
        "  write HXL ({} KiB): {:.3} s",
        sink.len() / 1024,
        written.as_secs_f64()
    );
    println!("  peak memory (VmHWM): {}", peak_memory());
    Ok(())
}
