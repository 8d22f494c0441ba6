//! Batch mode: dedupe one set of records, or link two.

use rayon::prelude::*;

use crate::block::{Rule, Splitters, rules, wide_birth};
use crate::compare::{Comparison, What, comparisons};
use crate::consistency::{Graph, NEIGHBOUR};
use crate::model::{
    FieldWeight, Params, Patterns, Scorer, Tf, bits_of, learn_u_same_given, pattern, probability,
    train,
};
use crate::prepare::{Interner, Prepared, Strs, prepare_all, sources};
use crate::schema::{Record, Schema};
use crate::{MatchError, Progress, check_shape};

/// Blocks larger than this are skipped: a key that common is no evidence worth the pairs.
pub const MAX_BLOCK: usize = 1500;
/// EM needs a representative sample, not every pair.
const EM_SAMPLE_PAIRS: u64 = 1_000_000;
const RANDOM_PAIRS: u64 = 400_000;
const SESSION_PAIRS: u64 = 400_000;

/// A pair found in batch mode. In a dedupe both indices point into the one input; in a link
/// `left` points into the left input and `right` into the right one.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub left: usize,
    pub right: usize,
    pub probability: f64,
    pub explanation: Vec<FieldWeight>,
}

/// Records prepared and blocked, ready to train on and to score.
pub struct Linkage {
    schema: Schema,
    comps: Vec<Comparison>,
    interner: Interner,
    recs: Vec<Prepared>,
    /// The records' ids, to name a third record in an explanation.
    ids: Vec<Box<str>>,
    /// For a link, the records before this index are the left set.
    split: Option<usize>,
    rules: Vec<Rule>,
    /// Per rule, each record's key (0: none).
    /// Each record's key under every rule, record by record (`keys[i * rules + r]`), folded to
    /// 32 bits (0: none): checking whether an earlier rule already paired two records reads two
    /// short rows instead of one cache line per rule.
    keys: Vec<u32>,
    /// Per rule, the blocks worth comparing: ranges into `members`.
    blocks: Vec<Vec<(u64, u32, u32)>>,
    members: Vec<Vec<u32>>,
    /// Per rule, how many too common keys were left out after splitting.
    capped: Vec<usize>,
    /// Per rule: only pairs with a guessed age are new under it.
    ages_only: Vec<bool>,
    /// Per record: its birth is a guessed age.
    wide: Vec<bool>,
    tf: Tf,
    /// At most this many candidate pairs (the blocks' pairs summed over rules).
    pairs: u64,
    /// Candidate pairs compared by the last `score`.
    scored: std::sync::atomic::AtomicU64,
}

impl Linkage {
    /// Prepares `records` for finding duplicates among them.
    pub fn dedupe(
        schema: &Schema,
        records: &[Record],
        progress: &dyn Progress,
    ) -> Result<Self, MatchError> {
        Self::new(schema, records, &[], None, progress)
    }

    /// Prepares two sets for linking. The right set holds the queries (tracing requests) and
    /// the left the records sought (cases): the prior is per right record.
    pub fn link(
        schema: &Schema,
        left: &[Record],
        right: &[Record],
        progress: &dyn Progress,
    ) -> Result<Self, MatchError> {
        Self::new(schema, left, right, Some(left.len()), progress)
    }

