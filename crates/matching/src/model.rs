//! Fellegi–Sunter: m and u per comparison level, trained without labels (u from random pairs,
//! m and the match rate by EM over blocked pairs), term-frequency adjustment of exact name
//! agreement, a match probability and the weight each field contributed.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::MatchError;
use crate::compare::{Comparison, NULL, What, comparisons};
use crate::prepare::{Prepared, Strs};
use crate::schema::Schema;

/// The trained model: save it with [`Params::to_json`] and load it with [`Params::from_json`]
/// to score new data the same way without training again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// The layout of this file; bumped when it changes.
    pub format: u32,
    pub schema: Schema,
    pub comparisons: Vec<ComparisonParams>,
    /// How many true matches a record has, on average, among all the records it is matched
    /// against. The prior of a pair is this divided by the number of those records, so the same
    /// parameters stay calibrated on a larger or smaller set.
    pub matches_per_record: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonParams {
    pub label: String,
    pub levels: Vec<LevelParams>,
}

/// `m`: the chance of this level for a true match; `u`: for a non-match; `u_same_given`: for
/// a non-match that has the same given name (see [`Scorer`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelParams {
    pub label: String,
    pub m: f64,
    pub u: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub u_same_given: Option<f64>,
}

const FORMAT: u32 = 1;
/// Patterns pack one level per comparison in four bits.
pub(crate) const MAX_COMPARISONS: usize = 16;

impl Params {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Self, MatchError> {
        let p: Params =
            serde_json::from_str(text).map_err(|e| MatchError::BadParams(e.to_string()))?;
        Scorer::new(&p)?;
        Ok(p)
    }

    /// The weight of evidence (log2 m/u) of each level, for display.
    pub fn weights(&self) -> Vec<(String, Vec<(String, f64)>)> {
        self.comparisons
            .iter()
            .map(|c| {
                (
                    c.label.clone(),
                    c.levels
                        .iter()
                        .map(|l| (l.label.clone(), (l.m / l.u).log2()))
                        .collect(),
                )
            })
            .collect()
    }
}

/// What one comparison contributed to a pair's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldWeight {
    pub field: String,
    /// The agreement level, or `missing`.
    pub level: String,
    /// Bits of evidence: positive for a match, negative against.
    pub weight: f64,
    /// On an [`crate::OTHER_RECORDS`] line, the id of the record that weighed most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
}

/// Term frequencies of the values an exact name agreement can be on.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tf {
    counts: Vec<FxHashMap<u32, u32>>,
    totals: Vec<u64>,
}

impl Tf {
    pub(crate) fn new(comps: usize) -> Self {
        Self {
            counts: vec![FxHashMap::default(); comps],
            totals: vec![0; comps],
        }
    }

    /// Counts (or with `add = false` uncounts) a record's values.
    pub(crate) fn count(&mut self, comps: &[Comparison], p: &Prepared, add: bool) {
        for (c, comp) in comps.iter().enumerate() {
            if !comp.tf {
                continue;
            }
            let Some(v) = comp.value(p) else { continue };
            let (Some(map), Some(total)) = (self.counts.get_mut(c), self.totals.get_mut(c)) else {
                continue;
            };
            let n = map.entry(v).or_insert(0);
            if add {
                *n += 1;
                *total += 1;
            } else {
                *n = n.saturating_sub(1);
                *total = total.saturating_sub(1);
            }
        }
    }

    /// The value's frequency, smoothed towards `prior` (the trained chance of exact agreement)
    /// by [`TF_PSEUDO_COUNT`] imaginary values: a small index (a new deployment, a short list)
    /// cannot tell a common name from a rare one, so it must not call every name common.
    fn freq(&self, c: usize, v: u32, prior: f64) -> Option<f64> {
        let total = *self.totals.get(c)? as f64;
        let n = self.counts.get(c)?.get(&v).copied().unwrap_or(0);
        Some((f64::from(n) + TF_PSEUDO_COUNT * prior) / (total + TF_PSEUDO_COUNT))
    }
}

