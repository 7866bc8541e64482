use std::{path::Path, sync::Arc, time::Duration};

use apalis::prelude::{
    AbortError, Attempt, BackendExt, Data, FetchById, Monitor, PollSnapshot, PollStrategy, RetryPolicy,
    Status, TaskBuilder, TaskId as ApalisTaskId, TaskSink, WorkerBuilder, WorkerBuilderExt,
};
use apalis_sqlite::{Config, SqliteConnectOptions, SqlitePool, SqliteStorage};
use async_trait::async_trait;
use core_tasks::{
    ProgressSink, QueueError, TaskEnvelope, TaskError, TaskId, TaskMonitor, TaskQueue, TaskRecord,
    TaskRegistry, TaskStatus,
};
use tokio::{sync::oneshot, task::JoinHandle};

use crate::ApalisError;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How the worker runs tasks.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// The worker's name; made unique per process (apalis refuses a name
    /// still alive in the database).
    pub name: String,
    /// Attempts per task, the first included (retryable errors only).
    pub max_attempts: u32,
    /// How often the worker looks for new tasks.
    pub poll_interval: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self { name: "engine-worker".into(), max_attempts: 3, poll_interval: Duration::from_millis(50) }
    }
}

/// The `core-tasks` ports on an `apalis-sqlite` queue.
#[derive(Clone)]
pub struct SqliteTaskQueue {
    storage: SqliteStorage<TaskEnvelope>,
    max_attempts: u32,
}

impl std::fmt::Debug for SqliteTaskQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteTaskQueue").finish_non_exhaustive()
    }
}

/// A running worker; stop it with [`shutdown`](Self::shutdown).
#[derive(Debug)]
pub struct WorkerHandle {
    stop: Option<oneshot::Sender<()>>,
    join: JoinHandle<()>,
}

impl WorkerHandle {
    /// Stops taking tasks, lets running ones finish (up to 5 s), and waits.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Err(error) = self.join.await {
            tracing::warn!(%error, "task worker ended abnormally");
        }
    }
}

impl SqliteTaskQueue {
    /// Opens (creating if missing) the task database at `path`, applies
    /// apalis' migrations, and uses queue `queue`.
    ///
    /// # Errors
    /// [`ApalisError::Open`] when the file cannot be opened or migrated.
    pub async fn open(path: &Path, queue: &str) -> Result<Self, ApalisError> {
        let open_error = |source: BoxError| ApalisError::Open { path: path.display().to_string(), source };
        let options = SqliteConnectOptions::new().filename(path).create_if_missing(true);
        let pool = SqlitePool::connect_with(options).await.map_err(|e| open_error(Box::new(e)))?;
        SqliteStorage::setup(&pool).await.map_err(|e| open_error(Box::new(e)))?;
        let config = Config::default().queue(queue);
        Ok(Self { storage: SqliteStorage::new(&pool).with_config(config), max_attempts: 3 })
    }

    /// Sets how many attempts new tasks get (default 3).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Starts a worker running every task with `registry`'s handlers,
    /// reporting progress into `sink`.
    pub fn start_worker(
        &self,
        registry: TaskRegistry,
        sink: Arc<dyn ProgressSink>,
        options: WorkerOptions,
    ) -> WorkerHandle {
        let (stop, stopped) = oneshot::channel::<()>();
        let state = Arc::new(WorkerState { registry, sink });
        let storage = self.storage.clone();
        let name = format!("{}-{}-{}", options.name, std::process::id(), ulid::Ulid::generate());
        let retries = options.max_attempts.saturating_sub(1) as usize;
        let monitor = Monitor::new().shutdown_timeout(Duration::from_secs(5)).register(move |_restarts| {
            WorkerBuilder::new(name.clone())
                .backend(storage.clone().poll_with_strategy(Tick::new(options.poll_interval)))
                .data(state.clone())
                .retry(RetryPolicy::retries(retries))
                .build(run_task)
        });
        let join = tokio::spawn(async move {
            let signal = async move {
                let _ = stopped.await;
                Ok(())
            };
            if let Err(error) = monitor.run_with_signal(signal).await {
                tracing::error!(%error, "task worker stopped with an error");
            }
        });
        WorkerHandle { stop: Some(stop), join }
    }
}

