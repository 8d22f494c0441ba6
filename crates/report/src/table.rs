//! Finished tables: cells with their margins, suppressed consistently across every table of an
//! indicator (a cell that two tables share is hidden in both or in neither, and the equations of
//! all of them are audited together).

use std::collections::{BTreeMap, BTreeSet};

use haven_domain::dates::format_date;
use serde::Serialize;
use time::Date;

use crate::catalogue::{IndicatorDef, Kind};
use crate::dims::{Dimension, Granularity};
use crate::engine::{Cell, summable};
use crate::suppress::{Equation, suppress};

/// A coordinate's label, and the days it covers when it is a period.
pub(crate) type Label = (String, Option<(Date, Date)>);

#[derive(Clone)]
pub(crate) struct RawCell {
    /// `None` = total over that dimension.
    pub coords: Vec<Option<u32>>,
    pub labels: Vec<Option<Label>>,
    pub cell: Cell,
    pub samples: Vec<i32>,
}

#[derive(Clone)]
pub(crate) struct RawTable {
    pub dims: Vec<Dimension>,
    pub cells: Vec<RawCell>,
}

impl RawTable {
    /// The table over fewer dimensions that this table's margins already hold: the cells at
    /// total on every dimension left out.
    pub(crate) fn project(&self, keep: &[Dimension]) -> RawTable {
        let pick: Vec<usize> = keep
            .iter()
            .filter_map(|d| self.dims.iter().position(|x| x == d))
            .collect();
        let cells = self
            .cells
            .iter()
            .filter(|c| (0..self.dims.len()).all(|j| pick.contains(&j) || c.coords[j].is_none()))
            .map(|c| RawCell {
                coords: pick.iter().map(|&j| c.coords[j]).collect(),
                labels: pick.iter().map(|&j| c.labels[j].clone()).collect(),
                cell: c.cell,
                samples: c.samples.clone(),
            })
            .collect();
        RawTable {
            dims: pick.iter().map(|&j| self.dims[j]).collect(),
            cells,
        }
    }
}

/// A published value; `None` where suppressed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Value {
    Count {
        count: Option<u64>,
    },
    Percent {
        numerator: Option<u64>,
        denominator: Option<u64>,
        percent: Option<f64>,
    },
    MedianDays {
        n: Option<u64>,
        median: Option<f64>,
    },
}

/// One row: a cell or a margin (a `None` label is the total over that dimension).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub labels: Vec<Option<String>>,
    /// The days the row covers (a period of the table, or the whole window).
    pub date_start: String,
    pub date_end: String,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub indicator: &'static str,
    pub name: &'static str,
    pub area: u8,
    pub kind: Kind,
    pub dimensions: Vec<String>,
    #[serde(skip)]
    pub dims: Vec<Dimension>,
    pub rows: Vec<Row>,
}

/// Everything one request produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    #[serde(serialize_with = "ymd")]
    pub from: Date,
    #[serde(serialize_with = "ymd")]
    pub to: Date,
    /// Counts from 1 to this were suppressed, with the cells that would reveal them.
    pub threshold: u64,
    pub tables: Vec<Table>,
}

fn ymd<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_date(*d))
}

type CanonKey = Vec<(u8, u32)>;

fn is_period_order(o: u8) -> bool {
    [Granularity::Month, Granularity::Quarter, Granularity::Year]
        .iter()
        .any(|g| Dimension::Period(*g).order() == o)
}

/// Indicators that count a state on the last day of the window or period.
const AT_END_STOCKS: [&str; 5] = [
    "prot_open_cases",
    "det_in_immigration_detention",
    "fam_tracing_open",
    "fam_uasc_family_care",
    "svc_school_enrolled",
];

fn canon(dims: &[Dimension], coords: &[Option<u32>]) -> CanonKey {
    let mut k: CanonKey = dims
        .iter()
        .zip(coords)
        .filter_map(|(d, c)| c.map(|v| (d.order(), v)))
        .collect();
    k.sort_unstable();
    k
}

/// Maps a value of a finer dimension (`adm2`, `month`) to the coarser one of the same
/// hierarchy (`adm1`, `quarter`) that contains it.
pub(crate) type Coarsen<'a> = &'a dyn Fn(Dimension, u32, Dimension) -> Option<u32>;

/// The additive equations among the cells: for every cell and every summable dimension it has a
/// value in, the parent with that dimension at total equals the sum of the siblings; and when
/// two levels of one hierarchy are both published (adm1 and adm2, quarter and month), each
/// coarse cell equals the sum of the fine cells inside it.
fn equations(keys: &[CanonKey], summable: &[Dimension], coarsen: Coarsen) -> Vec<Equation> {
    let index: BTreeMap<&CanonKey, usize> = keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let dim_of = |o: u8| summable.iter().find(|d| d.order() == o).copied();
    let mut groups: BTreeMap<(CanonKey, u8, u8), Vec<usize>> = BTreeMap::new();
    for (i, k) in keys.iter().enumerate() {
        for (j, &(order, v)) in k.iter().enumerate() {
            let Some(fine) = dim_of(order) else { continue };
            let mut parent = k.clone();
            parent.remove(j);
            groups
                .entry((parent.clone(), order, order))
                .or_default()
                .push(i);
            for coarse in summable.iter().filter(|c| c.coarser_than(fine)) {
                if let Some(cv) = coarsen(fine, v, *coarse) {
                    let mut p = parent.clone();
                    p.push((coarse.order(), cv));
                    p.sort_unstable();
                    groups
                        .entry((p, order, coarse.order()))
                        .or_default()
                        .push(i);
                }
            }
        }
    }
    groups
        .into_iter()
        .filter_map(|((parent, _, _), children)| {
            let p = *index.get(&parent)?;
            let mut eq: Equation = children.into_iter().map(|c| (c, 1)).collect();
            eq.push((p, -1));
            Some(eq)
        })
        .collect()
}