/// Scores pairs with given parameters.
///
/// Fields are not independent among non-matches: a given name belongs to a country, a family
/// name to a region, a father's name to a family name. Two strangers with the same given name
/// are far likelier than two random strangers to share nationality, village and family name;
/// weighing those against random strangers would count the country three times over and
/// propose every namesake in a large caseload. So once the given names agree exactly, the
/// other comparisons weigh against `u_same_given` (the chain rule: P(given) x P(rest | given)).
#[derive(Debug, Clone)]
pub(crate) struct Scorer {
    pub comps: Vec<Comparison>,
    /// log2(m/u) per comparison and level.
    weights: Vec<Vec<f64>>,
    /// log2(m/u_same_given), for pairs whose given names agree exactly.
    weights_given: Vec<Vec<f64>>,
    /// log2(u0 / u0_same_given): shifts a term-frequency weight to the same condition.
    tf_shift_given: Vec<f64>,
    log_m0: Vec<f64>,
    u0: Vec<f64>,
    /// From each comparison on, the most the rest can still add: all of them, and only those
    /// that are not family evidence (which counts nothing once the given names differ).
    rest_all: Vec<f64>,
    rest_own: Vec<f64>,
    pub matches_per_record: f64,
}

/// How many values the term frequencies must have seen before they outweigh the trained average.
const TF_PSEUDO_COUNT: f64 = 1000.0;

/// A very rare value may add at most this many bits over the average exact agreement: keeps a
/// one-off spelling from outweighing everything else.
const MAX_TF_BONUS: f64 = 4.0;

impl Scorer {
    pub(crate) fn new(p: &Params) -> Result<Self, MatchError> {
        let comps = comparisons(&p.schema);
        if p.format != FORMAT {
            return Err(MatchError::BadParams(format!(
                "format {} is not {FORMAT}",
                p.format
            )));
        }
        if comps.len() != p.comparisons.len() {
            return Err(MatchError::BadParams(format!(
                "the schema makes {} comparisons but the parameters hold {}",
                comps.len(),
                p.comparisons.len()
            )));
        }
        let mut weights = Vec::new();
        let mut weights_given = Vec::new();
        let mut tf_shift_given = Vec::new();
        let mut log_m0 = Vec::new();
        let mut u0 = Vec::new();
        for (c, cp) in comps.iter().zip(&p.comparisons) {
            if c.levels.len() != cp.levels.len() {
                return Err(MatchError::BadParams(format!(
                    "{}: wrong number of levels",
                    cp.label
                )));
            }
            if cp
                .levels
                .iter()
                .any(|l| !(l.m > 0.0 && l.m <= 1.0 && l.u > 0.0 && l.u <= 1.0))
            {
                return Err(MatchError::BadParams(format!(
                    "{}: m and u must be in (0, 1]",
                    cp.label
                )));
            }
            if cp.label != c.label {
                return Err(MatchError::BadParams(format!(
                    "comparison {} where the schema makes {}",
                    cp.label, c.label
                )));
            }
            if cp
                .levels
                .iter()
                .any(|l| l.u_same_given.is_some_and(|u| !(u > 0.0 && u <= 1.0)))
            {
                return Err(MatchError::BadParams(format!(
                    "{}: u_same_given must be in (0, 1]",
                    cp.label
                )));
            }
            weights.push(cp.levels.iter().map(|l| (l.m / l.u).log2()).collect());
            weights_given.push(
                cp.levels
                    .iter()
                    .map(|l| (l.m / l.u_same_given.unwrap_or(l.u)).log2())
                    .collect(),
            );
            tf_shift_given.push(
                cp.levels
                    .first()
                    .map_or(0.0, |l| (l.u / l.u_same_given.unwrap_or(l.u)).log2()),
            );
            log_m0.push(cp.levels.first().map_or(0.0, |l| l.m.log2()));
            u0.push(cp.levels.first().map_or(1.0, |l| l.u));
        }
        if p.matches_per_record.is_nan() || p.matches_per_record <= 0.0 {
            return Err(MatchError::BadParams(
                "matches_per_record must be positive".into(),
            ));
        }
        let most: Vec<(f64, bool)> = comps
            .iter()
            .zip(weights.iter().zip(&weights_given))
            .map(|(c, (w, wg)): (&Comparison, (&Vec<f64>, &Vec<f64>))| {
                let top = w.iter().chain(wg).copied().fold(0.0_f64, f64::max);
                let tf = if c.tf {
                    w.first().map_or(0.0, |w0| w0 + MAX_TF_BONUS)
                } else {
                    0.0
                };
                (top.max(tf), c.household)
            })
            .collect();
        let suffix = |own: bool| -> Vec<f64> {
            let mut out = vec![0.0; most.len() + 1];
            for (i, &(w, household)) in most.iter().enumerate().rev() {
                let add = if own && household { 0.0 } else { w };
                out[i] = out[i + 1] + add;
            }
            out
        };
        Ok(Self {
            rest_all: suffix(false),
            rest_own: suffix(true),
            comps,
            weights,
            weights_given,
            tf_shift_given,
            log_m0,
            u0,
            matches_per_record: p.matches_per_record,
        })
    }

