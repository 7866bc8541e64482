use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use core_domain::{Command, DomainError, Event, Metadata, ModuleContext};
use serde::Serialize;
use tokio::time::Instant;

use crate::{
    BusError, Middleware, SchemaRegistry,
    dispatch::{Delivery, Dispatch, Next, Outcome, Terminal},
    router::Router,
};

/// The in-process event bus: `send` a command to its one handler, `publish`
/// an event to every subscriber, through the middleware pipeline.
///
/// Cheap to clone; build it with [`BusBuilder`](crate::BusBuilder).
///
/// ```
/// use core_domain::{Command, Message, ModuleContext, Principal};
/// use core_events::BusBuilder;
///
/// #[derive(Debug, serde::Serialize, serde::Deserialize, garde::Validate, schemars::JsonSchema)]
/// struct Add { #[garde(skip)] a: i32, #[garde(range(min = 0))] b: i32 }
/// impl Message for Add { const NAME: &'static str = "math.add"; }
/// impl Command for Add { type Reply = i32; }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mut builder = BusBuilder::new();
/// builder.command("math", |cmd: Add, _ctx: ModuleContext| async move { Ok(cmd.a + cmd.b) });
/// let bus = builder.build().unwrap();
///
/// let ctx = ModuleContext::new("caller", Principal::service("caller"));
/// assert_eq!(bus.send(&ctx, Add { a: 2, b: 3 }).await.unwrap(), 5);
///
/// let error = bus.send(&ctx, Add { a: 2, b: -1 }).await.unwrap_err();
/// assert_eq!(error.validation_report().unwrap().violations()[0].path, "b");
/// # });
/// ```
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<OnceLock<Inner>>,
}

struct Inner {
    chain: Arc<[Arc<dyn Middleware>]>,
    terminal: Arc<dyn Terminal>,
    registry: SchemaRegistry,
    default_timeout: Duration,
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let middleware = self.inner.get().map(|i| i.chain.iter().map(|m| m.name()).collect::<Vec<_>>());
        f.debug_struct("EventBus").field("middleware", &middleware).finish_non_exhaustive()
    }
}

/// How one subscriber handled an event.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriberOutcome {
    /// The subscriber's module.
    pub module: &'static str,
    /// What happened.
    #[serde(serialize_with = "serialize_result")]
    pub result: Result<(), SubscriberError>,
}

fn serialize_result<S: serde::Serializer>(r: &Result<(), SubscriberError>, s: S) -> Result<S::Ok, S::Error> {
    match r {
        Ok(()) => s.serialize_str("ok"),
        Err(e) => s.serialize_str(&e.to_string()),
    }
}

/// Why a subscriber did not handle an event.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum SubscriberError {
    /// The subscriber returned an error.
    #[error("failed: {0}")]
    Failed(#[source] DomainError),
    /// The subscriber panicked (the others were not affected).
    #[error("panicked: {0}")]
    Panicked(String),
    /// The deadline passed; the subscriber's task was cancelled.
    #[error("timed out")]
    TimedOut,
}

/// What publishing an event did.
#[derive(Debug, Clone, Serialize)]
pub struct PublishReport {
    /// How many subscribers received the event.
    pub subscribers: usize,
    /// Each subscriber's outcome (empty for fire-and-forget `publish`).
    pub outcomes: Vec<SubscriberOutcome>,
}

impl PublishReport {
    pub(crate) fn sent(subscribers: usize) -> Self {
        Self { subscribers, outcomes: Vec::new() }
    }

    /// Whether every subscriber handled the event.
    pub fn all_ok(&self) -> bool {
        self.outcomes.iter().all(|o| o.result.is_ok())
    }
}

impl EventBus {
    /// A handle that works once its builder is built.
    pub(crate) fn unstarted() -> Self {
        Self { inner: Arc::new(OnceLock::new()) }
    }

    /// Starts the bus behind this handle; false when it was already started.
    pub(crate) fn start(
        &self,
        chain: Arc<[Arc<dyn Middleware>]>,
        router: Arc<Router>,
        registry: SchemaRegistry,
        default_timeout: Duration,
    ) -> bool {
        self.inner.set(Inner { chain, terminal: router, registry, default_timeout }).is_ok()
    }

    fn inner(&self) -> Result<&Inner, BusError> {
        self.inner.get().ok_or(BusError::NotStarted)
    }

    /// Every message type the bus knows (empty until the bus is built).
    pub fn registry(&self) -> &SchemaRegistry {
        static EMPTY: OnceLock<SchemaRegistry> = OnceLock::new();
        self.inner.get().map_or_else(|| EMPTY.get_or_init(SchemaRegistry::default), |i| &i.registry)
    }

