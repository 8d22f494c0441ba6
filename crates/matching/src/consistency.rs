//! A pair's odds in the light of third records. Pairs are scored one at a time, but being the
//! same child is transitive: if A is B and B is not C, A is not C. For a pair (a, c) and a record
//! b near either, the five ways {a, b, c} can fall into children are weighed by their three
//! pairs' odds, which gives the odds that a is c given what b says. A rival pulls a pair down
//! (the sibling of a child whose own second record is there); rivals add up. A chain of likely
//! pairs pulls it up (a child registered three times); only the best chain counts (see
//! [`Graph::shifts`]).
//!
//! In odds o = p / (1 − p) the triangle's answer does not depend on the pair itself:
//! odds(a is c | b) = o_ac · (1 + o_ab · o_bc) / (1 + o_ab + o_bc), so b shifts the pair by
//! log2(1 + o_ab·o_bc) − log2(1 + o_ab + o_bc) bits.

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::model::{FieldWeight, bits_of};

/// The explanation line of a shift: not the pair's own evidence, but what other records say.
pub const OTHER_RECORDS: &str = "other records";

/// Pairs at least this probable make records neighbours, whose say counts for each other's
/// pairs. A weaker rival could take at most log2(1.25) = 0.3 bits from a pair.
pub(crate) const NEIGHBOUR: f64 = 0.2;
/// Pairs at least this probable chain: two of them through one record propose the third pair.
const CHAIN: f64 = 0.5;
/// A record's most probable neighbours only: a very common name has many weak ones, each of
/// which would shift its pairs a little.
pub(crate) const MAX_NEIGHBOURS: usize = 24;

/// log2(2^x + 2^y), exact at the extremes.
fn lse2(x: f64, y: f64) -> f64 {
    let (hi, lo) = if x >= y { (x, y) } else { (y, x) };
    if hi == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp2().ln_1p() / std::f64::consts::LN_2
}

/// How many bits a third record b shifts pair (a, c), from the bits of (a, b) and (b, c).
fn shift(ab: f64, bc: f64) -> f64 {
    lse2(0.0, ab + bc) - lse2(lse2(0.0, ab), bc)
}

/// The shift a pair takes from its third records, and the record that weighed most.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Shift {
    pub bits: f64,
    pub by: u32,
}

impl Shift {
    /// The shift as a line of an explanation, naming the third record that weighed most;
    /// None when it is too small to mention.
    pub(crate) fn explain(&self, by: &str) -> Option<FieldWeight> {
        if self.bits.abs() < 0.05 {
            return None;
        }
        let how = if self.bits < 0.0 {
            "fits better"
        } else {
            "links both"
        };
        Some(FieldWeight {
            field: OTHER_RECORDS.into(),
            level: how.into(),
            weight: self.bits,
            record: Some(by.into()),
        })
    }
}

/// The pairs' neighbourhood: each record's neighbours (most probable first) and the bits of
/// every neighbouring pair.
pub(crate) struct Graph {
    near: FxHashMap<u32, Vec<(u32, f64)>>,
    bits: FxHashMap<(u32, u32), f64>,
}

fn key(a: u32, b: u32) -> (u32, u32) {
    (a.min(b), a.max(b))
}

impl Graph {
    /// From scored pairs `(a, b, bits)`; only those at [`NEIGHBOUR`] or above count.
    pub(crate) fn new(pairs: &[(u32, u32, f64)]) -> Self {
        let floor = bits_of(NEIGHBOUR);
        let mut near: FxHashMap<u32, Vec<(u32, f64)>> = FxHashMap::default();
        let mut bits = FxHashMap::default();
        for &(a, b, x) in pairs.iter().filter(|p| p.2 >= floor) {
            near.entry(a).or_default().push((b, x));
            near.entry(b).or_default().push((a, x));
            bits.insert(key(a, b), x);
        }
        for list in near.values_mut() {
            list.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
            list.truncate(MAX_NEIGHBOURS);
        }
        Self { near, bits }
    }

    fn neighbours(&self, a: u32) -> &[(u32, f64)] {
        self.near.get(&a).map_or(&[], Vec::as_slice)
    }

    /// Pairs two chaining pairs meet in that are not among `pairs`: (a, b) and (b, c) at
    /// [`CHAIN`] or above propose (a, c), however little a and c have in common on their own.
    /// `allowed` says which pairs can be a match at all (a link pairs only across its sets).
    pub(crate) fn chained(
        &self,
        pairs: &[(u32, u32, f64)],
        allowed: impl Fn(u32, u32) -> bool,
    ) -> Vec<(u32, u32)> {
        let chain = bits_of(CHAIN);
        let known: FxHashSet<(u32, u32)> = pairs.iter().map(|p| key(p.0, p.1)).collect();
        let mut out = FxHashSet::default();
        for list in self.near.values() {
            let strong: Vec<u32> = list.iter().filter(|n| n.1 >= chain).map(|n| n.0).collect();
            for (x, &a) in strong.iter().enumerate() {
                for &c in &strong[x + 1..] {
                    let k = key(a, c);
                    if allowed(k.0, k.1) && !known.contains(&k) {
                        out.insert(k);
                    }
                }
            }
        }
        let mut out: Vec<(u32, u32)> = out.into_iter().collect();
        out.sort_unstable();
        out
    }

