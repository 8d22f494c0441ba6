//! Computing the indicators: one scan over the cases (and one over the incidents) per thread,
//! every indicator, window and table fed from the same row while it is in cache.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use haven_domain::case::{RiskLevel, SeparationStatus, Sex};
use haven_domain::casework::identity::BirthRegistrationStatus;
use haven_domain::casework::incident::IncidentCategory;
use haven_domain::casework::placement::Arrangement;
use haven_domain::casework::referral::{EnrolmentStatus, ReferralStatus};
use time::{Date, Duration, OffsetDateTime, Time};

use crate::catalogue::{Area, IndicatorDef, OverTime, indicators_of};
use crate::dims::{
    AGE_GROUPS, Dimension, Granularity, MAX_ADMIN_LEVEL, PcodeLevels, age_group, periods,
    table_dims,
};
use crate::error::ReportError;
use crate::facts::{Born, CaseFacts, Facts, IncidentFacts, Sym};
use crate::table::{self, Report};

/// Deployment settings a report depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    threshold: u64,
    /// The high-risk assessment response time (`TaskSettings::high.assessment_within_hours`).
    pub high_risk_assessment_hours: i64,
    /// School age, both ends included, on the last day of the window.
    pub school_age: (i32, i32),
    /// `service_types` codes that count as a health service.
    pub health_services: Vec<String>,
    pub pcode_levels: PcodeLevels,
    /// Threads for the scan (1 or more).
    pub threads: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            threshold: 4,
            high_risk_assessment_hours: 24,
            school_age: (6, 17),
            health_services: vec!["health".into()],
            pcode_levels: PcodeLevels::default(),
            threads: 2,
        }
    }
}

impl Settings {
    /// Counts from 1 to `threshold` are suppressed; below 1 is refused.
    pub fn with_threshold(mut self, threshold: i64) -> Result<Self, ReportError> {
        if threshold < 1 {
            return Err(ReportError::BadThreshold(threshold));
        }
        self.threshold =
            u64::try_from(threshold).map_err(|_| ReportError::BadThreshold(threshold))?;
        Ok(self)
    }

    /// Threads for the scan; at least 1.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    pub fn threshold(&self) -> u64 {
        self.threshold
    }
}

/// What to compute: indicators over `[from, to]`, each cut into the given tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub from: Date,
    pub to: Date,
    pub indicators: Vec<&'static IndicatorDef>,
    /// One entry per table; an empty list is the indicator's plain total (plus its breakdown).
    pub tables: Vec<Vec<Dimension>>,
}

impl Request {
    pub fn new(
        from: Date,
        to: Date,
        indicators: Vec<&'static IndicatorDef>,
        tables: Vec<Vec<Dimension>>,
    ) -> Result<Self, ReportError> {
        if from > to {
            return Err(ReportError::InvertedDates { from, to });
        }
        let tables = if tables.is_empty() {
            vec![Vec::new()]
        } else {
            tables
        };
        for ind in &indicators {
            for t in &tables {
                table_dims(ind, t)?;
            }
        }
        Ok(Self {
            from,
            to,
            indicators,
            tables,
        })
    }

    /// Every indicator of an area (`haven report --area N`).
    pub fn area(
        area: Area,
        from: Date,
        to: Date,
        tables: Vec<Vec<Dimension>>,
    ) -> Result<Self, ReportError> {
        Self::new(from, to, indicators_of(area).collect(), tables)
    }
}

// ---- internal plumbing ------------------------------------------------------------------

#[derive(Default)]
struct Fx(u64);
impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}
type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Cell {
    pub num: u64,
    pub den: u64,
}

const DENSE_LIMIT: u64 = 1 << 16;

enum Store {
    Dense(Vec<Cell>),
    Sparse(FxMap<u64, Cell>),
}

/// The accumulator of one table of one indicator.
struct Acc {
    dims: Vec<Dimension>,
    period: Option<(usize, Granularity)>,
    radix: Vec<u64>,
    /// The unit's own dimensions (not the period, reason or bias) with their strides; tables
    /// with the same dimensions share a `spec`, so the part of the key they give is computed
    /// once per case and window, not once per indicator.
    spec: usize,
    attr: Vec<(Dimension, u64, u64)>,
    /// Period, reason or bias: (dimension, stride, radix).
    rest: Vec<(Dimension, u64, u64)>,
    store: Store,
    samples: FxMap<u64, Vec<i32>>,
}

impl Acc {
    fn add(&mut self, key: u64, c: Contribution) {
        let (num, den) = match c {
            Contribution::Count(n) => (u64::from(n), 0),
            Contribution::Ratio(hit) => (u64::from(hit), 1),
            Contribution::Days(d) => {
                self.samples.entry(key).or_default().push(d);
                (0, 1)
            }
        };
        let cell = match &mut self.store {
            Store::Dense(v) => match v.get_mut(usize::try_from(key).unwrap_or(usize::MAX)) {
                Some(c) => c,
                None => return,
            },
            Store::Sparse(m) => m.entry(key).or_default(),
        };
        cell.num += num;
        cell.den += den;
    }

    fn merge(&mut self, other: Acc) {
        match (&mut self.store, other.store) {
            (Store::Dense(a), Store::Dense(b)) => {
                for (x, y) in a.iter_mut().zip(b) {
                    x.num += y.num;
                    x.den += y.den;
                }
            }
            (Store::Sparse(a), Store::Sparse(b)) => {
                for (k, y) in b {
                    let x = a.entry(k).or_default();
                    x.num += y.num;
                    x.den += y.den;
                }
            }
            _ => {}
        }
        for (k, mut s) in other.samples {
            self.samples.entry(k).or_default().append(&mut s);
        }
    }

