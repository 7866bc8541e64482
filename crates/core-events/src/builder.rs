use std::{any::TypeId, collections::HashMap, marker::PhantomData, sync::Arc, time::Duration};

use core_di::{BootProblem, BootReport, Extension};
use core_domain::{Command, Event, MessageKind};

use crate::{
    AuditLayer, AuditSink, AuthGuard, AuthorizationPolicy, CommandHandler, EventBus, EventHandler,
    Middleware, SchemaRegistry, TracingLayer, ValidationLayer,
    registry::Role,
    router::{CommandRoute, Router, Subscription, TypedCommand, TypedEvent},
};

/// Collects handlers, subscribers and middleware, then builds the [`EventBus`].
///
/// Add it to boot with `Boot::extension(BusBuilder::new())`; modules find it
/// in `wire` with `wiring.extension::<BusBuilder>()`. Problems (two handlers
/// for one command, two types with one message name) are reported in the
/// boot report, not at the first message.
pub struct BusBuilder {
    router: Router,
    registry: SchemaRegistry,
    owners: HashMap<TypeId, Vec<&'static str>>,
    problems: Vec<BootProblem>,
    policy: Option<AuthGuard>,
    audit: Option<AuditLayer>,
    layers: Vec<Arc<dyn Middleware>>,
    default_timeout: Duration,
    handle: EventBus,
}

impl std::fmt::Debug for BusBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BusBuilder")
            .field("commands", &self.router.commands.len())
            .field("events", &self.router.subscriptions.len())
            .field("layers", &self.layers.len())
            .finish_non_exhaustive()
    }
}

impl Default for BusBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl BusBuilder {
    /// An empty builder: no auth guard, no audit, a 30 s default deadline.
    pub fn new() -> Self {
        Self {
            router: Router::default(),
            registry: SchemaRegistry::default(),
            owners: HashMap::new(),
            problems: Vec::new(),
            policy: None,
            audit: None,
            layers: Vec::new(),
            default_timeout: Duration::from_secs(30),
            handle: EventBus::unstarted(),
        }
    }

    /// The bus this builder will start, usable before it is built: bind it
    /// in the container so modules and the saga coordinator can capture it
    /// while wiring. Sending through it before [`build`](Self::build) fails
    /// with [`BusError::NotStarted`](crate::BusError::NotStarted).
    pub fn handle(&self) -> EventBus {
        self.handle.clone()
    }

    /// Registers `module`'s handler for command `C`. A second handler for the
    /// same command is a boot problem.
    pub fn command<C: Command>(
        &mut self,
        module: &'static str,
        handler: impl CommandHandler<C>,
    ) -> &mut Self {
        let owners = self.owners.entry(TypeId::of::<C>()).or_default();
        owners.push(module);
        if owners.len() > 1 {
            let modules = owners.join("`, `");
            self.problems.push(BootProblem::Invalid {
                module: module.into(),
                message: format!(
                    "command `{}` has several handlers (modules `{modules}`): a command has exactly one",
                    C::NAME
                ),
            });
            return self;
        }
        self.register::<C>(MessageKind::Command, module, Role::Handler);
        let handler = TypedCommand::<C, _> { module, handler: Arc::new(handler), _command: PhantomData };
        self.router.commands.insert(TypeId::of::<C>(), CommandRoute { handler: Arc::new(handler) });
        self
    }

    /// Subscribes `module`'s handler to event `E` (any number per event).
    pub fn subscribe<E: Event>(&mut self, module: &'static str, handler: impl EventHandler<E>) -> &mut Self {
        self.register::<E>(MessageKind::Event, module, Role::Handler);
        let handler = TypedEvent::<E, _> { module, handler: Arc::new(handler), _event: PhantomData };
        self.router
            .subscriptions
            .entry(TypeId::of::<E>())
            .or_default()
            .push(Subscription { module, handler: Arc::new(handler) });
        self
    }

    /// Declares that `module` publishes event `E` (its owner in the registry).
    pub fn publishes<E: Event>(&mut self, module: &'static str) -> &mut Self {
        self.register::<E>(MessageKind::Event, module, Role::Publisher);
        self
    }

    /// Enforces `policy` before any handler runs (pipeline stage 3).
    pub fn authorization(&mut self, policy: impl AuthorizationPolicy) -> &mut Self {
        self.policy = Some(AuthGuard::new(policy));
        self
    }

    /// Records one audit entry per message into `sink` (pipeline stage 2).
    pub fn audit(&mut self, sink: Arc<dyn AuditSink>) -> &mut Self {
        self.audit = Some(AuditLayer::new(sink));
        self
    }

    /// Adds a middleware after the built-in ones (pipeline stage 5); the
    /// first added runs first.
    pub fn layer(&mut self, middleware: impl Middleware) -> &mut Self {
        self.layers.push(Arc::new(middleware));
        self
    }

    /// The deadline of [`EventBus::send`] and [`EventBus::publish_and_wait`]
    /// when none is given.
    pub fn default_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.default_timeout = timeout;
        self
    }

    /// Builds the bus.
    ///
    /// # Errors
    /// A [`BootReport`] with every problem found while registering (the
    /// same ones boot reports when the builder is a boot extension).
    pub fn build(mut self) -> Result<EventBus, BootReport> {
        if !self.problems.is_empty() {
            return Err(self.problems.into_iter().collect());
        }
        let mut chain: Vec<Arc<dyn Middleware>> = vec![Arc::new(TracingLayer)];
        if let Some(audit) = self.audit.take() {
            chain.push(Arc::new(audit));
        }
        if let Some(guard) = self.policy.take() {
            chain.push(Arc::new(guard));
        }
        chain.push(Arc::new(ValidationLayer));
        chain.extend(self.layers);
        // A fresh builder's handle is never started before: `build` takes `self`.
        self.handle.start(chain.into(), Arc::new(self.router), self.registry, self.default_timeout);
        Ok(self.handle)
    }

    fn register<M: core_domain::Message>(&mut self, kind: MessageKind, module: &'static str, role: Role) {
        if let Err(message) = self.registry.register::<M>(kind, module, role) {
            self.problems.push(BootProblem::Invalid { module: module.into(), message });
        }
    }
}

impl Extension for BusBuilder {
    fn problems(&mut self) -> Vec<BootProblem> {
        std::mem::take(&mut self.problems)
    }
}
