//! Blocking: only records that share a key under at least one rule are compared. Each rule
//! combines a few strong, typo-tolerant features (name skeletons, birth day or year, parents),
//! so a true pair survives unless several of its fields are damaged at once, and no block of
//! common values grows quadratically (blocks above a size cap are skipped).

use std::hash::{Hash, Hasher};

use rustc_hash::FxHasher;

use crate::MAX_BLOCK;
use crate::compare::{Comparison, What};
use crate::prepare::{AGE_SLACK_DAYS, Feat, Prepared, Source};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Given and family name skeletons in either order.
    GivenFamily,
    Given,
    Family,
    /// The first name of the n-th parent comparison (feature index).
    Parent(usize),
    BirthDay(usize),
    /// The year of birth: 0 the middle of what is known; for a guessed age, 1 the earliest and
    /// 2 the latest year it allows (so an age a year off still meets the date of birth).
    BirthYear(usize, u8),
    /// The first administrative level of a P-code (country + two characters).
    Region(usize),
    Ident(usize),
    /// A short code compared for equality (sex).
    Code(usize),
    /// The second administrative level of a P-code (country + four characters).
    District(usize),
}

impl Part {
    /// The record's value for this part, or `None` when it has none.
    fn value(&self, p: &Prepared) -> Option<u64> {
        match *self {
            Part::GivenFamily => {
                let g = p.canon.first().or(p.other.first());
                match (g, p.family.first()) {
                    (Some(&g), Some(&f)) => {
                        let (a, b) = if g <= f { (g, f) } else { (f, g) };
                        Some((u64::from(a) << 32) | u64::from(b))
                    }
                    _ => None,
                }
            }
            Part::Given => p.canon.first().or(p.other.first()).map(|&g| u64::from(g)),
            Part::Family => p.family.first().map(|&f| u64::from(f)),
            Part::Parent(i) => match p.feats.get(i) {
                Some(Feat::Tokens(t)) => t.first().map(|&x| u64::from(x)),
                _ => None,
            },
            Part::BirthDay(i) => match p.feats.get(i) {
                Some(Feat::Span {
                    exact: Some(_), lo, ..
                }) => Some(*lo as u64),
                _ => None,
            },
            Part::BirthYear(i, which) => match p.feats.get(i) {
                Some(Feat::Span { lo, hi, .. }) => {
                    let y = match which {
                        1 if hi - lo > WIDE => year_of(lo + AGE_SLACK_DAYS),
                        2 if hi - lo > WIDE => year_of(hi - AGE_SLACK_DAYS),
                        _ => year_of(lo.midpoint(*hi)),
                    };
                    Some(y as u64)
                }
                _ => None,
            },
            Part::Region(i) => match p.feats.get(i) {
                Some(Feat::Code(c)) if c.len() >= 4 => {
                    let mut hh = FxHasher::default();
                    c.get(..4).hash(&mut hh);
                    Some(hh.finish())
                }
                _ => None,
            },
            Part::Ident(i) => match p.feats.get(i) {
                Some(Feat::Code(c)) => {
                    let mut hh = FxHasher::default();
                    c.hash(&mut hh);
                    Some(hh.finish())
                }
                _ => None,
            },
            Part::District(i) => match p.feats.get(i) {
                Some(Feat::Code(c)) if c.len() >= 6 => {
                    let mut hh = FxHasher::default();
                    c.get(..6).hash(&mut hh);
                    Some(hh.finish())
                }
                _ => None,
            },
            Part::Code(i) => match p.feats.get(i) {
                Some(Feat::Code(c)) => {
                    let mut hh = FxHasher::default();
                    c.hash(&mut hh);
                    Some(hh.finish())
                }
                _ => None,
            },
        }
    }
}

/// What splits a block too large to compare whole, in turn: the birth year, the region, sex.
/// A block of a common key (Mohammad with a common family name) is not dropped but split into
/// the records that also agree on these; only what is still too large after all of them is
/// left out.
pub(crate) struct Splitters(Vec<Part>);

impl Splitters {
    pub(crate) fn new(comps: &[Comparison]) -> Self {
        let mut parts = Vec::new();
        for c in comps {
            if let What::Feat(i, Source::Birth { .. } | Source::Date(_)) = c.what
                && !parts.iter().any(|p| matches!(p, Part::BirthYear(..)))
            {
                parts.insert(0, Part::BirthYear(i, 0));
            }
            if let What::Feat(i, Source::PlaceCode(_)) = c.what {
                parts.push(Part::Region(i));
            }
            if let What::Feat(i, Source::Sex(_)) = c.what {
                parts.push(Part::Code(i));
            }
        }
        Self(parts)
    }

    pub(crate) fn levels(&self) -> usize {
        self.0.len()
    }

