use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use core_domain::CorrelationId;
use core_saga::{SagaId, SagaInstance, SagaState, SagaStore, StoreError};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, Set,
    SqlErr,
};

use crate::entity::saga_instance::{self, ActiveModel, Column, Entity};

/// The [`SagaStore`] on a SQL database through sea-orm.
///
/// One row per instance; the step log and data are JSON text. Every save is
/// a single `UPDATE … WHERE id = ? AND version = ?`: a stale writer updates
/// nothing and gets [`StoreError::Conflict`].
#[derive(Debug, Clone)]
pub struct SqlSagaStore {
    db: DatabaseConnection,
}

impl SqlSagaStore {
    /// A store on `db`, which must be migrated (see [`open_sqlite`](crate::open_sqlite)).
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The connection.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}

fn backend(error: DbErr) -> StoreError {
    StoreError::Backend(Box::new(error))
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn encode(instance: &SagaInstance) -> Result<ActiveModel, StoreError> {
    let json = |value: Result<String, serde_json::Error>| {
        value.map_err(|e| StoreError::Corrupt { id: instance.id.to_string(), reason: e.to_string() })
    };
    let int = |value: u64| {
        i64::try_from(value).map_err(|_| StoreError::Corrupt {
            id: instance.id.to_string(),
            reason: format!("{value} does not fit a SQL integer"),
        })
    };
    Ok(ActiveModel {
        id: Set(instance.id.to_string()),
        saga_name: Set(instance.saga.clone()),
        state: Set(instance.state.as_str().to_owned()),
        current_step: Set(int(instance.current_step as u64)?),
        data: Set(json(serde_json::to_string(&instance.data))?),
        step_log: Set(json(serde_json::to_string(&instance.log))?),
        version: Set(int(instance.version)?),
        error: Set(instance.error.clone()),
        correlation_id: Set(instance.correlation_id.to_string()),
        created_at: Set(timestamp(instance.created_at)),
        updated_at: Set(timestamp(instance.updated_at)),
    })
}

fn decode(row: saga_instance::Model) -> Result<SagaInstance, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt { id: row.id.clone(), reason };
    let uuid =
        |text: &str| uuid::Uuid::parse_str(text).map_err(|e| corrupt(format!("bad uuid `{text}`: {e}")));
    let time = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| corrupt(format!("bad timestamp `{text}`: {e}")))
    };
    Ok(SagaInstance {
        id: SagaId(uuid(&row.id)?),
        saga: row.saga_name.clone(),
        state: SagaState::parse(&row.state)
            .ok_or_else(|| corrupt(format!("unknown state `{}`", row.state)))?,
        current_step: usize::try_from(row.current_step).map_err(|e| corrupt(e.to_string()))?,
        data: serde_json::from_str(&row.data).map_err(|e| corrupt(format!("data: {e}")))?,
        log: serde_json::from_str(&row.step_log).map_err(|e| corrupt(format!("step log: {e}")))?,
        version: u64::try_from(row.version).map_err(|e| corrupt(e.to_string()))?,
        error: row.error.clone(),
        correlation_id: CorrelationId(uuid(&row.correlation_id)?),
        created_at: time(&row.created_at)?,
        updated_at: time(&row.updated_at)?,
    })
}

#[async_trait]
impl SagaStore for SqlSagaStore {
    async fn create(&self, instance: &SagaInstance) -> Result<(), StoreError> {
        match encode(instance)?.insert(&self.db).await {
            Ok(_) => Ok(()),
            Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Err(StoreError::Duplicate(instance.id))
            }
            Err(error) => Err(backend(error)),
        }
    }

    async fn save(&self, instance: &mut SagaInstance) -> Result<(), StoreError> {
        let expected = instance.version;
        let mut next = instance.clone();
        next.version = expected + 1;
        next.updated_at = Utc::now();
        let row = encode(&next)?;
        let result = Entity::update_many()
            .set(row)
            .filter(Column::Id.eq(instance.id.to_string()))
            .filter(Column::Version.eq(i64::try_from(expected).unwrap_or(i64::MAX)))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        if result.rows_affected == 1 {
            *instance = next;
            return Ok(());
        }
        match Entity::find_by_id(instance.id.to_string()).one(&self.db).await.map_err(backend)? {
            None => Err(StoreError::NotFound(instance.id)),
            Some(row) => Err(StoreError::Conflict {
                id: instance.id,
                expected,
                found: u64::try_from(row.version).unwrap_or_default(),
            }),
        }
    }

    async fn load(&self, id: SagaId) -> Result<Option<SagaInstance>, StoreError> {
        Entity::find_by_id(id.to_string()).one(&self.db).await.map_err(backend)?.map(decode).transpose()
    }

    async fn list_unfinished(&self) -> Result<Vec<SagaInstance>, StoreError> {
        Entity::find()
            .filter(Column::State.is_in([SagaState::Running.as_str(), SagaState::Compensating.as_str()]))
            .order_by_asc(Column::CreatedAt)
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await
            .map_err(backend)?
            .into_iter()
            .map(decode)
            .collect()
    }
}
