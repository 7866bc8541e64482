use std::{collections::HashSet, fmt, future::Future, marker::PhantomData, sync::Arc, time::Duration};

use futures::future::BoxFuture;
use serde::{Serialize, de::DeserializeOwned};

use crate::{RetryPolicy, SagaError, StepContext, StepError};

/// What saga data must be: it is stored as JSON between steps.
pub trait SagaData: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {}
impl<T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static> SagaData for T {}

pub(crate) type ActionFn<D> =
    Arc<dyn Fn(StepContext, D) -> BoxFuture<'static, Result<D, StepError>> + Send + Sync>;
pub(crate) type CompensationFn<D> =
    Arc<dyn Fn(StepContext, D) -> BoxFuture<'static, Result<(), StepError>> + Send + Sync>;

pub(crate) struct Step<D> {
    pub(crate) name: &'static str,
    pub(crate) action: ActionFn<D>,
    pub(crate) compensation: Option<CompensationFn<D>>,
    pub(crate) retry: RetryPolicy,
    pub(crate) compensation_retry: RetryPolicy,
    pub(crate) timeout: Option<Duration>,
}

/// A named, ordered list of steps, each with an action and an optional
/// compensation. Build one with [`SagaDefinition::builder`].
///
/// ```
/// use std::time::Duration;
/// use core_saga::{RetryPolicy, SagaDefinition, StepError};
///
/// let saga = SagaDefinition::<u32>::builder("demo")
///     .owner("orders")
///     .step("double", |_ctx, n| async move { Ok(n * 2) })
///         .compensate(|_ctx, _n| async move { Ok(()) })
///         .retry(RetryPolicy::exponential(3, Duration::from_millis(10)))
///         .timeout(Duration::from_secs(5))
///     .step("check", |_ctx, n| async move {
///         if n > 100 { Err(StepError::permanent("too big")) } else { Ok(n) }
///     })
///     .build()
///     .unwrap();
/// assert_eq!(saga.step_names(), ["double", "check"]);
/// ```
pub struct SagaDefinition<D> {
    pub(crate) name: &'static str,
    pub(crate) owner: &'static str,
    pub(crate) steps: Vec<Step<D>>,
}

impl<D> fmt::Debug for SagaDefinition<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SagaDefinition")
            .field("name", &self.name)
            .field("owner", &self.owner)
            .field("steps", &self.step_names())
            .finish()
    }
}

impl<D: SagaData> SagaDefinition<D> {
    /// Starts a definition named `name` (stable: stored instances refer to it).
    pub fn builder(name: &'static str) -> SagaBuilder<D> {
        SagaBuilder { name, owner: "sagas", steps: Vec::new(), _data: PhantomData }
    }
}

impl<D> SagaDefinition<D> {
    /// The saga's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The module the saga acts as when it sends commands.
    pub fn owner(&self) -> &'static str {
        self.owner
    }

    /// The steps' names, in order.
    pub fn step_names(&self) -> Vec<&'static str> {
        self.steps.iter().map(|s| s.name).collect()
    }
}

/// Builds a [`SagaDefinition`]; see there for an example.
pub struct SagaBuilder<D> {
    name: &'static str,
    owner: &'static str,
    steps: Vec<Step<D>>,
    _data: PhantomData<fn(D)>,
}

impl<D> fmt::Debug for SagaBuilder<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SagaBuilder").field("name", &self.name).field("steps", &self.steps.len()).finish()
    }
}

impl<D: SagaData> SagaBuilder<D> {
    /// The module the saga acts as (its principal is that module's service
    /// principal). Defaults to `sagas`.
    pub fn owner(mut self, module: &'static str) -> Self {
        self.owner = module;
        self
    }

    /// Adds a step whose action receives the saga data and returns it,
    /// possibly changed (e.g. with a reservation id for the compensation).
    pub fn step<F, Fut>(self, name: &'static str, action: F) -> StepBuilder<D>
    where
        F: Fn(StepContext, D) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<D, StepError>> + Send + 'static,
    {
        StepBuilder {
            saga: self,
            step: Step {
                name,
                action: Arc::new(move |ctx, data| Box::pin(action(ctx, data))),
                compensation: None,
                retry: RetryPolicy::default(),
                compensation_retry: RetryPolicy::default(),
                timeout: None,
            },
        }
    }

    /// Checks and finishes the definition.
    ///
    /// # Errors
    /// [`SagaError::InvalidDefinition`] for a saga without steps or with two
    /// steps of the same name.
    pub fn build(self) -> Result<SagaDefinition<D>, SagaError> {
        let invalid = |reason: String| SagaError::InvalidDefinition { saga: self.name, reason };
        if self.steps.is_empty() {
            return Err(invalid("a saga needs at least one step".into()));
        }
        let mut names = HashSet::new();
        for step in &self.steps {
            if !names.insert(step.name) {
                return Err(invalid(format!(
                    "two steps are named `{}`: step names must be unique",
                    step.name
                )));
            }
            if step.retry.max_attempts == 0 || step.compensation_retry.max_attempts == 0 {
                return Err(invalid(format!("step `{}` allows 0 attempts: use at least 1", step.name)));
            }
        }
        Ok(SagaDefinition { name: self.name, owner: self.owner, steps: self.steps })
    }
}

/// The step being defined; its settings apply to it alone.
pub struct StepBuilder<D> {
    saga: SagaBuilder<D>,
    step: Step<D>,
}

impl<D> fmt::Debug for StepBuilder<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StepBuilder").field("saga", &self.saga.name).field("step", &self.step.name).finish()
    }
}

impl<D: SagaData> StepBuilder<D> {
    /// The action that undoes this step when a later step fails for good.
    /// It receives the saga data as it was after the last completed step.
    pub fn compensate<F, Fut>(mut self, compensation: F) -> Self
    where
        F: Fn(StepContext, D) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), StepError>> + Send + 'static,
    {
        self.step.compensation = Some(Arc::new(move |ctx, data| Box::pin(compensation(ctx, data))));
        self
    }

    /// Retry policy of the action (transient failures only). Default: 3
    /// attempts, 50 ms backoff doubling.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.step.retry = policy;
        self
    }

    /// Retry policy of the compensation. Default: 3 attempts, 50 ms
    /// backoff doubling. A compensation that exhausts it leaves the saga
    /// `Failed` for an operator.
    pub fn compensation_retry(mut self, policy: RetryPolicy) -> Self {
        self.step.compensation_retry = policy;
        self
    }

    /// Deadline of each attempt (action and compensation); an attempt that
    /// overruns is cancelled and counts as a transient failure.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.step.timeout = Some(timeout);
        self
    }

    /// Finishes this step and starts the next one.
    pub fn step<F, Fut>(self, name: &'static str, action: F) -> StepBuilder<D>
    where
        F: Fn(StepContext, D) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<D, StepError>> + Send + 'static,
    {
        self.finish().step(name, action)
    }

    /// Finishes this step and the definition.
    ///
    /// # Errors
    /// As [`SagaBuilder::build`].
    pub fn build(self) -> Result<SagaDefinition<D>, SagaError> {
        self.finish().build()
    }

    fn finish(mut self) -> SagaBuilder<D> {
        self.saga.steps.push(self.step);
        self.saga
    }
}
