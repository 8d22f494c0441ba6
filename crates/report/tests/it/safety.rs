//! The safety properties of published aggregates: no count in `1..=threshold` is published, and
//! no suppressed cell can be recovered from the published cells and the totals. Recovery is
//! checked by linear algebra independent of the engine's own audit: a hidden cell `j` is
//! recoverable iff adding the row `e_j` to the hidden part of the equations does not raise its
//! rank (then `e_j` is a combination of the equations and `x_j` follows from published values).

use std::collections::{BTreeMap, BTreeSet};

use haven_report::dims::Dimension;
use haven_report::suppress::{Equation, suppress};
use haven_report::table::{Report, Value};
use haven_report::{Request, Settings, compute, indicator, synth};
use proptest::prelude::*;
use time::macros::date;

fn rank(rows: &[Vec<f64>]) -> usize {
    let mut m: Vec<Vec<f64>> = rows.to_vec();
    let cols = m.first().map_or(0, Vec::len);
    let mut r = 0;
    for c in 0..cols {
        let Some(p) = (r..m.len()).max_by(|&a, &b| m[a][c].abs().total_cmp(&m[b][c].abs())) else {
            break;
        };
        if m[p][c].abs() < 1e-9 {
            continue;
        }
        m.swap(r, p);
        let pivot = m[r].clone();
        for (i, row) in m.iter_mut().enumerate() {
            if i != r {
                let f = row[c] / pivot[c];
                for (x, p) in row.iter_mut().zip(&pivot) {
                    *x -= f * p;
                }
            }
        }
        r += 1;
    }
    r
}

/// Hidden cells that the equations pin down.
fn recoverable(hidden: &[bool], eqs: &[Equation]) -> Vec<usize> {
    let cols: Vec<usize> = (0..hidden.len()).filter(|&i| hidden[i]).collect();
    let pos: BTreeMap<usize, usize> = cols.iter().enumerate().map(|(i, &c)| (c, i)).collect();
    let a: Vec<Vec<f64>> = eqs
        .iter()
        .map(|e| {
            let mut row = vec![0.0; cols.len()];
            for &(c, k) in e {
                if let Some(&i) = pos.get(&c) {
                    row[i] = f64::from(k);
                }
            }
            row
        })
        .filter(|r| r.iter().any(|x| *x != 0.0))
        .collect();
    let base = rank(&a);
    cols.iter()
        .enumerate()
        .filter(|&(i, _)| {
            let mut with = a.clone();
            let mut e = vec![0.0; cols.len()];
            e[i] = 1.0;
            with.push(e);
            rank(&with) == base
        })
        .map(|(_, &c)| c)
        .collect()
}

/// A full table with every margin: `shape` sizes per dimension; cells indexed by coordinates
/// where `size` stands for "total".
fn cube(counts: &[u64], shape: &[usize]) -> (Vec<u64>, Vec<Equation>) {
    let ext: Vec<usize> = shape.iter().map(|s| s + 1).collect();
    let n: usize = ext.iter().product();
    let idx = |co: &[usize]| co.iter().zip(&ext).fold(0, |a, (c, e)| a * e + c);
    let mut values = vec![0u64; n];
    let mut co = vec![0usize; shape.len()];
    let inner: usize = shape.iter().product();
    for k in 0..inner {
        let mut r = k;
        for d in (0..shape.len()).rev() {
            co[d] = r % shape[d];
            r /= shape[d];
        }
        let v = counts[k % counts.len()];
        for mask in 0..(1usize << shape.len()) {
            let c: Vec<usize> = (0..shape.len())
                .map(|d| {
                    if mask & (1 << d) != 0 {
                        shape[d]
                    } else {
                        co[d]
                    }
                })
                .collect();
            values[idx(&c)] += v;
        }
    }
    let mut eqs = Vec::new();
    for k in 0..n {
        let mut c = vec![0usize; ext.len()];
        let mut r = k;
        for d in (0..ext.len()).rev() {
            c[d] = r % ext[d];
            r /= ext[d];
        }
        for d in 0..shape.len() {
            if c[d] == shape[d] {
                let mut e: Equation = (0..shape[d])
                    .map(|v| {
                        let mut x = c.clone();
                        x[d] = v;
                        (idx(&x), 1)
                    })
                    .collect();
                e.push((k, -1));
                eqs.push(e);
            }
        }
    }
    (values, eqs)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn suppressed_cubes_publish_no_small_cell_and_reveal_none(
        counts in prop::collection::vec(prop_oneof![Just(0u64), 1u64..6, 5u64..40], 1..40),
        shape in prop::sample::select(vec![vec![5], vec![3, 4], vec![2, 6], vec![4, 4], vec![2, 3, 3], vec![3, 2, 2]]),
        threshold in 1u64..6,
    ) {
        let (values, eqs) = cube(&counts, &shape);
        let hidden = suppress(&values, &eqs, threshold);
        for (v, h) in values.iter().zip(&hidden) {
            prop_assert!(*h || *v == 0 || *v > threshold, "published small cell {v}");
        }
        prop_assert_eq!(recoverable(&hidden, &eqs), Vec::<usize>::new());
    }
}

/// The (sex, age) cells of an indicator's `[sex]`, `[age]` and `[sex, age]` tables, as the
/// published report shows them; a cell absent from the tables is a published zero.
fn published(
    r: &Report,
    code: &str,
    pick: fn(&Value) -> Option<Option<u64>>,
) -> BTreeMap<(Option<String>, Option<String>), Option<u64>> {
    let mut cells = BTreeMap::new();
    for t in r.tables.iter().filter(|t| t.indicator == code) {
        for row in &t.rows {
            let mut sex = None;
            let mut age = None;
            for (d, l) in t.dims.iter().zip(&row.labels) {
                match d {
                    Dimension::Sex => sex = l.clone(),
                    Dimension::AgeGroup => age = l.clone(),
                    _ => {}
                }
            }
            if let Some(v) = pick(&row.value) {
                let prev = cells.insert((sex, age), v);
                assert!(
                    prev.is_none() || prev == Some(v),
                    "the same cell differs between tables"
                );
            }
        }
    }
    cells
}

