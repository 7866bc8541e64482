//! The SagaStore conformance suite on the in-memory store.

use core_saga::InMemorySagaStore;

async fn memory_store() -> InMemorySagaStore {
    InMemorySagaStore::new()
}

core_saga::saga_store_conformance!(memory_store);
