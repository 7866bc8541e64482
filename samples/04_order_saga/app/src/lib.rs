//! # order-saga: the reference multi-module application
//!
//! Five modules (`orders`, `inventory`, `payments`, `shipping`,
//! `notifications`), each its own crate with its own tables, talking only
//! through the bus. [`run`] boots them on the chosen [`AppProfile`], loads
//! stock, places every order of an input file, waits for the invoice
//! background tasks, and checks that stock, payments and invoices add up.

mod composition;
mod runner;

pub use composition::{App, AppProfile, authorization_policy, tasks_path};
pub use runner::{Input, Ledger, OrderReport, Outcome, RunOptions, RunReport, Summary, run};

/// Why the sample could not run (business failures are outcomes, not errors).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The input file could not be read or is not the expected JSON.
    #[error("cannot read input `{path}`: {reason}")]
    Input {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A database could not be opened or migrated.
    #[error(transparent)]
    Sql(#[from] adapters_sql::SqlError),
    /// The task queue could not be opened.
    #[error(transparent)]
    Tasks(#[from] adapters_apalis::ApalisError),
    /// Boot found problems.
    #[error(transparent)]
    Boot(#[from] core_di::BootReport),
    /// The bus refused an engine-level message (loading stock, reading ledgers).
    #[error("engine message failed: {0}")]
    Bus(#[from] core_events::BusError),
    /// The recovery scan could not read the saga store.
    #[error("saga recovery failed: {0}")]
    Recovery(String),
    /// A file could not be written or removed.
    #[error("{action} `{path}`: {source}")]
    Io {
        /// What was attempted.
        action: &'static str,
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}
