//! Record linkage for family tracing and duplicate registrations: normalise → block → compare →
//! score → explain. Pure: no I/O, no clock, no threads of its own beyond rayon's pool.
//!
//! - [`normalise`]: names in any script to consonant skeletons; text and codes folded.
//! - [`Schema`], [`Record`], [`Value`]: what the caller hands in.
//! - [`Linkage`]: batch mode (dedupe one set, link two): prepare, block, [`Linkage::train`]
//!   (EM), [`Linkage::score`].
//! - [`Index`]: incremental mode: add, update, remove, top-k with explanations.
//! - [`Params`]: the trained model, saved and loaded as JSON.

mod batch;
mod block;
mod compare;
mod consistency;
mod index;
mod model;
mod nickname;
pub mod normalise;
mod prepare;
mod schema;

pub use batch::{Linkage, MAX_BLOCK, Match};
pub use consistency::OTHER_RECORDS;
pub use index::{Candidate, Index};
pub use model::{ComparisonParams, FieldWeight, LevelParams, Params};
pub use schema::{FieldSpec, Kind, Record, Schema, Value, Ymd, valid as valid_date};

/// What went wrong; nothing here is about the data's content, which never fails a run.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MatchError {
    #[error("record {id}: {got} values for {expected} fields")]
    Shape {
        id: String,
        expected: usize,
        got: usize,
    },
    #[error("the fields make {0} comparisons; at most 16 are supported")]
    TooManyComparisons(usize),
    #[error("no field can be compared: name at least one")]
    NoComparisons,
    #[error("bad parameters: {0}")]
    BadParams(String),
}

/// Progress of a long run, for a progress bar. Called from several threads.
pub trait Progress: Sync {
    fn stage(&self, _name: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
}

/// No progress reporting.
pub struct Silent;
impl Progress for Silent {}

pub(crate) fn check_shape(schema: &Schema, r: &Record) -> Result<(), MatchError> {
    if r.values.len() == schema.fields.len() {
        Ok(())
    } else {
        Err(MatchError::Shape {
            id: r.id.clone(),
            expected: schema.fields.len(),
            got: r.values.len(),
        })
    }
}

pub(crate) fn check_comparisons(comps: &[compare::Comparison]) -> Result<(), MatchError> {
    if comps.is_empty() {
        Err(MatchError::NoComparisons)
    } else if comps.len() > model::MAX_COMPARISONS {
        Err(MatchError::TooManyComparisons(comps.len()))
    } else {
        Ok(())
    }
}

/// The label of each comparison a schema makes, in order (the columns of an explanation).
pub fn comparison_labels(schema: &Schema) -> Vec<String> {
    compare::comparisons(schema)
        .into_iter()
        .map(|c| c.label)
        .collect()
}

/// Explanation as one line: `given: exact +6.2; dob: different -7.9; other records: R17 fits
/// better -8.8`.
pub fn explain_line(weights: &[FieldWeight]) -> String {
    weights
        .iter()
        .map(|w| match &w.record {
            Some(r) => format!("{}: {r} {} {:+.1}", w.field, w.level, w.weight),
            None => format!("{}: {} {:+.1}", w.field, w.level, w.weight),
        })
        .collect::<Vec<_>>()
        .join("; ")
}
