//! The engine's schema, as sea-orm migrations applied at boot.

use sea_orm_migration::prelude::*;

mod m20261203_000001_saga_instances;

/// Every engine migration, in order. Applied by [`open_sqlite`](crate::open_sqlite).
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261203_000001_saga_instances::Migration)]
    }
}
