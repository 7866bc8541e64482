// The trait is declared with `async_trait` and a late-bound lifetime.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum SagaInstances {
    Table,
    Id,
    SagaName,
    State,
    CurrentStep,
    Data,
    StepLog,
    Version,
    Error,
    CorrelationId,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SagaInstances::Table)
                    .if_not_exists()
                    .col(text(SagaInstances::Id).primary_key())
                    .col(text(SagaInstances::SagaName))
                    .col(text(SagaInstances::State))
                    .col(big_integer(SagaInstances::CurrentStep))
                    .col(text(SagaInstances::Data))
                    .col(text(SagaInstances::StepLog))
                    .col(big_integer(SagaInstances::Version))
                    .col(text_null(SagaInstances::Error))
                    .col(text(SagaInstances::CorrelationId))
                    .col(text(SagaInstances::CreatedAt))
                    .col(text(SagaInstances::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // The recovery scan reads unfinished instances, oldest first.
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_saga_instances_state_created")
                    .table(SagaInstances::Table)
                    .col(SagaInstances::State)
                    .col(SagaInstances::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SagaInstances::Table).to_owned()).await
    }
}