/// Polls every `period`, and always re-arms its timer.
///
/// apalis 1.0's `IntervalStrategy` replaces its timer after it fires without
/// polling the new one, and `PollWith` ignores what the strategy returns: the
/// worker then sleeps until something else wakes it (the 30 s heartbeat).
/// This strategy polls the next tick at once, so its waker is registered.
struct Tick(tokio::time::Interval);

impl Tick {
    fn new(period: Duration) -> Self {
        let mut interval = tokio::time::interval(period.max(Duration::from_millis(1)));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self(interval)
    }
}

impl PollStrategy for Tick {
    fn poll_drive(
        &mut self,
        cx: &mut std::task::Context<'_>,
        _: &PollSnapshot,
    ) -> std::task::Poll<Option<()>> {
        if self.0.poll_tick(cx).is_pending() {
            return std::task::Poll::Pending;
        }
        // Registers the waker for the next tick (it is a full period away).
        let _ = self.0.poll_tick(cx);
        std::task::Poll::Ready(Some(()))
    }
}

struct WorkerState {
    registry: TaskRegistry,
    sink: Arc<dyn ProgressSink>,
}

async fn run_task(
    envelope: TaskEnvelope,
    state: Data<Arc<WorkerState>>,
    attempt: Attempt,
    id: ApalisTaskId,
) -> Result<(), BoxError> {
    let attempt = u32::try_from(attempt.current()).unwrap_or(u32::MAX);
    let name = envelope.name.clone();
    match state.registry.run(envelope, TaskId(id.to_string()), attempt, state.sink.clone()).await {
        Ok(()) => Ok(()),
        Err(TaskError::Retryable(reason)) => {
            tracing::warn!(task = %name, %id, attempt, %reason, "task failed; will retry");
            Err(reason.into())
        }
        Err(error) => {
            tracing::error!(task = %name, %id, attempt, %error, "task failed for good");
            Err(Box::new(AbortError::new(error)))
        }
    }
}

#[async_trait]
impl TaskQueue for SqliteTaskQueue {
    async fn enqueue(&self, envelope: TaskEnvelope) -> Result<TaskId, QueueError> {
        let id = ApalisTaskId::from_ulid(ulid::Ulid::generate());
        let task =
            TaskBuilder::new(envelope).task_id(id.clone()).max_attempts(self.max_attempts as usize).build();
        let mut storage = self.storage.clone();
        storage.push_task(task).await.map_err(|e| QueueError::Backend(Box::new(e)))?;
        Ok(TaskId(id.to_string()))
    }
}

#[async_trait]
impl TaskMonitor for SqliteTaskQueue {
    async fn task(&self, id: &TaskId) -> Result<Option<TaskRecord>, QueueError> {
        let Ok(apalis_id) = id.0.parse::<ulid::Ulid>().map(ApalisTaskId::from_ulid) else {
            return Ok(None);
        };
        let mut storage = self.storage.clone();
        let Some(task) =
            storage.fetch_by_id(&apalis_id).await.map_err(|e| QueueError::Backend(Box::new(e)))?
        else {
            return Ok(None);
        };
        let name = serde_json::from_slice::<TaskEnvelope>(&task.args).map(|e| e.name).unwrap_or_default();
        let attempts = u32::try_from(task.attempt()).unwrap_or(u32::MAX);
        let max = task.max_attempts().map_or(u32::MAX, |m| u32::try_from(m).unwrap_or(u32::MAX));
        let status = match task.status() {
            Status::Pending | Status::Queued => TaskStatus::Pending,
            Status::Running => TaskStatus::Running,
            Status::Done => TaskStatus::Done,
            Status::Failed if attempts >= max => TaskStatus::Killed,
            Status::Failed => TaskStatus::Failed,
            _ => TaskStatus::Killed,
        };
        Ok(Some(TaskRecord { id: id.clone(), name, status, attempts }))
    }
}
