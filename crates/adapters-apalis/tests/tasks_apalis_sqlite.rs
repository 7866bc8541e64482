//! Background tasks run by a real apalis-sqlite worker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use adapters_apalis::{SqliteTaskQueue, WorkerOptions};
use core_domain::{ModuleContext, Principal};
use core_tasks::{
    InMemoryProgress, Task, TaskContext, TaskError, TaskMonitor, TaskQueueExt, TaskRegistry, TaskStatus,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Invoice {
    order_id: String,
    fail_times: u32,
    fatal: bool,
}

impl Task for Invoice {
    const NAME: &'static str = "billing.invoice";
}

type Seen = Arc<Mutex<Vec<(String, String, String, u32)>>>;

fn registry(seen: &Seen) -> TaskRegistry {
    let seen = seen.clone();
    let mut registry = TaskRegistry::new();
    registry.register("billing", move |task: Invoice, ctx: TaskContext| {
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push((
                task.order_id.clone(),
                ctx.module().module().to_owned(),
                ctx.module().principal().id.clone(),
                ctx.attempt(),
            ));
            ctx.progress(50, "rendering");
            ctx.log(format!("attempt {}", ctx.attempt()));
            if task.fatal {
                return Err(TaskError::Fatal("template missing".into()));
            }
            if ctx.attempt() <= task.fail_times {
                return Err(TaskError::Retryable("smtp busy".into()));
            }
            ctx.progress(100, "sent");
            Ok(())
        }
    });
    registry
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_runs_with_its_submitters_context_and_retries() {
    let dir = tempfile::tempdir().unwrap();
    let queue =
        SqliteTaskQueue::open(&dir.path().join("tasks.db"), "billing").await.unwrap().with_max_attempts(3);
    let seen = Seen::default();
    let progress = InMemoryProgress::new();
    let worker = queue.start_worker(registry(&seen), Arc::new(progress.clone()), WorkerOptions::default());

    let ctx = ModuleContext::new("orders", Principal::user("ann", ["customer"]));
    let ok =
        queue.submit(&ctx, Invoice { order_id: "A-1".into(), fail_times: 0, fatal: false }).await.unwrap();
    let flaky =
        queue.submit(&ctx, Invoice { order_id: "A-2".into(), fail_times: 1, fatal: false }).await.unwrap();
    let fatal =
        queue.submit(&ctx, Invoice { order_id: "A-3".into(), fail_times: 0, fatal: true }).await.unwrap();

    let deadline = Duration::from_secs(20);
    assert_eq!(queue.wait_until_finished(&ok, deadline).await.unwrap(), TaskStatus::Done);
    assert_eq!(queue.wait_until_finished(&flaky, deadline).await.unwrap(), TaskStatus::Done);
    assert_eq!(queue.wait_until_finished(&fatal, deadline).await.unwrap(), TaskStatus::Killed);
    worker.shutdown().await;

    let seen = seen.lock().unwrap().clone();
    assert!(seen.contains(&("A-1".into(), "orders".into(), "ann".into(), 1)), "{seen:?}");
    assert!(seen.contains(&("A-2".into(), "orders".into(), "ann".into(), 2)), "retried once: {seen:?}");
    assert_eq!(seen.iter().filter(|s| s.0 == "A-3").count(), 1, "a fatal error is never retried: {seen:?}");

    let record = queue.task(&flaky).await.unwrap().unwrap();
    assert_eq!((record.name.as_str(), record.attempts), ("billing.invoice", 2));
    let reported = progress.get(&ok).unwrap();
    assert_eq!((reported.percent, reported.message.as_str()), (100, "sent"));
    assert_eq!(reported.logs, ["attempt 1"]);
}

#[tokio::test]
async fn an_unknown_task_id_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let queue = SqliteTaskQueue::open(&dir.path().join("tasks.db"), "billing").await.unwrap();
    assert!(queue.task(&core_tasks::TaskId("not-a-ulid".into())).await.unwrap().is_none());
    assert!(queue.task(&core_tasks::TaskId("01M8YJZAYFVAZV2PPFA7DV86HT".into())).await.unwrap().is_none());
}