    /// The prior log2-odds that a record matches one given record among `others`.
    pub(crate) fn prior_bits(&self, others: f64) -> f64 {
        let p = (self.matches_per_record / others.max(1.0)).clamp(1e-12, 0.5);
        (p / (1.0 - p)).log2()
    }

    /// The weight of `level` of comparison `c`; `given` when the given names agree exactly
    /// (and `c` is not the given name itself).
    fn weight(&self, c: usize, level: u8, value: u32, tf: &Tf, given: bool) -> f64 {
        if level == NULL {
            return 0.0;
        }
        let table = if given {
            &self.weights_given
        } else {
            &self.weights
        };
        let base = table
            .get(c)
            .and_then(|w| w.get(usize::from(level)))
            .copied()
            .unwrap_or(0.0);
        if level == 0
            && self.comps.get(c).is_some_and(|x| x.tf)
            && let Some(f) = tf.freq(c, value, self.u0.get(c).copied().unwrap_or(1.0))
        {
            let u0 = self.u0.get(c).copied().unwrap_or(1.0);
            let lm = self.log_m0.get(c).copied().unwrap_or(0.0);
            let shift = if given {
                self.tf_shift_given.get(c).copied().unwrap_or(0.0)
            } else {
                0.0
            };
            return lm - f.max(u0 / MAX_TF_BONUS.exp2()).log2() + shift;
        }
        base
    }

    /// Whether comparison `c` at `level` is the given names agreeing exactly, which conditions
    /// the comparisons after it.
    fn given_agrees(&self, c: usize, level: u8) -> bool {
        level == 0
            && self
                .comps
                .get(c)
                .is_some_and(|x| matches!(x.what, What::Given))
    }

    /// The pair's total weight in bits (without the prior).
    pub(crate) fn bits(&self, a: &Prepared, b: &Prepared, strs: Strs<'_>, tf: &Tf) -> f64 {
        self.bits_at_least(a, b, strs, tf, f64::NEG_INFINITY)
            .unwrap_or(f64::NEG_INFINITY)
    }

    /// [`Self::bits`], or `None` as soon as the pair cannot reach `min` bits whatever its
    /// remaining comparisons say. Most candidate pairs are namesakes' siblings or families that
    /// differ in the given name: after that first comparison only the child's own evidence can
    /// still count, and it is not enough.
    pub(crate) fn bits_at_least(
        &self,
        a: &Prepared,
        b: &Prepared,
        strs: Strs<'_>,
        tf: &Tf,
        min: f64,
    ) -> Option<f64> {
        let mut sum = 0.0;
        let mut household = Household::default();
        let mut given = false;
        for (c, comp) in self.comps.iter().enumerate() {
            let (level, value) = comp.level(a, b, strs);
            let w = self.weight(c, level, value, tf, given);
            given |= self.given_agrees(c, level);
            sum += w;
            household.add(comp, w);
            household.level(comp, level);
            let rest = if household.sibling_like {
                &self.rest_own
            } else {
                &self.rest_all
            };
            // The family evidence's cap only ever takes away, so this bounds the total.
            if sum + rest.get(c + 1).copied().unwrap_or(0.0) < min {
                return None;
            }
        }
        Some(sum - household.excess())
    }

