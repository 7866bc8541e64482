use std::{collections::HashMap, sync::Mutex};

use async_trait::async_trait;
use chrono::Utc;

use crate::{SagaId, SagaInstance, StoreError};

/// Where saga instances live between steps (port).
///
/// Every adapter passes the shared conformance suite
/// (`core_saga::saga_store_conformance!`, feature `test-utils`).
#[async_trait]
pub trait SagaStore: Send + Sync + 'static {
    /// Stores a new instance (its version must be 0).
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] when the id exists; [`StoreError::Backend`].
    async fn create(&self, instance: &SagaInstance) -> Result<(), StoreError>;

    /// Saves `instance` if the stored version equals `instance.version`;
    /// then sets `instance.version` to the new stored version (+1) and
    /// `updated_at` to now.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] for a stale version (nothing written);
    /// [`StoreError::NotFound`]; [`StoreError::Backend`].
    ///
    /// # Cancel safety
    /// The write is one statement (or transaction): it happened or not.
    async fn save(&self, instance: &mut SagaInstance) -> Result<(), StoreError>;

    /// Loads one instance.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when the row cannot be decoded; [`StoreError::Backend`].
    async fn load(&self, id: SagaId) -> Result<Option<SagaInstance>, StoreError>;

    /// Every instance not in a terminal state, oldest first: the recovery scan.
    ///
    /// # Errors
    /// As [`load`](Self::load).
    async fn list_unfinished(&self) -> Result<Vec<SagaInstance>, StoreError>;
}

/// The in-memory [`SagaStore`]: for tests and the `memory` profile.
#[derive(Debug, Default)]
pub struct InMemorySagaStore {
    instances: Mutex<HashMap<SagaId, SagaInstance>>,
}

impl InMemorySagaStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, HashMap<SagaId, SagaInstance>>, StoreError> {
        self.instances.lock().map_err(|_| StoreError::Backend("in-memory saga store lock poisoned".into()))
    }
}

#[async_trait]
impl SagaStore for InMemorySagaStore {
    async fn create(&self, instance: &SagaInstance) -> Result<(), StoreError> {
        let mut instances = self.lock()?;
        if instances.contains_key(&instance.id) {
            return Err(StoreError::Duplicate(instance.id));
        }
        instances.insert(instance.id, instance.clone());
        Ok(())
    }

    async fn save(&self, instance: &mut SagaInstance) -> Result<(), StoreError> {
        let mut instances = self.lock()?;
        let stored = instances.get_mut(&instance.id).ok_or(StoreError::NotFound(instance.id))?;
        if stored.version != instance.version {
            return Err(StoreError::Conflict {
                id: instance.id,
                expected: instance.version,
                found: stored.version,
            });
        }
        instance.version += 1;
        instance.updated_at = Utc::now();
        *stored = instance.clone();
        Ok(())
    }

    async fn load(&self, id: SagaId) -> Result<Option<SagaInstance>, StoreError> {
        Ok(self.lock()?.get(&id).cloned())
    }

    async fn list_unfinished(&self) -> Result<Vec<SagaInstance>, StoreError> {
        let mut unfinished: Vec<_> =
            self.lock()?.values().filter(|i| !i.state.is_terminal()).cloned().collect();
        unfinished.sort_by_key(|i| (i.created_at, i.id));
        Ok(unfinished)
    }
}
