use std::{
    any::{Any, TypeId},
    collections::HashMap,
    marker::PhantomData,
    panic::AssertUnwindSafe,
    sync::Arc,
};

use core_domain::{Command, DomainError, Event, Metadata, ModuleContext};
use futures::{FutureExt, future::BoxFuture};
use tokio::time::Instant;

use crate::{
    BusError, CommandHandler, EventHandler, PublishReport, SubscriberError, SubscriberOutcome,
    dispatch::{Delivery, Dispatch, Outcome, Terminal},
};

pub(crate) type AnyReply = Box<dyn Any + Send>;

pub(crate) trait ErasedCommand: Send + Sync + 'static {
    fn call(
        &self,
        payload: Box<dyn Any + Send>,
        metadata: Metadata,
    ) -> BoxFuture<'static, Result<AnyReply, BusError>>;
}

pub(crate) struct TypedCommand<C, H> {
    pub(crate) module: &'static str,
    pub(crate) handler: Arc<H>,
    pub(crate) _command: PhantomData<fn(C)>,
}

impl<C: Command, H: CommandHandler<C>> ErasedCommand for TypedCommand<C, H> {
    fn call(
        &self,
        payload: Box<dyn Any + Send>,
        metadata: Metadata,
    ) -> BoxFuture<'static, Result<AnyReply, BusError>> {
        let handler = self.handler.clone();
        let module = self.module;
        Box::pin(async move {
            let command = payload.downcast::<C>().map_err(|_| BusError::Middleware {
                middleware: "router",
                message: C::NAME,
                reason: "the payload was replaced by a value of another type".into(),
            })?;
            let ctx = ModuleContext::for_message(module, &metadata);
            handler
                .handle(*command, ctx)
                .await
                .map(|reply| Box::new(reply) as AnyReply)
                .map_err(|source| BusError::Handler { message: C::NAME, source })
        })
    }
}

pub(crate) trait ErasedEvent: Send + Sync + 'static {
    fn call(
        &self,
        payload: &dyn Any,
        metadata: &Metadata,
    ) -> Option<BoxFuture<'static, Result<(), DomainError>>>;
}

pub(crate) struct TypedEvent<E, H> {
    pub(crate) module: &'static str,
    pub(crate) handler: Arc<H>,
    pub(crate) _event: PhantomData<fn(E)>,
}

impl<E: Event, H: EventHandler<E>> ErasedEvent for TypedEvent<E, H> {
    fn call(
        &self,
        payload: &dyn Any,
        metadata: &Metadata,
    ) -> Option<BoxFuture<'static, Result<(), DomainError>>> {
        let event = payload.downcast_ref::<E>()?.clone();
        let ctx = ModuleContext::for_message(self.module, metadata);
        let handler = self.handler.clone();
        Some(Box::pin(async move { handler.handle(event, ctx).await }))
    }
}

pub(crate) struct CommandRoute {
    pub(crate) handler: Arc<dyn ErasedCommand>,
}

pub(crate) struct Subscription {
    pub(crate) module: &'static str,
    pub(crate) handler: Arc<dyn ErasedEvent>,
}

/// The end of the in-memory pipeline: finds the handler(s) by `TypeId`.
#[derive(Default)]
pub(crate) struct Router {
    pub(crate) commands: HashMap<TypeId, CommandRoute>,
    pub(crate) subscriptions: HashMap<TypeId, Vec<Subscription>>,
}

impl Terminal for Router {
    fn deliver(&self, mut dispatch: Dispatch) -> BoxFuture<'static, Result<Outcome, BusError>> {
        // Receive side: a payload that skipped the send-side check (a custom
        // pipeline, a transport) is validated before any handler sees it.
        if let Err(error) = dispatch.validate() {
            return Box::pin(async move { Err(error) });
        }
        let name = dispatch.info().name;
        match dispatch.delivery {
            Delivery::Request(deadline) => {
                let Some(route) = self.commands.get(&dispatch.type_id) else {
                    return Box::pin(async move { Err(BusError::NoHandler { message: name }) });
                };
                let timeout = deadline.saturating_duration_since(Instant::now());
                let call = route.handler.call(dispatch.payload.into_any(), dispatch.metadata);
                Box::pin(async move {
                    match tokio::time::timeout_at(deadline, AssertUnwindSafe(call).catch_unwind()).await {
                        Err(_) => Err(BusError::Timeout { message: name, after: timeout }),
                        Ok(Err(panic)) => Err(BusError::HandlerPanicked {
                            message: name,
                            panic: core_domain::panic_message(&*panic),
                        }),
                        Ok(Ok(reply)) => reply.map(Outcome::Reply),
                    }
                })
            }
            Delivery::Publish | Delivery::PublishAndWait(_) => {
                let subscriptions = self.subscriptions.get(&dispatch.type_id).map_or(&[][..], Vec::as_slice);
                let mut running = Vec::with_capacity(subscriptions.len());
                for subscription in subscriptions {
                    let Some(call) = subscription.handler.call(dispatch.payload.as_any(), &dispatch.metadata)
                    else {
                        continue;
                    };
                    let module = subscription.module;
                    let task = tokio::spawn(async move {
                        let result = match AssertUnwindSafe(call).catch_unwind().await {
                            Ok(Ok(())) => Ok(()),
                            Ok(Err(error)) => Err(SubscriberError::Failed(error)),
                            Err(panic) => Err(SubscriberError::Panicked(core_domain::panic_message(&*panic))),
                        };
                        if let Err(error) = &result {
                            tracing::warn!(event = name, subscriber = module, %error, "event subscriber failed");
                        }
                        result
                    });
                    running.push((module, task));
                }
                let subscribers = running.len();
                let Delivery::PublishAndWait(deadline) = dispatch.delivery else {
                    return Box::pin(async move { Ok(Outcome::Published(PublishReport::sent(subscribers))) });
                };
                Box::pin(async move {
                    let mut outcomes = Vec::with_capacity(running.len());
                    for (module, task) in running {
                        let abort = task.abort_handle();
                        let result = match tokio::time::timeout_at(deadline, task).await {
                            Ok(Ok(result)) => result,
                            Ok(Err(join)) => Err(SubscriberError::Panicked(join.to_string())),
                            Err(_) => {
                                abort.abort();
                                Err(SubscriberError::TimedOut)
                            }
                        };
                        outcomes.push(SubscriberOutcome { module, result });
                    }
                    Ok(Outcome::Published(PublishReport { subscribers, outcomes }))
                })
            }
        }
    }
}
