use std::{collections::HashMap, fmt, future::Future, marker::PhantomData, sync::Arc, time::Duration};

use async_trait::async_trait;
use core_domain::{CorrelationId, MessageId, ModuleContext, Principal};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// A background job type.
pub trait Task: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Stable name, stored with every queued job: `<module>.<snake_case>`.
    const NAME: &'static str;
}

/// The id a queue gives a submitted task.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskId(pub String);

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Waiting for a worker.
    Pending,
    /// A worker is running it.
    Running,
    /// Finished successfully.
    Done,
    /// Failed; may be retried while attempts remain.
    Failed,
    /// Stopped for good (fatal error or attempts exhausted).
    Killed,
}

impl TaskStatus {
    /// Whether the task will not run again by itself.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Done | Self::Killed)
    }
}

/// Why a task failed; the retry intent is in the type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TaskError {
    /// Temporary: the queue retries it by its policy.
    #[error("retryable: {0}")]
    Retryable(String),
    /// Permanent: never retried.
    #[error("fatal: {0}")]
    Fatal(String),
}

/// Why a task could not be submitted or inspected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// The task could not be serialised.
    #[error("task `{task}` could not be serialised: {source}")]
    Serialize {
        /// The task's name.
        task: &'static str,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// The queue's storage failed.
    #[error("task queue backend failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The task did not finish before the deadline.
    #[error("task {id} did not finish within {after:?} (last status: {status:?})")]
    Timeout {
        /// The task.
        id: TaskId,
        /// The deadline.
        after: Duration,
        /// Its last known status.
        status: Option<TaskStatus>,
    },
}

/// The submitter's context, stored with the job so the handler gets it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextSnapshot {
    /// The submitting module.
    pub module: String,
    /// On whose behalf.
    pub principal: Principal,
    /// The conversation.
    pub correlation_id: CorrelationId,
    /// The message being handled when it was submitted.
    pub causation_id: Option<MessageId>,
}

impl From<&ModuleContext> for ContextSnapshot {
    fn from(ctx: &ModuleContext) -> Self {
        Self {
            module: ctx.module().to_owned(),
            principal: ctx.principal().clone(),
            correlation_id: ctx.correlation_id(),
            causation_id: ctx.message_id(),
        }
    }
}

impl ContextSnapshot {
    /// The module context the handler receives.
    pub fn restore(&self) -> ModuleContext {
        let mut metadata = core_domain::Metadata::new(self.module.clone(), self.principal.clone());
        metadata.correlation_id = self.correlation_id;
        if let Some(cause) = self.causation_id {
            metadata.message_id = cause;
        }
        ModuleContext::for_message(self.module.clone(), &metadata)
    }
}

/// A task as stored by a queue: its name, JSON payload and context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskEnvelope {
    /// [`Task::NAME`].
    pub name: String,
    /// The task as JSON.
    pub payload: serde_json::Value,
    /// Who submitted it.
    pub context: ContextSnapshot,
}

/// Receives progress and log lines from running tasks (port; the monitor
/// reads them back).
pub trait ProgressSink: Send + Sync + 'static {
    /// A task reports `percent` (0-100) done, with a message.
    fn progress(&self, task: &TaskId, percent: u8, message: &str);
    /// A task writes a log line.
    fn log(&self, task: &TaskId, line: &str);
}

/// What a task handler receives besides the task.
#[derive(Clone)]
pub struct TaskContext {
    module: ModuleContext,
    task_id: TaskId,
    attempt: u32,
    sink: Arc<dyn ProgressSink>,
}

impl fmt::Debug for TaskContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskContext")
            .field("module", &self.module)
            .field("task_id", &self.task_id)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl TaskContext {
    /// A context for running `task_id`'s attempt number `attempt`.
    pub fn new(module: ModuleContext, task_id: TaskId, attempt: u32, sink: Arc<dyn ProgressSink>) -> Self {
        Self { module, task_id, attempt, sink }
    }

    /// The submitter's module context (module, principal, correlation id).
    pub fn module(&self) -> &ModuleContext {
        &self.module
    }

    /// This task's id.
    pub fn task_id(&self) -> &TaskId {
        &self.task_id
    }

    /// The attempt number, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Reports progress (clamped to 100).
    pub fn progress(&self, percent: u8, message: impl AsRef<str>) {
        self.sink.progress(&self.task_id, percent.min(100), message.as_ref());
    }

    /// Writes a log line (never secrets: the monitor shows it).
    pub fn log(&self, line: impl AsRef<str>) {
        self.sink.log(&self.task_id, line.as_ref());
    }
}

/// Handles one task type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a handler for task `{T}`",
    note = "a task handler is an async fn or closure `(task: {T}, ctx: TaskContext) -> Result<(), TaskError>`"
)]
#[async_trait]
pub trait TaskHandler<T: Task>: Send + Sync + 'static {
    /// Runs the task.
    async fn run(&self, task: T, ctx: TaskContext) -> Result<(), TaskError>;
}

#[async_trait]
impl<T, F, Fut> TaskHandler<T> for F
where
    T: Task,
    F: Fn(T, TaskContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), TaskError>> + Send,
{
    async fn run(&self, task: T, ctx: TaskContext) -> Result<(), TaskError> {
        self(task, ctx).await
    }
}

trait ErasedTaskHandler: Send + Sync + 'static {
    fn run(&self, payload: serde_json::Value, ctx: TaskContext) -> BoxFuture<'static, Result<(), TaskError>>;
}