    fn entries(&self) -> Vec<(u64, Cell)> {
        match &self.store {
            Store::Dense(v) => v
                .iter()
                .enumerate()
                .filter(|(_, c)| c.num > 0 || c.den > 0)
                .map(|(k, c)| (k as u64, *c))
                .collect(),
            Store::Sparse(m) => m
                .iter()
                .filter(|(_, c)| c.num > 0 || c.den > 0)
                .map(|(k, c)| (*k, *c))
                .collect(),
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Contribution {
    Count(u32),
    Ratio(bool),
    Days(i32),
}

/// The dimension values of one unit (a case, or a child of an incident).
#[derive(Clone, Copy, Default)]
struct Attrs {
    sex: u32,
    age: u32,
    sep: u32,
    nat: u32,
    loc: [u32; 5],
    risk: u32,
    origin: [u32; 5],
    setting: u32,
}

/// P-code prefixes per admin level, as small dense ids (0 = unknown).
struct Prefixes {
    /// `[level][sym] -> id`
    of: Vec<Vec<u32>>,
    names: Vec<Vec<String>>,
}

impl Prefixes {
    fn new(facts: &Facts, levels: &PcodeLevels) -> Self {
        let n = facts.vocabulary_len();
        let mut of = Vec::new();
        let mut names = Vec::new();
        for l in 0..=MAX_ADMIN_LEVEL as usize {
            let len = levels.0[l];
            let mut ids: HashMap<String, u32> = HashMap::new();
            let mut level_names = vec![String::from("unknown")];
            let mut map = Vec::with_capacity(n);
            for i in 0..n {
                let name = facts.name(Sym(i as u32));
                let prefix: String = name.chars().take(len).collect();
                let next = level_names.len() as u32;
                let id = *ids.entry(prefix.clone()).or_insert_with(|| {
                    level_names.push(prefix);
                    next
                });
                map.push(id);
            }
            of.push(map);
            names.push(level_names);
        }
        Self { of, names }
    }

    fn id(&self, level: usize, s: Option<Sym>) -> u32 {
        s.and_then(|s| {
            self.of
                .get(level)
                .and_then(|m| m.get(s.0 as usize))
                .copied()
        })
        .unwrap_or(0)
    }
}

fn sex_id(s: Option<Sex>) -> u32 {
    s.and_then(|s| Sex::ALL.iter().position(|x| *x == s))
        .map_or(Sex::ALL.len() as u32, |p| p as u32)
}
fn sep_id(s: Option<SeparationStatus>) -> u32 {
    s.and_then(|s| SeparationStatus::ALL.iter().position(|x| *x == s))
        .map_or(SeparationStatus::ALL.len() as u32, |p| p as u32)
}
fn risk_id(s: Option<RiskLevel>) -> u32 {
    s.and_then(|s| RiskLevel::ALL.iter().position(|x| *x == s))
        .map_or(RiskLevel::ALL.len() as u32, |p| p as u32)
}
fn age_id(born: Option<Born>, on: Date) -> u32 {
    age_group(born.map(|b| b.age_on(on)))
}

/// A birthday as plain numbers, so ages on many days cost a few integer operations.
#[derive(Clone, Copy)]
struct Ymd(i32, u8, u8);

impl Ymd {
    fn of(d: Date) -> Self {
        Self(d.year(), d.month() as u8, d.day())
    }
    /// Whole years from `self` (a birthday) to `on`, as `dates::age_on` counts them.
    fn age_on(self, on: Ymd) -> i32 {
        on.0 - self.0 - i32::from((on.1, on.2) < (self.1, self.2))
    }
}

struct Ctx<'a> {
    facts: &'a Facts,
    prefixes: Prefixes,
    settings: &'a Settings,
    health: Vec<Sym>,
    unknown_reason: u32,
    /// Codes (not P-codes) as small dense ids, 1-based (0 = unknown), so tables by
    /// nationality, reason, bias or setting stay small however many P-codes there are.
    code_of: Vec<u32>,
    code_names: Vec<Sym>,
}

impl Ctx<'_> {
    fn card(&self, d: Dimension) -> u64 {
        let codes = self.code_names.len() as u64 + 1;
        match d {
            Dimension::Sex => Sex::ALL.len() as u64 + 1,
            Dimension::AgeGroup => AGE_GROUPS.len() as u64,
            Dimension::Separation => SeparationStatus::ALL.len() as u64 + 1,
            Dimension::Risk => RiskLevel::ALL.len() as u64 + 1,
            Dimension::Location(l) | Dimension::Origin(l) => self
                .prefixes
                .names
                .get(l as usize)
                .map_or(1, |n| n.len() as u64),
            Dimension::Nationality | Dimension::Setting | Dimension::Bias => codes,
            Dimension::Reason => codes + 1,
            Dimension::Period(_) => 1,
        }
    }

    fn label(&self, d: Dimension, v: u32) -> String {
        let sym = |v: u32| match v
            .checked_sub(1)
            .and_then(|i| self.code_names.get(i as usize))
        {
            Some(s) => self.facts.name(*s).to_string(),
            None => "unknown".to_string(),
        };
        match d {
            Dimension::Sex => Sex::ALL
                .get(v as usize)
                .map_or("unknown", |s| s.as_str())
                .into(),
            Dimension::AgeGroup => AGE_GROUPS
                .get(v as usize)
                .copied()
                .unwrap_or("unknown")
                .into(),
            Dimension::Separation => SeparationStatus::ALL
                .get(v as usize)
                .map_or("unknown", |s| s.as_str())
                .into(),
            Dimension::Risk => RiskLevel::ALL
                .get(v as usize)
                .map_or("unknown", |s| s.as_str())
                .into(),
            Dimension::Location(l) | Dimension::Origin(l) => self
                .prefixes
                .names
                .get(l as usize)
                .and_then(|n| n.get(v as usize))
                .cloned()
                .unwrap_or_else(|| "unknown".into()),
            Dimension::Reason if v == self.unknown_reason => "unknown".into(),
            Dimension::Nationality | Dimension::Setting | Dimension::Bias | Dimension::Reason => {
                sym(v)
            }
            Dimension::Period(_) => String::new(),
        }
    }

    fn code(&self, s: Option<Sym>) -> u32 {
        s.and_then(|s| self.code_of.get(s.0 as usize))
            .copied()
            .unwrap_or(0)
    }

    fn case_attrs(&self, c: &CaseFacts) -> Attrs {
        let mut a = Attrs {
            sex: sex_id(c.sex),
            age: 0,
            sep: sep_id(c.separation),
            nat: self.code(c.nationality),
            risk: risk_id(c.risk),
            ..Attrs::default()
        };
        for l in 0..=MAX_ADMIN_LEVEL as usize {
            a.loc[l] = self.prefixes.id(l, c.pcode);
            a.origin[l] = self.prefixes.id(l, c.origin_pcode);
        }
        a
    }
}

fn value(d: Dimension, a: &Attrs, extra: u32) -> u32 {
    match d {
        Dimension::Sex => a.sex,
        Dimension::AgeGroup => a.age,
        Dimension::Separation => a.sep,
        Dimension::Nationality => a.nat,
        Dimension::Location(l) => a.loc[l as usize],
        Dimension::Origin(l) => a.origin[l as usize],
        Dimension::Risk => a.risk,
        Dimension::Setting => a.setting,
        Dimension::Reason | Dimension::Bias => extra,
        Dimension::Period(_) => 0,
    }
}

/// A window the indicators are evaluated over: the whole report, or one period of it.
#[derive(Clone)]
struct Window {
    from: Date,
    to: Date,
    to_ymd: Ymd,
    /// `None` for the whole window; else the granularity and the period's index.
    period: Option<(Granularity, usize)>,
}

/// The tables of one indicator that a window feeds: (acc index, period slot).
struct Feed {
    acc: usize,
    slot: Slot,
}

/// Which period a contribution lands in.
#[derive(Clone, Copy)]
enum Slot {
    /// 0 = the whole window, k = the k-th period (a stock, evaluated per period).
    Fixed(u64),
    /// A flow evaluated once over the whole window: the period that holds its event date.
    ByDate(Granularity),
}

/// Where a table's cells come from.
#[derive(Clone)]
enum Source {
    Own,
    Derived(usize),
    /// Its own accumulator.
    Acc(usize),
    /// The margins of a larger table's accumulator, keeping these dimensions.
    FromAcc(usize, Vec<Dimension>),
}

/// An accumulator to make: dimensions, where the period is, radix per dimension, dense or not.
type Template = (Vec<Dimension>, Option<(usize, Granularity)>, Vec<u64>, bool);

struct Plan {
    /// per indicator, per requested table: where its cells come from.
    tables: Vec<Vec<Source>>,
    /// Distinct (dimensions, radix) of all tables.
    specs: Vec<(Vec<Dimension>, Vec<u64>)>,
    slots: SlotOf,
    calcs: Vec<Calc>,
    windows: Vec<Window>,
    /// per indicator, per window: which accumulators it feeds
    feeds: Vec<Vec<Vec<Feed>>>,
    /// per indicator: its accumulators' templates
    accs: Vec<Vec<Template>>,
    labels: BTreeMap<Granularity, Vec<(Date, Date, String)>>,
}

fn plan(req: &Request, ctx: &Ctx) -> Result<Plan, ReportError> {
    let mut windows = vec![Window {
        from: req.from,
        to: req.to,
        to_ymd: Ymd::of(req.to),
        period: None,
    }];
    let mut labels = BTreeMap::new();
    let mut wanted: Vec<Granularity> = Vec::new();
    for t in &req.tables {
        for d in t {
            if let Dimension::Period(g) = d
                && !wanted.contains(g)
            {
                wanted.push(*g);
            }
        }
    }
    for g in wanted {
        let ps = periods(req.from, req.to, g);
        for (i, (f, t, _)) in ps.iter().enumerate() {
            windows.push(Window {
                from: *f,
                to: *t,
                to_ymd: Ymd::of(*t),
                period: Some((g, i)),
            });
        }
        labels.insert(g, ps);
    }
    let mut feeds = Vec::new();
    let mut accs = Vec::new();
    let mut tables = Vec::new();
    for ind in &req.indicators {
        let mut templates = Vec::new();
        let mut per_window: Vec<Vec<Feed>> = windows.iter().map(|_| Vec::new()).collect();
        let all: Vec<Vec<Dimension>> = req
            .tables
            .iter()
            .map(|t| table_dims(ind, t))
            .collect::<Result<_, _>>()?;
        // A table whose dimensions are all in a larger table is read from that table's margins
        // instead of being counted again.
        let host_of = |k: usize| -> Option<usize> {
            let strict = |a: &Vec<Dimension>, b: &Vec<Dimension>| {
                a.len() < b.len() && a.iter().all(|d| b.contains(d))
            };
            (0..all.len())
                .find(|&h| strict(&all[k], &all[h]) && !all.iter().any(|o| strict(&all[h], o)))
        };
        let mut sources = Vec::new();
        let mut acc_of_table = Vec::new();
        for (k, dims) in all.iter().enumerate() {
            if let Some(h) = host_of(k) {
                sources.push(Source::Derived(h));
                acc_of_table.push(None);
                continue;
            }
            let dims = dims.clone();
            acc_of_table.push(Some(templates.len()));
            sources.push(Source::Own);
            let period = dims.iter().enumerate().find_map(|(i, d)| match d {
                Dimension::Period(g) => Some((i, *g)),
                _ => None,
            });
            let n_periods = period.map_or(0, |(_, g)| labels.get(&g).map_or(0, Vec::len)) as u64;
            let radix: Vec<u64> = dims
                .iter()
                .map(|d| match d {
                    Dimension::Period(_) => n_periods + 1,
                    other => ctx.card(*other),
                })
                .collect();
            let cells = radix
                .iter()
                .try_fold(1u128, |a, r| a.checked_mul(u128::from(*r)))
                .unwrap_or(u128::MAX);
            if cells > u128::from(u64::MAX) {
                return Err(ReportError::TooManyCells(cells));
            }
            let acc = templates.len();
            templates.push((dims, period, radix, cells <= u128::from(DENSE_LIMIT)));
            for (w, win) in windows.iter().enumerate() {
                let flow = ind.over_time == OverTime::Flow;
                match (win.period, period) {
                    (None, Some((_, g))) if flow => {
                        per_window[w].push(Feed {
                            acc,
                            slot: Slot::Fixed(0),
                        });
                        per_window[w].push(Feed {
                            acc,
                            slot: Slot::ByDate(g),
                        });
                    }
                    (None, _) => per_window[w].push(Feed {
                        acc,
                        slot: Slot::Fixed(0),
                    }),
                    (Some(_), _) if flow => {}
                    (Some((g, i)), Some((_, pg))) if g == pg => per_window[w].push(Feed {
                        acc,
                        slot: Slot::Fixed(i as u64 + 1),
                    }),
                    _ => {}
                }
            }
        }
        feeds.push(per_window);
        accs.push(templates);
        let resolved: Vec<Source> = sources
            .into_iter()
            .enumerate()
            .map(|(k, src)| match src {
                Source::Derived(h) => {
                    acc_of_table[h].map_or(Source::Own, |a| Source::FromAcc(a, all[k].clone()))
                }
                Source::Own => acc_of_table[k].map_or(Source::Own, Source::Acc),
                other => other,
            })
            .collect();
        tables.push(resolved);
    }
    let calcs = req
        .indicators
        .iter()
        .map(|i| calc_of(i.code).ok_or_else(|| ReportError::UnknownIndicator(i.code.to_string())))
        .collect::<Result<_, _>>()?;
    let mut specs: Vec<(Vec<Dimension>, Vec<u64>)> = Vec::new();
    for t in accs.iter().flatten() {
        if !specs.iter().any(|s| s.0 == t.0 && s.1 == t.2) {
            specs.push((t.0.clone(), t.2.clone()));
        }
    }
    Ok(Plan {
        tables,
        specs,
        slots: SlotOf::new(req.from, &labels),
        calcs,
        windows,
        feeds,
        accs,
        labels,
    })
}

fn strided(dims: &[Dimension], radix: &[u64], rest: bool) -> Vec<(Dimension, u64, u64)> {
    let mut stride = 1u64;
    let mut out = Vec::new();
    for (d, r) in dims.iter().zip(radix).rev() {
        let is_rest = matches!(
            d,
            Dimension::Period(_) | Dimension::Reason | Dimension::Bias
        );
        if is_rest == rest {
            out.push((*d, stride, *r));
        }
        stride = stride.saturating_mul(*r);
    }
    out
}

fn new_accs(plan: &Plan) -> Vec<Vec<Acc>> {
    plan.accs
        .iter()
        .map(|ts| {
            ts.iter()
                .map(|(dims, period, radix, dense)| Acc {
                    dims: dims.clone(),
                    period: *period,
                    radix: radix.clone(),
                    spec: plan
                        .specs
                        .iter()
                        .position(|s| s.0 == *dims && s.1 == *radix)
                        .unwrap_or(0),
                    attr: strided(dims, radix, false),
                    rest: strided(dims, radix, true),
                    store: if *dense {
                        Store::Dense(vec![
                            Cell::default();
                            radix.iter().product::<u64>() as usize
                        ])
                    } else {
                        Store::Sparse(FxMap::default())
                    },
                    samples: FxMap::default(),
                })
                .collect()
        })
        .collect()
}

/// Where the shared part of each table's key is cached: `(stamp, key)` per spec.
struct KeyCache {
    stamp: u64,
    keys: Vec<(u64, u64)>,
}

#[allow(clippy::too_many_arguments)]
fn feed(
    accs: &mut [Acc],
    feeds: &[Feed],
    slots: &SlotOf,
    cache: &mut KeyCache,
    a: &Attrs,
    extra: u32,
    c: Contribution,
    event: Option<Date>,
) {
    for f in feeds {
        let Some(acc) = accs.get_mut(f.acc) else {
            continue;
        };
        let slot = match f.slot {
            Slot::Fixed(s) => s,
            Slot::ByDate(g) => match event.and_then(|d| slots.get(g, d)) {
                Some(s) => s,
                None => continue,
            },
        };
        let base = match cache.keys.get_mut(acc.spec) {
            Some(entry) if entry.0 == cache.stamp => entry.1,
            entry => {
                let k = acc
                    .attr
                    .iter()
                    .map(|&(d, stride, r)| u64::from(value(d, a, extra)).min(r - 1) * stride)
                    .sum();
                if let Some(e) = entry {
                    *e = (cache.stamp, k);
                }
                k
            }
        };
        let mut key = base;
        for &(d, stride, r) in &acc.rest {
            let v = match d {
                Dimension::Period(_) => slot,
                _ => u64::from(extra),
            };
            key += v.min(r - 1) * stride;
        }
        acc.add(key, c);
    }
}

/// Day → period slot (1-based) per granularity, over the report's window.
struct SlotOf {
    from: Date,
    by: BTreeMap<Granularity, Vec<u32>>,
}

impl SlotOf {
    fn new(from: Date, labels: &BTreeMap<Granularity, Vec<(Date, Date, String)>>) -> Self {
        let by = labels
            .iter()
            .map(|(g, ps)| {
                let mut v = Vec::new();
                for (i, (f, t, _)) in ps.iter().enumerate() {
                    for _ in 0..=(*t - *f).whole_days() {
                        v.push(i as u32 + 1);
                    }
                }
                (*g, v)
            })
            .collect();
        Self { from, by }
    }

