use std::{collections::BTreeMap, fmt};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Principal;

/// The unique id of one message (UUID v7: time-ordered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub Uuid);

impl MessageId {
    /// A fresh id.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for MessageId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The id shared by every message of one business conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CorrelationId(pub Uuid);

impl CorrelationId {
    /// A fresh correlation id, starting a new conversation.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for CorrelationId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What travels with every message: the envelope around the payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// This message's unique id (the inbox dedupes on it).
    pub message_id: MessageId,
    /// The conversation this message belongs to.
    pub correlation_id: CorrelationId,
    /// The message that caused this one, if any.
    pub causation_id: Option<MessageId>,
    /// When the message was created.
    pub timestamp: DateTime<Utc>,
    /// The module that sent or published it.
    pub source_module: String,
    /// On whose behalf it was sent.
    pub principal: Principal,
    /// W3C trace context (`traceparent` header), if tracing is on.
    pub traceparent: Option<String>,
    /// Free headers (idempotency keys, tenant…). Never secrets.
    pub headers: BTreeMap<String, String>,
}

impl Metadata {
    /// Metadata for a message that starts a new conversation.
    pub fn new(source_module: impl Into<String>, principal: Principal) -> Self {
        Self {
            message_id: MessageId::new(),
            correlation_id: CorrelationId::new(),
            causation_id: None,
            timestamp: Utc::now(),
            source_module: source_module.into(),
            principal,
            traceparent: None,
            headers: BTreeMap::new(),
        }
    }

    /// Adds or replaces a header.
    pub fn with_header(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(key.into(), value.into());
        self
    }

    /// A header's value.
    pub fn header(&self, key: &str) -> Option<&str> {
        self.headers.get(key).map(String::as_str)
    }
}
