//! `cargo bench -p haven-matching --bench linkage -- [N] [easy|hard] [--index]`
//!
//! Dedupes N synthetic records with known truth (haven-synth's linkage generator) end to end:
//! prepare, block, train (EM), score. Prints precision, recall, F1, wall time and peak memory
//! (VmHWM). With `--index`, also builds an incremental index of the N records and times top-10
//! queries. Run one size per process so the peak memory is that size's. To see where errors
//! come from: `BENCH_FP=1` (false positives), `BENCH_FN=1` (false negatives), `BENCH_PATTERNS=1`
//! (both, grouped by their agreement levels), `BENCH_DEBUG=1` (the trained m and u).
//! `BENCH_SEED=N` generates other data (42 by default).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::time::Instant;

use haven_matching::{Index, Kind, Linkage, Record, Schema, Silent, Value, Ymd};
use haven_synth::{LinkageData, LinkageSetting, linkage};

fn schema() -> Schema {
    Schema::new([
        ("given_name", Kind::GivenName),
        ("family_name", Kind::FamilyName),
        ("other_name", Kind::OtherName),
        ("father_name", Kind::ParentName),
        ("mother_name", Kind::ParentName),
        ("sex", Kind::Sex),
        ("date_of_birth", Kind::Date),
        ("age", Kind::Age),
        ("nationality", Kind::Nationality),
        ("place_code", Kind::PlaceCode),
    ])
}

fn ymd(s: &str) -> Option<Ymd> {
    let p: Vec<&str> = s.split('-').collect();
    let y = p.first()?.parse().ok()?;
    match p.len() {
        1 => Some(Ymd {
            year: y,
            month: None,
            day: None,
        }),
        3 => Ymd::day(y, p[1].parse().ok()?, p[2].parse().ok()?),
        _ => None,
    }
}

fn records(d: &LinkageData) -> Vec<Record> {
    d.rows
        .iter()
        .map(|r| {
            let t = |i: usize| {
                if r[i].is_empty() {
                    Value::Missing
                } else {
                    Value::Text(r[i].clone())
                }
            };
            let age = match (r[8].parse::<f32>(), ymd(&r[9])) {
                (Ok(years), Some(on)) => Value::Age { years, on },
                _ => Value::Missing,
            };
            Record {
                id: r[0].clone(),
                values: vec![
                    t(1),
                    t(2),
                    t(3),
                    t(4),
                    t(5),
                    t(6),
                    ymd(&r[7]).map_or(Value::Missing, Value::Date),
                    age,
                    t(10),
                    t(11),
                ],
            }
        })
        .collect()
}