    fn get(&self, g: Granularity, d: Date) -> Option<u64> {
        let i = usize::try_from((d - self.from).whole_days()).ok()?;
        self.by.get(&g)?.get(i).map(|s| u64::from(*s))
    }
}

fn in_window(d: Date, w: &Window) -> bool {
    d >= w.from && d <= w.to
}

/// An indicator's rule, resolved once from its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Calc {
    ProtOpenCases,
    ProtHighRiskAssessedInTime,
    ProtIncidentsViolence,
    ProtIncidentsExploitation,
    ProtIncidentsTrafficking,
    DetInImmigrationDetention,
    DetPlacements,
    DetMedianDays,
    DetAlternative72h,
    IdBirthRegistered,
    IdDocuments,
    FamTracingOpen,
    FamReunifications,
    FamMedianDaysToReunification,
    FamUascFamilyCare,
    SvcSchoolEnrolled,
    SvcHealthService,
    SvcReferralCompletion,
    RootReasonsForLeaving,
    RootOriginArea,
    DiscIncidentsByBias,
    DiscIncidentsBySetting,
}

impl Calc {
    /// Counts only cases in the caseload of the window (open on some day of it).
    fn needs_caseload(self) -> bool {
        matches!(
            self,
            Calc::ProtOpenCases
                | Calc::ProtHighRiskAssessedInTime
                | Calc::IdBirthRegistered
                | Calc::IdDocuments
                | Calc::FamUascFamilyCare
                | Calc::SvcSchoolEnrolled
                | Calc::SvcHealthService
                | Calc::RootReasonsForLeaving
                | Calc::RootOriginArea
        )
    }
}

