//! The built-in middleware, in pipeline order (see [`Middleware`](crate::Middleware)).

mod audit;
mod auth;
mod tracing;
mod validation;

pub use audit::{AuditLayer, AuditOutcome, AuditRecord, AuditSink, InMemoryAuditLog};
pub use auth::{AuthGuard, AuthorizationPolicy, RolePolicy};
pub use tracing::TracingLayer;
pub use validation::ValidationLayer;
