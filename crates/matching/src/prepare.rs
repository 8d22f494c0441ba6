//! Records turned into what comparisons and blocking read: name keys interned as numbers,
//! codes folded, dates as day spans.

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::nickname::canonical;
use crate::normalise::{fold_code, fold_text, name_forms};
use crate::schema::{Kind, Record, Schema, Value, Ymd};

/// Name keys as small numbers, so most comparisons are integer equality.
#[derive(Debug, Default, Clone)]
pub(crate) struct Interner {
    ids: FxHashMap<Box<str>, u32>,
    strs: Vec<Box<str>>,
}

/// Ids at or above this are a query's own keys, not (yet) in the interner.
const TEMP: u32 = 0x8000_0000;

impl Interner {
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = u32::try_from(self.strs.len()).unwrap_or(TEMP - 1);
        self.strs.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }

    /// For a query that must not change the index: unknown keys get temporary ids.
    pub(crate) fn lookup(&self, s: &str, temp: &mut Vec<Box<str>>) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        if let Some(i) = temp.iter().position(|t| &**t == s) {
            return TEMP + i as u32;
        }
        temp.push(s.into());
        TEMP + (temp.len() - 1) as u32
    }
}

/// Reads key text for an id, from the interner or a query's temporary keys.
#[derive(Clone, Copy)]
pub(crate) struct Strs<'a> {
    pub base: &'a Interner,
    pub temp: &'a [Box<str>],
}

impl Strs<'_> {
    pub(crate) fn get(&self, id: u32) -> &str {
        if id >= TEMP {
            self.temp.get((id - TEMP) as usize).map_or("", |s| s)
        } else {
            self.base.strs.get(id as usize).map_or("", |s| s)
        }
    }
}

/// Interned name keys, inline: most names have one to three parts. Keeping a prepared record in
/// one piece (no pointer per field) is what makes comparing tens of millions of pairs fast:
/// each pair then touches two records' memory, not a dozen scattered allocations.
pub(crate) type Ids = SmallVec<[u32; 4]>;
/// A folded code (P-code, nationality, sex, identifier) as bytes, inline up to 16.
pub(crate) type Code = SmallVec<[u8; 16]>;

/// One comparison's view of a record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Feat {
    Missing,
    Tokens(Ids),
    Code(Code),
    Text(Box<str>),
    /// First and last possible day; `exact` when known to the day.
    Span {
        lo: i32,
        hi: i32,
        exact: Option<(i32, u8, u8)>,
    },
}

/// A prepared record: the person's names (shared by the name comparisons) and one feature per
/// non-name comparison.
#[derive(Debug, Clone, Default)]
pub(crate) struct Prepared {
    pub given: Ids,
    /// The given names' vowel forms, in step with `given` (see `normalise::vowel_form`).
    pub given_v: Ids,
    /// In step with `given`: the name each part is a nickname of (`nickname`), else the part.
    pub canon: Ids,
    pub family: Ids,
    pub other: Ids,
    /// Inline for up to six non-name comparisons (parents, birth, sex, nationality, place).
    pub feats: SmallVec<[Feat; 6]>,
}

/// A record normalised but not yet interned (so that normalisation can run in parallel).
#[derive(Debug, Clone, Default)]
pub(crate) struct Normalised {
    given: Vec<String>,
    given_v: Vec<String>,
    canon: Vec<String>,
    family: Vec<String>,
    other: Vec<String>,
    feats: Vec<NFeat>,
}

#[derive(Debug, Clone)]
enum NFeat {
    Ready(Feat),
    Words(Vec<String>),
}

/// Which feature each non-name comparison reads, derived once from the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    Parent(usize),
    /// The date of birth and every age field.
    Birth {
        date: Option<usize>,
        ages: Vec<usize>,
    },
    Date(usize),
    Sex(usize),
    Nationality(usize),
    PlaceCode(usize),
    PlaceName(usize),
    Identifier(usize),
    Category(usize),
    Text(usize),
}