fn calc_of(code: &str) -> Option<Calc> {
    Some(match code {
        "prot_open_cases" => Calc::ProtOpenCases,
        "prot_high_risk_assessed_in_time" => Calc::ProtHighRiskAssessedInTime,
        "prot_incidents_violence" => Calc::ProtIncidentsViolence,
        "prot_incidents_exploitation" => Calc::ProtIncidentsExploitation,
        "prot_incidents_trafficking" => Calc::ProtIncidentsTrafficking,
        "det_in_immigration_detention" => Calc::DetInImmigrationDetention,
        "det_placements" => Calc::DetPlacements,
        "det_median_days" => Calc::DetMedianDays,
        "det_alternative_72h" => Calc::DetAlternative72h,
        "id_birth_registered" => Calc::IdBirthRegistered,
        "id_documents" => Calc::IdDocuments,
        "fam_tracing_open" => Calc::FamTracingOpen,
        "fam_reunifications" => Calc::FamReunifications,
        "fam_median_days_to_reunification" => Calc::FamMedianDaysToReunification,
        "fam_uasc_family_care" => Calc::FamUascFamilyCare,
        "svc_school_enrolled" => Calc::SvcSchoolEnrolled,
        "svc_health_service" => Calc::SvcHealthService,
        "svc_referral_completion" => Calc::SvcReferralCompletion,
        "root_reasons_for_leaving" => Calc::RootReasonsForLeaving,
        "root_origin_area" => Calc::RootOriginArea,
        "disc_incidents_by_bias" => Calc::DiscIncidentsByBias,
        "disc_incidents_by_setting" => Calc::DiscIncidentsBySetting,
        _ => return None,
    })
}