    pub(crate) fn explain(
        &self,
        a: &Prepared,
        b: &Prepared,
        strs: Strs<'_>,
        tf: &Tf,
    ) -> Vec<FieldWeight> {
        let mut household = Household::default();
        let mut given = false;
        let mut out: Vec<FieldWeight> = self
            .comps
            .iter()
            .enumerate()
            .map(|(c, comp)| {
                let (level, value) = comp.level(a, b, strs);
                let weight = self.weight(c, level, value, tf, given);
                given |= self.given_agrees(c, level);
                household.add(comp, weight);
                household.level(comp, level);
                FieldWeight {
                    field: comp.label.clone(),
                    level: if level == NULL {
                        "missing".into()
                    } else {
                        comp.levels
                            .get(usize::from(level))
                            .copied()
                            .unwrap_or("?")
                            .into()
                    },
                    weight,
                    record: None,
                }
            })
            .collect();
        let excess = household.excess();
        if excess > 0.0 {
            out.push(FieldWeight {
                field: "family evidence".into(),
                level: if household.sibling_like {
                    "not counted: given names differ".into()
                } else {
                    "capped".into()
                },
                weight: -excess,
                record: None,
            });
        }
        out
    }
}

/// Family name, parents, place and nationality all say "same family"; siblings agree on every
/// one of them. Counted as independent they would add up to certainty that two siblings are
/// one child. So their positive weights count in full only for the strongest, and for the rest
/// up to `HOUSEHOLD_EXTRA` bits in all; and not at all when the given names differ outright.
const HOUSEHOLD_EXTRA: f64 = 4.0;
const HOUSEHOLD_EXTRA_SAME_GIVEN: f64 = 8.0;

#[derive(Default)]
struct Household {
    max: f64,
    sum: f64,
    /// The given names are not the same name: two children of one family look exactly like
    /// this, so the family evidence says nothing about being the same child.
    sibling_like: bool,
    /// The given names agree exactly: parents do not give two children one name, so the
    /// family evidence is about this child.
    same_given: bool,
}

impl Household {
    fn add(&mut self, comp: &Comparison, w: f64) {
        if comp.household && w > 0.0 {
            self.sum += w;
            self.max = self.max.max(w);
        }
    }

    /// Given names that differ, or share only their consonants (Hassan, Hussein), are what
    /// siblings have.
    fn level(&mut self, comp: &Comparison, level: u8) {
        if matches!(comp.what, What::Given) {
            if level == 1 || usize::from(level) + 1 == comp.levels.len() {
                self.sibling_like = true;
            }
            self.same_given = level == 0;
        }
    }

    /// The bits above the cap, to take off.
    fn excess(&self) -> f64 {
        if self.sibling_like {
            self.sum
        } else {
            let extra = if self.same_given {
                HOUSEHOLD_EXTRA_SAME_GIVEN
            } else {
                HOUSEHOLD_EXTRA
            };
            (self.sum - self.max - extra).max(0.0)
        }
    }
}

pub(crate) fn probability(bits: f64) -> f64 {
    1.0 / (1.0 + (-bits).exp2())
}

/// The inverse of [`probability`]: log2-odds, infinite at 0 and 1.
pub(crate) fn bits_of(p: f64) -> f64 {
    if p <= 0.0 {
        f64::NEG_INFINITY
    } else if p >= 1.0 {
        f64::INFINITY
    } else {
        (p / (1.0 - p)).log2()
    }
}

pub(crate) fn pattern(comps: &[Comparison], a: &Prepared, b: &Prepared, strs: Strs<'_>) -> u64 {
    let mut p = 0u64;
    for (c, comp) in comps.iter().enumerate() {
        let (level, _) = comp.level(a, b, strs);
        p |= u64::from(level) << (4 * c);
    }
    p
}

fn level_of(pattern: u64, c: usize) -> u8 {
    ((pattern >> (4 * c)) & 0xF) as u8
}

/// Counts of level patterns, with how many pairs they stand for.
pub(crate) type Patterns = FxHashMap<u64, f64>;

fn u_from_random(comps: &[Comparison], random: &Patterns) -> Vec<Vec<f64>> {
    let mut u: Vec<Vec<f64>> = comps.iter().map(|c| vec![0.5; c.levels.len()]).collect();
    for (&pat, &n) in random {
        for (c, uc) in u.iter_mut().enumerate() {
            if let Some(x) = uc.get_mut(usize::from(level_of(pat, c))) {
                *x += n;
            }
        }
    }
    normalise(&mut u);
    u
}

