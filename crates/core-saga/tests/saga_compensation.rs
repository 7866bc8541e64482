//! Compensation, retries and persistence of the saga coordinator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use core_domain::{ModuleContext, Principal};
use core_events::BusBuilder;
use core_saga::{
    InMemorySagaStore, RetryPolicy, SagaCoordinator, SagaDefinition, SagaId, SagaInstance, SagaState,
    SagaStore, StepError, StepEvent, StoreError,
};

/// A store that remembers every saved snapshot, to check what was persisted when.
#[derive(Default)]
struct RecordingStore {
    inner: InMemorySagaStore,
    saves: Mutex<Vec<SagaInstance>>,
}

#[async_trait]
impl SagaStore for RecordingStore {
    async fn create(&self, instance: &SagaInstance) -> Result<(), StoreError> {
        self.inner.create(instance).await
    }
    async fn save(&self, instance: &mut SagaInstance) -> Result<(), StoreError> {
        self.inner.save(instance).await?;
        self.saves.lock().unwrap().push(instance.clone());
        Ok(())
    }
    async fn load(&self, id: SagaId) -> Result<Option<SagaInstance>, StoreError> {
        self.inner.load(id).await
    }
    async fn list_unfinished(&self) -> Result<Vec<SagaInstance>, StoreError> {
        self.inner.list_unfinished().await
    }
}

type Journal = Arc<Mutex<Vec<String>>>;

fn ctx() -> ModuleContext {
    ModuleContext::new("tests", Principal::service("tests"))
}

/// Three steps; `fail_at` names the step whose action fails permanently.
fn three_steps(journal: &Journal, fail_at: &'static str) -> SagaDefinition<u32> {
    let step = |name: &'static str| {
        let journal = journal.clone();
        move |_ctx: core_saga::StepContext, n: u32| {
            let journal = journal.clone();
            async move {
                journal.lock().unwrap().push(format!("do {name}"));
                if name == fail_at { Err(StepError::permanent(format!("{name} refused"))) } else { Ok(n + 1) }
            }
        }
    };
    let undo = |name: &'static str| {
        let journal = journal.clone();
        move |_ctx: core_saga::StepContext, _n: u32| {
            let journal = journal.clone();
            async move {
                journal.lock().unwrap().push(format!("undo {name}"));
                Ok(())
            }
        }
    };
    SagaDefinition::builder("three")
        .step("one", step("one"))
        .compensate(undo("one"))
        .step("two", step("two"))
        .compensate(undo("two"))
        .step("three", step("three"))
        .compensate(undo("three"))
        .build()
        .unwrap()
}

fn coordinator(store: Arc<dyn SagaStore>) -> SagaCoordinator {
    SagaCoordinator::new(store, BusBuilder::new().build().unwrap())
}

#[tokio::test]
async fn third_step_failing_compensates_two_then_one_exactly_once() {
    let journal = Journal::default();
    let store = Arc::new(RecordingStore::default());
    let saga = coordinator(store.clone()).register(three_steps(&journal, "three")).unwrap();

    let outcome = saga.start(&ctx(), 0).await.unwrap();

    assert_eq!(outcome.state, SagaState::Compensated);
    assert_eq!(*journal.lock().unwrap(), ["do one", "do two", "do three", "undo two", "undo one"]);
    assert_eq!(outcome.compensated, ["two", "one"]);
    assert_eq!(outcome.error.as_deref(), Some("three: three refused"));
    assert_eq!(outcome.data, 2, "data as after the last completed step");
    let stored = store.load(outcome.id).await.unwrap().unwrap();
    assert_eq!(stored.state, SagaState::Compensated);
}

#[tokio::test]
async fn every_step_is_saved_before_and_after_it_runs() {
    let journal = Journal::default();
    let store = Arc::new(RecordingStore::default());
    let saga = coordinator(store.clone()).register(three_steps(&journal, "none")).unwrap();

    let outcome = saga.start(&ctx(), 0).await.unwrap();
    assert_eq!(outcome.state, SagaState::Completed);
    assert_eq!(outcome.data, 3);

    let saves = store.saves.lock().unwrap();
    let last_events: Vec<_> = saves
        .iter()
        .map(|s| {
            let last = s.log.last().map(|r| format!("{} {:?}", r.name, r.event)).unwrap_or_default();
            format!("{}@{} {last}", s.state, s.current_step)
        })
        .collect();
    assert_eq!(
        last_events,
        [
            "running@0 one Started",
            "running@1 one Done",
            "running@1 two Started",
            "running@2 two Done",
            "running@2 three Started",
            "running@3 three Done",
            "completed@3 three Done",
        ]
    );
    let versions: Vec<u64> = saves.iter().map(|s| s.version).collect();
    assert_eq!(versions, (1..=7).collect::<Vec<_>>());
}

