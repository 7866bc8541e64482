use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, RwLock},
    time::Duration,
};

use core_domain::{Command, ModuleContext, Principal};
use core_events::EventBus;
use futures::{FutureExt, future::BoxFuture};
use std::panic::AssertUnwindSafe;

use crate::{
    RetryPolicy, SagaDefinition, SagaError, SagaId, SagaInstance, SagaState, SagaStore, StepError,
    definition::{SagaData, Step},
    instance::StepEvent,
};

/// Header carrying a step's idempotency key on every command it sends.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
/// Header carrying the saga id on every command a step sends.
pub const SAGA_ID_HEADER: &str = "saga-id";

const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// What a step's action or compensation receives.
#[derive(Debug, Clone)]
pub struct StepContext {
    saga_id: SagaId,
    saga: &'static str,
    step: &'static str,
    attempt: u32,
    compensating: bool,
    timeout: Duration,
    module: ModuleContext,
    bus: EventBus,
}

impl StepContext {
    fn new<D>(
        instance: &SagaInstance,
        saga: &'static str,
        step: &Step<D>,
        compensating: bool,
        module: &ModuleContext,
        bus: &EventBus,
    ) -> Self {
        Self {
            saga_id: instance.id,
            saga,
            step: step.name,
            attempt: 1,
            compensating,
            timeout: step.timeout.unwrap_or(DEFAULT_SEND_TIMEOUT),
            module: module.clone(),
            bus: bus.clone(),
        }
    }

    fn attempt_number(&self, attempt: u32) -> Self {
        Self { attempt, ..self.clone() }
    }

    /// The running saga's id.
    pub fn saga_id(&self) -> SagaId {
        self.saga_id
    }

    /// The saga's name.
    pub fn saga(&self) -> &'static str {
        self.saga
    }

    /// The step's name.
    pub fn step(&self) -> &'static str {
        self.step
    }

    /// The attempt number, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Whether this is the compensation rather than the action.
    pub fn is_compensating(&self) -> bool {
        self.compensating
    }

    /// A key that is the same for every attempt of this step's action (or
    /// compensation), also after a crash and recovery: participants dedupe
    /// on it so that a retried step applies its effect once.
    pub fn idempotency_key(&self) -> String {
        let phase = if self.compensating { "compensate" } else { "action" };
        format!("{}:{}:{phase}", self.saga_id, self.step)
    }

    /// The saga's module context (the owner module, as a service principal,
    /// in the conversation that started the saga).
    pub fn module(&self) -> &ModuleContext {
        &self.module
    }

    /// The bus, for anything [`send`](Self::send) does not cover.
    pub fn bus(&self) -> &EventBus {
        &self.bus
    }

    /// Sends a command to a participant module, with the idempotency key and
    /// saga id as headers, within the step's deadline (or 30 s).
    ///
    /// # Errors
    /// A [`StepError`]: permanent for refusals and invalid payloads, transient
    /// for timeouts and unavailability.
    pub async fn send<C: Command>(&self, command: C) -> Result<C::Reply, StepError> {
        let metadata = self
            .module
            .child_metadata()
            .with_header(IDEMPOTENCY_KEY_HEADER, self.idempotency_key())
            .with_header(SAGA_ID_HEADER, self.saga_id.to_string());
        Ok(self.bus.send_with(metadata, command, self.timeout).await?)
    }
}

/// How a saga run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct SagaOutcome<D> {
    /// The instance's id.
    pub id: SagaId,
    /// `Completed`, `Compensated` or `Failed`.
    pub state: SagaState,
    /// The data after the last completed step.
    pub data: D,
    /// Why the saga compensated or failed (`<step>: <reason>`).
    pub error: Option<String>,
    /// Steps undone, in the order they were compensated.
    pub compensated: Vec<String>,
}

/// Runs sagas step by step, saving the instance before and after every
/// step, compensating in reverse order on failure, and resuming unfinished
/// instances after a crash ([`recover`](Self::recover)).
///
/// Cheap to clone.
#[derive(Clone)]
pub struct SagaCoordinator {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn SagaStore>,
    bus: EventBus,
    sagas: RwLock<HashMap<&'static str, Arc<dyn ErasedSaga>>>,
}

impl std::fmt::Debug for SagaCoordinator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sagas: Vec<_> = self.inner.sagas.read().map(|s| s.keys().copied().collect()).unwrap_or_default();
        f.debug_struct("SagaCoordinator").field("sagas", &sagas).finish_non_exhaustive()
    }
}

/// A registered saga: start instances of it.
pub struct Saga<D> {
    definition: Arc<SagaDefinition<D>>,
    coordinator: SagaCoordinator,
}

