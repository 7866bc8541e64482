use core_events::BusError;

use crate::SagaId;

/// Why a saga step's action or compensation failed.
///
/// The retry intent is in the type: a [`Permanent`](Self::Permanent) failure
/// is not retried (the saga compensates at once); a
/// [`Transient`](Self::Transient) one is retried by the step's
/// [`RetryPolicy`](crate::RetryPolicy).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StepError {
    /// A business refusal or a bug: retrying would fail again.
    #[error("{0}")]
    Permanent(String),
    /// A temporary failure: retrying may succeed.
    #[error("{0}")]
    Transient(String),
}

impl StepError {
    /// A permanent failure.
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self::Permanent(reason.into())
    }

    /// A transient failure.
    pub fn transient(reason: impl Into<String>) -> Self {
        Self::Transient(reason.into())
    }

    /// Whether the step's retry policy applies.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

/// A command sent by a step failed: business refusals and validation are
/// permanent (reported by their domain reason), timeouts and unavailability
/// are transient.
impl From<BusError> for StepError {
    fn from(error: BusError) -> Self {
        let reason = match &error {
            BusError::Handler { source, .. } => source.to_string(),
            other => other.to_string(),
        };
        if error.is_transient() { Self::Transient(reason) } else { Self::Permanent(reason) }
    }
}

/// Why the saga store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No saga with this id.
    #[error("saga {0} not found")]
    NotFound(SagaId),
    /// A saga with this id already exists.
    #[error("saga {0} already exists")]
    Duplicate(SagaId),
    /// Another writer saved this saga first (optimistic concurrency).
    ///
    /// ### Handling
    /// Reload the instance; another coordinator owns it now.
    #[error("saga {id} was modified concurrently: expected version {expected}, found {found}")]
    Conflict {
        /// The saga.
        id: SagaId,
        /// The version this writer loaded.
        expected: u64,
        /// The version in the store.
        found: u64,
    },
    /// A stored row could not be decoded.
    #[error("saga {id} is stored in a form this version cannot read: {reason}")]
    Corrupt {
        /// The saga.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// The storage backend failed (connection, disk…).
    #[error("saga store backend failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Why the coordinator could not run a saga.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SagaError {
    /// The definition is unusable (no steps, duplicate step names).
    #[error("invalid saga definition `{saga}`: {reason}")]
    InvalidDefinition {
        /// The saga's name.
        saga: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A saga with this name is already registered.
    #[error("a saga named `{0}` is already registered with this coordinator")]
    AlreadyRegistered(&'static str),
    /// A stored instance names a saga that is not registered (recovery).
    #[error("no saga named `{0}` is registered: register its definition before recovering")]
    UnknownSaga(String),
    /// The saga's data could not be (de)serialised.
    #[error("saga data of `{saga}` could not be (de)serialised: {source}")]
    Data {
        /// The saga's name.
        saga: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// The store failed; the saga stays where it was last saved and the
    /// recovery scan resumes it.
    #[error(transparent)]
    Store(#[from] StoreError),
}