    /// The key of a record in a block of `key` split at `level` (records without the value
    /// keep to themselves in one sub-block).
    pub(crate) fn refine(&self, level: usize, key: u64, p: &Prepared) -> u64 {
        let mut h = FxHasher::default();
        key.hash(&mut h);
        level.hash(&mut h);
        self.0
            .get(level)
            .and_then(|part| part.value(p))
            .unwrap_or(u64::MAX)
            .hash(&mut h);
        h.finish().max(1)
    }
}

/// A rule: records agreeing on every part share a block. The number is the largest block
/// compared whole (larger ones are split, see [`Splitters`]).
#[derive(Debug, Clone)]
pub(crate) struct Rule(Vec<Part>, pub(crate) usize);

/// Blocks of the looser rules are kept this much smaller: they rescue damaged pairs of rare
/// names; for a common name the pair count would grow with the square of the data.
const LOOSE_SHRINK: usize = 8;

/// The rules of the incremental index: the batch rules, and each name part alone. One query
/// reads only posting lists short enough (see `index::MAX_POSTING`), so a given name alone
/// costs nothing when common and finds the child whose age the relative guessed years off (a
/// pair no batch rule can afford to block) when rare.
pub(crate) fn query_rules(comps: &[Comparison]) -> Vec<Rule> {
    let mut out = rules(comps);
    for c in comps {
        match c.what {
            What::Given => out.push(Rule(vec![Part::Given], MAX_BLOCK)),
            What::Family => out.push(Rule(vec![Part::Family], MAX_BLOCK)),
            _ => {}
        }
    }
    out
}

pub(crate) fn rules(comps: &[Comparison]) -> Vec<Rule> {
    let has = |w: fn(&What) -> bool| comps.iter().any(|c| w(&c.what));
    let given = has(|w| matches!(w, What::Given));
    let family = has(|w| matches!(w, What::Family));
    let parents: Vec<usize> = comps
        .iter()
        .filter_map(|c| match c.what {
            What::Feat(i, Source::Parent(_)) => Some(i),
            _ => None,
        })
        .collect();
    let birth = comps.iter().find_map(|c| match c.what {
        What::Feat(i, Source::Birth { .. } | Source::Date(_)) => Some(i),
        _ => None,
    });
    let mut out = Vec::new();
    let p1 = parents.first().copied();
    let p2 = parents.get(1).copied();
    let push = |out: &mut Vec<Rule>, parts: Vec<Option<Part>>| {
        if parts.iter().all(Option::is_some) {
            out.push(Rule(parts.into_iter().flatten().collect(), MAX_BLOCK));
        }
    };
    let push_loose = |out: &mut Vec<Rule>, parts: Vec<Option<Part>>| {
        if parts.iter().all(Option::is_some) {
            out.push(Rule(
                parts.into_iter().flatten().collect(),
                MAX_BLOCK / LOOSE_SHRINK,
            ));
        }
    };
    let gf = (given && family).then_some(Part::GivenFamily);
    let g = given.then_some(Part::Given);
    let f = family.then_some(Part::Family);
    let year = birth.map(|i| Part::BirthYear(i, 0));
    let early = birth.map(|i| Part::BirthYear(i, 1));
    let late = birth.map(|i| Part::BirthYear(i, 2));
    let region = comps
        .iter()
        .find_map(|c| match c.what {
            What::Feat(i, Source::PlaceCode(_)) => Some(i),
            _ => None,
        })
        .map(Part::Region);
    let day = birth.map(Part::BirthDay);
    let district = comps.iter().find_map(|c| match c.what {
        What::Feat(i, Source::PlaceCode(_)) => Some(Part::District(i)),
        _ => None,
    });
    push(&mut out, vec![gf, year]);
    push(&mut out, vec![g, p1.map(Part::Parent), year]);
    // The mother alone too: a relative who asks often knows her and not the father.
    push(&mut out, vec![g, p2.map(Part::Parent), year]);
    push(&mut out, vec![f, day]);
    push(&mut out, vec![g, day]);
    push(
        &mut out,
        vec![p1.map(Part::Parent), p2.map(Part::Parent), year],
    );
    push(&mut out, vec![gf, p1.map(Part::Parent)]);
    push(
        &mut out,
        vec![g, p1.map(Part::Parent), p2.map(Part::Parent)],
    );
    // Ages guessed a year off and dropped fields break the rules above; the region and a
    // parent's name rescue those pairs without making big blocks.
    push(&mut out, vec![gf, region]);
    push(&mut out, vec![g, p1.map(Part::Parent), region]);
    push(&mut out, vec![g, p2.map(Part::Parent), region]);
    push(&mut out, vec![day, region]);
    for y in [early, late] {
        push(&mut out, vec![gf, y]);
        push(&mut out, vec![g, p1.map(Part::Parent), y]);
        push(&mut out, vec![g, p2.map(Part::Parent), y]);
        push(
            &mut out,
            vec![p1.map(Part::Parent), p2.map(Part::Parent), y],
        );
    }
    // Looser rules for pairs damaged in several fields at once (an age a year off and the
    // place missing; a typo in the given name and a parent left out). Realistic name pools make
    // their blocks small; where a key is common, the block is split (see `Splitters`).
    let p1p = p1.map(Part::Parent);
    let p2p = p2.map(Part::Parent);
    if birth.is_some() {
        push_loose(&mut out, vec![gf]);
        push_loose(&mut out, vec![p1p, district]);
        push_loose(&mut out, vec![p2p, district]);
        push_loose(&mut out, vec![f, district]);
        push_loose(&mut out, vec![g, district]);
    }
    if birth.is_none() {
        push(&mut out, vec![gf]);
        push(&mut out, vec![g, p1.map(Part::Parent)]);
        push(&mut out, vec![f, p1.map(Part::Parent)]);
    }
    for c in comps {
        if let What::Feat(i, Source::Identifier(_)) = c.what {
            push(&mut out, vec![Some(Part::Ident(i))]);
        }
    }
    if out.is_empty() {
        // A schema with no strong features: block on whatever names there are.
        push(&mut out, vec![g]);
        push(&mut out, vec![f]);
    }
    out
}