fn counts(v: &Value) -> Option<Option<u64>> {
    match v {
        Value::Count { count } => Some(*count),
        Value::Percent { numerator, .. } => Some(*numerator),
        Value::MedianDays { n, .. } => Some(*n),
    }
}

fn denominators(v: &Value) -> Option<Option<u64>> {
    match v {
        Value::Percent { denominator, .. } => Some(*denominator),
        _ => None,
    }
}

fn check_two_way(
    cells: &BTreeMap<(Option<String>, Option<String>), Option<u64>>,
    threshold: u64,
) -> Result<(), TestCaseError> {
    let sexes: BTreeSet<Option<String>> = cells
        .keys()
        .map(|k| k.0.clone())
        .filter(Option::is_some)
        .collect();
    let ages: BTreeSet<Option<String>> = cells
        .keys()
        .map(|k| k.1.clone())
        .filter(Option::is_some)
        .collect();
    let mut keys: Vec<(Option<String>, Option<String>)> = Vec::new();
    for s in sexes.iter().cloned().chain([None]) {
        for a in ages.iter().cloned().chain([None]) {
            keys.push((s.clone(), a));
        }
    }
    let at = |k: &(Option<String>, Option<String>)| keys.iter().position(|x| x == k).unwrap();
    let mut eqs: Vec<Equation> = Vec::new();
    for s in sexes.iter().cloned().chain([None]) {
        let mut e: Equation = ages
            .iter()
            .map(|a| (at(&(s.clone(), a.clone())), 1))
            .collect();
        e.push((at(&(s.clone(), None)), -1));
        eqs.push(e);
    }
    for a in ages.iter().cloned().chain([None]) {
        let mut e: Equation = sexes
            .iter()
            .map(|s| (at(&(s.clone(), a.clone())), 1))
            .collect();
        e.push((at(&(None, a.clone())), -1));
        eqs.push(e);
    }
    let hidden: Vec<bool> = keys
        .iter()
        .map(|k| matches!(cells.get(k), Some(None)))
        .collect();
    for k in &keys {
        if let Some(Some(v)) = cells.get(k) {
            prop_assert!(*v == 0 || *v > threshold, "published {v} at {k:?}");
        }
    }
    prop_assert_eq!(recoverable(&hidden, &eqs), Vec::<usize>::new());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn published_reports_are_safe_end_to_end(seed in 0u64..10_000, cases in 20usize..400, threshold in 1i64..6) {
        let to = date!(2026 - 12 - 31);
        let facts = synth::generate(cases, seed, to);
        let inds = ["fam_reunifications", "det_placements", "id_documents", "svc_referral_completion", "det_median_days"];
        let req = Request::new(
            date!(2026 - 01 - 01),
            to,
            inds.iter().map(|c| indicator(c).unwrap()).collect(),
            vec![vec![Dimension::Sex], vec![Dimension::AgeGroup], vec![Dimension::Sex, Dimension::AgeGroup]],
        ).unwrap();
        let r = compute(&facts, &req, &Settings::default().with_threshold(threshold).unwrap()).unwrap();
        for code in inds {
            check_two_way(&published(&r, code, counts), threshold as u64)?;
            if code == "id_documents" || code == "svc_referral_completion" {
                check_two_way(&published(&r, code, denominators), threshold as u64)?;
            }
        }
        // A percentage is never published beside a hidden numerator or denominator.
        for t in &r.tables {
            for row in &t.rows {
                if let Value::Percent { numerator, denominator, percent } = &row.value {
                    prop_assert!(percent.is_none() || (numerator.is_some() && denominator.is_some()));
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// A stock on the last day is one number in the December row, the Q4 row and the whole
    /// window: hidden in one, it must be hidden in all (else the complement is published).
    #[test]
    fn stocks_on_the_same_day_are_hidden_alike(seed in 0u64..10_000, cases in 20usize..300, threshold in 1i64..6) {
        let to = date!(2026 - 12 - 31);
        let facts = synth::generate(cases, seed, to);
        let req = Request::new(
            date!(2026 - 01 - 01),
            to,
            vec![indicator("det_in_immigration_detention").unwrap(), indicator("fam_uasc_family_care").unwrap()],
            vec![
                Dimension::parse_list("month,sex").unwrap(),
                Dimension::parse_list("quarter,sex").unwrap(),
                Dimension::parse_list("sex").unwrap(),
            ],
        ).unwrap();
        let r = compute(&facts, &req, &Settings::default().with_threshold(threshold).unwrap()).unwrap();
        for t in &r.tables {
            let mut seen: BTreeMap<Option<String>, Vec<bool>> = BTreeMap::new();
            for row in t.rows.iter().filter(|r| r.date_end == "2026-12-31") {
                let sex = t.dims.iter().position(|d| *d == Dimension::Sex).and_then(|i| row.labels[i].clone());
                let hidden = match &row.value {
                    Value::Count { count } => count.is_none(),
                    Value::Percent { numerator, denominator, .. } => numerator.is_none() || denominator.is_none(),
                    Value::MedianDays { n, .. } => n.is_none(),
                };
                seen.entry(sex).or_default().push(hidden);
            }
            for (sex, h) in seen {
                prop_assert!(h.iter().all(|x| *x == h[0]), "{} {sex:?}: {h:?}", t.indicator);
            }
        }
    }
}
