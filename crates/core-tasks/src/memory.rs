use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use tokio::{sync::mpsc, task::JoinHandle};

use crate::{
    ProgressSink, QueueError, TaskEnvelope, TaskError, TaskId, TaskMonitor, TaskQueue, TaskRecord,
    TaskRegistry, TaskStatus,
};

type Job = (TaskId, TaskEnvelope);

/// An in-process [`TaskQueue`] and [`TaskMonitor`] for tests and the
/// `memory` profile: tasks run on a tokio task, one at a time, with up to
/// three attempts for retryable errors. Nothing survives a restart.
#[derive(Clone)]
pub struct InMemoryTaskQueue {
    sender: mpsc::UnboundedSender<Job>,
    receiver: Arc<Mutex<Option<mpsc::UnboundedReceiver<Job>>>>,
    records: Arc<Mutex<HashMap<TaskId, TaskRecord>>>,
    next: Arc<std::sync::atomic::AtomicU64>,
    progress: InMemoryProgress,
}

impl std::fmt::Debug for InMemoryTaskQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryTaskQueue").finish_non_exhaustive()
    }
}

impl Default for InMemoryTaskQueue {
    fn default() -> Self {
        Self::new()
    }
}

/// Progress and log lines of one task, as [`InMemoryProgress`] keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TaskProgress {
    /// Last reported percentage (0-100).
    pub percent: u8,
    /// Last progress message.
    pub message: String,
    /// Log lines, oldest first (at most 1000 kept).
    pub logs: Vec<String>,
}

/// An in-memory [`ProgressSink`] the monitor can read back.
#[derive(Debug, Clone, Default)]
pub struct InMemoryProgress {
    tasks: Arc<Mutex<HashMap<TaskId, TaskProgress>>>,
}

const MAX_LOG_LINES: usize = 1000;

impl InMemoryProgress {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// What `task` reported so far.
    pub fn get(&self, task: &TaskId) -> Option<TaskProgress> {
        self.tasks.lock().ok()?.get(task).cloned()
    }

    fn update(&self, task: &TaskId, change: impl FnOnce(&mut TaskProgress)) {
        if let Ok(mut tasks) = self.tasks.lock() {
            change(tasks.entry(task.clone()).or_default());
        }
    }
}

impl ProgressSink for InMemoryProgress {
    fn progress(&self, task: &TaskId, percent: u8, message: &str) {
        self.update(task, |p| {
            p.percent = percent;
            message.clone_into(&mut p.message);
        });
    }

    fn log(&self, task: &TaskId, line: &str) {
        self.update(task, |p| {
            if p.logs.len() == MAX_LOG_LINES {
                p.logs.remove(0);
            }
            p.logs.push(line.to_owned());
        });
    }
}

const MAX_ATTEMPTS: u32 = 3;

impl InMemoryTaskQueue {
    /// A queue whose tasks wait until [`start`](Self::start) is called.
    pub fn new() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Self {
            sender,
            receiver: Arc::new(Mutex::new(Some(receiver))),
            records: Arc::default(),
            next: Arc::default(),
            progress: InMemoryProgress::new(),
        }
    }

    /// Progress and logs reported by the tasks.
    pub fn progress(&self) -> &InMemoryProgress {
        &self.progress
    }

    /// Starts the worker with the application's handlers. Call once; a
    /// second call returns a worker that does nothing.
    pub fn start(&self, registry: TaskRegistry) -> JoinHandle<()> {
        let receiver = self.receiver.lock().ok().and_then(|mut r| r.take());
        let records = self.records.clone();
        let sink: Arc<dyn ProgressSink> = Arc::new(self.progress.clone());
        tokio::spawn(async move {
            let Some(mut receiver) = receiver else { return };
            while let Some((id, envelope)) = receiver.recv().await {
                let mut attempt = 1;
                let status = loop {
                    set(&records, &id, TaskStatus::Running, attempt);
                    match registry.run(envelope.clone(), id.clone(), attempt, sink.clone()).await {
                        Ok(()) => break TaskStatus::Done,
                        Err(TaskError::Retryable(_)) if attempt < MAX_ATTEMPTS => attempt += 1,
                        Err(_) => break TaskStatus::Killed,
                    }
                };
                set(&records, &id, status, attempt);
            }
        })
    }
}

fn set(records: &Mutex<HashMap<TaskId, TaskRecord>>, id: &TaskId, status: TaskStatus, attempts: u32) {
    if let Ok(mut records) = records.lock()
        && let Some(record) = records.get_mut(id)
    {
        record.status = status;
        record.attempts = attempts;
    }
}

#[async_trait]
impl TaskQueue for InMemoryTaskQueue {
    async fn enqueue(&self, envelope: TaskEnvelope) -> Result<TaskId, QueueError> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = TaskId(format!("mem-{n}"));
        let record = TaskRecord {
            id: id.clone(),
            name: envelope.name.clone(),
            status: TaskStatus::Pending,
            attempts: 0,
        };
        self.records
            .lock()
            .map_err(|_| QueueError::Backend("task records lock poisoned".into()))?
            .insert(id.clone(), record);
        self.sender
            .send((id.clone(), envelope))
            .map_err(|_| QueueError::Backend("the in-memory worker has stopped".into()))?;
        Ok(id)
    }
}

#[async_trait]
impl TaskMonitor for InMemoryTaskQueue {
    async fn task(&self, id: &TaskId) -> Result<Option<TaskRecord>, QueueError> {
        Ok(self
            .records
            .lock()
            .map_err(|_| QueueError::Backend("task records lock poisoned".into()))?
            .get(id)
            .cloned())
    }
}
