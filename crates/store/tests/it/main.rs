//! The store test suite: every test is written once against `dyn Store` and runs on SQLite and
//! on PostgreSQL (when `HAVEN_TEST_POSTGRES_URL` is set; see scripts/with-postgres.sh).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod access;
mod accounts;
mod audit_chain;
mod backup;
mod cases;
mod casework;
mod matches;
mod reports;
mod tracing;