pub(crate) fn sources(schema: &Schema) -> Vec<Source> {
    let birth = schema.birth_field();
    let mut out = Vec::new();
    let mut birth_done = false;
    for (i, f) in schema.fields.iter().enumerate() {
        let s = match f.kind {
            Kind::ParentName => Source::Parent(i),
            Kind::Date | Kind::Age
                if birth.is_some() && (f.kind == Kind::Age || birth == Some(i)) =>
            {
                if birth_done {
                    continue;
                }
                birth_done = true;
                Source::Birth {
                    date: birth,
                    ages: schema
                        .fields
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| f.kind == Kind::Age)
                        .map(|(j, _)| j)
                        .collect(),
                }
            }
            Kind::Date => Source::Date(i),
            Kind::Age => continue,
            Kind::Sex => Source::Sex(i),
            Kind::Nationality => Source::Nationality(i),
            Kind::PlaceCode => Source::PlaceCode(i),
            Kind::PlaceName => Source::PlaceName(i),
            Kind::Identifier => Source::Identifier(i),
            Kind::Category => Source::Category(i),
            Kind::Text => Source::Text(i),
            Kind::GivenName | Kind::FamilyName | Kind::FullName | Kind::OtherName => continue,
        };
        out.push(s);
    }
    out
}

fn text(v: Option<&Value>) -> Option<&str> {
    match v {
        Some(Value::Text(s)) if !s.trim().is_empty() => Some(s),
        _ => None,
    }
}

/// Ages are guesses: half a year either side of the year the age implies.
pub(crate) const AGE_SLACK_DAYS: i32 = 183;

fn age_span(years: f32, on: &Ymd) -> Option<(i32, i32)> {
    if !(0.0..=130.0).contains(&years) {
        return None;
    }
    let (on_lo, on_hi) = on.span();
    let year_days = 365.25_f32;
    let hi = on_hi - (years * year_days) as i32;
    let lo = on_lo - ((years + 1.0) * year_days) as i32 + 1;
    Some((lo - AGE_SLACK_DAYS, hi + AGE_SLACK_DAYS))
}

fn date_feat(v: Option<&Value>) -> Option<Feat> {
    match v {
        Some(Value::Date(d)) => {
            let (lo, hi) = d.span();
            let exact = match (d.month, d.day) {
                (Some(m), Some(day)) => Some((d.year, m, day)),
                _ => None,
            };
            Some(Feat::Span { lo, hi, exact })
        }
        _ => None,
    }
}

fn sex_code(s: &str) -> String {
    let t = fold_text(s);
    match t.as_str() {
        "m" | "male" | "boy" | "man" | "h" | "hombre" | "masculino" | "1" => "m".into(),
        "f" | "female" | "girl" | "woman" | "mujer" | "femenino" | "w" | "2" => "f".into(),
        _ => t,
    }
}

/// Names already normalised, by their raw text. Names repeat a great deal (a few are very
/// common), and NFKC plus transliteration is the costliest step of preparing a record.
#[derive(Default)]
pub(crate) struct NameCache(FxHashMap<Box<str>, Vec<(String, String)>>);

/// Entries kept at most; the cache starts over beyond (memory stays bounded on odd data).
const NAME_CACHE_MAX: usize = 1 << 16;

impl NameCache {
    fn forms(&mut self, raw: &str) -> &[(String, String)] {
        if !self.0.contains_key(raw) {
            if self.0.len() >= NAME_CACHE_MAX {
                self.0.clear();
            }
            self.0.insert(raw.into(), name_forms(raw));
        }
        self.0.get(raw).map_or(&[], |v| v.as_slice())
    }

    fn keys(&mut self, raw: &str) -> impl Iterator<Item = String> + '_ {
        self.forms(raw).iter().map(|(k, _)| k.clone())
    }
}

pub(crate) fn normalise(schema: &Schema, sources: &[Source], rec: &Record) -> Normalised {
    normalise_cached(schema, sources, rec, &mut NameCache::default())
}