fn median(mut v: Vec<i32>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        f64::from(v[n / 2])
    } else {
        (f64::from(v[n / 2 - 1]) + f64::from(v[n / 2])) / 2.0
    })
}

pub(crate) fn finish(
    ind: &'static IndicatorDef,
    raw: Vec<RawTable>,
    threshold: u64,
    from: Date,
    to: Date,
    coarsen: Coarsen,
) -> Vec<Table> {
    // One cube of distinct cells over all the indicator's tables.
    let mut keys: Vec<CanonKey> = Vec::new();
    let mut cells: Vec<Cell> = Vec::new();
    let mut id: BTreeMap<CanonKey, usize> = BTreeMap::new();
    let mut orders: Vec<Dimension> = Vec::new();
    let mut cell_ids: Vec<Vec<usize>> = Vec::new();
    let mut same_day: BTreeMap<(CanonKey, Date), BTreeSet<usize>> = BTreeMap::new();
    for t in &raw {
        for d in &t.dims {
            if summable(ind, *d) && !orders.contains(d) {
                orders.push(*d);
            }
        }
        let mut ids = Vec::new();
        for c in &t.cells {
            let k = canon(&t.dims, &c.coords);
            let i = *id.entry(k.clone()).or_insert_with(|| {
                keys.push(k);
                cells.push(c.cell);
                keys.len() - 1
            });
            let end = c
                .labels
                .iter()
                .flatten()
                .find_map(|(_, p)| p.map(|p| p.1))
                .unwrap_or(to);
            let rest: CanonKey = keys[i]
                .iter()
                .copied()
                .filter(|(o, _)| !is_period_order(*o))
                .collect();
            same_day.entry((rest, end)).or_default().insert(i);
            ids.push(i);
        }
        cell_ids.push(ids);
    }
    let mut eqs = equations(&keys, &orders, coarsen);
    // A stock taken on a period's last day is the same number in every table whose period ends
    // that day (March and Q1, December and the year and the whole window): tie them, or a
    // complement hidden in one table would be published in the other.
    if AT_END_STOCKS.contains(&ind.code) {
        for group in same_day.values() {
            let members: Vec<usize> = group.iter().copied().collect();
            for w in members.windows(2) {
                eqs.push(vec![(w[1], 1), (w[0], -1)]);
            }
        }
    }
    let nums: Vec<u64> = cells.iter().map(|c| c.num).collect();
    let dens: Vec<u64> = cells.iter().map(|c| c.den).collect();
    let (hide_num, hide_den) = match ind.kind {
        Kind::Count => (suppress(&nums, &eqs, threshold), vec![false; cells.len()]),
        Kind::Percent => (
            suppress(&nums, &eqs, threshold),
            suppress(&dens, &eqs, threshold),
        ),
        Kind::MedianDays => (vec![false; cells.len()], suppress(&dens, &eqs, threshold)),
    };
    let (from_s, to_s) = (format_date(from), format_date(to));
    raw.into_iter()
        .zip(cell_ids)
        .map(|(t, ids)| {
            let rows = t
                .cells
                .into_iter()
                .zip(ids)
                .map(|(c, i)| {
                    let num = (!hide_num[i]).then_some(c.cell.num);
                    let den = (!hide_den[i]).then_some(c.cell.den);
                    let value = match ind.kind {
                        Kind::Count => Value::Count { count: num },
                        Kind::Percent => Value::Percent {
                            numerator: num,
                            denominator: den,
                            percent: match (num, den) {
                                (Some(n), Some(d)) if d > 0 => {
                                    Some((n as f64 * 1000.0 / d as f64).round() / 10.0)
                                }
                                _ => None,
                            },
                        },
                        Kind::MedianDays => Value::MedianDays {
                            n: den,
                            median: den.filter(|d| *d > 0).and_then(|_| median(c.samples)),
                        },
                    };
                    let period = c.labels.iter().flatten().find_map(|(_, p)| *p);
                    Row {
                        labels: c.labels.into_iter().map(|l| l.map(|(s, _)| s)).collect(),
                        date_start: period.map_or_else(|| from_s.clone(), |p| format_date(p.0)),
                        date_end: period.map_or_else(|| to_s.clone(), |p| format_date(p.1)),
                        value,
                    }
                })
                .collect();
            Table {
                indicator: ind.code,
                name: ind.name,
                area: ind.area.number(),
                kind: ind.kind,
                dimensions: t.dims.iter().map(|d| d.name()).collect(),
                dims: t.dims,
                rows,
            }
        })
        .collect()
}
