//! The `saga_instances` table.

#[allow(unreachable_pub, missing_docs)]
pub(crate) mod saga_instance {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "saga_instances")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub saga_name: String,
        pub state: String,
        pub current_step: i64,
        pub data: String,
        pub step_log: String,
        pub version: i64,
        pub error: Option<String>,
        pub correlation_id: String,
        pub created_at: String,
        pub updated_at: String,
    }

    impl ActiveModelBehavior for ActiveModel {}
}