fn peak_mib() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(10_000);
    let args: Vec<String> = args.clone();
    let setting = if args.iter().any(|a| a == "easy") {
        LinkageSetting::Easy
    } else {
        LinkageSetting::Hard
    };
    let with_index = args.iter().any(|a| a == "--index");
    let today = time::Date::from_calendar_date(2026, time::Month::June, 1).unwrap();
    // `BENCH_SEED=N`: other generated data, to see how much the figures owe to one seed.
    let seed = std::env::var("BENCH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(42);
    let data = linkage(seed, n, setting, today);
    // `--csv DIR`: write the data as CSV files (all, left = first records, right = second ones)
    // with the matching config, for `haven match` or other tools, and stop.
    if let Some(dir) = args
        .iter()
        .position(|a| a == "--csv")
        .and_then(|i| args.get(i + 1))
    {
        let dir = std::path::Path::new(dir);
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("all.csv"), data.csv(|_| true)).unwrap();
        std::fs::write(dir.join("left.csv"), data.csv(|i| !data.second[i])).unwrap();
        std::fs::write(dir.join("right.csv"), data.csv(|i| data.second[i])).unwrap();
        std::fs::write(dir.join("fields.toml"), haven_synth::FIELDS_TOML).unwrap();
        let truth: String = data
            .entity
            .iter()
            .enumerate()
            .map(|(i, e)| format!("R{i:07},{e}\n"))
            .collect();
        std::fs::write(dir.join("truth.csv"), format!("record_id,entity\n{truth}")).unwrap();
        println!("wrote {} rows to {}", data.rows.len(), dir.display());
        return;
    }
    let recs = records(&data);
    let truth = data.true_pairs();
    // Keep only the truth; the generated rows are not the engine's memory. The peak is then
    // reset (Linux: clear_refs 5), so it measures the matching with its input records.
    let debug = ["BENCH_DEBUG", "BENCH_FP", "BENCH_FN", "BENCH_PATTERNS"]
        .iter()
        .any(|v| std::env::var(v).is_ok());
    let data = if debug {
        data
    } else {
        LinkageData {
            rows: Vec::new(),
            ..data
        }
    };
    let baseline = peak_mib();
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    println!(
        "records {} ({setting:?}), true pairs {truth}; generating them peaked at {baseline:.0} MiB, then {:.0} MiB",
        recs.len(),
        peak_mib()
    );

    let schema = schema();
    if args.iter().any(|a| a == "--index-only") {
        // Parameters trained once on a sample (as a deployment would, then saved), then the
        // incremental index over all records.
        let sample = &recs[..recs.len().min(100_000)];
        let job = Linkage::dedupe(&schema, sample, &Silent).unwrap();
        let params = job.train(&Silent);
        drop(job);
        index_bench(params, &recs, &data);
        return;
    }
    let t0 = Instant::now();
    let job = Linkage::dedupe(&schema, &recs, &Silent).unwrap();
    let t_prep = t0.elapsed();
    let params = job.train(&Silent);
    let t_train = t0.elapsed();
    let pairs = job.score(&params, 0.5, &Silent).unwrap();
    let total = t0.elapsed();
    let tp = pairs
        .iter()
        .filter(|m| data.entity[m.left] == data.entity[m.right])
        .count() as f64;
    let precision = tp / pairs.len().max(1) as f64;
    let recall = tp / truth.max(1) as f64;
    let f1 = 2.0 * precision * recall / (precision + recall).max(1e-9);
    let mut by_entity = std::collections::HashMap::<u32, Vec<usize>>::new();
    for (i, e) in data.entity.iter().enumerate() {
        by_entity.entry(*e).or_default().push(i);
    }
    let blocked_true = by_entity
        .values()
        .filter(|v| v.len() == 2)
        .filter(|v| job.is_candidate(v[0], v[1]))
        .count() as f64;
    println!(
        "dedupe: candidates {} | blocking recall {:.4} | precision {precision:.4} recall {recall:.4} F1 {f1:.4}",
        job.candidate_pairs(),
        blocked_true / truth.max(1) as f64
    );
    println!(
        "time: prepare+block {:.2}s, train {:.2}s, score {:.2}s, total {:.2}s | peak {:.0} MiB",
        t_prep.as_secs_f64(),
        (t_train - t_prep).as_secs_f64(),
        (total - t_train).as_secs_f64(),
        total.as_secs_f64(),
        peak_mib()
    );
    if std::env::var("BENCH_FP").is_ok() {
        for m in pairs
            .iter()
            .filter(|m| data.entity[m.left] != data.entity[m.right])
            .take(400)
        {
            println!(
                "FP {:.3} {:?}\n   {:?}\n   {}",
                m.probability,
                data.rows[m.left],
                data.rows[m.right],
                haven_matching::explain_line(&m.explanation)
            );
        }
    }
    if std::env::var("BENCH_PATTERNS").is_ok() {
        // Scored pairs grouped by their levels, the patterns with most errors first: which
        // evidence the model misreads, and whether its pairs could be told apart at all. Pairs
        // under 0.02 are left out (every candidate pair's explanation would not fit in memory).
        // `BENCH_PATTERN_SHOW=<one printed pattern>` prints a few of its pairs.
        let show = std::env::var("BENCH_PATTERN_SHOW").ok();
        let mut by = std::collections::HashMap::<String, (usize, usize, usize, usize)>::new();
        let all = job.score(&params, 0.02, &Silent).unwrap();
        for m in &all {
            let same = data.entity[m.left] == data.entity[m.right];
            let right = (m.probability >= 0.5) == same;
            let key = m
                .explanation
                .iter()
                .map(|w| format!("{}={}", w.field, w.level.split(' ').next().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(" ");
            let counts = by.entry(key.clone()).or_default();
            if show.as_deref() == Some(key.as_str()) && counts.0 + counts.1 < 12 {
                println!(
                    "{:.3} {:?}\n   {:?}",
                    m.probability, data.rows[m.left], data.rows[m.right],
                );
            }
            match (right, same) {
                (false, true) => counts.0 += 1,
                (false, false) => counts.1 += 1,
                (true, true) => counts.2 += 1,
                (true, false) => counts.3 += 1,
            }
        }
        let mut v: Vec<_> = by.into_iter().collect();
        v.sort_by_key(|(_, (missed, wrong, _, _))| std::cmp::Reverse(missed + wrong));
        for (k, (missed, wrong, tp, tn)) in v.iter().take(25) {
            println!("false pos {wrong}, false neg {missed}, true pos {tp}, true neg {tn} | {k}");
        }
    }
    if std::env::var("BENCH_FN").is_ok() {
        // True pairs that were compared but scored below the threshold: where recall goes.
        let all = job.score(&params, 0.0, &Silent).unwrap();
        for m in all
            .iter()
            .filter(|m| data.entity[m.left] == data.entity[m.right] && m.probability < 0.5)
            .take(60)
        {
            println!(
                "FN {:.3} {:?}\n   {:?}\n   {}",
                m.probability,
                data.rows[m.left],
                data.rows[m.right],
                haven_matching::explain_line(&m.explanation)
            );
        }
    }
    if std::env::var("BENCH_RULES").is_ok() {
        for (rule, pairs, capped) in job.blocking_summary() {
            println!("  rule {rule}: {pairs} pairs, {capped} keys skipped");
        }
    }
    let at: Vec<String> = [0.8, 0.9, 0.95, 0.99]
        .iter()
        .map(|&t| {
            let kept: Vec<_> = pairs.iter().filter(|m| m.probability >= t).collect();
            let tp = kept
                .iter()
                .filter(|m| data.entity[m.left] == data.entity[m.right])
                .count() as f64;
            let (p, r) = (tp / kept.len().max(1) as f64, tp / truth.max(1) as f64);
            format!(
                "{t}: P {p:.3} R {r:.3} F1 {:.3}",
                2.0 * p * r / (p + r).max(1e-9)
            )
        })
        .collect();
    println!("  at other thresholds: {}", at.join(" | "));
    // Calibration: predicted against observed, by band.
    for (lo, hi) in [(0.5, 0.8), (0.8, 0.95), (0.95, 0.99), (0.99, 1.01)] {
        let band: Vec<_> = pairs
            .iter()
            .filter(|m| m.probability >= lo && m.probability < hi)
            .collect();
        if band.is_empty() {
            continue;
        }
        let mean = band.iter().map(|m| m.probability).sum::<f64>() / band.len() as f64;
        let hit = band
            .iter()
            .filter(|m| data.entity[m.left] == data.entity[m.right])
            .count() as f64
            / band.len() as f64;
        println!(
            "  calibration [{lo:.2},{hi:.2}): {} pairs, predicted {mean:.3}, observed {hit:.3}",
            band.len()
        );
    }
    let lambda_line: Vec<String> = params
        .weights()
        .iter()
        .map(|(f, l)| {
            format!(
                "{f}[{}]",
                l.iter()
                    .map(|(_, w)| format!("{w:+.1}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        })
        .collect();
    println!("  weights: {}", lambda_line.join(" "));
    println!("  matches per record {:.4}", params.matches_per_record);
    if std::env::var("BENCH_DEBUG").is_ok() {
        for c in &params.comparisons {
            println!(
                "    {}: {}",
                c.label,
                c.levels
                    .iter()
                    .map(|l| format!("{} m={:.4} u={:.5}", l.label, l.m, l.u))
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
        }
        let mut shown = 0;
        let mut bad = 0;
        let all = job.score(&params, 0.0, &Silent).unwrap();
        let mut dist = std::collections::BTreeMap::<(String, String), usize>::new();
        for m in all
            .iter()
            .filter(|m| data.entity[m.left] == data.entity[m.right])
        {
            for w in &m.explanation {
                *dist.entry((w.field.clone(), w.level.clone())).or_default() += 1;
            }
        }
        println!("    true-pair levels: {dist:?}");
        for m in all
            .iter()
            .filter(|m| data.entity[m.left] == data.entity[m.right])
        {
            if m.explanation[0].level == "different" && bad < 8 {
                println!(
                    "    given differs: {:?} / {:?}",
                    &data.rows[m.left][1..4],
                    &data.rows[m.right][1..4]
                );
                bad += 1;
            }
        }
        for v in by_entity.values().filter(|v| v.len() == 2) {
            if !job.is_candidate(v[0], v[1]) && shown < 12 {
                println!(
                    "    missed: {:?}\n            {:?}",
                    data.rows[v[0]], data.rows[v[1]]
                );
                shown += 1;
            }
        }
    }
    drop(pairs);
    drop(job);

    if with_index {
        index_bench(params, &recs, &data);
    }
}

fn index_bench(params: haven_matching::Params, recs: &[Record], data: &LinkageData) {
    {
        let t = Instant::now();
        let mut index = Index::new(params).unwrap();
        let base: Vec<Record> = recs
            .iter()
            .enumerate()
            .filter(|(i, _)| !data.second[*i])
            .map(|(_, r)| r.clone())
            .collect();
        index.extend(&base).unwrap();
        let built = t.elapsed();
        let queries: Vec<(usize, Record)> = recs
            .iter()
            .enumerate()
            .filter(|(i, _)| data.second[*i])
            .take(2000)
            .map(|(i, r)| {
                (
                    i,
                    Record {
                        id: format!("q{}", r.id),
                        ..r.clone()
                    },
                )
            })
            .collect();
        let first_of: std::collections::HashMap<u32, String> = recs
            .iter()
            .enumerate()
            .filter(|(i, _)| !data.second[*i])
            .map(|(i, r)| (data.entity[i], r.id.clone()))
            .collect();
        let mut lat = Vec::new();
        let mut found = 0;
        for (i, q) in &queries {
            let t = Instant::now();
            let top = index.top_k(q, 10).unwrap();
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
            let want = first_of.get(&data.entity[*i]);
            if top.iter().any(|c| Some(&c.id) == want) {
                found += 1;
            }
        }
        lat.sort_by(f64::total_cmp);
        let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize];
        // Update and remove keep working on the big index.
        let t = Instant::now();
        let some = base.iter().take(1000).cloned().collect::<Vec<_>>();
        for r in &some {
            index.upsert(r).unwrap();
        }
        let upd = t.elapsed().as_secs_f64() * 1000.0 / some.len() as f64;
        let removed: HashSet<&str> = some.iter().take(100).map(|r| r.id.as_str()).collect();
        for id in &removed {
            index.remove(id);
        }
        println!(
            "index: {} records built in {:.2}s | top-10 over {} queries: p50 {:.3} ms, p99 {:.3} ms, true record in top 10: {:.4} | upsert {:.3} ms | peak {:.0} MiB",
            base.len(),
            built.as_secs_f64(),
            queries.len(),
            pct(0.5),
            pct(0.99),
            f64::from(found) / queries.len().max(1) as f64,
            upd,
            peak_mib()
        );
    }
}