/// Evaluates one case-based indicator for one case and window.
#[allow(clippy::collapsible_match)] // one arm per indicator reads better than guards
fn eval_case(
    code: Calc,
    c: &CaseFacts,
    w: &Window,
    age: Option<i32>,
    ctx: &Ctx,
    out: &mut dyn FnMut(u32, Contribution, Option<Date>),
) {
    match code {
        Calc::ProtOpenCases => {
            if c.open_on(w.to) {
                out(0, Contribution::Count(1), None);
            }
        }
        Calc::ProtHighRiskAssessedInTime => {
            if c.risk == Some(RiskLevel::High) && in_window(c.registration_date, w) {
                let start = c.registered_at.unwrap_or_else(|| {
                    OffsetDateTime::new_utc(c.registration_date, Time::MIDNIGHT)
                });
                let hit = c.assessed_at.is_some_and(|a| {
                    a - start <= Duration::hours(ctx.settings.high_risk_assessment_hours)
                });
                out(0, Contribution::Ratio(hit), Some(c.registration_date));
            }
        }
        Calc::DetInImmigrationDetention => {
            if c.placements.iter().any(|p| {
                p.kind == Arrangement::ImmigrationDetention
                    && p.start <= w.to
                    && p.end.is_none_or(|e| e > w.to)
            }) {
                out(0, Contribution::Count(1), None);
            }
        }
        Calc::DetPlacements => {
            for p in &c.placements {
                if p.kind.is_detention() && in_window(p.start, w) {
                    out(0, Contribution::Count(1), Some(p.start));
                }
            }
        }
        Calc::DetMedianDays | Calc::DetAlternative72h => {
            if !c.placements.iter().any(|p| p.kind.is_detention()) {
                return;
            }
            for s in spells(&c.placements, w.to) {
                if code == Calc::DetMedianDays {
                    if let Some(u) = s.until
                        && in_window(u, w)
                    {
                        out(0, Contribution::Days(s.days), Some(u));
                    }
                } else if in_window(s.since, w) {
                    let hit = s.until.is_some_and(|u| {
                        (u - s.since).whole_days() <= 3
                            && c.placements.iter().any(|p| {
                                p.kind.is_alternative_to_detention()
                                    && p.start >= u
                                    && p.start <= u + Duration::days(1)
                            })
                    });
                    out(0, Contribution::Ratio(hit), Some(s.since));
                }
            }
        }
        Calc::IdBirthRegistered => {
            if c.active_in(w.from, w.to) {
                out(
                    0,
                    Contribution::Ratio(
                        c.birth_registration == Some(BirthRegistrationStatus::Registered),
                    ),
                    None,
                );
            }
        }
        Calc::IdDocuments => {
            if c.active_in(w.from, w.to) {
                out(0, Contribution::Ratio(c.has_identity_documents), None);
            }
        }
        Calc::FamTracingOpen => {
            let n = c
                .tracing
                .iter()
                .filter(|t| t.opened <= w.to && t.closed.is_none_or(|x| x > w.to))
                .count();
            if n > 0 {
                out(0, Contribution::Count(n as u32), None);
            }
        }
        Calc::FamReunifications => {
            if c.reunified_on.is_some_and(|r| in_window(r, w)) {
                out(0, Contribution::Count(1), c.reunified_on);
            }
        }
        Calc::FamMedianDaysToReunification => {
            if let Some(r) = c.reunified_on
                && in_window(r, w)
                && let Some(first) = c.tracing.iter().map(|t| t.opened).filter(|o| *o <= r).min()
            {
                out(
                    0,
                    Contribution::Days((r - first).whole_days() as i32),
                    Some(r),
                );
            }
        }
        Calc::FamUascFamilyCare => {
            if c.open_on(w.to)
                && matches!(
                    c.separation,
                    Some(SeparationStatus::Unaccompanied | SeparationStatus::Separated)
                )
            {
                let hit = c.placements.iter().any(|p| {
                    matches!(
                        p.kind,
                        Arrangement::Parents
                            | Arrangement::Kinship
                            | Arrangement::Foster
                            | Arrangement::Kafala
                    ) && p.start <= w.to
                        && p.end.is_none_or(|e| e > w.to)
                });
                out(0, Contribution::Ratio(hit), None);
            }
        }
        Calc::SvcSchoolEnrolled => {
            if c.open_on(w.to)
                && let Some(age) = age
                && age >= ctx.settings.school_age.0
                && age <= ctx.settings.school_age.1
            {
                out(
                    0,
                    Contribution::Ratio(matches!(
                        c.enrolment,
                        Some(EnrolmentStatus::Enrolled | EnrolmentStatus::Attending)
                    )),
                    None,
                );
            }
        }
        Calc::SvcHealthService => {
            if c.active_in(w.from, w.to) {
                let hit = c.services.iter().any(|s| {
                    ctx.health.contains(&s.service)
                        && in_window(s.requested_on, w)
                        && !matches!(
                            s.status,
                            ReferralStatus::Declined | ReferralStatus::Cancelled
                        )
                });
                out(0, Contribution::Ratio(hit), None);
            }
        }
        Calc::SvcReferralCompletion => {
            for s in &c.services {
                if in_window(s.requested_on, w) && s.status != ReferralStatus::Cancelled {
                    out(
                        0,
                        Contribution::Ratio(s.status == ReferralStatus::Completed),
                        Some(s.requested_on),
                    );
                }
            }
        }
        Calc::RootReasonsForLeaving => {
            if in_window(c.registration_date, w) {
                if c.reasons_for_leaving.is_empty() {
                    out(
                        ctx.unknown_reason,
                        Contribution::Count(1),
                        Some(c.registration_date),
                    );
                }
                for r in &c.reasons_for_leaving {
                    out(
                        ctx.code(Some(*r)),
                        Contribution::Count(1),
                        Some(c.registration_date),
                    );
                }
            }
        }
        Calc::RootOriginArea => {
            if in_window(c.registration_date, w) {
                out(0, Contribution::Count(1), Some(c.registration_date));
            }
        }
        _ => {}
    }
}

