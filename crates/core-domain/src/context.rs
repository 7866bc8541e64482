use std::sync::Arc;

use crate::{CorrelationId, MessageId, Metadata, Principal};

/// Which module is running, for whom, and in which conversation.
///
/// Handlers, saga steps and background tasks receive one. Messages sent from
/// a context carry its correlation id and name the current message as their
/// cause, so the whole chain can be followed in the audit trail.
///
/// Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleContext {
    inner: Arc<Inner>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    module: String,
    principal: Principal,
    correlation_id: CorrelationId,
    message_id: Option<MessageId>,
    traceparent: Option<String>,
}

impl ModuleContext {
    /// A context that starts a new conversation.
    pub fn new(module: impl Into<String>, principal: Principal) -> Self {
        Self {
            inner: Arc::new(Inner {
                module: module.into(),
                principal,
                correlation_id: CorrelationId::new(),
                message_id: None,
                traceparent: None,
            }),
        }
    }

    /// The context of `module` while it handles the message described by `metadata`.
    pub fn for_message(module: impl Into<String>, metadata: &Metadata) -> Self {
        Self {
            inner: Arc::new(Inner {
                module: module.into(),
                principal: metadata.principal.clone(),
                correlation_id: metadata.correlation_id,
                message_id: Some(metadata.message_id),
                traceparent: metadata.traceparent.clone(),
            }),
        }
    }

    /// The same conversation, continued by another module acting as itself
    /// (e.g. a saga sending commands as the `orders` service).
    pub fn as_module(&self, module: impl Into<String>, principal: Principal) -> Self {
        Self {
            inner: Arc::new(Inner {
                module: module.into(),
                principal,
                correlation_id: self.inner.correlation_id,
                message_id: self.inner.message_id,
                traceparent: self.inner.traceparent.clone(),
            }),
        }
    }

    /// The same context in the conversation `correlation_id` (resuming work
    /// stored with it, such as a saga after a restart).
    pub fn with_correlation_id(mut self, correlation_id: CorrelationId) -> Self {
        Arc::make_mut(&mut self.inner).correlation_id = correlation_id;
        self
    }

    /// The running module's name.
    pub fn module(&self) -> &str {
        &self.inner.module
    }

    /// On whose behalf the module runs.
    pub fn principal(&self) -> &Principal {
        &self.inner.principal
    }

    /// The conversation's correlation id.
    pub fn correlation_id(&self) -> CorrelationId {
        self.inner.correlation_id
    }

    /// The message being handled, if any.
    pub fn message_id(&self) -> Option<MessageId> {
        self.inner.message_id
    }

    /// Metadata for a new message sent from this context: same correlation
    /// id and principal, caused by the current message, from this module.
    pub fn child_metadata(&self) -> Metadata {
        let mut metadata = Metadata::new(self.inner.module.clone(), self.inner.principal.clone());
        metadata.correlation_id = self.inner.correlation_id;
        metadata.causation_id = self.inner.message_id;
        metadata.traceparent = self.inner.traceparent.clone();
        metadata
    }
}