    fn new(
        schema: &Schema,
        a: &[Record],
        b: &[Record],
        split: Option<usize>,
        progress: &dyn Progress,
    ) -> Result<Self, MatchError> {
        let comps = comparisons(schema);
        crate::check_comparisons(&comps)?;
        for r in a.iter().chain(b) {
            check_shape(schema, r)?;
        }
        let srcs = sources(schema);
        progress.stage("normalising", (a.len() + b.len()) as u64);
        let mut interner = Interner::default();
        let all: Vec<&Record> = a.iter().chain(b).collect();
        let recs = prepare_all(schema, &srcs, &all, &mut interner);
        let ids = all.iter().map(|r| r.id.as_str().into()).collect();
        progress.advance(all.len() as u64);
        drop(all);
        let mut tf = Tf::new(comps.len());
        for p in &recs {
            tf.count(&comps, p, true);
        }
        let rules = rules(&comps);
        progress.stage("blocking", rules.len() as u64);
        let splitters = Splitters::new(&comps);
        let width = rules.len();
        let mut keys = vec![0u32; recs.len() * width];
        let mut blocks = Vec::new();
        let mut members = Vec::new();
        let mut capped = Vec::new();
        for (r, rule) in rules.iter().enumerate() {
            let mut k: Vec<u64> = recs.par_iter().map(|p| rule.key(r, p)).collect();
            let (bl, mem, dropped) = make_blocks(&mut k, &recs, split, &splitters, rule.1);
            for (i, key) in k.into_iter().enumerate() {
                if let Some(slot) = keys.get_mut(i * width + r) {
                    *slot = fold_key(key);
                }
            }
            blocks.push(bl);
            members.push(mem);
            capped.push(dropped);
            progress.advance(1);
        }
        let ages_only = rules.iter().map(Rule::for_ages_only).collect();
        let wide = recs.iter().map(wide_birth).collect();
        let mut me = Self {
            schema: schema.clone(),
            comps,
            interner,
            recs,
            ids,
            split,
            rules,
            keys,
            blocks,
            members,
            capped,
            ages_only,
            wide,
            tf,
            pairs: 0,
            scored: std::sync::atomic::AtomicU64::new(0),
        };
        // An upper bound (a pair two rules share counts twice): enough for sampling; counting
        // exactly would cost a pass over every pair.
        me.pairs = me.blocking_summary().iter().map(|(_, p, _)| p).sum();
        Ok(me)
    }

    /// How many distinct pairs the blocking rules let through: counted by [`Linkage::score`];
    /// before it, an upper bound.
    pub fn candidate_pairs(&self) -> u64 {
        match self.scored.load(std::sync::atomic::Ordering::Relaxed) {
            0 => self.pairs,
            n => n,
        }
    }

    /// Whether blocking lets the pair of records `i` and `j` through (indices as in
    /// [`Match`]; for a link, `j` into the right set). For measuring blocking recall.
    pub fn is_candidate(&self, i: usize, j: usize) -> bool {
        let j = j + self.split.unwrap_or(0);
        self.shares_key(self.rules.len(), i, j)
    }

    /// The blocking rules, in words, with how many pairs their blocks hold (before removing
    /// pairs an earlier rule already made) and how many keys each skipped for being too common.
    pub fn blocking_summary(&self) -> Vec<(String, u64, usize)> {
        self.rules
            .iter()
            .zip(&self.capped)
            .zip(&self.blocks)
            .map(|((r, c), bl)| {
                let pairs = bl
                    .iter()
                    .map(|&(_, s, e)| u64::from(e - s) * u64::from(e - s).saturating_sub(1) / 2)
                    .sum();
                (r.describe(), pairs, *c)
            })
            .collect()
    }

