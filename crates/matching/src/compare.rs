//! Comparisons: for each pair of prepared records, one agreement level per comparison.

use crate::normalise::vowels_agree;
use crate::prepare::{Feat, Prepared, Source, Strs, sources};
use crate::schema::{Kind, Schema};

/// What a comparison compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum What {
    Given,
    Family,
    /// `feats[i]` of both records.
    Feat(usize, Source),
}

#[derive(Debug, Clone)]
pub(crate) struct Comparison {
    pub label: String,
    pub what: What,
    pub levels: &'static [&'static str],
    /// Whether the first level is adjusted for how common the agreeing value is.
    pub tf: bool,
    /// Evidence about the family rather than the child (family name, parents, place,
    /// nationality): siblings share all of it, so it is capped as a group (see `model`).
    pub household: bool,
}

const NAME_LEVELS: &[&str] = &[
    "exact",
    "same consonants, other vowels",
    "alternative or swapped",
    "similar",
    "different",
];
const FAMILY_LEVELS: &[&str] = &["exact", "partly shared or swapped", "similar", "different"];
const PARENT_LEVELS: &[&str] = &[
    "exact",
    "same first name, rest differs",
    "similar",
    "different",
];
const DATE_LEVELS: &[&str] = &[
    "same day",
    "day/month swapped or one digit off",
    "consistent",
    "within a year",
    "within three years",
    "different",
];
const EQUAL_LEVELS: &[&str] = &["same", "different"];
const PLACE_LEVELS: &[&str] = &["same place", "nearby", "same country", "different"];
const FUZZY_LEVELS: &[&str] = &["same", "similar", "different"];
const ID_LEVELS: &[&str] = &["same", "one typo", "different"];

/// A missing value on either side: the comparison says nothing.
pub const NULL: u8 = 15;

pub(crate) fn comparisons(schema: &Schema) -> Vec<Comparison> {
    let first_of = |kinds: &[Kind], fallback: &str| {
        schema
            .fields
            .iter()
            .find(|f| kinds.contains(&f.kind))
            .map_or(fallback.to_string(), |f| f.name.clone())
    };
    let mut out = Vec::new();
    if schema
        .fields
        .iter()
        .any(|f| matches!(f.kind, Kind::GivenName | Kind::FullName | Kind::OtherName))
    {
        out.push(Comparison {
            label: first_of(
                &[Kind::GivenName, Kind::FullName, Kind::OtherName],
                "given_name",
            ),
            what: What::Given,
            levels: NAME_LEVELS,
            tf: true,
            household: false,
        });
    }
    if schema
        .fields
        .iter()
        .any(|f| matches!(f.kind, Kind::FamilyName | Kind::FullName))
    {
        let label = first_of(&[Kind::FamilyName], "family_name");
        out.push(Comparison {
            label: if schema.has(Kind::FamilyName) {
                label
            } else {
                "family_name".into()
            },
            what: What::Family,
            levels: FAMILY_LEVELS,
            tf: true,
            household: true,
        });
    }
    for (i, s) in sources(schema).into_iter().enumerate() {
        let field = |f: usize| {
            schema
                .fields
                .get(f)
                .map_or(String::new(), |f| f.name.clone())
        };
        let (label, levels, tf) = match &s {
            Source::Parent(f) => (field(*f), PARENT_LEVELS, true),
            Source::Birth { date, ages } => (
                date.or_else(|| ages.first().copied())
                    .map_or("birth".into(), field),
                DATE_LEVELS,
                false,
            ),
            Source::Date(f) => (field(*f), DATE_LEVELS, false),
            Source::Sex(f) | Source::Nationality(f) | Source::Category(f) => {
                (field(*f), EQUAL_LEVELS, false)
            }
            Source::PlaceCode(f) => (field(*f), PLACE_LEVELS, false),
            Source::PlaceName(f) | Source::Text(f) => (field(*f), FUZZY_LEVELS, false),
            Source::Identifier(f) => (field(*f), ID_LEVELS, false),
        };
        let household = matches!(
            s,
            Source::Parent(_)
                | Source::PlaceCode(_)
                | Source::PlaceName(_)
                | Source::Nationality(_)
        );
        out.push(Comparison {
            label,
            what: What::Feat(i, s),
            levels,
            tf,
            household,
        });
    }
    out
}

/// Two skeletons are "similar" above this Jaro–Winkler similarity.
const SIMILAR: f64 = 0.85;

fn similar(a: &[u32], b: &[u32], strs: Strs<'_>) -> bool {
    a.iter().any(|&x| {
        b.iter().any(|&y| {
            let (sx, sy) = (strs.get(x), strs.get(y));
            let (bx, by) = (sx.as_bytes(), sy.as_bytes());
            (bx.len() >= 2 && by.len() >= 2 && jaro_winkler(bx, by) >= SIMILAR)
                || (bx.len() >= 3 && by.len() >= 3 && one_edit(bx, by))
        })
    })
}

