use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Instant,
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use core_domain::{CorrelationId, MessageId, MessageKind};
use serde::Serialize;

use crate::{BusError, Dispatch, Middleware, Next, Outcome};

/// How a message ended, as the audit trail records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AuditOutcome {
    /// Handled (command) or handed to every subscriber (event).
    Ok,
    /// Stopped or failed; `kind` is the [`ErrorKind`](crate::ErrorKind) in snake case.
    Failed {
        /// The error kind, e.g. `validation`, `unauthorized`.
        kind: String,
        /// The error message.
        error: String,
    },
}

/// One entry of the audit trail. Holds no payload, so no secret leaks into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// The message's id.
    pub message_id: MessageId,
    /// Its conversation.
    pub correlation_id: CorrelationId,
    /// The message that caused it.
    pub causation_id: Option<MessageId>,
    /// Its name.
    pub message: &'static str,
    /// Its version.
    pub version: u32,
    /// Command or event.
    pub kind: MessageKind,
    /// The module that sent it.
    pub source_module: String,
    /// The principal's id.
    pub principal: String,
    /// When the bus received it.
    pub at: DateTime<Utc>,
    /// How long the pipeline took, in microseconds.
    pub elapsed_us: u64,
    /// How it ended.
    pub outcome: AuditOutcome,
}

/// Where audit records go (an in-memory ring, a SQL table…).
///
/// `record` is called on the message's path: make it cheap and non-blocking.
pub trait AuditSink: Send + Sync + 'static {
    /// Stores one record.
    fn record(&self, record: AuditRecord);
}

/// An in-memory audit trail keeping the latest `capacity` records.
#[derive(Debug, Clone)]
pub struct InMemoryAuditLog {
    records: Arc<Mutex<VecDeque<AuditRecord>>>,
    capacity: usize,
}

impl Default for InMemoryAuditLog {
    fn default() -> Self {
        Self::with_capacity(10_000)
    }
}

impl InMemoryAuditLog {
    /// A log keeping at most `capacity` records (oldest dropped first).
    pub fn with_capacity(capacity: usize) -> Self {
        Self { records: Arc::new(Mutex::new(VecDeque::new())), capacity: capacity.max(1) }
    }

    /// A copy of the records, oldest first.
    pub fn records(&self) -> Vec<AuditRecord> {
        self.records.lock().map(|r| r.iter().cloned().collect()).unwrap_or_default()
    }
}

impl AuditSink for InMemoryAuditLog {
    fn record(&self, record: AuditRecord) {
        if let Ok(mut records) = self.records.lock() {
            if records.len() == self.capacity {
                records.pop_front();
            }
            records.push_back(record);
        }
    }
}

/// Stage 2: one [`AuditRecord`] per message, with its outcome.
#[derive(Clone)]
pub struct AuditLayer {
    sink: Arc<dyn AuditSink>,
}

impl std::fmt::Debug for AuditLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLayer").finish_non_exhaustive()
    }
}

impl AuditLayer {
    /// Audits into `sink`.
    pub fn new(sink: Arc<dyn AuditSink>) -> Self {
        Self { sink }
    }
}

#[async_trait]
impl Middleware for AuditLayer {
    fn name(&self) -> &'static str {
        "audit"
    }

    async fn handle(&self, dispatch: Dispatch, next: Next) -> Result<Outcome, BusError> {
        let started = Instant::now();
        let metadata = dispatch.metadata();
        let info = *dispatch.info();
        let mut record = AuditRecord {
            message_id: metadata.message_id,
            correlation_id: metadata.correlation_id,
            causation_id: metadata.causation_id,
            message: info.name,
            version: info.version,
            kind: info.kind,
            source_module: metadata.source_module.clone(),
            principal: metadata.principal.id.clone(),
            at: Utc::now(),
            elapsed_us: 0,
            outcome: AuditOutcome::Ok,
        };
        let result = next.run(dispatch).await;
        record.elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        if let Err(error) = &result {
            record.outcome = AuditOutcome::Failed {
                kind: format!("{:?}", error.kind()).to_lowercase(),
                error: error.to_string(),
            };
        }
        self.sink.record(record);
        result
    }
}