impl<D> Clone for Saga<D> {
    fn clone(&self) -> Self {
        Self { definition: self.definition.clone(), coordinator: self.coordinator.clone() }
    }
}

impl<D> std::fmt::Debug for Saga<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Saga").field("definition", &self.definition).finish()
    }
}

impl<D: SagaData> Saga<D> {
    /// Starts a new instance with `data` and runs it to its end: completed,
    /// compensated, or failed.
    ///
    /// # Errors
    /// [`SagaError::Store`] when the store fails (the instance stays where it
    /// was last saved; recovery resumes it); [`SagaError::Data`] when the
    /// data cannot be serialised. A failing step is not an error: it is an
    /// outcome (`Compensated` or `Failed`).
    ///
    /// # Cancel safety
    /// Dropping the future stops the saga between two saves: the instance
    /// is left `Running` or `Compensating` and [`SagaCoordinator::recover`]
    /// resumes it, re-running the interrupted step with the same
    /// idempotency key.
    pub async fn start(&self, ctx: &ModuleContext, data: D) -> Result<SagaOutcome<D>, SagaError> {
        let name = self.definition.name;
        let json =
            serde_json::to_value(&data).map_err(|source| SagaError::Data { saga: name.into(), source })?;
        let instance = SagaInstance::new(name, json, ctx.correlation_id());
        self.coordinator.inner.store.create(&instance).await?;
        tracing::debug!(saga = name, id = %instance.id, "saga started");
        let ctx = ctx.as_module(self.definition.owner, Principal::service(self.definition.owner));
        drive(&self.definition, &self.coordinator.inner, ctx, instance).await
    }

    /// The definition.
    pub fn definition(&self) -> &SagaDefinition<D> {
        &self.definition
    }
}

trait ErasedSaga: Send + Sync {
    fn resume(
        &self,
        inner: Arc<Inner>,
        instance: SagaInstance,
    ) -> BoxFuture<'static, Result<SagaState, SagaError>>;
}

impl<D: SagaData> ErasedSaga for Arc<SagaDefinition<D>> {
    fn resume(
        &self,
        inner: Arc<Inner>,
        instance: SagaInstance,
    ) -> BoxFuture<'static, Result<SagaState, SagaError>> {
        let definition = self.clone();
        Box::pin(async move {
            let ctx = ModuleContext::new(definition.owner, Principal::service(definition.owner))
                .with_correlation_id(instance.correlation_id);
            drive(&definition, &inner, ctx, instance).await.map(|o| o.state)
        })
    }
}