/// Spans wider than this (days) are guessed ages, not dates.
const WIDE: i32 = 400;

/// Whether a record's birth is a guessed age (a wide span): only pairs with such a record are
/// new in the rules on the earliest or latest birth year.
pub(crate) fn wide_birth(p: &Prepared) -> bool {
    p.feats
        .iter()
        .any(|f| matches!(f, Feat::Span { lo, hi, .. } if hi - lo > WIDE))
}

fn year_of(day: i32) -> i32 {
    (f64::from(day) / 365.2425).floor() as i32 + 1970
}

impl Rule {
    /// The record's key under this rule (`rule` mixes in which rule it is), or 0 when a part is
    /// missing.
    pub(crate) fn key(&self, rule: usize, p: &Prepared) -> u64 {
        let mut h = FxHasher::default();
        rule.hash(&mut h);
        for part in &self.0 {
            match part.value(p) {
                Some(v) => v.hash(&mut h),
                None => return 0,
            }
        }
        h.finish().max(1)
    }

    /// Which comparisons this rule's parts agree on by construction.
    /// Where this rule's pairs rank as a training session: same given name (or family name)
    /// and birth day first, then the name with a parent. `None`: not a session (its pairs are
    /// too often relatives or namesakes).
    pub(crate) fn session_rank(&self) -> Option<u8> {
        let has = |f: fn(&Part) -> bool| self.0.iter().any(f);
        let day = has(|p| matches!(p, Part::BirthDay(_)));
        let given = has(|p| matches!(p, Part::Given | Part::GivenFamily));
        let family = has(|p| matches!(p, Part::Family | Part::GivenFamily));
        match () {
            // Family name and birth day first: its non-matches (namesake families) differ in
            // the given name, a comparison it can learn from; same given name and birth day
            // leaves only family evidence, which namesakes share.
            _ if family && !given && day => Some(0),
            _ if given && day => Some(1),
            _ => None,
        }
    }

    /// The comparisons a rule agrees on by construction: left out of its EM session.
    pub(crate) fn masks(&self, comps: &[Comparison]) -> Vec<bool> {
        comps
            .iter()
            .map(|c| {
                self.0.iter().any(|p| match (p, &c.what) {
                    (Part::GivenFamily, What::Given | What::Family) => true,
                    (Part::Given, What::Given) | (Part::Family, What::Family) => true,
                    (
                        Part::Parent(i)
                        | Part::BirthDay(i)
                        | Part::BirthYear(i, _)
                        | Part::Region(i)
                        | Part::Ident(i)
                        | Part::Code(i)
                        | Part::District(i),
                        What::Feat(j, _),
                    ) => i == j,
                    _ => false,
                })
            })
            .collect()
    }

    /// Rules on the earliest or latest birth year only add pairs with a guessed age.
    pub(crate) fn for_ages_only(&self) -> bool {
        self.0
            .iter()
            .any(|p| matches!(p, Part::BirthYear(_, 1 | 2)))
    }

    pub(crate) fn describe(&self) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Part::GivenFamily => "given+family",
                Part::Given => "given",
                Part::Family => "family",
                Part::Parent(_) => "parent",
                Part::BirthDay(_) => "birth day",
                Part::BirthYear(_, 0) => "birth year",
                Part::BirthYear(_, 1) => "earliest birth year",
                Part::BirthYear(_, _) => "latest birth year",
                Part::Region(_) => "region",
                Part::Ident(_) => "identifier",
                Part::Code(_) => "code",
                Part::District(_) => "district",
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }
}