#[tokio::test]
async fn first_step_failing_compensates_nothing() {
    let journal = Journal::default();
    let saga =
        coordinator(Arc::new(InMemorySagaStore::new())).register(three_steps(&journal, "one")).unwrap();
    let outcome = saga.start(&ctx(), 0).await.unwrap();
    assert_eq!(outcome.state, SagaState::Compensated);
    assert!(outcome.compensated.is_empty());
    assert_eq!(*journal.lock().unwrap(), ["do one"]);
}

#[tokio::test(start_paused = true)]
async fn transient_failures_are_retried_then_succeed() {
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let seen = attempts.clone();
    let definition = SagaDefinition::<u32>::builder("flaky")
        .step("call", move |ctx, n| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(ctx.attempt());
                if ctx.attempt() < 3 { Err(StepError::transient("busy")) } else { Ok(n + 1) }
            }
        })
        .retry(RetryPolicy::exponential(3, Duration::from_millis(100)))
        .build()
        .unwrap();
    let store = Arc::new(InMemorySagaStore::new());
    let saga = coordinator(store.clone()).register(definition).unwrap();
    let outcome = saga.start(&ctx(), 0).await.unwrap();
    assert_eq!(outcome.state, SagaState::Completed);
    assert_eq!(*attempts.lock().unwrap(), [1, 2, 3]);
    let stored = store.load(outcome.id).await.unwrap().unwrap();
    let done = stored.log.iter().find(|r| r.event == StepEvent::Done).unwrap();
    assert_eq!(done.attempts, 3);
}

#[tokio::test(start_paused = true)]
async fn a_step_that_overruns_its_deadline_is_retried_then_compensated() {
    let journal = Journal::default();
    let undo = journal.clone();
    let definition = SagaDefinition::<u32>::builder("slow")
        .step("fast", |_ctx, n| async move { Ok(n) })
        .compensate(move |_ctx, _n| {
            let undo = undo.clone();
            async move {
                undo.lock().unwrap().push("undo fast".to_owned());
                Ok(())
            }
        })
        .step("slow", |_ctx, n| async move {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(n)
        })
        .timeout(Duration::from_secs(1))
        .retry(RetryPolicy::exponential(2, Duration::from_millis(10)))
        .build()
        .unwrap();
    let saga = coordinator(Arc::new(InMemorySagaStore::new())).register(definition).unwrap();
    let outcome = saga.start(&ctx(), 0).await.unwrap();
    assert_eq!(outcome.state, SagaState::Compensated);
    assert_eq!(outcome.error.as_deref(), Some("slow: timed out after 1s"));
    assert_eq!(*journal.lock().unwrap(), ["undo fast"]);
}

#[tokio::test(start_paused = true)]
async fn a_compensation_that_keeps_failing_leaves_the_saga_failed_and_visible() {
    let calls = Arc::new(Mutex::new(0u32));
    let counted = calls.clone();
    let definition = SagaDefinition::<u32>::builder("stuck")
        .step("reserve", |_ctx, n| async move { Ok(n) })
        .compensate(move |_ctx, _n| {
            let counted = counted.clone();
            async move {
                *counted.lock().unwrap() += 1;
                Err(StepError::transient("inventory unreachable"))
            }
        })
        .compensation_retry(RetryPolicy::exponential(4, Duration::from_millis(10)))
        .step("charge", |_ctx, _n| async move { Err(StepError::permanent("declined")) })
        .build()
        .unwrap();
    let store = Arc::new(InMemorySagaStore::new());
    let saga = coordinator(store.clone()).register(definition).unwrap();
    let outcome = saga.start(&ctx(), 0).await.unwrap();
    assert_eq!(outcome.state, SagaState::Failed);
    assert_eq!(*calls.lock().unwrap(), 4, "the compensation is retried by its policy");
    assert_eq!(
        outcome.error.as_deref(),
        Some("charge: declined; compensation of reserve failed: inventory unreachable")
    );
    let stored = store.load(outcome.id).await.unwrap().unwrap();
    assert_eq!(stored.state, SagaState::Failed);
    assert!(stored.log.iter().any(
        |r| matches!(&r.event, StepEvent::CompensationFailed { error } if error == "inventory unreachable")
    ));
    assert!(
        store.list_unfinished().await.unwrap().is_empty(),
        "failed is terminal: not resumed automatically"
    );
}

