//! Haven's domain: the records a child protection service keeps, the code lists they use, how they
//! are validated, and who may see or change them.
//!
//! Architecture invariant: nothing here does I/O. No database, no network, no clock: time comes in
//! through [`clock::Clock`], so every rule can be tested with a fixed date.

pub mod access;
pub mod audit;
pub mod case;
pub mod casework;
pub mod clock;
pub mod codelist;
pub mod consent;
pub mod country;
pub mod dates;
pub mod history;
pub mod ids;
pub mod passwords;
pub mod policy;
pub mod potential_match;
pub mod problems;
pub mod sensitivity;
pub mod throttle;
pub mod tracing_request;
pub mod user;

pub use problems::{FieldError, Problems};