    /// Whether the builder behind this handle was built.
    pub fn is_started(&self) -> bool {
        self.inner.get().is_some()
    }

    /// Sends a command from `ctx` to its one handler and returns the typed
    /// reply, within the default deadline.
    ///
    /// # Errors
    /// Every [`BusError`]: invalid payload, refused by the auth guard, no
    /// handler, the handler's own error, timeout, panic.
    ///
    /// # Cancel safety
    /// The handler runs inside this future: dropping it cancels the handler
    /// at its current await point, and nothing is left running.
    pub async fn send<C: Command>(&self, ctx: &ModuleContext, command: C) -> Result<C::Reply, BusError> {
        self.send_with(ctx.child_metadata(), command, self.inner()?.default_timeout).await
    }

    /// [`send`](Self::send) with an explicit deadline: on timeout, the
    /// handler is cancelled and [`BusError::Timeout`] returned.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    ///
    /// # Cancel safety
    /// As [`send`](Self::send).
    pub async fn request<C: Command>(
        &self,
        ctx: &ModuleContext,
        command: C,
        timeout: Duration,
    ) -> Result<C::Reply, BusError> {
        self.send_with(ctx.child_metadata(), command, timeout).await
    }

    /// Sends with explicit metadata (a transport, a test, a saga setting an
    /// idempotency key header).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    ///
    /// # Cancel safety
    /// As [`send`](Self::send).
    pub async fn send_with<C: Command>(
        &self,
        metadata: Metadata,
        command: C,
        timeout: Duration,
    ) -> Result<C::Reply, BusError> {
        let deadline = Instant::now() + timeout;
        let dispatch = Dispatch::new(C::info(), metadata, command, Delivery::Request(deadline));
        match self.run(dispatch).await? {
            Outcome::Reply(reply) => {
                reply.downcast::<C::Reply>().map(|r| *r).map_err(|_| BusError::Middleware {
                    middleware: "pipeline",
                    message: C::NAME,
                    reason: "a middleware replaced the reply with a value of another type".into(),
                })
            }
            Outcome::Published(_) => Err(BusError::Middleware {
                middleware: "pipeline",
                message: C::NAME,
                reason: "a middleware answered a command with an event outcome".into(),
            }),
        }
    }

    /// Publishes an event to every subscriber, fire-and-forget: returns once
    /// the event is validated and handed to each subscriber's own task. A
    /// failing or slow subscriber affects neither the others nor the caller.
    ///
    /// # Errors
    /// Invalid payload or refused by the auth guard (nothing delivered).
    ///
    /// # Cancel safety
    /// Once subscribers are spawned they run to completion even if this
    /// future is dropped.
    pub async fn publish<E: Event>(&self, ctx: &ModuleContext, event: E) -> Result<PublishReport, BusError> {
        self.publish_with(ctx.child_metadata(), event, None).await
    }

    /// Publishes an event and waits until every subscriber handled it or the
    /// deadline passed; returns each subscriber's outcome. Subscribers still
    /// running at the deadline are cancelled and reported as timed out.
    ///
    /// # Errors
    /// Invalid payload or refused by the auth guard (nothing delivered).
    /// Subscriber failures are in the report, not errors.
    ///
    /// # Cancel safety
    /// Dropping the future leaves spawned subscribers running to completion.
    pub async fn publish_and_wait<E: Event>(
        &self,
        ctx: &ModuleContext,
        event: E,
        timeout: Duration,
    ) -> Result<PublishReport, BusError> {
        self.publish_with(ctx.child_metadata(), event, Some(timeout)).await
    }

    /// Publishes with explicit metadata; waits for subscribers when `wait` is
    /// a deadline.
    ///
    /// # Errors
    /// As [`publish`](Self::publish).
    ///
    /// # Cancel safety
    /// As [`publish`](Self::publish).
    pub async fn publish_with<E: Event>(
        &self,
        metadata: Metadata,
        event: E,
        wait: Option<Duration>,
    ) -> Result<PublishReport, BusError> {
        let delivery = wait.map_or(Delivery::Publish, |t| Delivery::PublishAndWait(Instant::now() + t));
        match self.run(Dispatch::new(E::info(), metadata, event, delivery)).await? {
            Outcome::Published(report) => Ok(report),
            Outcome::Reply(_) => Err(BusError::Middleware {
                middleware: "pipeline",
                message: E::NAME,
                reason: "a middleware answered an event with a command reply".into(),
            }),
        }
    }

    async fn run(&self, dispatch: Dispatch) -> Result<Outcome, BusError> {
        let inner = self.inner()?;
        Next { chain: inner.chain.clone(), index: 0, terminal: inner.terminal.clone() }.run(dispatch).await
    }
}