struct Spell {
    since: Date,
    until: Option<Date>,
    days: i32,
}

/// Detention spells as `haven_domain::casework::placement::detention_spells` joins them.
fn spells(ps: &[crate::facts::PlacementFact], today: Date) -> Vec<Spell> {
    let mut d: Vec<_> = ps.iter().filter(|p| p.kind.is_detention()).collect();
    d.sort_by_key(|p| p.start);
    let mut out: Vec<Spell> = Vec::new();
    for p in d {
        match out.last_mut() {
            Some(s) if s.until.is_some_and(|u| u >= p.start) => s.until = p.end,
            _ => out.push(Spell {
                since: p.start,
                until: p.end,
                days: 0,
            }),
        }
    }
    for s in &mut out {
        let last = s.until.unwrap_or(today).max(s.since);
        s.days = (last - s.since).whole_days() as i32 + 1;
    }
    out
}

fn eval_incident(
    code: Calc,
    i: &IncidentFacts,
    w: &Window,
    codes: &[u32],
    out: &mut dyn FnMut(usize, u32, Contribution, Option<Date>),
) {
    if !in_window(i.date, w) {
        return;
    }
    let cat = match code {
        Calc::ProtIncidentsViolence => IncidentCategory::Violence,
        Calc::ProtIncidentsExploitation => IncidentCategory::Exploitation,
        Calc::ProtIncidentsTrafficking => IncidentCategory::Trafficking,
        Calc::DiscIncidentsByBias | Calc::DiscIncidentsBySetting => {
            IncidentCategory::Discrimination
        }
        _ => return,
    };
    if i.category != cat {
        return;
    }
    for child in 0..i.children.len() {
        if code == Calc::DiscIncidentsByBias {
            if i.bias_motivations.is_empty() {
                out(child, 0, Contribution::Count(1), Some(i.date));
            }
            for b in &i.bias_motivations {
                out(
                    child,
                    codes.get(b.0 as usize).copied().unwrap_or(0),
                    Contribution::Count(1),
                    Some(i.date),
                );
            }
        } else {
            out(child, 0, Contribution::Count(1), Some(i.date));
        }
    }
}

