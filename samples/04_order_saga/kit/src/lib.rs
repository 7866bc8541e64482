//! Helpers shared by the sample's modules for their own persistence: every
//! module keeps its tables in the database the composition root binds.
//! Not a module, and no module's types: depending on it couples nobody.

use std::future::Future;

use core_di::{StartupHooks, Wiring};
use core_domain::{Command, DomainError, ModuleContext};
use core_events::BusBuilder;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, Value};

/// A parameterised statement for `db`'s backend.
pub fn stmt(db: &impl ConnectionTrait, sql: &str, values: impl IntoIterator<Item = Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

/// A database failure as a transient domain error (sagas retry it).
pub fn unavailable(error: DbErr) -> DomainError {
    DomainError::Unavailable(format!("database: {error}"))
}

/// Registers a startup hook creating `module`'s tables with `ddl`
/// (`CREATE TABLE IF NOT EXISTS …` statements).
pub fn create_tables(wiring: &mut Wiring<'_>, db: &DatabaseConnection, ddl: &'static str) {
    let module = wiring.module();
    if let Some(hooks) = wiring.extension::<StartupHooks>() {
        let db = db.clone();
        hooks.add(module, "create tables", async move {
            db.execute_unprepared(ddl).await.map(|_| ()).map_err(Into::into)
        });
    }
}

/// Registers `module`'s handler for command `C`, which receives a clone of
/// the module's database connection.
pub fn command<C, F, Fut>(bus: &mut BusBuilder, module: &'static str, db: &DatabaseConnection, handler: F)
where
    C: Command,
    F: Fn(DatabaseConnection, C) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<C::Reply, DomainError>> + Send + 'static,
{
    let db = db.clone();
    bus.command(module, move |command: C, _ctx: ModuleContext| handler(db.clone(), command));
}
