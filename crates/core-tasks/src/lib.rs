//! # core-tasks: the background-task SDK
//!
//! - A [`Task`] is a serialisable job with a stable [`Task::NAME`].
//! - Its handler is an async closure `(task, TaskContext) -> Result<(), TaskError>`;
//!   the [`TaskContext`] carries the [`ModuleContext`](core_domain::ModuleContext) of the code that
//!   submitted it (module, principal, correlation id), the attempt number,
//!   and reports progress and log lines.
//! - Modules register handlers in a [`TaskRegistry`] (a `core-di`
//!   extension) and submit tasks through the [`TaskQueue`] port; adapters
//!   (apalis SQLite/Postgres/Redis, or [`InMemoryTaskQueue`]) run them.
//!
//! ```
//! use core_domain::{ModuleContext, Principal};
//! use core_tasks::{InMemoryTaskQueue, Task, TaskContext, TaskQueueExt, TaskRegistry, TaskStatus, TaskMonitor};
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct SendInvoice { order_id: String }
//! impl Task for SendInvoice { const NAME: &'static str = "billing.send_invoice"; }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let mut registry = TaskRegistry::new();
//! registry.register("billing", |task: SendInvoice, ctx: TaskContext| async move {
//!     ctx.progress(50, format!("rendering invoice for {}", task.order_id));
//!     assert_eq!(ctx.module().module(), "orders"); // who submitted it
//!     Ok(())
//! });
//! let queue = InMemoryTaskQueue::new();
//! let worker = queue.start(registry);
//! let ctx = ModuleContext::new("orders", Principal::service("orders"));
//! let id = queue.submit(&ctx, SendInvoice { order_id: "A-1".into() }).await.unwrap();
//! let status = queue.wait_until_finished(&id, std::time::Duration::from_secs(5)).await.unwrap();
//! assert_eq!(status, TaskStatus::Done);
//! worker.abort();
//! # });
//! ```

mod memory;
mod task;

pub use memory::{InMemoryProgress, InMemoryTaskQueue, TaskProgress};
pub use task::{
    ContextSnapshot, ProgressSink, QueueError, Task, TaskContext, TaskEnvelope, TaskError, TaskHandler,
    TaskId, TaskMonitor, TaskQueue, TaskQueueExt, TaskRecord, TaskRegistry, TaskStatus,
};
