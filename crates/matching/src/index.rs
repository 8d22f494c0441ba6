//! Incremental mode: an in-memory index that records are added to, updated in and removed
//! from one at a time, answering "the k most likely matches for this record" in milliseconds.
//! The store keeps it current from its job table; the index itself keeps nothing on disk.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::block::{Rule, query_rules};
use crate::consistency::{Graph, MAX_NEIGHBOURS, Shift};
use crate::model::{FieldWeight, Params, Scorer, Tf, probability};
use crate::prepare::{Interner, Normalised, Prepared, Source, Strs, normalise, sources};
use crate::schema::{Record, Schema};
use crate::{MatchError, check_shape};

/// Posting lists longer than this are not scanned by a query (see [`crate::MAX_BLOCK`]).
const MAX_POSTING: usize = 600;
/// At most this many records are scored for one query.
const MAX_CANDIDATES: usize = 1000;

/// A candidate for a query record.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: String,
    pub probability: f64,
    pub explanation: Vec<FieldWeight>,
}

struct Slot {
    id: String,
    rec: Prepared,
    keys: Vec<u64>,
}

pub struct Index {
    params: Params,
    scorer: Scorer,
    schema: Schema,
    sources: Vec<Source>,
    rules: Vec<Rule>,
    interner: Interner,
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    ids: FxHashMap<String, u32>,
    postings: FxHashMap<u64, Vec<u32>>,
    tf: Tf,
}

impl Index {
    pub fn new(params: Params) -> Result<Self, MatchError> {
        let scorer = Scorer::new(&params)?;
        let schema = params.schema.clone();
        let rules = query_rules(&scorer.comps);
        let tf = Tf::new(scorer.comps.len());
        Ok(Self {
            sources: sources(&schema),
            schema,
            rules,
            scorer,
            params,
            interner: Interner::default(),
            slots: Vec::new(),
            free: Vec::new(),
            ids: FxHashMap::default(),
            postings: FxHashMap::default(),
            tf,
        })
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains_key(id)
    }

    /// Adds a record, or replaces the one with the same id.
    pub fn upsert(&mut self, record: &Record) -> Result<(), MatchError> {
        check_shape(&self.schema, record)?;
        let n = normalise(&self.schema, &self.sources, record);
        self.insert_normalised(record.id.clone(), n);
        Ok(())
    }

    /// Adds many records at once, normalising them in parallel.
    pub fn extend(&mut self, records: &[Record]) -> Result<(), MatchError> {
        for r in records {
            check_shape(&self.schema, r)?;
        }
        let normalised: Vec<Normalised> = records
            .par_iter()
            .map(|r| normalise(&self.schema, &self.sources, r))
            .collect();
        for (r, n) in records.iter().zip(normalised) {
            self.insert_normalised(r.id.clone(), n);
        }
        Ok(())
    }