struct Typed<T, H> {
    handler: Arc<H>,
    _task: PhantomData<fn(T)>,
}

impl<T: Task, H: TaskHandler<T>> ErasedTaskHandler for Typed<T, H> {
    fn run(&self, payload: serde_json::Value, ctx: TaskContext) -> BoxFuture<'static, Result<(), TaskError>> {
        let handler = self.handler.clone();
        Box::pin(async move {
            let task: T = serde_json::from_value(payload)
                .map_err(|e| TaskError::Fatal(format!("payload of `{}` does not decode: {e}", T::NAME)))?;
            handler.run(task, ctx).await
        })
    }
}

/// Every task handler of the application, by task name. A `core-di`
/// extension: modules register their handlers while wiring.
#[derive(Clone, Default)]
pub struct TaskRegistry {
    handlers: HashMap<&'static str, (&'static str, Arc<dyn ErasedTaskHandler>)>,
    problems: Vec<core_di::BootProblem>,
}

impl fmt::Debug for TaskRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskRegistry").field("tasks", &self.handlers.keys().collect::<Vec<_>>()).finish()
    }
}

impl TaskRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `module`'s handler for task `T` (one handler per task).
    pub fn register<T: Task>(&mut self, module: &'static str, handler: impl TaskHandler<T>) -> &mut Self {
        if let Some((owner, _)) = self.handlers.get(T::NAME) {
            self.problems.push(core_di::BootProblem::Invalid {
                module: module.into(),
                message: format!("task `{}` already has a handler in module `{owner}`", T::NAME),
            });
            return self;
        }
        let handler = Typed::<T, _> { handler: Arc::new(handler), _task: PhantomData };
        self.handlers.insert(T::NAME, (module, Arc::new(handler)));
        self
    }

    /// Names of every registered task.
    pub fn task_names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.handlers.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// Runs a stored task with its handler: what a queue adapter's worker calls.
    ///
    /// # Errors
    /// [`TaskError::Fatal`] for an unknown task name or a payload that does
    /// not decode; otherwise the handler's error.
    pub async fn run(
        &self,
        envelope: TaskEnvelope,
        task_id: TaskId,
        attempt: u32,
        sink: Arc<dyn ProgressSink>,
    ) -> Result<(), TaskError> {
        let Some((_, handler)) = self.handlers.get(envelope.name.as_str()) else {
            return Err(TaskError::Fatal(format!(
                "no handler for task `{}`: register it in its module's `wire`",
                envelope.name
            )));
        };
        let ctx = TaskContext::new(envelope.context.restore(), task_id, attempt, sink);
        handler.run(envelope.payload, ctx).await
    }
}

impl core_di::Extension for TaskRegistry {
    fn problems(&mut self) -> Vec<core_di::BootProblem> {
        std::mem::take(&mut self.problems)
    }
}

/// Where tasks are submitted (port).
#[async_trait]
pub trait TaskQueue: Send + Sync + 'static {
    /// Stores a task for a worker and returns its id.
    ///
    /// # Errors
    /// [`QueueError::Backend`] when the storage fails.
    ///
    /// # Cancel safety
    /// The task is stored or not; a dropped call may have stored it.
    async fn enqueue(&self, envelope: TaskEnvelope) -> Result<TaskId, QueueError>;
}

/// A task as the monitor sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskRecord {
    /// Its id.
    pub id: TaskId,
    /// [`Task::NAME`].
    pub name: String,
    /// Where it is.
    pub status: TaskStatus,
    /// Attempts made.
    pub attempts: u32,
}

/// Reads task state back (port).
#[async_trait]
pub trait TaskMonitor: Send + Sync + 'static {
    /// One task's state.
    ///
    /// # Errors
    /// [`QueueError::Backend`] when the storage fails.
    async fn task(&self, id: &TaskId) -> Result<Option<TaskRecord>, QueueError>;

    /// Waits until the task is `Done` or `Killed`, checking every 20 ms, for
    /// at most `timeout`.
    ///
    /// # Errors
    /// [`QueueError::Timeout`] with the last status seen; storage errors.
    async fn wait_until_finished(&self, id: &TaskId, timeout: Duration) -> Result<TaskStatus, QueueError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let status = self.task(id).await?.map(|r| r.status);
            match status {
                Some(status) if status.is_finished() => return Ok(status),
                _ if tokio::time::Instant::now() >= deadline => {
                    return Err(QueueError::Timeout { id: id.clone(), after: timeout, status });
                }
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }
}

/// Typed submission on any [`TaskQueue`].
#[async_trait]
pub trait TaskQueueExt {
    /// Submits `task` from `ctx`; its handler will receive `ctx` back.
    ///
    /// # Errors
    /// [`QueueError::Serialize`], or the queue's errors.
    async fn submit<T: Task>(&self, ctx: &ModuleContext, task: T) -> Result<TaskId, QueueError>;
}

#[async_trait]
impl<Q: TaskQueue + ?Sized> TaskQueueExt for Q {
    async fn submit<T: Task>(&self, ctx: &ModuleContext, task: T) -> Result<TaskId, QueueError> {
        let payload =
            serde_json::to_value(&task).map_err(|source| QueueError::Serialize { task: T::NAME, source })?;
        self.enqueue(TaskEnvelope { name: T::NAME.to_owned(), payload, context: ctx.into() }).await
    }
}