fn is_incident(ind: &IndicatorDef) -> bool {
    matches!(
        ind.unit,
        crate::catalogue::Unit::IncidentChild | crate::catalogue::Unit::IncidentChildBias
    )
}

fn scan(
    ctx: &Ctx,
    plan: &Plan,
    req: &Request,
    cases: &[CaseFacts],
    incidents: &[IncidentFacts],
) -> Vec<Vec<Acc>> {
    let mut accs = new_accs(plan);
    let case_inds: Vec<usize> = (0..req.indicators.len())
        .filter(|&i| !is_incident(req.indicators[i]))
        .collect();
    let inc_inds: Vec<usize> = (0..req.indicators.len())
        .filter(|&i| is_incident(req.indicators[i]))
        .collect();
    let mut cache = KeyCache {
        stamp: 0,
        keys: vec![(u64::MAX, 0); plan.specs.len()],
    };
    for c in cases {
        let mut a = ctx.case_attrs(c);
        let mid = c.born.map(|b| Ymd::of(b.middle()));
        for (w, win) in plan.windows.iter().enumerate() {
            let age = mid.map(|m| m.age_on(win.to_ymd));
            a.age = age_group(age);
            cache.stamp += 1;
            // Outside its caseload a case counts only for what it may carry outside it
            // (a detention or a tracing request before registration).
            let in_caseload = c.active_in(win.from, win.to);
            for &i in &case_inds {
                let feeds = &plan.feeds[i][w];
                let code = plan.calcs[i];
                if feeds.is_empty() || (!in_caseload && code.needs_caseload()) {
                    continue;
                }
                let slot = &mut accs[i];
                eval_case(code, c, win, age, ctx, &mut |extra, contrib, event| {
                    feed(
                        slot,
                        feeds,
                        &plan.slots,
                        &mut cache,
                        &a,
                        extra,
                        contrib,
                        event,
                    )
                });
            }
        }
    }
    for inc in incidents {
        let base: Vec<Attrs> = inc
            .children
            .iter()
            .map(|ch| {
                let mut a = Attrs {
                    sex: sex_id(ch.sex),
                    age: age_id(ch.born, inc.date),
                    sep: sep_id(ch.separation),
                    nat: ctx.code(ch.nationality),
                    risk: 0,
                    setting: ctx.code(inc.setting),
                    ..Attrs::default()
                };
                for l in 0..=MAX_ADMIN_LEVEL as usize {
                    a.loc[l] = ctx.prefixes.id(l, inc.pcode);
                }
                a
            })
            .collect();
        for (w, win) in plan.windows.iter().enumerate() {
            for &i in &inc_inds {
                let feeds = &plan.feeds[i][w];
                if feeds.is_empty() {
                    continue;
                }
                let slot = &mut accs[i];
                eval_incident(
                    plan.calcs[i],
                    inc,
                    win,
                    &ctx.code_of,
                    &mut |child, extra, contrib, event| {
                        if let Some(a) = base.get(child) {
                            // A new unit each time: nothing to share.
                            cache.stamp += 1;
                            feed(
                                slot,
                                feeds,
                                &plan.slots,
                                &mut cache,
                                a,
                                extra,
                                contrib,
                                event,
                            );
                        }
                    },
                );
            }
        }
    }
    accs
}

fn compact_codes(facts: &Facts) -> (Vec<u32>, Vec<Sym>) {
    let mut code_of = vec![0u32; facts.vocabulary_len()];
    let mut names = Vec::new();
    let mut see = |s: Sym| {
        if let Some(slot) = code_of.get_mut(s.0 as usize)
            && *slot == 0
        {
            names.push(s);
            *slot = names.len() as u32;
        }
    };
    for c in &facts.cases {
        c.nationality
            .into_iter()
            .chain(c.reasons_for_leaving.iter().copied())
            .for_each(&mut see);
    }
    for i in &facts.incidents {
        i.setting
            .into_iter()
            .chain(i.bias_motivations.iter().copied())
            .for_each(&mut see);
        i.children
            .iter()
            .filter_map(|c| c.nationality)
            .for_each(&mut see);
    }
    (code_of, names)
}