/// Jaro–Winkler on short ASCII keys without allocating (this runs for most compared pairs).
pub(crate) fn jaro_winkler(a: &[u8], b: &[u8]) -> f64 {
    const MAX: usize = 64;
    if a.is_empty() || b.is_empty() || a.len() > MAX || b.len() > MAX {
        return if a == b { 1.0 } else { 0.0 };
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut used = [false; MAX];
    let mut a_match = [0u8; MAX];
    let mut matches = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !used[j] && b[j] == ca {
                used[j] = true;
                a_match[matches] = ca;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut k = 0;
    let mut transpositions = 0;
    for (j, &cb) in b.iter().enumerate() {
        if used[j] {
            if a_match[k] != cb {
                transpositions += 1;
            }
            k += 1;
        }
    }
    let m = matches as f64;
    let jaro =
        (m / a.len() as f64 + m / b.len() as f64 + (m - f64::from(transpositions / 2)) / m) / 3.0;
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count() as f64;
    jaro + prefix * 0.1 * (1.0 - jaro)
}

/// At most one insertion, deletion, substitution or adjacent transposition apart.
pub(crate) fn one_edit(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let p = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        let (sa, sb) = (&short[p + 1..], &long[p + 1..]);
        sa == sb
            || (p + 1 < short.len()
                && short[p] == long[p + 1]
                && short[p + 1] == long[p]
                && short[p + 2..] == long[p + 2..])
    } else {
        short[p..] == long[p + 1..]
    }
}

fn shares(a: &[u32], b: &[u32]) -> bool {
    a.iter().any(|x| b.contains(x))
}

/// Every part of `a` is in `b` (and `a` has one).
fn subset(a: &[u32], b: &[u32]) -> bool {
    !a.is_empty() && a.iter().all(|x| b.contains(x))
}

fn same_set(a: &[u32], b: &[u32]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

impl Comparison {
    /// The value an exact agreement is on, for term frequencies.
    pub(crate) fn value(&self, p: &Prepared) -> Option<u32> {
        match &self.what {
            What::Given => names(p).first().copied(),
            What::Family => p.family.first().copied(),
            What::Feat(i, _) => match p.feats.get(*i) {
                Some(Feat::Tokens(t)) => t.first().copied(),
                _ => None,
            },
        }
    }

    /// The level for a pair, and for an exact agreement the value agreed on (for the
    /// term-frequency adjustment). [`NULL`] when either side is missing.
    pub(crate) fn level(&self, a: &Prepared, b: &Prepared, strs: Strs<'_>) -> (u8, u32) {
        const NONE: u32 = u32::MAX;
        match &self.what {
            What::Given => {
                let (ga, gb) = (names(a), names(b));
                let (Some(&fa), Some(&fb)) = (ga.first(), gb.first()) else {
                    return (NULL, NONE);
                };
                // One first name, then each its own (María José, María Fernanda): sisters.
                if fa == fb
                    && !rest(a).is_empty()
                    && !rest(b).is_empty()
                    && !subset(&a.given, &b.given)
                    && !subset(&b.given, &a.given)
                    && !similar(rest(a), rest(b), strs)
                {
                    return (4, NONE);
                }
                if fa == fb {
                    let agree = match (a.given_v.first(), b.given_v.first()) {
                        (Some(&x), Some(&y)) => x == y || vowels_agree(strs.get(x), strs.get(y)),
                        _ => true,
                    };
                    if agree || swapped_as_written(a, b) {
                        return (0, fa);
                    }
                    // A nickname shares its name's consonants (فطوم, فاطمة): not a sibling's.
                    if shares(&a.canon, &b.canon) && !same_set(&a.given_v, &b.given_v) {
                        return (2, NONE);
                    }
                    return (1, NONE);
                }
                if swapped(a, b) {
                    return (0, fa);
                }
                let alt = |p: &Prepared, q: &Prepared| {
                    shares(&p.given, &q.other)
                        || shares(&p.other, &q.given)
                        || shares(&p.other, &q.other)
                };
                // A name part shared while each has one of its own is what siblings with
                // compound names have (José Luis, Juan José).
                let (sa, sb) = (subset(&a.given, &b.given), subset(&b.given, &a.given));
                if !sa
                    && !sb
                    && shares(&a.given, &b.given)
                    && !alt(a, b)
                    && !own_parts_alike(a, b, strs)
                {
                    return (4, NONE);
                }
                // The given name written as the family name, where the other record has none.
                let as_family = |p: &Prepared, q: &Prepared, first: u32| {
                    p.family.is_empty() && q.family.contains(&first)
                };
                if alt(a, b)
                    || sa
                    || sb
                    || shares(&a.canon, &b.canon)
                    || as_family(b, a, fb)
                    || as_family(a, b, fa)
                {
                    return (2, NONE);
                }
                if similar(ga, gb, strs)
                    || similar(&a.other, &b.other, strs)
                    || typo_apart(&a.given_v, &b.given_v, strs)
                {
                    return (3, NONE);
                }
                (4, NONE)
            }
            What::Family => {
                let (Some(&fa), Some(_)) = (a.family.first(), b.family.first()) else {
                    return (NULL, NONE);
                };
                if same_set(&a.family, &b.family) || swapped(a, b) {
                    return (0, fa);
                }
                if shares(&a.family, &b.family)
                    || (shares(&a.family, &b.given) && shares(&b.family, &a.given))
                {
                    return (1, NONE);
                }
                if similar(&a.family, &b.family, strs) {
                    return (2, NONE);
                }
                (3, NONE)
            }
            What::Feat(i, source) => {
                let (Some(fa), Some(fb)) = (a.feats.get(*i), b.feats.get(*i)) else {
                    return (NULL, NONE);
                };
                feat_level(source, fa, fb, strs)
            }
        }
    }
}

/// Swapped where the given and family names share a skeleton (Bawa Oubagou, Oubagou Bawa):
/// the given names' skeletons agree while their vowels do not, and each is the other's family
/// name too. Siblings' given names are not their family's.
fn swapped_as_written(a: &Prepared, b: &Prepared) -> bool {
    match (a.given.first(), b.given.first()) {
        (Some(x), Some(y)) => b.family.contains(x) && a.family.contains(y),
        _ => false,
    }
}

/// Given and family name in swapped order, compared as if in order. Both ways: one way only
/// is what relatives have (a child named for the grandfather whose name the family carries).
fn swapped(a: &Prepared, b: &Prepared) -> bool {
    // One record's given name (or a nickname it has as another name) is among the other's
    // family names, and one of its family names among the other's given names: the rest may
    // hold a slip of the pen. Karla / Alsiado Ferano and Alsiao Ferano / Karla; Fatoumata
    // (Fanta) / Bah and Bah / Fanta.
    let one_way = |p: &Prepared, q: &Prepared| {
        (names(p).first().is_some_and(|x| q.family.contains(x)) || shares(&p.other, &q.family))
            && shares(&p.family, &q.given)
    };
    names(a).first() != names(b).first() && (one_way(a, b) || one_way(b, a))
}

/// Two written forms (vowels kept) one slip of the pen apart: a short name's skeleton has too
/// few letters to tell a typo (José, Jocé: "js", "jc") from another name.
fn typo_apart(a: &[u32], b: &[u32], strs: Strs<'_>) -> bool {
    a.iter().any(|&x| {
        b.iter().any(|&y| {
            let (sx, sy) = (strs.get(x), strs.get(y));
            let latin = |s: &str| !s.starts_with('#') && s.len() >= 3;
            latin(sx)
                && latin(sy)
                && sx.len().max(sy.len()) >= 4
                && one_edit(sx.as_bytes(), sy.as_bytes())
        })
    })
}

/// Whether the given-name parts each record has and the other lacks are one name, mistyped.
fn own_parts_alike(a: &Prepared, b: &Prepared, strs: Strs<'_>) -> bool {
    let own = |p: &Prepared, q: &Prepared| -> (Vec<u32>, Vec<u32>) {
        p.given
            .iter()
            .zip(&p.given_v)
            .filter(|(g, _)| !q.given.contains(g))
            .map(|(g, v)| (*g, *v))
            .unzip()
    };
    let ((ga, va), (gb, vb)) = (own(a, b), own(b, a));
    similar(&ga, &gb, strs) || typo_apart(&va, &vb, strs)
}

/// The given name's parts after the first.
fn rest(p: &Prepared) -> &[u32] {
    p.given.get(1..).unwrap_or(&[])
}

fn names(p: &Prepared) -> &[u32] {
    if p.given.is_empty() {
        &p.other
    } else {
        &p.given
    }
}

fn feat_level(source: &Source, a: &Feat, b: &Feat, strs: Strs<'_>) -> (u8, u32) {
    const NONE: u32 = u32::MAX;
    match (a, b) {
        (Feat::Missing, _) | (_, Feat::Missing) => (NULL, NONE),
        (Feat::Tokens(x), Feat::Tokens(y)) => match (x.first(), y.first()) {
            // Two parts each (given and family, or a name chain): both must agree for "exact".
            // The parent's own name decides; a shared family name is no evidence (namesake
            // families share it), and a name chain must agree in its second part too.
            // A typo in the second part is still the same parent; the level below must mean a
            // different chain (a namesake's father), or it would pay for namesakes.
            (Some(fx), Some(fy)) if fx == fy => {
                let second = (x.get(1), y.get(1));
                if let (Some(&sx), Some(&sy)) = second
                    && sx != sy
                    && !similar(&[sx], &[sy], strs)
                {
                    (1, NONE)
                } else {
                    (0, *fx)
                }
            }
            (Some(&fx), Some(&fy)) if similar(&[fx], &[fy], strs) => (2, NONE),
            _ => (3, NONE),
        },
        (
            Feat::Span {
                lo: la,
                hi: ha,
                exact: ea,
            },
            Feat::Span {
                lo: lb,
                hi: hb,
                exact: eb,
            },
        ) => {
            if let (Some(x), Some(y)) = (ea, eb) {
                if x == y {
                    return (0, NONE);
                }
                if near_date(*x, *y) {
                    return (1, NONE);
                }
            }
            let gap = la.max(lb) - ha.min(hb);
            let level = if gap <= 0 {
                2
            } else if gap <= 366 {
                3
            } else if gap <= 1096 {
                4
            } else {
                5
            };
            (level, NONE)
        }
        (Feat::Code(x), Feat::Code(y)) => match source {
            Source::PlaceCode(_) => {
                let common = x.iter().zip(y.iter()).take_while(|(p, q)| p == q).count();
                let longest = x.len().max(y.len());
                let level = if x == y {
                    0
                } else if common >= 3 && common + 2 >= longest {
                    1
                } else if common >= 2 {
                    2
                } else {
                    3
                };
                (level, NONE)
            }
            Source::Identifier(_) => {
                let level = if x == y {
                    0
                } else if x.len() >= 3
                    && strsim::osa_distance(
                        std::str::from_utf8(x).unwrap_or_default(),
                        std::str::from_utf8(y).unwrap_or_default(),
                    ) <= 1
                {
                    1
                } else {
                    2
                };
                (level, NONE)
            }
            _ => (u8::from(x != y), NONE),
        },
        (Feat::Text(x), Feat::Text(y)) => {
            let level = if x == y {
                0
            } else if strsim::jaro_winkler(x, y) >= 0.9 || token_overlap(x, y) >= 0.5 {
                1
            } else {
                2
            };
            (level, NONE)
        }
        _ => (NULL, NONE),
    }
}

/// Same date but for day and month swapped, or for one digit.
fn near_date(a: (i32, u8, u8), b: (i32, u8, u8)) -> bool {
    if a.0 == b.0 && a.1 == b.2 && a.2 == b.1 {
        return true;
    }
    let (da, db) = (digits(a), digits(b));
    da.iter().zip(&db).filter(|(x, y)| x != y).count() == 1
}

/// YYYYMMDD as eight digits, without allocating (this runs for most compared pairs).
fn digits(d: (i32, u8, u8)) -> [u8; 8] {
    let n = d.0.rem_euclid(10_000) as u32 * 10_000 + u32::from(d.1) * 100 + u32::from(d.2);
    let mut out = [0u8; 8];
    let mut n = n;
    for slot in out.iter_mut().rev() {
        *slot = (n % 10) as u8;
        n /= 10;
    }
    out
}

fn token_overlap(a: &str, b: &str) -> f64 {
    let ta: Vec<&str> = a.split(' ').collect();
    let tb: Vec<&str> = b.split(' ').collect();
    let shared = ta.iter().filter(|t| tb.contains(t)).count();
    let union = ta.len() + tb.len() - shared;
    if union == 0 {
        0.0
    } else {
        shared as f64 / union as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaro_winkler_matches_the_reference() {
        for (a, b) in [
            ("mhmd", "mhmt"),
            ("hmd", "mhmd"),
            ("ysf", "ysf"),
            ("krm", "slmn"),
            ("martha", "marhta"),
            ("a", "ab"),
        ] {
            let ours = jaro_winkler(a.as_bytes(), b.as_bytes());
            assert!((ours - strsim::jaro_winkler(a, b)).abs() < 1e-9, "{a} {b}");
        }
        assert!(one_edit(b"mhmd", b"mhd"));
        assert!(one_edit(b"mhmd", b"hmmd"));
        assert!(one_edit(b"mhmd", b"mxmd"));
        assert!(!one_edit(b"mhmd", b"hmdm"));
    }

    #[test]
    fn swapped_digits_and_fields_are_near() {
        assert!(near_date((2015, 3, 7), (2015, 7, 3)));
        assert!(near_date((2015, 3, 7), (2016, 3, 7)));
        assert!(!near_date((2015, 3, 7), (2016, 4, 7)));
    }
}
