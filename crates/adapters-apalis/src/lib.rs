//! # adapters-apalis: background tasks on apalis 1.x
//!
//! [`SqliteTaskQueue`] implements the `core-tasks` ports
//! ([`TaskQueue`], [`TaskMonitor`]) on `apalis-sqlite`, and runs a worker
//! that hands every stored [`TaskEnvelope`] to the application's
//! [`TaskRegistry`], with the submitter's `ModuleContext` restored.
//!
//! Give the queue its own SQLite file: `apalis-sqlite` turns
//! `PRAGMA synchronous=OFF` on the pool it is given, which must never be
//! the pool holding saga state.
//!
//! | feature  | backend                         |
//! |----------|---------------------------------|
//! | `sqlite` | `apalis-sqlite` (default)       |

#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteTaskQueue, WorkerHandle, WorkerOptions};

pub use core_tasks::{TaskEnvelope, TaskMonitor, TaskQueue, TaskRegistry};

/// Why the apalis adapter failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApalisError {
    /// The task database could not be opened or migrated.
    #[error("could not open the task database `{path}`: {source}")]
    Open {
        /// The database file.
        path: String,
        /// The driver error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
