//! # core-saga: the saga coordinator
//!
//! A saga is a named, ordered list of steps; each step has an action
//! (usually a command sent to a participant module) and an optional
//! compensating action, a retry policy and a deadline. Build one with the
//! fluent [`SagaDefinition::builder`], register it with a
//! [`SagaCoordinator`], and [`Saga::start`] instances.
//!
//! The coordinator saves the [`SagaInstance`] through the [`SagaStore`] port
//! before and after every step. When a step fails for good, the completed
//! steps are compensated in reverse order, each retried; a compensation that
//! keeps failing leaves the saga `Failed` for an operator.
//!
//! ```
//! use std::sync::Arc;
//! use core_domain::{ModuleContext, Principal};
//! use core_events::BusBuilder;
//! use core_saga::{InMemorySagaStore, SagaCoordinator, SagaDefinition, SagaState, StepError};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let bus = BusBuilder::new().build().unwrap();
//! let coordinator = SagaCoordinator::new(Arc::new(InMemorySagaStore::new()), bus);
//! let saga = coordinator
//!     .register(
//!         SagaDefinition::<Vec<String>>::builder("trip")
//!             .step("book_flight", |_ctx, mut log| async move { log.push("flight".into()); Ok(log) })
//!             .compensate(|_ctx, _log| async move { Ok(()) })
//!             .step("book_hotel", |_ctx, _log| async move { Err(StepError::permanent("no rooms")) })
//!             .build()
//!             .unwrap(),
//!     )
//!     .unwrap();
//!
//! let ctx = ModuleContext::new("travel", Principal::service("travel"));
//! let outcome = saga.start(&ctx, Vec::new()).await.unwrap();
//! assert_eq!(outcome.state, SagaState::Compensated);
//! assert_eq!(outcome.compensated, ["book_flight"]);
//! assert_eq!(outcome.error.as_deref(), Some("book_hotel: no rooms"));
//! # });
//! ```

mod coordinator;
mod definition;
mod error;
mod instance;
mod retry;
mod store;

#[cfg(feature = "test-utils")]
pub mod conformance;

pub use coordinator::{
    IDEMPOTENCY_KEY_HEADER, SAGA_ID_HEADER, Saga, SagaCoordinator, SagaOutcome, StepContext,
};
pub use definition::{SagaBuilder, SagaData, SagaDefinition, StepBuilder};
pub use error::{SagaError, StepError, StoreError};
pub use instance::{SagaId, SagaInstance, SagaState, StepEvent, StepRecord};
pub use retry::RetryPolicy;
pub use store::{InMemorySagaStore, SagaStore};