    fn strs(&self) -> Strs<'_> {
        Strs {
            base: &self.interner,
            temp: &[],
        }
    }

    /// Runs `f` on every blocked pair (each once, under the first rule that pairs it), in
    /// parallel, folding the results. With `sample`, only blocks whose key falls in a
    /// 1-in-`sample` slice.
    fn fold_pairs<T: Send>(
        &self,
        sample: Option<u64>,
        init: impl Fn() -> T + Sync + Send,
        step: impl Fn(&mut T, u32, u32) + Sync + Send,
        merge: impl Fn(T, T) -> T + Sync + Send,
    ) -> T {
        let all: Vec<(usize, u64, u32, u32)> = self
            .blocks
            .iter()
            .enumerate()
            .flat_map(|(r, bl)| bl.iter().map(move |&(k, s, e)| (r, k, s, e)))
            .filter(|(_, k, _, _)| {
                sample.is_none_or(|n| (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) % n == 0)
            })
            .collect();
        all.par_iter()
            .fold(&init, |mut acc, &(r, _, s, e)| {
                let Some(m) = self
                    .members
                    .get(r)
                    .and_then(|m| m.get(s as usize..e as usize))
                else {
                    return acc;
                };
                let ages_only = self.ages_only.get(r).copied().unwrap_or(false);
                let wide = |i: u32| self.wide.get(i as usize).copied().unwrap_or(false);
                for (x, &i) in m.iter().enumerate() {
                    for &j in m.iter().skip(x + 1) {
                        if let Some(s) = self.split
                            && ((i as usize) < s) == ((j as usize) < s)
                        {
                            continue;
                        }
                        if ages_only && !wide(i) && !wide(j) {
                            continue;
                        }
                        if self.covered_before(r, i, j) {
                            continue;
                        }
                        step(&mut acc, i, j);
                    }
                }
                acc
            })
            .reduce(&init, &merge)
    }

    fn covered_before(&self, rule: usize, i: u32, j: u32) -> bool {
        self.shares_key(rule, i as usize, j as usize)
    }

    /// Whether records `i` and `j` share a key under one of the first `rules` rules.
    fn shares_key(&self, rules: usize, i: usize, j: usize) -> bool {
        let w = self.rules.len();
        let (Some(a), Some(b)) = (
            self.keys.get(i * w..i * w + rules),
            self.keys.get(j * w..j * w + rules),
        ) else {
            return false;
        };
        a.iter().zip(b).any(|(x, y)| *x != 0 && x == y)
    }

    /// Trains the model on these records: u from random pairs, m and the match rate by EM
    /// over (a sample of) the blocked pairs. Deterministic for the same input.
    pub fn train(&self, progress: &dyn Progress) -> Params {
        progress.stage("training", 2);
        let strs = self.strs();
        let n = self.recs.len() as u64;
        let (lo_n, hi_n) = match self.split {
            Some(s) => (s as u64, n - s as u64),
            None => (n, n),
        };
        let total_pairs = match self.split {
            Some(_) => lo_n * hi_n,
            None => n * n.saturating_sub(1) / 2,
        };
        let draws = RANDOM_PAIRS.min(total_pairs);
        let random: Patterns = (0..draws)
            .into_par_iter()
            .fold(Patterns::default, |mut acc, t| {
                let mut rng = SplitMix(t ^ 0x5eed_5eed);
                let (i, j) = match self.split {
                    Some(s) => (rng.below(lo_n), s as u64 + rng.below(hi_n)),
                    None => {
                        let i = rng.below(n);
                        let mut j = rng.below(n.max(2) - 1);
                        if j >= i {
                            j += 1;
                        }
                        (i, j)
                    }
                };
                if let (Some(a), Some(b)) = (self.recs.get(i as usize), self.recs.get(j as usize)) {
                    *acc.entry(pattern(&self.comps, a, b, strs)).or_insert(0.0) += 1.0;
                }
                acc
            })
            .reduce(Patterns::default, merge_patterns);
        progress.advance(1);
        let sessions: Vec<(Vec<bool>, Patterns, f64)> = self
            .session_rules()
            .into_iter()
            .map(|r| {
                let masks = self
                    .rules
                    .get(r)
                    .map(|rule| rule.masks(&self.comps))
                    .unwrap_or_default();
                let (pats, scale) = self.rule_patterns(r);
                (masks, pats, scale)
            })
            .collect();
        let sample = (self.pairs / EM_SAMPLE_PAIRS).max(1);
        let blocked = self.fold_pairs(
            (sample > 1).then_some(sample),
            Patterns::default,
            |acc, i, j| {
                if let (Some(a), Some(b)) = (self.recs.get(i as usize), self.recs.get(j as usize)) {
                    *acc.entry(pattern(&self.comps, a, b, strs)).or_insert(0.0) += 1.0;
                }
            },
            merge_patterns,
        );
        let (mut comparisons, lambda) =
            train(&self.comps, &random, &sessions, &blocked, self.pairs as f64);
        let true_pairs = lambda * self.pairs as f64;
        let (same_given, same_given_pairs) = self.same_given_patterns();
        if let Some(g) = self
            .comps
            .iter()
            .position(|c| matches!(c.what, What::Given))
            && same_given_pairs > 0.0
        {
            // Matches among those pairs: the true pairs whose given names agree exactly.
            let m0 = comparisons
                .get(g)
                .and_then(|c| c.levels.first())
                .map_or(1.0, |l| l.m);
            let p = (true_pairs * m0 / same_given_pairs).clamp(1e-12, 0.5);
            learn_u_same_given(
                &self.comps,
                &mut comparisons,
                &same_given,
                (p / (1.0 - p)).log2(),
            );
        }
        progress.advance(1);
        let per_record = match self.split {
            Some(_) => true_pairs / hi_n.max(1) as f64,
            None => 2.0 * true_pairs / n.max(1) as f64,
        };
        crate::model::params(&self.schema, comparisons, per_record)
    }

    /// Level patterns of pairs drawn at random among the pairs of records with the same given
    /// name (for a link, one from each side), and how many such pairs there are.
    fn same_given_patterns(&self) -> (Patterns, f64) {
        let Some(g) = self.comps.iter().find(|c| matches!(c.what, What::Given)) else {
            return (Patterns::default(), 0.0);
        };
        let mut by: Vec<(u32, u32)> = self
            .recs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((g.value(r)?, i as u32)))
            .collect();
        by.par_sort_unstable();
        // Per group of one name: where it starts, where its right side starts, where it
        // ends; and the pairs up to and including it.
        let mut groups: Vec<(usize, usize, usize)> = Vec::new();
        let mut cum: Vec<u64> = Vec::new();
        let mut total = 0u64;
        let mut start = 0;
        while start < by.len() {
            let v = by.get(start).map_or(0, |x| x.0);
            let end = start
                + by.get(start..)
                    .map_or(0, |r| r.partition_point(|x| x.0 == v));
            let members = by.get(start..end).unwrap_or(&[]);
            let (mid, pairs) = match self.split {
                Some(sp) => {
                    let l = members.partition_point(|x| (x.1 as usize) < sp);
                    (start + l, (l * (members.len() - l)) as u64)
                }
                None => {
                    let n = members.len() as u64;
                    (start, n * n.saturating_sub(1) / 2)
                }
            };
            if pairs > 0 {
                total += pairs;
                groups.push((start, mid, end));
                cum.push(total);
            }
            start = end;
        }
        let strs = self.strs();
        let pats = (0..RANDOM_PAIRS.min(total))
            .into_par_iter()
            .fold(Patterns::default, |mut acc, t| {
                let mut rng = SplitMix(t ^ 0x9a11_9a11);
                let x = rng.below(total);
                let Some(&(s, mid, e)) = groups.get(cum.partition_point(|&c| c <= x)) else {
                    return acc;
                };
                let (i, j) = if self.split.is_some() {
                    (
                        s + rng.below((mid - s) as u64) as usize,
                        mid + rng.below((e - mid) as u64) as usize,
                    )
                } else {
                    let n = (e - s) as u64;
                    let i = rng.below(n);
                    let mut j = rng.below(n - 1);
                    if j >= i {
                        j += 1;
                    }
                    (s + i as usize, s + j as usize)
                };
                if let (Some(&(_, i)), Some(&(_, j))) = (by.get(i), by.get(j))
                    && let (Some(a), Some(b)) =
                        (self.recs.get(i as usize), self.recs.get(j as usize))
                {
                    *acc.entry(pattern(&self.comps, a, b, strs)).or_insert(0.0) += 1.0;
                }
                acc
            })
            .reduce(Patterns::default, merge_patterns);
        (pats, total as f64)
    }

    /// The rules to train m on, surest first (see `model::train`).
    fn session_rules(&self) -> Vec<usize> {
        let mut ranked: Vec<(u8, usize)> = self
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.session_rank().map(|k| (k, i)))
            .collect();
        ranked.sort_unstable();
        ranked.into_iter().map(|(_, i)| i).collect()
    }

    /// Level patterns of (a sample of) the pairs in one rule's blocks, and how many pairs each
    /// sampled one stands for.
    fn rule_patterns(&self, r: usize) -> (Patterns, f64) {
        let (Some(bl), Some(members)) = (self.blocks.get(r), self.members.get(r)) else {
            return (Patterns::default(), 1.0);
        };
        let pairs: u64 = bl
            .iter()
            .map(|&(_, s, e)| u64::from(e - s) * u64::from(e - s).saturating_sub(1) / 2)
            .sum();
        let sample = (pairs / SESSION_PAIRS).max(1);
        let strs = self.strs();
        let pats = bl
            .par_iter()
            .filter(|(k, _, _)| {
                sample == 1 || (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) % sample == 0
            })
            .fold(Patterns::default, |mut acc, &(_, s, e)| {
                let m = members.get(s as usize..e as usize).unwrap_or(&[]);
                for (x, &i) in m.iter().enumerate() {
                    for &j in m.iter().skip(x + 1) {
                        if let Some(sp) = self.split
                            && ((i as usize) < sp) == ((j as usize) < sp)
                        {
                            continue;
                        }
                        if let (Some(a), Some(b)) =
                            (self.recs.get(i as usize), self.recs.get(j as usize))
                        {
                            *acc.entry(pattern(&self.comps, a, b, strs)).or_insert(0.0) += 1.0;
                        }
                    }
                }
                acc
            })
            .reduce(Patterns::default, merge_patterns);
        (pats, sample as f64)
    }

    /// Scores every blocked pair and returns those at or above `threshold`, most probable first.
    /// Each pair is then weighed against the records near either of its two (see
    /// `consistency`): a strong rival lowers it, a chain of strong pairs raises it and can
    /// propose a pair blocking did not. Pairs under 0.2 that no chain proposes keep
    /// their own probability: a third record could only lower it.
    pub fn score(
        &self,
        params: &Params,
        threshold: f64,
        progress: &dyn Progress,
    ) -> Result<Vec<Match>, MatchError> {
        let scorer = Scorer::new(params)?;
        if params.schema != self.schema {
            return Err(MatchError::BadParams(
                "the parameters were trained on other fields".into(),
            ));
        }
        let others = match self.split {
            Some(s) => s,
            None => self.recs.len().saturating_sub(1),
        };
        let prior = scorer.prior_bits(others as f64);
        let strs = self.strs();
        progress.stage("scoring", self.pairs);
        // The thresholds as bits, so most pairs need no exponential.
        let min_bits = bits_of(threshold);
        let raw_min = bits_of(threshold.min(NEIGHBOUR));
        let (mut found, count): (Vec<(u32, u32, f64)>, u64) = self.fold_pairs(
            None,
            || (Vec::new(), 0u64),
            |acc, i, j| {
                acc.1 += 1;
                if acc.1 % 65_536 == 0 {
                    progress.advance(65_536);
                }
                if let (Some(a), Some(b)) = (self.recs.get(i as usize), self.recs.get(j as usize))
                    && let Some(bits) = scorer.bits_at_least(a, b, strs, &self.tf, raw_min - prior)
                    && bits + prior >= raw_min
                {
                    acc.0.push((i, j, bits + prior));
                }
            },
            |(mut x, n), (mut y, m)| {
                if x.len() < y.len() {
                    std::mem::swap(&mut x, &mut y);
                }
                x.extend(y);
                (x, n + m)
            },
        );
        self.scored
            .store(count, std::sync::atomic::Ordering::Relaxed);
        let pair_bits =
            |i: u32, j: u32| match (self.recs.get(i as usize), self.recs.get(j as usize)) {
                (Some(a), Some(b)) => scorer.bits(a, b, strs, &self.tf) + prior,
                _ => f64::NEG_INFINITY,
            };
        let graph = Graph::new(&found);
        let across = |i: u32, j: u32| {
            self.split
                .is_none_or(|s| ((i as usize) < s) != ((j as usize) < s))
        };
        let blocked = found.len();
        found.extend(
            graph
                .chained(&found, across)
                .into_iter()
                .map(|(i, j)| (i, j, pair_bits(i, j))),
        );
        let neighbour = bits_of(NEIGHBOUR);
        let shifts = graph.shifts(&found, pair_bits, |n| {
            n >= blocked || found.get(n).is_some_and(|p| p.2 >= neighbour)
        });
        let offset = self.split.unwrap_or(0);
        let mut out: Vec<Match> = found
            .par_iter()
            .zip(shifts)
            .filter_map(|(&(i, j, raw), shift)| {
                let bits = raw + shift.map_or(0.0, |s| s.bits);
                if bits < min_bits {
                    return None;
                }
                let (a, b) = (self.recs.get(i as usize)?, self.recs.get(j as usize)?);
                let mut explanation = scorer.explain(a, b, strs, &self.tf);
                if let Some(line) = shift
                    .and_then(|s| s.explain(self.ids.get(s.by as usize).map_or("?", |id| &**id)))
                {
                    explanation.push(line);
                }
                Some(Match {
                    left: i as usize,
                    right: j as usize - offset,
                    probability: probability(bits),
                    explanation,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            b.probability
                .total_cmp(&a.probability)
                .then(a.left.cmp(&b.left))
                .then(a.right.cmp(&b.right))
        });
        Ok(out)
    }
}

fn merge_patterns(mut a: Patterns, b: Patterns) -> Patterns {
    if a.len() < b.len() {
        return merge_patterns(b, a);
    }
    for (k, v) in b {
        *a.entry(k).or_insert(0.0) += v;
    }
    a
}

/// A tiny seeded generator: the library must be deterministic and needs no more.
pub(crate) struct SplitMix(pub u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

type Blocks = (Vec<(u64, u32, u32)>, Vec<u32>, usize);

/// Groups records by key into blocks worth comparing (two records at least; for a link, from
/// both sides). A group above `cap` is split by the `splitters` in turn, the records'
/// keys refined in `keys` so that equal keys still mean "same block"; what is still too large
/// is left out (keys set to 0) and counted. `cap`: the rule's largest block.
fn make_blocks(
    keys: &mut [u64],
    recs: &[Prepared],
    split: Option<usize>,
    splitters: &Splitters,
    cap: usize,
) -> Blocks {
    let mut order: Vec<(u64, u32)> = keys
        .iter()
        .enumerate()
        .filter(|(_, key)| **key != 0)
        .map(|(i, key)| (*key, i as u32))
        .collect();
    order.par_sort_unstable();
    let mut blocks = Vec::new();
    let mut dropped = 0;
    // Ranges of `order` holding one key each, with how many splits they have had.
    let mut todo: Vec<(usize, usize, usize)> = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let end = group_end(&order, start);
        todo.push((start, end, 0));
        start = end;
    }
    while let Some((start, end, level)) = todo.pop() {
        let len = end - start;
        let Some(group) = order.get_mut(start..end) else {
            continue;
        };
        if len > cap {
            if level >= splitters.levels() {
                dropped += 1;
                for &(_, i) in group.iter() {
                    if let Some(k) = keys.get_mut(i as usize) {
                        *k = 0;
                    }
                }
                continue;
            }
            for x in group.iter_mut() {
                if let Some(p) = recs.get(x.1 as usize) {
                    x.0 = splitters.refine(level, x.0, p);
                }
                if let Some(k) = keys.get_mut(x.1 as usize) {
                    *k = x.0;
                }
            }
            group.sort_unstable();
            let mut s = start;
            while s < end {
                let e = group_end(&order, s).min(end);
                todo.push((s, e, level + 1));
                s = e;
            }
            continue;
        }
        let useful = match split {
            None => len > 1,
            Some(sp) => {
                let lefts = group.iter().filter(|x| (x.1 as usize) < sp).count();
                lefts > 0 && lefts < len
            }
        };
        if useful {
            let key = group.first().map_or(0, |x| x.0);
            blocks.push((key, start as u32, end as u32));
        }
    }
    blocks.sort_unstable_by_key(|b| b.1);
    (blocks, order.into_iter().map(|x| x.1).collect(), dropped)
}

/// A block key in 32 bits, never 0 for a key (0 is "none").
fn fold_key(k: u64) -> u32 {
    if k == 0 {
        0
    } else {
        ((k ^ (k >> 32)) as u32).max(1)
    }
}

/// The end of the run of equal keys starting at `start`.
fn group_end(order: &[(u64, u32)], start: usize) -> usize {
    let key = order.get(start).map_or(0, |x| x.0);
    let mut end = start;
    while order.get(end).is_some_and(|x| x.0 == key) {
        end += 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Kind, Value};
    use crate::{Silent, Ymd};

    fn rec(id: usize, vals: &[&str]) -> Record {
        Record {
            id: id.to_string(),
            values: vals
                .iter()
                .map(|v| {
                    if v.is_empty() {
                        Value::Missing
                    } else {
                        Value::Text((*v).into())
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn a_block_too_large_is_split_by_what_else_is_known_or_else_left_out() {
        let schema = Schema::new([
            ("given", Kind::GivenName),
            ("family", Kind::FamilyName),
            ("sex", Kind::Sex),
        ]);
        // 1600 namesakes: above the cap as one block, under it once split by sex.
        let recs: Vec<Record> = (0..1600)
            .map(|i| rec(i, &["Ali", "Hassan", if i % 2 == 0 { "M" } else { "F" }]))
            .collect();
        let job = Linkage::dedupe(&schema, &recs, &Silent).unwrap();
        assert!(job.is_candidate(0, 2));
        assert!(!job.is_candidate(0, 1));
        assert!(
            job.blocking_summary()
                .iter()
                .all(|(_, _, dropped)| *dropped == 0)
        );
        // Nothing left to split them by: the block is left out, and counted.
        let same: Vec<Record> = (0..1600).map(|i| rec(i, &["Ali", "Hassan", "M"])).collect();
        let job = Linkage::dedupe(&schema, &same, &Silent).unwrap();
        assert!(!job.is_candidate(0, 2));
        assert!(
            job.blocking_summary()
                .iter()
                .any(|(_, _, dropped)| *dropped > 0)
        );
    }

    #[test]
    fn blocking_finds_names_in_swapped_order_and_across_scripts() {
        let schema = Schema::new([
            ("given", Kind::GivenName),
            ("family", Kind::FamilyName),
            ("dob", Kind::Date),
        ]);
        let date = |d: u8| {
            Value::Date(Ymd::day(2014, 3, d).unwrap_or(Ymd {
                year: 2014,
                month: None,
                day: None,
            }))
        };
        let mut recs = vec![
            rec(0, &["Yusuf", "Barakzai", ""]),
            rec(1, &["Barakzai", "Yousef", ""]),
            rec(2, &["يوسف", "بركزی", ""]),
            rec(3, &["Olena", "Kovalenko", ""]),
        ];
        for (i, r) in recs.iter_mut().enumerate() {
            r.values[2] = date(if i == 3 { 9 } else { 4 });
        }
        let job = Linkage::dedupe(&schema, &recs, &Silent).unwrap();
        assert!(job.is_candidate(0, 1), "swapped order");
        assert!(job.is_candidate(0, 2), "Arabic script");
        assert!(!job.is_candidate(0, 3));
    }

    #[test]
    fn a_given_name_and_the_mother_meet_without_the_father() {
        let schema = Schema::new([
            ("given", Kind::GivenName),
            ("father", Kind::ParentName),
            ("mother", Kind::ParentName),
            ("dob", Kind::Date),
        ]);
        let mut recs = vec![
            rec(0, &["Zaliy", "Mohammed Karim", "Dakhiya Rahman", ""]),
            rec(1, &["Zaliy", "", "Dakhiya", ""]),
            rec(2, &["Zaliy", "", "Dakhiya", ""]),
        ];
        // The same year, another day (written wrong, or guessed): no rule on the day.
        let born = |y: i32, m: u8| Value::Date(Ymd::day(y, m, 26).unwrap());
        recs[0].values[3] = born(2010, 11);
        recs[1].values[3] = born(2010, 3);
        recs[2].values[3] = born(2016, 11);
        let job = Linkage::dedupe(&schema, &recs, &Silent).unwrap();
        assert!(job.is_candidate(0, 1));
        assert!(!job.is_candidate(0, 2), "another birth year");
    }
}
