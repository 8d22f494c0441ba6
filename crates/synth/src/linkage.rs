//! Record-linkage data with known truth, for testing and benchmarking the matcher: children
//! (in families, so siblings share parents' names and places) each registered once, some twice
//! — the second time as a relative or another agency would write them: romanised instead of the
//! original script and in varied spellings, with typos, the given and family names swapped, a
//! nickname, an age guessed instead of the date of birth, a day and month swapped, fields
//! missing. Two settings: easy (few of those) and hard (many). Every person is invented.
//!
//! The result is plain rows with a header; [`LinkageData::csv`] renders them as CSV text so the
//! CLI, the bench and other tools (Splink) can run on the same files. No I/O here.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration};

use crate::family::{Lineage, Parts, Sex, given_name};
use crate::names::N;
use crate::origins::{ORIGINS, Origin};
use crate::util::weighted;

/// How much damage the second record of a child takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Easy,
    Hard,
}

/// The columns, in order.
pub const HEADER: &[&str] = &[
    "record_id",
    "given_name",
    "family_name",
    "other_name",
    "father_name",
    "mother_name",
    "sex",
    "date_of_birth",
    "age",
    "age_recorded_on",
    "nationality",
    "place_code",
];

/// The matcher's configuration for these columns (the CLI's `fields.toml`).
pub const FIELDS_TOML: &str = r#"id = "record_id"
fields = [
  { column = "given_name", kind = "given_name" },
  { column = "family_name", kind = "family_name" },
  { column = "other_name", kind = "other_name" },
  { column = "father_name", kind = "parent_name" },
  { column = "mother_name", kind = "parent_name" },
  { column = "sex", kind = "sex" },
  { column = "date_of_birth", kind = "date", format = "%Y-%m-%d" },
  { column = "age", kind = "age", recorded_on = "age_recorded_on" },
  { column = "nationality", kind = "nationality" },
  { column = "place_code", kind = "place_code" },
]
"#;

/// Rows (in [`HEADER`] order) and who each row is.
#[derive(Debug, Clone)]
pub struct LinkageData {
    pub rows: Vec<Vec<String>>,
    /// The child each row is about: rows with the same entity are a true match.
    pub entity: Vec<u32>,
    /// Whether the row is a child's second record (the "right" side of a link).
    pub second: Vec<bool>,
}

impl LinkageData {
    /// Number of true pairs among all rows.
    pub fn true_pairs(&self) -> u64 {
        let mut counts = std::collections::HashMap::<u32, u64>::new();
        for e in &self.entity {
            *counts.entry(*e).or_default() += 1;
        }
        counts.values().map(|n| n * (n - 1) / 2).sum()
    }

    /// The rows selected by `keep`, as CSV text with a header line.
    pub fn csv(&self, keep: impl Fn(usize) -> bool) -> String {
        let mut out = HEADER.join(",");
        out.push('\n');
        for (i, row) in self.rows.iter().enumerate() {
            if !keep(i) {
                continue;
            }
            let cells: Vec<String> = row.iter().map(|c| quote(c)).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }
}

fn quote(c: &str) -> String {
    if c.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c.to_string()
    }
}

struct Rates {
    second: f64,
    native_first: f64,
    variant: f64,
    typo: f64,
    swap: f64,
    nickname: f64,
    age_instead: f64,
    age_off: f64,
    dm_swap: f64,
    year_only: f64,
    missing: f64,
}

const EASY: Rates = Rates {
    second: 0.3,
    native_first: 0.7,
    variant: 0.3,
    typo: 0.0,
    swap: 0.02,
    nickname: 0.05,
    age_instead: 0.1,
    age_off: 0.1,
    dm_swap: 0.0,
    year_only: 0.02,
    missing: 0.05,
};

const HARD: Rates = Rates {
    second: 0.3,
    native_first: 0.7,
    variant: 0.7,
    typo: 0.05,
    swap: 0.1,
    nickname: 0.15,
    age_instead: 0.3,
    age_off: 0.3,
    dm_swap: 0.05,
    year_only: 0.05,
    missing: 0.15,
};

