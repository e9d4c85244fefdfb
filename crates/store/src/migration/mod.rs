//! Schema migrations, applied by `todobot migrate` and (by default) at startup.

use sea_orm_migration::prelude::*;

mod m20261124_000001_init;
mod m20261125_000002_oauth;
mod m20261125_000003_turn_queue;
mod m20261125_000100_task_details;

/// All of todobot's migrations, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_init::Migration),
            Box::new(m20261125_000002_oauth::Migration),
            Box::new(m20261125_000003_turn_queue::Migration),
            Box::new(m20261125_000100_task_details::Migration),
        ]
    }
}
