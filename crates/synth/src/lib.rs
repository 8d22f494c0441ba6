//! Synthetic caseloads for demos, tests and benchmarks: children's cases and the tracing requests
//! of relatives looking for children, some of them children in the caseload.
//!
//! **Every person here is invented.** Names are common given and family names drawn at random from
//! small per-origin lists and combined by chance; dates, places, phone numbers and agencies are
//! made up. Any resemblance to a real child or family is coincidence. Phone numbers use the
//! unassigned `+000` prefix, and P-codes use a `9x` first level that no real gazetteer assigns.
//!
//! Generation is deterministic: the same seed and arguments give the same caseload, so a demo,
//! a test or a benchmark can be reproduced exactly. Nothing here does I/O or reads a clock.

mod caseload;
mod family;
mod linkage;
mod names;
mod origins;
mod places;
mod requests;
mod util;

pub use caseload::{AgencySeed, CaseSeed, Caseload, caseload};
pub use linkage::{
    FIELDS_TOML, HEADER as LINKAGE_HEADER, LinkageData, Setting as LinkageSetting, linkage,
};
pub use requests::TracingRequestSeed;

#[cfg(test)]
mod tests;