/// About `n` rows (a little more, never fewer) for the seed and setting; `today` anchors ages.
pub fn linkage(seed: u64, n: usize, setting: Setting, today: Date) -> LinkageData {
    let rates = match setting {
        Setting::Easy => &EASY,
        Setting::Hard => &HARD,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x006c_696e_6b61_6765);
    let origins: Vec<(&'static Origin, u32)> = ORIGINS.to_vec();
    let mut data = LinkageData {
        rows: Vec::with_capacity(n + 8),
        entity: Vec::with_capacity(n + 8),
        second: Vec::with_capacity(n + 8),
    };
    let mut next_entity = 0u32;
    while data.rows.len() < n {
        let origin = weighted(&mut rng, &origins);
        let lineage = Lineage::new(&mut rng, origin);
        let mother_given = given_name(&mut rng, origin, Sex::Female);
        // Name chains (given + father's given + family), as Arabic, Persian and Ukrainian
        // registrations write a parent: the grandfathers' names tell namesake families apart.
        let chains =
            !origin.latin_script && matches!(origin.scheme, crate::origins::Scheme::Shared { .. });
        let grandfathers = chains.then(|| {
            (
                given_name(&mut rng, origin, Sex::Male),
                given_name(&mut rng, origin, Sex::Male),
            )
        });
        // Place of origin down to the village: country, 9, region, district, village.
        let place = format!(
            "{}9{}{:02}{:02}",
            origin.nationality,
            rng.random_range(1..=9),
            rng.random_range(1..=40),
            rng.random_range(1..=30)
        );
        let children = weighted(&mut rng, &[(1, 6), (2, 3), (3, 2)]);
        let eldest_days = rng.random_range(365..18 * 365);
        let mut used: Vec<Option<&str>> = Vec::new();
        for c in 0..children {
            let sex = if rng.random_bool(0.5) {
                Sex::Male
            } else {
                Sex::Female
            };
            // Pools are skewed (util::zipf): the most common names come up very often.
            let given = given_name(&mut rng, origin, sex);
            // Parents do not give two living children the same first name.
            let first_of = |p: &Parts| p.0.first().map(|n| n.0);
            if used.contains(&first_of(&given)) {
                continue;
            }
            used.push(first_of(&given));
            let mut age_days = eldest_days - c * rng.random_range(400..2200);
            if age_days < 30 {
                // Younger than the gap allows: a baby born any day of the last two years.
                age_days = rng.random_range(30..730);
            }
            let born = today - Duration::days(i64::from(age_days));
            let child = Child {
                origin,
                sex,
                given,
                lineage: &lineage,
                mother_given: &mother_given,
                grandfathers: grandfathers.as_ref(),
                born,
                place: &place,
            };
            let native = !origin.latin_script && rng.random_bool(rates.native_first);
            let id = data.rows.len();
            data.rows
                .push(child.render(&mut rng, id, native, rates, false, today));
            data.entity.push(next_entity);
            data.second.push(false);
            if rng.random_bool(rates.second) {
                let id = data.rows.len();
                let script = if origin.latin_script {
                    false
                } else {
                    !native || rng.random_bool(0.15)
                };
                data.rows
                    .push(child.render(&mut rng, id, script, rates, true, today));
                data.entity.push(next_entity);
                data.second.push(true);
            }
            next_entity += 1;
        }
    }
    data
}

struct Child<'a> {
    origin: &'static Origin,
    sex: Sex,
    given: Parts,
    lineage: &'a Lineage,
    mother_given: &'a Parts,
    /// The father's and the mother's father's given names, for name chains.
    grandfathers: Option<&'a (Parts, Parts)>,
    born: Date,
    place: &'a str,
}

impl Child<'_> {
    fn render(
        &self,
        rng: &mut impl Rng,
        id: usize,
        native: bool,
        r: &Rates,
        second: bool,
        today: Date,
    ) -> Vec<String> {
        // A first registration is mostly complete; a second is what a relative remembers.
        let scale = if second { 1.0 } else { 0.3 };
        let miss = |rng: &mut ChaCha8Rng, p: f64| rng.random_bool((p * scale).min(1.0));
        let mut rng2 = ChaCha8Rng::seed_from_u64(rng.random());
        let rng = &mut rng2;
        let name = |rng: &mut ChaCha8Rng, parts: &Parts| -> String {
            let words: Vec<String> = parts
                .0
                .iter()
                .map(|n| {
                    if native {
                        n.0.to_string()
                    } else {
                        let mut w = n.1.to_string();
                        if second && rng.random_bool(r.variant) {
                            w = variant(rng, &w);
                        }
                        if second && rng.random_bool(r.typo) {
                            w = typo(rng, &w);
                        }
                        w
                    }
                })
                .collect();
            words.join(" ")
        };
        let mut given = name(rng, &self.given);
        let mut family = name(rng, &self.lineage.child);
        let nickname = self.given.nickname();
        let mut other = String::new();
        if let Some(nick) = nickname {
            if rng.random_bool(0.3) {
                other = if native {
                    nick.to_string()
                } else {
                    any_latin(nick)
                };
            }
            if second && rng.random_bool(r.nickname) {
                given = if native {
                    nick.to_string()
                } else {
                    any_latin(nick)
                };
            }
        }
        if second && rng.random_bool(r.swap) {
            std::mem::swap(&mut given, &mut family);
        }
        if miss(rng, r.missing) {
            family.clear();
        }
        let father = if miss(rng, r.missing) {
            String::new()
        } else {
            let mut parts = self.lineage.father_given.0.clone();
            if let Some((paternal, _)) = self.grandfathers {
                parts.extend(paternal.0.iter().copied());
            }
            parts.extend(self.lineage.father.0.iter().copied());
            name(rng, &Parts(parts))
        };
        let mother = if miss(rng, r.missing * 1.6) {
            String::new()
        } else {
            let mut parts: Vec<N> = self.mother_given.0.clone();
            if let Some((_, maternal)) = self.grandfathers {
                parts.extend(maternal.0.iter().copied());
            }
            parts.extend(self.lineage.mother.0.iter().copied());
            name(rng, &Parts(parts))
        };
        let sex = if miss(rng, r.missing * 0.3) {
            String::new()
        } else {
            match self.sex {
                Sex::Male => "M",
                Sex::Female => "F",
            }
            .to_string()
        };
        let recorded = today - Duration::days(rng.random_range(0..700));
        let (mut dob, mut age, mut on) = (String::new(), String::new(), String::new());
        if !miss(rng, r.missing * 0.3) {
            if rng.random_bool(r.age_instead * scale) {
                let mut years = ((recorded - self.born).whole_days() / 365).max(0);
                if rng.random_bool(r.age_off) {
                    years = (years + if rng.random_bool(0.5) { 1 } else { -1 }).max(0);
                }
                age = years.to_string();
                on = recorded.to_string();
            } else {
                let (y, m, d) = (
                    self.born.year(),
                    u8::from(self.born.month()),
                    self.born.day(),
                );
                dob = if second && rng.random_bool(r.year_only) {
                    format!("{y:04}")
                } else if second && d <= 12 && d != m && rng.random_bool(r.dm_swap) {
                    format!("{y:04}-{d:02}-{m:02}")
                } else {
                    format!("{y:04}-{m:02}-{d:02}")
                };
            }
        }
        let nationality = if miss(rng, r.missing * 0.5) {
            String::new()
        } else {
            self.origin.nationality.to_string()
        };
        let place = if miss(rng, r.missing) {
            String::new()
        } else if second && rng.random_bool(0.3) {
            // Only the district is known.
            self.place.chars().take(6).collect()
        } else {
            self.place.to_string()
        };
        vec![
            format!("R{id:07}"),
            given,
            family,
            other,
            father,
            mother,
            sex,
            dob,
            age,
            on,
            nationality,
            place,
        ]
    }
}