    /// For each pair that `weigh` picks (by position), the shift its third records bring
    /// (None when it has none). Pairs that are not neighbouring pairs themselves are scored by
    /// `score`.
    pub(crate) fn shifts(
        &self,
        pairs: &[(u32, u32, f64)],
        score: impl Fn(u32, u32) -> f64 + Sync,
        weigh: impl Fn(usize) -> bool + Sync,
    ) -> Vec<Option<Shift>> {
        let bits = |a: u32, b: u32| {
            self.bits
                .get(&key(a, b))
                .copied()
                .unwrap_or_else(|| score(a, b))
        };
        pairs
            .par_iter()
            .enumerate()
            .map(|(n, &(a, c, own))| {
                if !weigh(n) {
                    return None;
                }
                let mut thirds: Vec<u32> = self
                    .neighbours(a)
                    .iter()
                    .chain(self.neighbours(c))
                    .map(|n| n.0)
                    .filter(|&b| b != a && b != c)
                    .collect();
                thirds.sort_unstable();
                thirds.dedup();
                // Rivals add up; of the chains only the best counts, and it lifts the pair no
                // higher than its weaker link: when a and c are one child, what b shares with
                // a it mostly shares with c too, and counting both would count it twice.
                let (mut against, mut chain) = (0.0, 0.0);
                // The record that weighed most on the side the shift comes out on.
                let (mut rival, mut link): (Option<(u32, f64)>, Option<u32>) = (None, None);
                for b in thirds {
                    let (ab, bc) = (bits(a, b), bits(b, c));
                    let s = shift(ab, bc);
                    if s > 0.0 {
                        let s = s.min((ab.min(bc) - own).max(0.0));
                        if link.is_none() || s > chain {
                            (chain, link) = (s, Some(b));
                        }
                    } else {
                        against += s;
                        if rival.is_none_or(|r| s < r.1) {
                            rival = Some((b, s));
                        }
                    }
                }
                let bits = against + chain;
                let by = if bits < 0.0 {
                    rival.map(|r| r.0)
                } else {
                    link.or(rival.map(|r| r.0))
                };
                by.map(|by| Shift { bits, by })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_third_record_that_knows_neither_changes_nothing() {
        assert!(shift(-40.0, -40.0).abs() < 1e-9);
    }

    #[test]
    fn a_strong_rival_takes_its_strength_away() {
        // a is b (20 bits), b is certainly not c: a is c loses about those 20 bits.
        assert!((shift(20.0, -40.0) + 20.0).abs() < 1e-3);
        // The same from the other side.
        assert!((shift(-40.0, 20.0) + 20.0).abs() < 1e-3);
    }

    #[test]
    fn a_chain_of_strong_pairs_lends_its_strength() {
        // a is b and b is c, both at 10 bits: a is c gains about 9 bits.
        let s = shift(10.0, 10.0);
        assert!(s > 8.0 && s < 10.0, "{s}");
        // Two even pairs (0 bits) say little either way.
        assert!(shift(0.0, 0.0).abs() < 1.0);
    }

    #[test]
    fn the_rival_of_a_pair_is_found_and_named() {
        // 0-1 strong, 0-2 middling, 1-2 scored as strangers.
        let pairs = [(0, 1, 12.0), (0, 2, 1.0)];
        let g = Graph::new(&pairs);
        let s = g.shifts(&pairs, |_, _| -30.0, |_| true);
        let rival = s[1].expect("pair 0-2 has a third record");
        assert_eq!(rival.by, 1);
        assert!(rival.bits < -10.0, "{rival:?}");
        // The strong pair gives up only what record 2's 1 bit claims: log2(3).
        let own = s[0].expect("pair 0-1 has a third record");
        assert!((own.bits + 3f64.log2()).abs() < 1e-6, "{own:?}");
    }

    #[test]
    fn the_record_named_is_the_one_on_the_side_the_pair_moved() {
        // Pair 0-3 at 0 bits; record 1 links both strongly, record 2 is a weak rival of 0.
        let pairs = [(0, 3, 0.0), (0, 1, 10.0), (1, 3, 10.0), (0, 2, 1.0)];
        let g = Graph::new(&pairs);
        let s = g.shifts(&pairs, |_, _| -30.0, |n| n == 0)[0].expect("pair 0-3 has thirds");
        assert!(s.bits > 5.0, "{s:?}");
        assert_eq!(s.by, 1);
    }

    #[test]
    fn two_strong_pairs_through_one_record_propose_the_third() {
        let pairs = [(0, 1, 12.0), (1, 2, 12.0), (3, 4, 12.0)];
        let g = Graph::new(&pairs);
        assert_eq!(g.chained(&pairs, |_, _| true), vec![(0, 2)]);
        assert!(g.chained(&pairs, |a, _| a != 0).is_empty());
    }
}
