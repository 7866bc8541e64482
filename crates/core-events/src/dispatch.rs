use std::{
    any::{Any, TypeId},
    fmt,
    future::Future,
    sync::Arc,
};

use async_trait::async_trait;
use core_domain::{Message, MessageInfo, Metadata, ValidationReport, validate_payload};
use futures::future::BoxFuture;

use crate::{BusError, PublishReport};

/// A message payload with its type erased, as middleware sees it.
pub(crate) trait ErasedPayload: Send + Sync + 'static {
    fn validate(&self) -> Result<(), ValidationReport>;
    fn to_json(&self) -> Result<serde_json::Value, serde_json::Error>;
    fn as_any(&self) -> &dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

impl<M: Message> ErasedPayload for M {
    fn validate(&self) -> Result<(), ValidationReport> {
        validate_payload(self)
    }
    fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// How the publisher of an event waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// A command: one handler, a reply, before the deadline.
    Request(tokio::time::Instant),
    /// An event, fire-and-forget.
    Publish,
    /// An event; wait for every subscriber, until the deadline.
    PublishAndWait(tokio::time::Instant),
}

/// One message on its way through the middleware pipeline.
pub struct Dispatch {
    info: MessageInfo,
    pub(crate) metadata: Metadata,
    pub(crate) payload: Box<dyn ErasedPayload>,
    pub(crate) delivery: Delivery,
    pub(crate) validated: bool,
    pub(crate) type_id: TypeId,
}

impl fmt::Debug for Dispatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatch").field("info", &self.info).field("metadata", &self.metadata).finish()
    }
}

impl Dispatch {
    pub(crate) fn new<M: Message>(
        info: MessageInfo,
        metadata: Metadata,
        payload: M,
        delivery: Delivery,
    ) -> Self {
        Self {
            info,
            metadata,
            payload: Box::new(payload),
            delivery,
            validated: false,
            type_id: TypeId::of::<M>(),
        }
    }

    /// The message's name, version and kind.
    pub fn info(&self) -> &MessageInfo {
        &self.info
    }

    /// The envelope metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The envelope metadata, to add headers or a `traceparent`.
    pub fn metadata_mut(&mut self) -> &mut Metadata {
        &mut self.metadata
    }

    /// The payload, if it is a `T`.
    pub fn payload<T: 'static>(&self) -> Option<&T> {
        self.payload.as_any().downcast_ref::<T>()
    }

    /// The payload as JSON (costs a serialisation: for auditing or
    /// forwarding, not on every message).
    ///
    /// # Errors
    /// When the payload's `Serialize` implementation fails.
    pub fn payload_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        self.payload.to_json()
    }

    /// Validates the payload (idempotent; the pipeline does it once).
    ///
    /// # Errors
    /// [`BusError::Validation`] with every violation.
    pub fn validate(&mut self) -> Result<(), BusError> {
        if self.validated {
            return Ok(());
        }
        self.payload
            .validate()
            .map_err(|report| BusError::Validation { message: self.info.name.into(), report })?;
        self.validated = true;
        Ok(())
    }
}

/// What came back through the pipeline.
#[derive(Debug)]
pub enum Outcome {
    /// A command's reply (type-erased; the bus downcasts it).
    Reply(Box<dyn Any + Send>),
    /// An event's delivery report.
    Published(PublishReport),
}

/// One stage of the bus pipeline, in the style of `axum::middleware::from_fn`:
/// do something, call `next.run(dispatch)`, look at the outcome.
///
/// Order of the pipeline (outermost first):
/// 1. tracing: a `bus.dispatch` span and a W3C `traceparent` if missing;
/// 2. audit: one [`AuditRecord`](crate::AuditRecord) per message, with its outcome
///    (rejections included), when an audit sink is set;
/// 3. auth guard: the [`AuthorizationPolicy`](crate::AuthorizationPolicy), when set;
/// 4. validation: the payload's `garde` rules, always;
/// 5. your middleware, in the order added (first added runs first);
/// 6. delivery: the command handler, or every event subscriber (receive side).
///
/// Write one with [`from_fn`] or by implementing this trait.
#[async_trait]
pub trait Middleware: Send + Sync + 'static {
    /// A short name for errors and traces.
    fn name(&self) -> &'static str;

    /// Handles `dispatch`, usually by calling `next.run(dispatch)`.
    async fn handle(&self, dispatch: Dispatch, next: Next) -> Result<Outcome, BusError>;
}

/// The rest of the pipeline after the current middleware.
#[derive(Clone)]
pub struct Next {
    pub(crate) chain: Arc<[Arc<dyn Middleware>]>,
    pub(crate) index: usize,
    pub(crate) terminal: Arc<dyn Terminal>,
}

impl fmt::Debug for Next {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next").field("remaining", &(self.chain.len() - self.index)).finish()
    }
}

impl Next {
    /// Runs the rest of the pipeline.
    ///
    /// # Errors
    /// Whatever a later stage or the handler fails with.
    pub async fn run(self, dispatch: Dispatch) -> Result<Outcome, BusError> {
        match self.chain.get(self.index).cloned() {
            Some(middleware) => {
                let next = Next { index: self.index + 1, ..self };
                middleware.handle(dispatch, next).await
            }
            None => self.terminal.deliver(dispatch).await,
        }
    }
}

/// The end of the pipeline: hands the message to its handler(s).
pub(crate) trait Terminal: Send + Sync + 'static {
    fn deliver(&self, dispatch: Dispatch) -> BoxFuture<'static, Result<Outcome, BusError>>;
}

/// A middleware from an async closure.
///
/// ```
/// use core_events::{from_fn, Dispatch, Next};
/// let stamp = from_fn("stamp", |mut dispatch: Dispatch, next: Next| async move {
///     dispatch.metadata_mut().headers.insert("x-stamped".into(), "yes".into());
///     next.run(dispatch).await
/// });
/// # let _ = stamp;
/// ```
pub fn from_fn<F, Fut>(name: &'static str, f: F) -> FromFn<F>
where
    F: Fn(Dispatch, Next) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Outcome, BusError>> + Send + 'static,
{
    FromFn { name, f }
}

/// A middleware made by [`from_fn`].
#[derive(Clone)]
pub struct FromFn<F> {
    name: &'static str,
    f: F,
}

impl<F> fmt::Debug for FromFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FromFn").field("name", &self.name).finish()
    }
}

#[async_trait]
impl<F, Fut> Middleware for FromFn<F>
where
    F: Fn(Dispatch, Next) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Outcome, BusError>> + Send + 'static,
{
    fn name(&self) -> &'static str {
        self.name
    }

    async fn handle(&self, dispatch: Dispatch, next: Next) -> Result<Outcome, BusError> {
        (self.f)(dispatch, next).await
    }
}
