//! The SagaStore conformance suite on SQLite, and durability across connections.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use adapters_sql::{SqlSagaStore, open_sqlite, open_sqlite_in_memory};
use core_domain::CorrelationId;
use core_saga::{SagaInstance, SagaState, SagaStore};

async fn sqlite_memory_store() -> SqlSagaStore {
    SqlSagaStore::new(open_sqlite_in_memory().await.unwrap())
}

core_saga::saga_store_conformance!(sqlite_memory_store);

mod file {
    //! The same suite on a real file (WAL, several connections).
    use super::*;

    /// A store on a file in a directory removed when the store is dropped.
    pub(super) struct FileStore {
        store: SqlSagaStore,
        _dir: tempfile::TempDir,
    }

    #[async_trait::async_trait]
    impl SagaStore for FileStore {
        async fn create(&self, instance: &SagaInstance) -> Result<(), core_saga::StoreError> {
            self.store.create(instance).await
        }
        async fn save(&self, instance: &mut SagaInstance) -> Result<(), core_saga::StoreError> {
            self.store.save(instance).await
        }
        async fn load(&self, id: core_saga::SagaId) -> Result<Option<SagaInstance>, core_saga::StoreError> {
            self.store.load(id).await
        }
        async fn list_unfinished(&self) -> Result<Vec<SagaInstance>, core_saga::StoreError> {
            self.store.list_unfinished().await
        }
    }

    pub(super) async fn sqlite_file_store() -> FileStore {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlSagaStore::new(open_sqlite(&dir.path().join("sagas.db")).await.unwrap());
        FileStore { store, _dir: dir }
    }

    core_saga::saga_store_conformance!(sqlite_file_store);
}

#[tokio::test]
async fn a_saga_saved_by_one_connection_is_reloaded_by_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sagas.db");

    let mut saga = SagaInstance::new("order", serde_json::json!({ "order": "A-7" }), CorrelationId::new());
    {
        let store = SqlSagaStore::new(open_sqlite(&path).await.unwrap());
        store.create(&saga).await.unwrap();
        saga.current_step = 2;
        saga.state = SagaState::Compensating;
        saga.error = Some("ship: refused".into());
        store.save(&mut saga).await.unwrap();
        store.connection().clone().close().await.unwrap();
    }

    let reopened = SqlSagaStore::new(open_sqlite(&path).await.unwrap());
    let loaded = reopened.load(saga.id).await.unwrap().expect("saved saga survives reopening the file");
    assert_eq!(loaded, saga);
    assert_eq!(loaded.version, 1);
    let unfinished = reopened.list_unfinished().await.unwrap();
    assert_eq!(unfinished.iter().map(|i| i.id).collect::<Vec<_>>(), [saga.id]);
}