    fn insert_normalised(&mut self, id: String, n: Normalised) {
        self.remove(&id);
        let rec = n.intern(&mut self.interner);
        let keys: Vec<u64> = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| r.key(i, &rec))
            .collect();
        self.tf.count(&self.scorer.comps, &rec, true);
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        for &k in keys.iter().filter(|&&k| k != 0) {
            self.postings.entry(k).or_default().push(slot);
        }
        if let Some(s) = self.slots.get_mut(slot as usize) {
            *s = Some(Slot {
                id: id.clone(),
                rec,
                keys,
            });
        }
        self.ids.insert(id, slot);
    }

    /// Removes a record; false when the index did not hold it.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(slot) = self.ids.remove(id) else {
            return false;
        };
        if let Some(old) = self.slots.get_mut(slot as usize).and_then(Option::take) {
            self.tf.count(&self.scorer.comps, &old.rec, false);
            for k in old.keys.iter().filter(|&&k| k != 0) {
                if let Some(list) = self.postings.get_mut(k) {
                    if let Some(pos) = list.iter().position(|&s| s == slot) {
                        list.swap_remove(pos);
                    }
                    if list.is_empty() {
                        self.postings.remove(k);
                    }
                }
            }
        }
        self.free.push(slot);
        true
    }

    /// The `k` most probable matches for `record` among the indexed records, most probable
    /// first, each with its explanation. The record itself (same id) is never its own candidate;
    /// the record need not be in the index.
    pub fn top_k(&self, record: &Record, k: usize) -> Result<Vec<Candidate>, MatchError> {
        check_shape(&self.schema, record)?;
        let mut temp = Vec::new();
        let q = normalise(&self.schema, &self.sources, record).lookup(&self.interner, &mut temp);
        let strs = Strs {
            base: &self.interner,
            temp: &temp,
        };
        let own = self.ids.get(&record.id).copied();
        // The most specific posting lists first, and no more than MAX_CANDIDATES records in
        // all: a query must stay fast on a large index however common its names are.
        let mut lists: Vec<&Vec<u32>> = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| r.key(i, &q))
            .filter(|&key| key != 0)
            .filter_map(|key| self.postings.get(&key))
            .filter(|list| list.len() <= MAX_POSTING)
            .collect();
        lists.sort_by_key(|l| l.len());
        let mut cands: Vec<u32> = Vec::new();
        for list in lists {
            if cands.len() + list.len() > MAX_CANDIDATES && !cands.is_empty() {
                break;
            }
            cands.extend_from_slice(list);
        }
        cands.sort_unstable();
        cands.dedup();
        let others = self.len().saturating_sub(usize::from(own.is_some()));
        let prior = self.scorer.prior_bits(others as f64);
        let mut scored: Vec<(f64, u32)> = cands
            .into_iter()
            .filter(|&s| Some(s) != own)
            .filter_map(|s| {
                let slot = self.slots.get(s as usize)?.as_ref()?;
                Some((self.scorer.bits(&q, &slot.rec, strs, &self.tf) + prior, s))
            })
            .collect();
        let by_score = |a: &(f64, u32), b: &(f64, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        // The best few are weighed against each other (see `consistency`): of two siblings,
        // the one the query fits less gives way to the other, unless the two are one child.
        let keep = k.max(MAX_NEIGHBOURS);
        if scored.len() > keep {
            scored.select_nth_unstable_by(keep - 1, by_score);
            scored.truncate(keep);
        }
        let query = u32::MAX;
        let pairs: Vec<(u32, u32, f64)> = scored.iter().map(|&(b, s)| (query, s, b)).collect();
        let rec = |s: u32| Some(&self.slots.get(s as usize)?.as_ref()?.rec);
        let shifts = Graph::new(&pairs).shifts(
            &pairs,
            |x, y| match (rec(x), rec(y)) {
                (Some(a), Some(b)) => self.scorer.bits(a, b, strs, &self.tf) + prior,
                _ => f64::NEG_INFINITY,
            },
            |_| true,
        );
        let mut scored: Vec<(f64, u32, Option<Shift>)> = scored
            .into_iter()
            .zip(shifts)
            .map(|((bits, s), shift)| (bits + shift.map_or(0.0, |x| x.bits), s, shift))
            .collect();
        scored.sort_by(|a, b| by_score(&(a.0, a.1), &(b.0, b.1)));
        scored.truncate(k);
        Ok(scored
            .into_iter()
            .filter_map(|(bits, s, shift)| {
                let slot = self.slots.get(s as usize)?.as_ref()?;
                let mut explanation = self.scorer.explain(&q, &slot.rec, strs, &self.tf);
                if let Some(line) = shift.and_then(|x| {
                    let by = self.slots.get(x.by as usize)?.as_ref()?;
                    x.explain(&by.id)
                }) {
                    explanation.push(line);
                }
                Some(Candidate {
                    id: slot.id.clone(),
                    probability: probability(bits),
                    explanation,
                })
            })
            .collect())
    }
}
