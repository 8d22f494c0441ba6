//! Haven's reporting engine for the six commitments: an indicator catalogue, disaggregation,
//! small-cell suppression, and writers for CSV, HXL, XLSX and JSON.
//!
//! Architecture invariant: pure. No SQL, no HTTP, no clock, no files: the store hands in plain
//! [`facts::Facts`], the caller passes the dates, and writers write to any `impl Write`. Every
//! number that leaves this crate has gone through [`suppress`].

pub mod catalogue;
pub mod chart;
pub mod dims;
pub mod engine;
pub mod error;
pub mod facts;
pub mod output;
pub mod query;
pub mod suppress;
pub mod synth;
pub mod table;
pub mod tracker;

pub use catalogue::{Area, CATALOGUE, IndicatorDef, indicator};
pub use dims::{Dimension, Granularity};
pub use engine::{Request, Settings, compute};
pub use error::ReportError;
pub use facts::{CaseFacts, Facts, IncidentFacts};
pub use output::Format;
pub use table::{Report, Row, Table, Value};
