use std::fmt;

use chrono::{DateTime, Utc};
use core_domain::CorrelationId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The id of one saga instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SagaId(pub Uuid);

impl SagaId {
    /// A fresh, time-ordered id.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for SagaId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for SagaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a saga instance is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaState {
    /// Running its steps forward.
    Running,
    /// A step failed for good; undoing completed steps in reverse order.
    Compensating,
    /// Every step succeeded.
    Completed,
    /// A step failed and every completed step was compensated.
    Compensated,
    /// A compensation kept failing: an operator must look at it.
    Failed,
}

impl SagaState {
    /// Whether the saga will not move any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Compensated | Self::Failed)
    }

    /// The state's stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Compensating => "compensating",
            Self::Completed => "completed",
            Self::Compensated => "compensated",
            Self::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Running, Self::Compensating, Self::Completed, Self::Compensated, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

impl fmt::Display for SagaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to a step, as recorded in the step log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum StepEvent {
    /// The action is about to run (saved before it runs).
    Started,
    /// The action succeeded.
    Done,
    /// The action failed for good.
    Failed {
        /// Why.
        error: String,
    },
    /// The compensation is about to run.
    Compensating,
    /// The compensation succeeded (or the step has none).
    Compensated,
    /// The compensation failed for good: the saga is `Failed`.
    CompensationFailed {
        /// Why.
        error: String,
    },
}

/// One entry of a saga's step log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The step's position, from 0.
    pub step: usize,
    /// The step's name.
    pub name: String,
    /// What happened.
    #[serde(flatten)]
    pub event: StepEvent,
    /// Attempts made (for `Done`, `Failed`, `Compensated`, `CompensationFailed`).
    pub attempts: u32,
    /// When.
    pub at: DateTime<Utc>,
}

/// One saga run as the store keeps it: enough to resume it after a crash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SagaInstance {
    /// Its id.
    pub id: SagaId,
    /// The saga definition's name.
    pub saga: String,
    /// Where it is.
    pub state: SagaState,
    /// Running: the next step to run. Compensating: the number of steps
    /// still to compensate (the next one is `current_step - 1`).
    pub current_step: usize,
    /// The saga data (JSON of the definition's data type).
    pub data: serde_json::Value,
    /// Every step transition, oldest first.
    pub log: Vec<StepRecord>,
    /// Optimistic-concurrency version: 0 when created, +1 at every save.
    pub version: u64,
    /// Why the saga compensated or failed.
    pub error: Option<String>,
    /// The conversation that started it.
    pub correlation_id: CorrelationId,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it was last saved.
    pub updated_at: DateTime<Utc>,
}

impl SagaInstance {
    /// A new instance at step 0.
    pub fn new(saga: impl Into<String>, data: serde_json::Value, correlation_id: CorrelationId) -> Self {
        let now = Utc::now();
        Self {
            id: SagaId::new(),
            saga: saga.into(),
            state: SagaState::Running,
            current_step: 0,
            data,
            log: Vec::new(),
            version: 0,
            error: None,
            correlation_id,
            created_at: now,
            updated_at: now,
        }
    }

    /// Names of the steps compensated, in the order they were undone.
    pub fn compensated_steps(&self) -> Vec<&str> {
        self.log.iter().filter(|r| r.event == StepEvent::Compensated).map(|r| r.name.as_str()).collect()
    }

    pub(crate) fn record(&mut self, step: usize, name: &str, event: StepEvent, attempts: u32) {
        self.log.push(StepRecord { step, name: name.to_owned(), event, attempts, at: Utc::now() });
    }
}
