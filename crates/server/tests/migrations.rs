//! Replicas starting together may all run migrations (MIGRATE_ON_START): they must not collide.

mod common;

use todobot_store::{DbOptions, Store};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "PostgreSQL: needs TEST_DATABASE_URL, run with --include-ignored"]
async fn concurrent_migrations_on_postgres_do_not_collide() {
    let url = common::require_pg();
    let schema = format!(
        "todobot_test_{}_mig{}",
        chrono::Utc::now().timestamp(),
        uuid::Uuid::new_v4().simple()
    );
    let mut opts = DbOptions::new(url);
    opts.schema = Some(schema.clone());
    let mut stores = Vec::new();
    for _ in 0..4 {
        stores.push(Store::connect(&opts).await.expect("connect"));
    }
    let results = futures::future::join_all(stores.iter().map(|s| s.migrate())).await;
    for r in &results {
        assert!(r.is_ok(), "{r:?}");
    }
    assert!(
        stores[0]
            .pending_migrations()
            .await
            .expect("pending")
            .is_empty()
    );
    stores[0]
        .execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
        .await
        .expect("drop schema");
}

#[tokio::test]
async fn migrations_are_idempotent_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("todobot-mig-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}/t.db?mode=rwc", dir.display());
    let store = Store::connect(&DbOptions::new(url)).await.expect("connect");
    store.migrate().await.expect("first");
    store.migrate().await.expect("second");
    assert!(
        store
            .pending_migrations()
            .await
            .expect("pending")
            .is_empty()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
