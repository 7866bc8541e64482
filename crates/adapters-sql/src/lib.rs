//! # adapters-sql: the core ports on sea-orm
//!
//! - [`SqlSagaStore`]: the `core-saga` [`SagaStore`](core_saga::SagaStore)
//!   on a SQL database: one row per saga instance, optimistic versioning on
//!   every save (`UPDATE … WHERE version = ?`), an index for the recovery scan.
//! - [`open_sqlite`]: a durable SQLite connection (WAL, `synchronous=FULL`,
//!   busy timeout) with the engine's migrations applied ([`Migrator`]).
//!
//! | feature  | database                          |
//! |----------|-----------------------------------|
//! | `sqlite` | SQLite through sqlx (default)     |
//!
//! ```no_run
//! # async fn demo() -> Result<(), adapters_sql::SqlError> {
//! let db = adapters_sql::open_sqlite(std::path::Path::new("app.db")).await?;
//! let store = adapters_sql::SqlSagaStore::new(db);
//! # let _ = store; Ok(()) }
//! ```

mod entity;
mod migration;
mod saga_store;

pub use migration::Migrator;
pub use saga_store::SqlSagaStore;
pub use sea_orm::DatabaseConnection;

use std::{path::Path, time::Duration};

use sea_orm::{ConnectOptions, Database};
use sea_orm_migration::MigratorTrait;

/// Why opening or migrating a database failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqlError {
    /// The database could not be opened.
    #[error("could not open database `{target}`: {source}")]
    Open {
        /// The file or URL.
        target: String,
        /// The driver error.
        #[source]
        source: sea_orm::DbErr,
    },
    /// The engine's migrations could not be applied.
    #[error("could not migrate database `{target}`: {source}")]
    Migrate {
        /// The file or URL.
        target: String,
        /// The driver error.
        #[source]
        source: sea_orm::DbErr,
    },
}

/// Opens (creating if missing) a SQLite file for durable engine state and
/// applies the engine's migrations.
///
/// The connection uses WAL with `synchronous=FULL`: a committed saga
/// transition survives a crash or power loss.
///
/// # Errors
/// [`SqlError::Open`] or [`SqlError::Migrate`].
#[cfg(feature = "sqlite")]
pub async fn open_sqlite(path: &Path) -> Result<DatabaseConnection, SqlError> {
    use sea_orm::{
        SqlxSqliteConnector,
        sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    };
    let target = path.display().to_string();
    // Options, not a URL: a file name may hold characters a URL cannot
    // (`?`, `#`, spaces).
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    let pool =
        SqlitePoolOptions::new().max_connections(4).min_connections(1).connect_with(options).await.map_err(
            |e| SqlError::Open {
                target: target.clone(),
                source: sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())),
            },
        )?;
    let db = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
    migrate(&db, &target).await?;
    Ok(db)
}

/// An in-memory SQLite database with the migrations applied (tests, the
/// `memory` profile). One connection: the database lives as long as it.
///
/// # Errors
/// [`SqlError::Open`] or [`SqlError::Migrate`].
#[cfg(feature = "sqlite")]
pub async fn open_sqlite_in_memory() -> Result<DatabaseConnection, SqlError> {
    let target = "sqlite::memory:".to_owned();
    let mut options = ConnectOptions::new(target.clone());
    options.max_connections(1).min_connections(1).sqlx_logging(false);
    let db = Database::connect(options)
        .await
        .map_err(|source| SqlError::Open { target: target.clone(), source })?;
    migrate(&db, &target).await?;
    Ok(db)
}

async fn migrate(db: &DatabaseConnection, target: &str) -> Result<(), SqlError> {
    Migrator::up(db, None).await.map_err(|source| SqlError::Migrate { target: target.to_owned(), source })
}
