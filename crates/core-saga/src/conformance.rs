//! The shared [`SagaStore`] conformance suite: the same behaviour tests for
//! every adapter, stamped per adapter with [`saga_store_conformance!`](crate::saga_store_conformance).
//!
//! ```text
//! async fn sqlite_store() -> MySqliteStore { /* a fresh, empty store */ }
//! core_saga::saga_store_conformance!(sqlite_store);
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use core_domain::CorrelationId;
use serde_json::json;

use crate::{SagaInstance, SagaState, SagaStore, StepEvent, StoreError};

fn instance(saga: &str) -> SagaInstance {
    SagaInstance::new(saga, json!({ "order": "A-1", "lines": [1, 2] }), CorrelationId::new())
}

pub async fn create_then_load_round_trips(store: &dyn SagaStore) {
    let mut created = instance("order");
    created.record(0, "reserve", StepEvent::Started, 0);
    store.create(&created).await.unwrap();
    let loaded = store.load(created.id).await.unwrap().expect("created instance is found");
    assert_eq!(loaded, created);
}

pub async fn load_of_unknown_id_is_none(store: &dyn SagaStore) {
    assert!(store.load(crate::SagaId::new()).await.unwrap().is_none());
}

pub async fn create_twice_is_a_duplicate(store: &dyn SagaStore) {
    let created = instance("order");
    store.create(&created).await.unwrap();
    let error = store.create(&created).await.unwrap_err();
    assert!(matches!(error, StoreError::Duplicate(id) if id == created.id), "got {error:?}");
}

pub async fn save_bumps_version_and_persists(store: &dyn SagaStore) {
    let mut saga = instance("order");
    store.create(&saga).await.unwrap();
    saga.current_step = 1;
    saga.data = json!({ "order": "A-1", "reservation": "R-9" });
    saga.record(0, "reserve", StepEvent::Done, 2);
    store.save(&mut saga).await.unwrap();
    assert_eq!(saga.version, 1);
    saga.state = SagaState::Compensating;
    saga.error = Some("charge: declined".into());
    store.save(&mut saga).await.unwrap();
    assert_eq!(saga.version, 2);
    let loaded = store.load(saga.id).await.unwrap().unwrap();
    assert_eq!(loaded, saga);
}

pub async fn stale_save_is_a_conflict_and_writes_nothing(store: &dyn SagaStore) {
    let mut first = instance("order");
    store.create(&first).await.unwrap();
    let mut second = first.clone();
    first.current_step = 1;
    store.save(&mut first).await.unwrap();
    second.current_step = 7;
    let error = store.save(&mut second).await.unwrap_err();
    assert!(
        matches!(error, StoreError::Conflict { expected: 0, found: 1, .. }),
        "a stale writer must get a conflict, got {error:?}"
    );
    assert_eq!(second.version, 0, "a failed save leaves the version alone");
    let loaded = store.load(first.id).await.unwrap().unwrap();
    assert_eq!(loaded.current_step, 1);
    assert_eq!(loaded.version, 1);
}

pub async fn save_of_unknown_instance_is_not_found(store: &dyn SagaStore) {
    let mut ghost = instance("order");
    let error = store.save(&mut ghost).await.unwrap_err();
    assert!(matches!(error, StoreError::NotFound(id) if id == ghost.id), "got {error:?}");
}

pub async fn list_unfinished_returns_running_and_compensating_oldest_first(store: &dyn SagaStore) {
    let mut ids = Vec::new();
    for state in [
        SagaState::Running,
        SagaState::Completed,
        SagaState::Compensating,
        SagaState::Compensated,
        SagaState::Failed,
        SagaState::Running,
    ] {
        let mut saga = instance("order");
        store.create(&saga).await.unwrap();
        saga.state = state;
        store.save(&mut saga).await.unwrap();
        if !state.is_terminal() {
            ids.push(saga.id);
        }
    }
    let unfinished: Vec<_> = store.list_unfinished().await.unwrap().into_iter().map(|i| i.id).collect();
    assert_eq!(unfinished, ids);
}

/// Stamps the conformance suite for a store: `$make` names an `async fn()`
/// returning a fresh, empty store.
#[macro_export]
macro_rules! saga_store_conformance {
    ($make:ident) => {
        mod saga_store_conformance {
            use $crate::conformance as suite;

            #[tokio::test]
            async fn create_then_load_round_trips() {
                suite::create_then_load_round_trips(&super::$make().await).await;
            }
            #[tokio::test]
            async fn load_of_unknown_id_is_none() {
                suite::load_of_unknown_id_is_none(&super::$make().await).await;
            }
            #[tokio::test]
            async fn create_twice_is_a_duplicate() {
                suite::create_twice_is_a_duplicate(&super::$make().await).await;
            }
            #[tokio::test]
            async fn save_bumps_version_and_persists() {
                suite::save_bumps_version_and_persists(&super::$make().await).await;
            }
            #[tokio::test]
            async fn stale_save_is_a_conflict_and_writes_nothing() {
                suite::stale_save_is_a_conflict_and_writes_nothing(&super::$make().await).await;
            }
            #[tokio::test]
            async fn save_of_unknown_instance_is_not_found() {
                suite::save_of_unknown_instance_is_not_found(&super::$make().await).await;
            }
            #[tokio::test]
            async fn list_unfinished_returns_running_and_compensating_oldest_first() {
                suite::list_unfinished_returns_running_and_compensating_oldest_first(&super::$make().await)
                    .await;
            }
        }
    };
}