/// One EM run over patterns with u fixed. Comparisons in `masked` do not count in the
/// likelihood; only those in `learn` get their m updated (none: only the match rate).
/// Family evidence is capped in the posterior as in scoring (see [`Household`]).
fn em(
    comps: &[Comparison],
    m: &mut [Vec<f64>],
    u: &[Vec<f64>],
    pats: &Patterns,
    masked: &[bool],
    learn: &[bool],
) -> f64 {
    let mut lambda = 0.1_f64;
    let total: f64 = pats
        .iter()
        .filter(|(p, _)| informative(comps, **p, masked, learn))
        .map(|(_, n)| n)
        .sum();
    if total <= 0.0 {
        return lambda;
    }
    for _ in 0..100 {
        let mut mc: Vec<Vec<f64>> = comps.iter().map(|c| vec![1e-4; c.levels.len()]).collect();
        let mut matched = 0.0;
        let prior = (lambda / (1.0 - lambda)).log2();
        let w = log_ratios(m, u);
        for (&pat, &n) in pats {
            if !informative(comps, pat, masked, learn) {
                continue;
            }
            let p = probability(prior + pattern_bits(comps, &w, pat, masked));
            matched += p * n;
            for (c, row) in mc.iter_mut().enumerate() {
                if let Some(x) = row.get_mut(usize::from(level_of(pat, c))) {
                    *x += p * n;
                }
            }
        }
        normalise(&mut mc);
        let new_lambda = (matched / total).clamp(1e-9, 0.999);
        let delta = (new_lambda - lambda).abs();
        for (c, row) in mc.into_iter().enumerate() {
            if learn.get(c).copied().unwrap_or(false)
                && let Some(slot) = m.get_mut(c)
            {
                *slot = row;
            }
        }
        lambda = new_lambda;
        if delta < 1e-7 {
            break;
        }
    }
    lambda
}

/// Whether a pair says enough, through comparisons already learnt, to tell a match from a
/// namesake while learning others: two known values at least. A pair of two bare names and a
/// birth date would otherwise teach the birth date's m whatever the namesakes look like.
fn informative(comps: &[Comparison], pat: u64, masked: &[bool], learn: &[bool]) -> bool {
    let fixed = |c: usize| {
        !masked.get(c).copied().unwrap_or(true) && !learn.get(c).copied().unwrap_or(true)
    };
    if !learn.contains(&true) || !(0..masked.len()).any(fixed) {
        return true;
    }
    // Sex and nationality do not count: namesakes share them.
    let known = comps
        .iter()
        .enumerate()
        .filter(|&(c, comp)| fixed(c) && comp.levels.len() > 2 && level_of(pat, c) != NULL)
        .count();
    known >= 2
}

/// Learns m for what no session could see from anchor pairs (see `train`). Returns, per
/// comparison, how often a match has a value on both sides (from the anchors).
fn anchor_m(
    comps: &[Comparison],
    m: &mut [Vec<f64>],
    learnt: &[bool],
    pats: &Patterns,
) -> Option<Vec<f64>> {
    let strong = |c: usize| {
        learnt.get(c).copied().unwrap_or(false) && comps.get(c).is_some_and(|x| x.levels.len() > 2)
    };
    let mut counts: Vec<Vec<f64>> = comps.iter().map(|c| vec![0.5; c.levels.len()]).collect();
    let mut known = vec![0.0; comps.len()];
    let mut anchors = 0.0;
    for (&pat, &n) in pats {
        let mut exact = 0;
        let mut against = false;
        for c in (0..comps.len()).filter(|&c| strong(c)) {
            match level_of(pat, c) {
                0 => exact += 1,
                NULL => {}
                _ => against = true,
            }
        }
        if exact < 4 || against {
            continue;
        }
        anchors += n;
        for (c, row) in counts.iter_mut().enumerate() {
            if let Some(x) = row.get_mut(usize::from(level_of(pat, c))) {
                *x += n;
                if let Some(k) = known.get_mut(c) {
                    *k += n;
                }
            }
        }
    }
    if anchors < 10.0 {
        return None;
    }
    normalise(&mut counts);
    for (c, row) in counts.into_iter().enumerate() {
        if !learnt.get(c).copied().unwrap_or(true)
            && let Some(slot) = m.get_mut(c)
        {
            *slot = row;
        }
    }
    Some(known.into_iter().map(|k| k / anchors).collect())
}

