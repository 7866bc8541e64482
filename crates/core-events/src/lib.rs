//! # core-events: the event bus
//!
//! - [`EventBus::send`]: a [`Command`](core_domain::Command) to exactly one
//!   handler, with a typed reply and a deadline ([`EventBus::request`]).
//! - [`EventBus::publish`]: an [`Event`](core_domain::Event) to every
//!   subscriber, fire-and-forget, each in its own task;
//!   [`EventBus::publish_and_wait`] waits for every subscriber's outcome.
//! - Every payload is validated with its `garde` rules on send and on
//!   receive; a [`BusError::Validation`] carries every violation's path.
//! - [`SchemaRegistry`]: every registered message with its JSON Schema;
//!   raw JSON can be validated against a registered type.
//! - A middleware pipeline in a fixed, documented order (see [`Middleware`]):
//!   tracing → audit → auth guard → validation → your layers → handler.
//!
//! Handlers are async closures receiving the message and the
//! [`ModuleContext`](core_domain::ModuleContext); capture their dependencies.
//! See [`EventBus`] for an example.

mod builder;
mod bus;
mod dispatch;
mod error;
mod handler;
pub mod middleware;
mod registry;
mod router;

pub use builder::BusBuilder;
pub use bus::{EventBus, PublishReport, SubscriberError, SubscriberOutcome};
pub use dispatch::{Dispatch, FromFn, Middleware, Next, Outcome, from_fn};
pub use error::{BusError, ErrorKind};
pub use handler::{CommandHandler, EventHandler};
pub use middleware::{
    AuditLayer, AuditOutcome, AuditRecord, AuditSink, AuthGuard, AuthorizationPolicy, InMemoryAuditLog,
    RolePolicy, TracingLayer, ValidationLayer,
};
pub use registry::{MessageSchema, SchemaRegistry};
