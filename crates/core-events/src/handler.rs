use std::future::Future;

use async_trait::async_trait;
use core_domain::{Command, DomainError, Event, ModuleContext};

/// Handles one command type and returns its reply.
///
/// Any `async` closure or fn `(C, ModuleContext) -> Result<C::Reply, DomainError>`
/// is a handler; capture injected dependencies in the closure.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a handler for command `{C}`",
    note = "a command handler is an async fn or closure `(command: {C}, ctx: ModuleContext) -> Result<<{C} as Command>::Reply, DomainError>`"
)]
#[async_trait]
pub trait CommandHandler<C: Command>: Send + Sync + 'static {
    /// Handles the command.
    async fn handle(&self, command: C, ctx: ModuleContext) -> Result<C::Reply, DomainError>;
}

#[async_trait]
impl<C, F, Fut> CommandHandler<C> for F
where
    C: Command,
    F: Fn(C, ModuleContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<C::Reply, DomainError>> + Send,
{
    async fn handle(&self, command: C, ctx: ModuleContext) -> Result<C::Reply, DomainError> {
        self(command, ctx).await
    }
}

/// Handles one event type (one subscriber).
///
/// Any `async` closure or fn `(E, ModuleContext) -> Result<(), DomainError>`
/// is a subscriber.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a subscriber of event `{E}`",
    note = "a subscriber is an async fn or closure `(event: {E}, ctx: ModuleContext) -> Result<(), DomainError>`"
)]
#[async_trait]
pub trait EventHandler<E: Event>: Send + Sync + 'static {
    /// Handles the event.
    async fn handle(&self, event: E, ctx: ModuleContext) -> Result<(), DomainError>;
}

#[async_trait]
impl<E, F, Fut> EventHandler<E> for F
where
    E: Event,
    F: Fn(E, ModuleContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), DomainError>> + Send,
{
    async fn handle(&self, event: E, ctx: ModuleContext) -> Result<(), DomainError> {
        self(event, ctx).await
    }
}