/// Trains m and u. `u` from random pairs (nearly all non-matches, strangers). `m` by EM
/// sessions over the pairs of one blocking rule each, with the rule's own comparisons left out
/// (they agree by construction). Only rules whose pairs are nearly all the same *child* serve
/// (same given or family name and the same day of birth): on the others, relatives and
/// namesakes share origin, nationality and country, which u from strangers cannot know, and EM
/// drifts to "same family". Each comparison takes its m from the first session that sees it;
/// the rest is learnt over all candidate pairs; then the match rate, with m and u fixed.
pub(crate) fn train(
    comps: &[Comparison],
    random: &Patterns,
    sessions: &[(Vec<bool>, Patterns, f64)],
    blocked: &Patterns,
    candidate_pairs: f64,
) -> (Vec<ComparisonParams>, f64) {
    let u = u_from_random(comps, random);
    let init: Vec<Vec<f64>> = comps
        .iter()
        .map(|c| {
            let k = c.levels.len();
            let mut row: Vec<f64> = (0..k)
                .map(|l| if l == 0 { 0.8 } else { 0.15 / (k as f64) })
                .collect();
            if let Some(last) = row.last_mut() {
                *last = 0.02;
            }
            row
        })
        .collect();
    let mut m = init.clone();
    normalise(&mut m);
    let mut learnt = vec![false; comps.len()];
    // Matches found by the surest session, and what it pinned: see the match rate below.
    let mut first: Option<(f64, Vec<bool>)> = None;
    for (masked, pats, scale) in sessions {
        let mut sm = m.clone();
        // A session learns only what no surer session has: re-learning the rest here would let
        // the relatives and namesakes among its pairs pull it towards "same family".
        let learn: Vec<bool> = masked.iter().zip(&learnt).map(|(x, l)| !x && !l).collect();
        if !learn.contains(&true) {
            continue;
        }
        let lam = em(comps, &mut sm, &u, pats, masked, &learn);
        if first.is_none() {
            first = Some((lam * pats.values().sum::<f64>() * scale, masked.clone()));
        }
        for c in 0..comps.len() {
            if !masked.get(c).copied().unwrap_or(true) && !learnt.get(c).copied().unwrap_or(true) {
                if let (Some(slot), Some(row)) = (m.get_mut(c), sm.get(c)) {
                    slot.clone_from(row);
                }
                if let Some(l) = learnt.get_mut(c) {
                    *l = true;
                }
            }
        }
    }
    // What no session could see (the birth date, pinned by both surest rules) is learnt from
    // anchor pairs: candidates that agree exactly on at least four of the name and place
    // comparisons already learnt and disagree on none. EM here would not do: namesakes from a
    // small pool of names agree on all of those and would teach the birth date that a child's
    // two records often differ by years.
    let present = anchor_m(comps, &mut m, &learnt, blocked);
    // The match rate among all candidates. EM would count namesakes as matches. Instead: the
    // surest session found some number of matches, those that agree exactly on what it pinned
    // (given name and birth day); a match does so with probability m[exact] x P(known) for each
    // pinned comparison; so all matches number about found / that product.
    let none = vec![false; comps.len()];
    let em_lambda = em(comps, &mut m, &u, blocked, &none, &none);
    let lambda = match (first, present) {
        (Some((found, pinned)), Some(present)) if candidate_pairs > 0.0 => {
            let reach: f64 = (0..comps.len())
                .filter(|&c| pinned.get(c).copied().unwrap_or(false))
                .map(|c| {
                    m.get(c).and_then(|r| r.first()).copied().unwrap_or(1.0)
                        * present.get(c).copied().unwrap_or(1.0)
                })
                .product();
            if reach > 0.01 {
                (found / reach / candidate_pairs).clamp(1e-9, 0.999)
            } else {
                em_lambda
            }
        }
        _ => em_lambda,
    };
    let params = comps
        .iter()
        .zip(m.iter().zip(&u))
        .map(|(c, (mv, uv))| ComparisonParams {
            label: c.label.clone(),
            levels: c
                .levels
                .iter()
                .zip(mv.iter().zip(uv))
                .map(|(label, (&m, &u))| LevelParams {
                    label: (*label).to_string(),
                    m: m.clamp(1e-6, 1.0),
                    u: u.clamp(1e-9, 1.0),
                    u_same_given: None,
                })
                .collect(),
        })
        .collect();
    (params, lambda)
}