impl SagaCoordinator {
    /// A coordinator saving into `store` and sending through `bus`.
    pub fn new(store: Arc<dyn SagaStore>, bus: EventBus) -> Self {
        Self { inner: Arc::new(Inner { store, bus, sagas: RwLock::new(HashMap::new()) }) }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn SagaStore> {
        &self.inner.store
    }

    /// Registers a definition (needed to start it and to recover its
    /// instances) and returns the handle that starts instances.
    ///
    /// # Errors
    /// [`SagaError::AlreadyRegistered`] when the name is taken.
    pub fn register<D: SagaData>(&self, definition: SagaDefinition<D>) -> Result<Saga<D>, SagaError> {
        let definition = Arc::new(definition);
        let mut sagas = self.inner.sagas.write().map_err(|_| {
            SagaError::Store(crate::StoreError::Backend("saga registry lock poisoned".into()))
        })?;
        if sagas.contains_key(definition.name) {
            return Err(SagaError::AlreadyRegistered(definition.name));
        }
        sagas.insert(definition.name, Arc::new(definition.clone()));
        Ok(Saga { definition, coordinator: self.clone() })
    }

    /// The recovery scan: resumes every unfinished instance in the store,
    /// oldest first, and returns how each ended.
    ///
    /// # Errors
    /// [`SagaError::Store`] when the scan itself fails. An instance whose
    /// saga is not registered, or that fails to resume, is reported in the
    /// returned list and left as it is.
    pub async fn recover(&self) -> Result<Vec<(SagaId, Result<SagaState, SagaError>)>, SagaError> {
        let unfinished = self.inner.store.list_unfinished().await?;
        let mut results = Vec::with_capacity(unfinished.len());
        for instance in unfinished {
            let id = instance.id;
            let saga = self.inner.sagas.read().ok().and_then(|s| s.get(instance.saga.as_str()).cloned());
            let result = match saga {
                Some(saga) => saga.resume(self.inner.clone(), instance).await,
                None => Err(SagaError::UnknownSaga(instance.saga.clone())),
            };
            results.push((id, result));
        }
        Ok(results)
    }
}

/// Runs `instance` from where it stands to a terminal state.
async fn drive<D: SagaData>(
    definition: &SagaDefinition<D>,
    inner: &Inner,
    module: ModuleContext,
    mut instance: SagaInstance,
) -> Result<SagaOutcome<D>, SagaError> {
    let saga = definition.name;
    let data_error = |source| SagaError::Data { saga: saga.into(), source };
    let mut data: D = serde_json::from_value(instance.data.clone()).map_err(data_error)?;
    let store = &inner.store;
    loop {
        match instance.state {
            SagaState::Running => {
                let index = instance.current_step;
                let Some(step) = definition.steps.get(index) else {
                    instance.state = SagaState::Completed;
                    store.save(&mut instance).await?;
                    break;
                };
                instance.record(index, step.name, StepEvent::Started, 0);
                store.save(&mut instance).await?;
                let context = StepContext::new(&instance, saga, step, false, &module, &inner.bus);
                let (result, attempts) = attempt(step.retry, step.timeout, |n| {
                    (step.action)(context.attempt_number(n), data.clone())
                })
                .await;
                match result {
                    Ok(next) => {
                        instance.data = serde_json::to_value(&next).map_err(data_error)?;
                        data = next;
                        instance.record(index, step.name, StepEvent::Done, attempts);
                        instance.current_step = index + 1;
                    }
                    Err(error) => {
                        tracing::info!(saga, id = %instance.id, step = step.name, %error, "saga step failed; compensating");
                        instance.record(
                            index,
                            step.name,
                            StepEvent::Failed { error: error.to_string() },
                            attempts,
                        );
                        instance.error = Some(format!("{}: {error}", step.name));
                        instance.state = SagaState::Compensating;
                    }
                }
                store.save(&mut instance).await?;
            }
            SagaState::Compensating => {
                let Some(index) = instance.current_step.checked_sub(1) else {
                    instance.state = SagaState::Compensated;
                    store.save(&mut instance).await?;
                    break;
                };
                let step = definition.steps.get(index).ok_or_else(|| crate::StoreError::Corrupt {
                    id: instance.id.to_string(),
                    reason: format!("step {index} does not exist in saga `{saga}`"),
                })?;
                let Some(compensation) = &step.compensation else {
                    instance.current_step = index;
                    continue;
                };
                instance.record(index, step.name, StepEvent::Compensating, 0);
                store.save(&mut instance).await?;
                let context = StepContext::new(&instance, saga, step, true, &module, &inner.bus);
                let (result, attempts) = attempt(step.compensation_retry, step.timeout, |n| {
                    compensation(context.attempt_number(n), data.clone())
                })
                .await;
                match result {
                    Ok(()) => {
                        instance.record(index, step.name, StepEvent::Compensated, attempts);
                        instance.current_step = index;
                    }
                    Err(error) => {
                        tracing::error!(saga, id = %instance.id, step = step.name, %error, "compensation failed; saga needs an operator");
                        instance.record(
                            index,
                            step.name,
                            StepEvent::CompensationFailed { error: error.to_string() },
                            attempts,
                        );
                        let cause = instance.error.take().unwrap_or_default();
                        instance.error =
                            Some(format!("{cause}; compensation of {} failed: {error}", step.name));
                        instance.state = SagaState::Failed;
                    }
                }
                store.save(&mut instance).await?;
            }
            SagaState::Completed | SagaState::Compensated | SagaState::Failed => break,
        }
    }
    Ok(SagaOutcome {
        id: instance.id,
        state: instance.state,
        compensated: instance.compensated_steps().into_iter().map(str::to_owned).collect(),
        error: instance.error,
        data,
    })
}

/// Runs `run(attempt)` until it succeeds, fails permanently, or the policy
/// is exhausted; each attempt bounded by `timeout`.
async fn attempt<T, F, Fut>(
    policy: RetryPolicy,
    timeout: Option<Duration>,
    run: F,
) -> (Result<T, StepError>, u32)
where
    F: Fn(u32) -> Fut,
    Fut: Future<Output = Result<T, StepError>>,
{
    let mut number = 1;
    loop {
        // A panicking step is a bug: a permanent failure, never an unwinding coordinator.
        let guarded = AssertUnwindSafe(run(number)).catch_unwind();
        let result = match timeout {
            Some(limit) => tokio::time::timeout(limit, guarded)
                .await
                .unwrap_or_else(|_| Ok(Err(StepError::transient(format!("timed out after {limit:?}"))))),
            None => guarded.await,
        }
        .unwrap_or_else(|panic| {
            Err(StepError::permanent(format!("step panicked: {}", core_domain::panic_message(&*panic))))
        });
        match result {
            Err(error) if error.is_transient() && number < policy.max_attempts => {
                tokio::time::sleep(policy.delay_before(number + 1)).await;
                number += 1;
            }
            other => return (other, number),
        }
    }
}