pub(crate) fn normalise_cached(
    schema: &Schema,
    sources: &[Source],
    rec: &Record,
    cache: &mut NameCache,
) -> Normalised {
    let mut n = Normalised::default();
    for (f, v) in schema.fields.iter().zip(&rec.values) {
        let Some(t) = text(Some(v)) else { continue };
        match f.kind {
            Kind::GivenName => {
                for (k, v) in cache.forms(t) {
                    n.given.push(k.clone());
                    n.given_v.push(v.clone());
                    n.canon.push(canonical(k, v).to_string());
                }
            }
            Kind::FamilyName => n.family.extend(cache.keys(t)),
            Kind::OtherName => n.other.extend(cache.keys(t)),
            Kind::FullName => {
                let mut forms = cache.forms(t).iter();
                if let Some((k, v)) = forms.next() {
                    n.given.push(k.clone());
                    n.given_v.push(v.clone());
                    n.canon.push(canonical(k, v).to_string());
                }
                n.family.extend(forms.map(|(k, _)| k.clone()));
            }
            _ => {}
        }
    }
    for s in sources {
        let feat = match s {
            Source::Parent(i) => match text(rec.values.get(*i)) {
                Some(t) => NFeat::Words(cache.keys(t).collect()),
                None => NFeat::Ready(Feat::Missing),
            },
            _ => NFeat::Ready(plain_feat(s, rec)),
        };
        n.feats.push(feat);
    }
    n
}

/// The feature of a source other than a parent's name (those need the interner).
fn plain_feat(s: &Source, rec: &Record) -> Feat {
    let get = |i: usize| rec.values.get(i);
    match s {
        Source::Parent(_) => Feat::Missing,
        Source::Birth { date, ages } => {
            let from_date = date.and_then(|d| date_feat(get(d)));
            let from_age = || {
                ages.iter().find_map(|&a| match get(a) {
                    Some(Value::Age { years, on }) => {
                        age_span(*years, on).map(|(lo, hi)| Feat::Span {
                            lo,
                            hi,
                            exact: None,
                        })
                    }
                    _ => None,
                })
            };
            from_date.or_else(from_age).unwrap_or(Feat::Missing)
        }
        Source::Date(i) => date_feat(get(*i)).unwrap_or(Feat::Missing),
        Source::Sex(i) => code(text(get(*i)).map(sex_code)),
        Source::Nationality(i) | Source::PlaceCode(i) | Source::Identifier(i) => {
            code(text(get(*i)).map(fold_code))
        }
        Source::Category(i) => code(text(get(*i)).map(fold_text)),
        Source::PlaceName(i) | Source::Text(i) => {
            match text(get(*i)).map(fold_text).filter(|t| !t.is_empty()) {
                Some(t) => Feat::Text(t.into()),
                None => Feat::Missing,
            }
        }
    }
}