/// A nickname as written in its own script, romanised crudely (as a clerk might).
fn any_latin(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_string()
        .if_empty(s)
}

trait IfEmpty {
    fn if_empty(self, other: &str) -> String;
}

impl IfEmpty for String {
    fn if_empty(self, other: &str) -> String {
        if self.is_empty() {
            other.to_string()
        } else {
            self
        }
    }
}

/// Another usual romanisation of the same name.
fn variant(rng: &mut impl Rng, w: &str) -> String {
    const SWAPS: &[(&str, &str)] = &[
        ("o", "u"),
        ("u", "ou"),
        ("ou", "u"),
        ("oo", "u"),
        ("e", "a"),
        ("a", "e"),
        ("i", "ee"),
        ("ee", "i"),
        ("i", "y"),
        ("y", "i"),
        ("ii", "iy"),
        ("kh", "h"),
        ("q", "k"),
        ("mm", "m"),
        ("dd", "d"),
        ("ss", "s"),
        ("ll", "l"),
        ("Al-", "El-"),
        ("Al-", "Al "),
        ("Al-", ""),
        ("Abdul", "Abdel"),
        ("Abd", "Abdul "),
        ("ph", "f"),
        ("v", "w"),
        ("w", "v"),
    ];
    let mut out = w.to_string();
    for _ in 0..2 {
        let (from, to) = SWAPS[rng.random_range(0..SWAPS.len())];
        if let Some(pos) = out.find(from) {
            out.replace_range(pos..pos + from.len(), to);
        }
    }
    if out.trim().is_empty() {
        w.to_string()
    } else {
        out
    }
}

/// One slip of the pen: a letter dropped, doubled, swapped with its neighbour or replaced.
fn typo(rng: &mut impl Rng, w: &str) -> String {
    let mut chars: Vec<char> = w.chars().collect();
    if chars.len() < 4 {
        return w.to_string();
    }
    let i = rng.random_range(1..chars.len() - 1);
    match rng.random_range(0..4) {
        0 => {
            chars.remove(i);
        }
        1 => {
            let c = chars[i];
            chars.insert(i, c);
        }
        2 => chars.swap(i, i + 1),
        _ => chars[i] = (b'a' + rng.random_range(0..26u8)) as char,
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::from_calendar_date(2026, time::Month::June, 1).unwrap_or(Date::MIN)
    }

    #[test]
    fn same_seed_same_rows_and_truth_is_consistent() {
        let a = linkage(7, 500, Setting::Hard, today());
        let b = linkage(7, 500, Setting::Hard, today());
        assert_eq!(a.rows, b.rows);
        assert!(a.rows.len() >= 500);
        assert!(a.rows.iter().all(|r| r.len() == HEADER.len()));
        let pairs = a.true_pairs();
        assert!(pairs > 50 && pairs < 250, "{pairs} true pairs");
        // Some second records are in the original script's romanisation, some typed with typos.
        assert!(a.csv(|i| a.second[i]).lines().count() as u64 == pairs + 1);
    }

    #[test]
    fn siblings_share_parents() {
        let d = linkage(3, 300, Setting::Easy, today());
        let fathers = d.rows.iter().filter(|r| !r[4].is_empty()).count();
        let distinct: std::collections::HashSet<_> =
            d.rows.iter().map(|r| (&r[4], &r[11])).collect();
        assert!(distinct.len() < fathers);
    }
}