/// Sets `u_same_given` (see [`Scorer`]) from the level patterns of pairs drawn among records
/// with the same given name. In a large list nearly all of them are namesakes; in a small one
/// many are the same child, so each pattern counts as much as it is not a match, under the
/// model with the conditional u learnt so far. `prior_bits`: the log2-odds that such a pair
/// is a match.
pub(crate) fn learn_u_same_given(
    comps: &[Comparison],
    params: &mut [ComparisonParams],
    same_given: &Patterns,
    prior_bits: f64,
) {
    let Some(g) = comps.iter().position(|c| matches!(c.what, What::Given)) else {
        return;
    };
    let m: Vec<Vec<f64>> = params
        .iter()
        .map(|cp| cp.levels.iter().map(|l| l.m).collect())
        .collect();
    let none = vec![false; comps.len()];
    for round in 0..4 {
        // The first round weighs against random strangers; the later ones against what the
        // round before learnt.
        let u: Vec<Vec<f64>> = params
            .iter()
            .enumerate()
            .map(|(c, cp)| {
                cp.levels
                    .iter()
                    .map(|l| match l.u_same_given {
                        Some(ug) if round > 0 && c != g => ug,
                        _ => l.u,
                    })
                    .collect()
            })
            .collect();
        let w = log_ratios(&m, &u);
        let mut counts: Vec<Vec<f64>> = comps.iter().map(|c| vec![0.5; c.levels.len()]).collect();
        for (&pat, &n) in same_given {
            let not_match = 1.0 - probability(prior_bits + pattern_bits(comps, &w, pat, &none));
            for (c, row) in counts.iter_mut().enumerate() {
                if let Some(x) = row.get_mut(usize::from(level_of(pat, c))) {
                    *x += n * not_match;
                }
            }
        }
        normalise(&mut counts);
        for (c, (cp, row)) in params.iter_mut().zip(counts).enumerate() {
            if c == g {
                continue;
            }
            for (l, u) in cp.levels.iter_mut().zip(row) {
                l.u_same_given = Some(u.clamp(1e-9, 1.0));
            }
        }
    }
}

/// log2(m/u) per comparison and level.
fn log_ratios(m: &[Vec<f64>], u: &[Vec<f64>]) -> Vec<Vec<f64>> {
    m.iter()
        .zip(u)
        .map(|(mr, ur)| mr.iter().zip(ur).map(|(m, u)| (m / u).log2()).collect())
        .collect()
}

/// A level pattern's weight in bits under the weights `w`, family evidence capped as in
/// scoring; comparisons in `masked` do not count.
fn pattern_bits(comps: &[Comparison], w: &[Vec<f64>], pat: u64, masked: &[bool]) -> f64 {
    let mut h = Household::default();
    let mut bits = 0.0;
    for (c, comp) in comps.iter().enumerate() {
        if masked.get(c).copied().unwrap_or(false) {
            continue;
        }
        let l = level_of(pat, c);
        if let Some(&x) = w.get(c).and_then(|r| r.get(usize::from(l))) {
            bits += x;
            h.add(comp, x);
        }
        h.level(comp, l);
    }
    bits - h.excess()
}

fn normalise(v: &mut [Vec<f64>]) {
    for row in v {
        let s: f64 = row.iter().sum();
        if s > 0.0 {
            for x in row.iter_mut() {
                *x /= s;
            }
        }
    }
}

pub(crate) fn params(
    schema: &Schema,
    comparisons: Vec<ComparisonParams>,
    matches_per_record: f64,
) -> Params {
    Params {
        format: FORMAT,
        schema: schema.clone(),
        comparisons,
        matches_per_record: matches_per_record.max(1e-9),
    }
}