/// Prepares many records at once (batch mode). Each distinct name text is normalised once,
/// in parallel, and interned once; the records are then put together in parallel from those.
/// Names repeat a great deal, and transliteration is the costliest step of preparing.
pub(crate) fn prepare_all(
    schema: &Schema,
    sources: &[Source],
    records: &[&Record],
    interner: &mut Interner,
) -> Vec<Prepared> {
    let named: Vec<(usize, bool)> = schema
        .fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| match f.kind {
            Kind::GivenName | Kind::FullName => Some((i, true)),
            Kind::FamilyName | Kind::OtherName | Kind::ParentName => Some((i, false)),
            _ => None,
        })
        .collect();
    let mut index: FxHashMap<&str, u32> = FxHashMap::default();
    let mut texts: Vec<(&str, bool)> = Vec::new();
    for r in records {
        for &(i, given) in &named {
            if let Some(t) = text(r.values.get(i)) {
                let at = *index.entry(t).or_insert_with(|| {
                    texts.push((t, false));
                    (texts.len() - 1) as u32
                });
                if given && let Some(x) = texts.get_mut(at as usize) {
                    x.1 = true;
                }
            }
        }
    }
    // Per distinct text: its keys, and (given names only) their vowel forms. In chunks, so
    // that the normalised strings of all texts are never held at once.
    let mut ids: Vec<(Ids, Ids, Ids)> = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(1 << 16) {
        let forms: Vec<Vec<(String, String)>> =
            chunk.par_iter().map(|(t, _)| name_forms(t)).collect();
        ids.extend(forms.iter().zip(chunk).map(|(f, (_, given))| {
            let keys = f.iter().map(|(k, _)| interner.intern(k)).collect();
            let (vowels, canon) = if *given {
                (
                    f.iter().map(|(_, v)| interner.intern(v)).collect(),
                    f.iter()
                        .map(|(k, v)| interner.intern(canonical(k, v)))
                        .collect(),
                )
            } else {
                (Ids::new(), Ids::new())
            };
            (keys, vowels, canon)
        }));
    }
    let empty = (Ids::new(), Ids::new(), Ids::new());
    let of = |v: Option<&Value>| -> &(Ids, Ids, Ids) {
        text(v)
            .and_then(|t| index.get(t))
            .and_then(|&x| ids.get(x as usize))
            .unwrap_or(&empty)
    };
    records
        .par_iter()
        .with_min_len(1024)
        .map(|rec| {
            let mut p = Prepared::default();
            for (f, v) in schema.fields.iter().zip(&rec.values) {
                let (keys, vowels, canon) = of(Some(v));
                match f.kind {
                    Kind::GivenName => {
                        p.given.extend_from_slice(keys);
                        p.given_v.extend_from_slice(vowels);
                        p.canon.extend_from_slice(canon);
                    }
                    Kind::FamilyName => p.family.extend_from_slice(keys),
                    Kind::OtherName => p.other.extend_from_slice(keys),
                    Kind::FullName => {
                        p.given.extend(keys.first().copied());
                        p.given_v.extend(vowels.first().copied());
                        p.canon.extend(canon.first().copied());
                        p.family.extend(keys.iter().skip(1).copied());
                    }
                    _ => {}
                }
            }
            for s in sources {
                p.feats.push(match s {
                    Source::Parent(i) => {
                        let (keys, _, _) = of(rec.values.get(*i));
                        if keys.is_empty() {
                            Feat::Missing
                        } else {
                            Feat::Tokens(keys.clone())
                        }
                    }
                    _ => plain_feat(s, rec),
                });
            }
            p
        })
        .collect()
}

fn code(s: Option<String>) -> Feat {
    match s.filter(|s| !s.is_empty()) {
        Some(s) => Feat::Code(Code::from_slice(s.as_bytes())),
        None => Feat::Missing,
    }
}

impl Normalised {
    pub(crate) fn intern(self, interner: &mut Interner) -> Prepared {
        let given_v = self.given_v.iter().map(|v| interner.intern(v)).collect();
        let mut ids = |v: Vec<String>| -> Ids { v.iter().map(|s| interner.intern(s)).collect() };
        let given = ids(self.given);
        let canon = ids(self.canon);
        let family = ids(self.family);
        let other = ids(self.other);
        let feats = self
            .feats
            .into_iter()
            .map(|f| match f {
                NFeat::Ready(f) => f,
                NFeat::Words(w) if w.is_empty() => Feat::Missing,
                NFeat::Words(w) => Feat::Tokens(w.iter().map(|s| interner.intern(s)).collect()),
            })
            .collect();
        Prepared {
            given,
            given_v,
            canon,
            family,
            other,
            feats,
        }
    }

    /// For queries: keys unknown to the interner get temporary ids and the interner stays as is.
    pub(crate) fn lookup(self, interner: &Interner, temp: &mut Vec<Box<str>>) -> Prepared {
        let ids = |v: &[String], temp: &mut Vec<Box<str>>| -> Ids {
            v.iter().map(|s| interner.lookup(s, temp)).collect()
        };
        let given = ids(&self.given, temp);
        let canon = ids(&self.canon, temp);
        let given_v = self
            .given_v
            .iter()
            .map(|v| interner.lookup(v, temp))
            .collect();
        let family = ids(&self.family, temp);
        let other = ids(&self.other, temp);
        let feats = self
            .feats
            .into_iter()
            .map(|f| match f {
                NFeat::Ready(f) => f,
                NFeat::Words(w) if w.is_empty() => Feat::Missing,
                NFeat::Words(w) => Feat::Tokens(ids(&w, temp)),
            })
            .collect();
        Prepared {
            given,
            given_v,
            canon,
            family,
            other,
            feats,
        }
    }
}