#[tokio::test]
async fn invalid_definitions_are_refused() {
    let empty = SagaDefinition::<u32>::builder("empty").build().unwrap_err();
    assert!(empty.to_string().contains("at least one step"), "{empty}");
    let twice = SagaDefinition::<u32>::builder("twice")
        .step("a", |_ctx, n| async move { Ok(n) })
        .step("a", |_ctx, n| async move { Ok(n) })
        .build()
        .unwrap_err();
    assert!(twice.to_string().contains("two steps are named `a`"), "{twice}");
    let coordinator = coordinator(Arc::new(InMemorySagaStore::new()));
    let journal = Journal::default();
    coordinator.register(three_steps(&journal, "none")).unwrap();
    let again = coordinator.register(three_steps(&journal, "none")).unwrap_err();
    assert!(again.to_string().contains("already registered"), "{again}");
}

#[tokio::test]
async fn recovery_resumes_an_interrupted_saga_from_its_saved_step() {
    let journal = Journal::default();
    let store = Arc::new(InMemorySagaStore::new());
    // A saga that crashed after step one was saved done and step two started.
    let mut crashed = SagaInstance::new("three", serde_json::json!(1), core_domain::CorrelationId::new());
    store.create(&crashed).await.unwrap();
    crashed.current_step = 1;
    store.save(&mut crashed).await.unwrap();

    let coordinator = coordinator(store.clone());
    coordinator.register(three_steps(&journal, "none")).unwrap();
    let results = coordinator.recover().await.unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].1.as_ref().unwrap(), &SagaState::Completed);
    assert_eq!(*journal.lock().unwrap(), ["do two", "do three"], "step one is not run again");
    let stored = store.load(crashed.id).await.unwrap().unwrap();
    assert_eq!(stored.data, serde_json::json!(3));
}

#[tokio::test]
async fn a_panicking_step_is_a_permanent_failure_and_compensates() {
    let journal = Journal::default();
    let undo = journal.clone();
    let definition = SagaDefinition::<u32>::builder("buggy")
        .step("first", |_ctx, n| async move { Ok(n) })
        .compensate(move |_ctx, _n| {
            let undo = undo.clone();
            async move {
                undo.lock().unwrap().push("undo first".to_owned());
                Ok(())
            }
        })
        .step("second", |_ctx, _n| async move { panic!("index out of bounds") })
        .build()
        .unwrap();
    let saga = coordinator(Arc::new(InMemorySagaStore::new())).register(definition).unwrap();
    let outcome = saga.start(&ctx(), 0).await.unwrap();
    assert_eq!(outcome.state, SagaState::Compensated);
    assert_eq!(outcome.error.as_deref(), Some("second: step panicked: index out of bounds"));
    assert_eq!(*journal.lock().unwrap(), ["undo first"]);
}

#[tokio::test]
async fn a_recovered_saga_keeps_its_conversation() {
    let seen = Arc::new(Mutex::new(None));
    let record = seen.clone();
    let store = Arc::new(InMemorySagaStore::new());
    let correlation = core_domain::CorrelationId::new();
    let crashed = SagaInstance::new("remember", serde_json::json!(0), correlation);
    store.create(&crashed).await.unwrap();
    let coordinator = coordinator(store.clone());
    let definition = SagaDefinition::<u32>::builder("remember")
        .step("only", move |ctx, n| {
            *record.lock().unwrap() = Some(ctx.module().correlation_id());
            async move { Ok(n) }
        })
        .build()
        .unwrap();
    coordinator.register(definition).unwrap();
    coordinator.recover().await.unwrap();
    assert_eq!(*seen.lock().unwrap(), Some(correlation));
}