/// Computes every requested table, suppressed and ready to write.
pub fn compute(facts: &Facts, req: &Request, settings: &Settings) -> Result<Report, ReportError> {
    if req.from > req.to {
        return Err(ReportError::InvertedDates {
            from: req.from,
            to: req.to,
        });
    }
    let (code_of, code_names) = compact_codes(facts);
    let ctx = Ctx {
        facts,
        prefixes: Prefixes::new(facts, &settings.pcode_levels),
        settings,
        health: settings
            .health_services
            .iter()
            .filter_map(|s| facts.lookup(s))
            .collect(),
        unknown_reason: code_names.len() as u32 + 1,
        code_of,
        code_names,
    };
    let plan = plan(req, &ctx)?;
    let threads = settings.threads.max(1);
    let cs = facts.cases.len().div_ceil(threads).max(1);
    let is = facts.incidents.len().div_ceil(threads).max(1);
    let mut parts: Vec<Vec<Vec<Acc>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let cases = facts
                    .cases
                    .get(t * cs..((t + 1) * cs).min(facts.cases.len()))
                    .unwrap_or(&[]);
                let incs = facts
                    .incidents
                    .get(t * is..((t + 1) * is).min(facts.incidents.len()))
                    .unwrap_or(&[]);
                let (ctx, plan) = (&ctx, &plan);
                s.spawn(move || scan(ctx, plan, req, cases, incs))
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    if parts.len() != threads {
        return Err(ReportError::Write("a report thread failed".into()));
    }
    let mut total = parts.pop().unwrap_or_default();
    for p in parts {
        for (mine, theirs) in total.iter_mut().zip(p) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                a.merge(b);
            }
        }
    }
    let coarsen =
        |fine: Dimension, v: u32, coarse: Dimension| coarsen(&ctx, &plan, fine, v, coarse);
    let mut tables = Vec::new();
    for (i, ind) in req.indicators.iter().enumerate() {
        let own: Vec<table::RawTable> = total[i]
            .iter()
            .map(|acc| raw_table(acc, &ctx, &plan))
            .collect();
        let raw: Vec<table::RawTable> = plan.tables[i]
            .iter()
            .filter_map(|src| match src {
                Source::Acc(a) => own.get(*a).cloned(),
                Source::FromAcc(a, dims) => own.get(*a).map(|t| t.project(dims)),
                _ => None,
            })
            .collect();
        tables.extend(table::finish(
            ind,
            raw,
            settings.threshold,
            req.from,
            req.to,
            &coarsen,
        ));
    }
    Ok(Report {
        from: req.from,
        to: req.to,
        threshold: settings.threshold,
        tables,
    })
}

fn coarsen(ctx: &Ctx, plan: &Plan, fine: Dimension, v: u32, coarse: Dimension) -> Option<u32> {
    match (fine, coarse) {
        (
            Dimension::Location(f) | Dimension::Origin(f),
            Dimension::Location(c) | Dimension::Origin(c),
        ) => {
            if v == 0 {
                return Some(0);
            }
            let name = ctx.prefixes.names.get(f as usize)?.get(v as usize)?;
            let len = *ctx.settings.pcode_levels.0.get(c as usize)?;
            let prefix: String = name.chars().take(len).collect();
            ctx.prefixes
                .names
                .get(c as usize)?
                .iter()
                .position(|n| *n == prefix)
                .map(|p| p as u32)
        }
        (Dimension::Period(f), Dimension::Period(c)) => {
            let (start, _, _) = plan.labels.get(&f)?.get(v as usize)?;
            plan.labels
                .get(&c)?
                .iter()
                .position(|(a, b, _)| a <= start && start <= b)
                .map(|p| p as u32)
        }
        _ => None,
    }
}

/// Decodes an accumulator into labelled cells with all their margins.
fn raw_table(acc: &Acc, ctx: &Ctx, plan: &Plan) -> table::RawTable {
    let n = acc.dims.len();
    let mut cells: BTreeMap<Vec<Option<u32>>, (Cell, Vec<i32>)> = BTreeMap::new();
    for (key, cell) in acc.entries() {
        let mut coords = vec![0u32; n];
        let mut k = key;
        for j in (0..n).rev() {
            coords[j] = (k % acc.radix[j]) as u32;
            k /= acc.radix[j];
        }
        let samples = acc.samples.get(&key).cloned().unwrap_or_default();
        let period_slot = acc.period.map(|(p, _)| p);
        for mask in 0u32..(1 << n) {
            // The period's total is the whole window's own value, never a sum.
            if let Some(p) = period_slot
                && mask & (1 << p) != 0
            {
                continue;
            }
            let key: Vec<Option<u32>> = (0..n)
                .map(|j| {
                    if Some(j) == period_slot {
                        coords[j].checked_sub(1)
                    } else if mask & (1 << j) != 0 {
                        None
                    } else {
                        Some(coords[j])
                    }
                })
                .collect();
            let e = cells.entry(key).or_default();
            e.0.num += cell.num;
            e.0.den += cell.den;
            e.1.extend_from_slice(&samples);
        }
    }
    let labels = |d: Dimension, v: u32| match d {
        Dimension::Period(g) => plan
            .labels
            .get(&g)
            .and_then(|l| l.get(v as usize))
            .map(|(f, t, s)| (s.clone(), Some((*f, *t))))
            .unwrap_or_default(),
        other => (ctx.label(other, v), None),
    };
    table::RawTable {
        dims: acc.dims.clone(),
        cells: cells
            .into_iter()
            .map(|(coords, (cell, samples))| table::RawCell {
                labels: coords
                    .iter()
                    .zip(&acc.dims)
                    .map(|(c, d)| c.map(|v| labels(*d, v)))
                    .collect(),
                coords,
                cell,
                samples,
            })
            .collect(),
    }
}

pub(crate) fn summable(ind: &IndicatorDef, d: Dimension) -> bool {
    !matches!(d, Dimension::Period(_)) || ind.over_time == OverTime::Flow
}
