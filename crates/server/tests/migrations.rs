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

/// A database made by the first schema, with data in it, upgrades in place: every task is kept and
/// gets the defaults of the new fields.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_first_schema_upgrades_keeping_its_tasks() {
    use sea_orm::{ConnectionTrait, Database};
    use sea_orm_migration::MigratorTrait;
    use todobot_store::migration::Migrator;

    let dir =
        std::env::temp_dir().join(format!("todobot-upgrade-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("old.db").display());
    let db = Database::connect(&url).await.expect("connect");
    Migrator::up(&db, Some(1))
        .await
        .expect("first migration only");
    db.execute_unprepared(
        "INSERT INTO users (id, email, name, email_verified, last_task_id, created_at, updated_at) \
         VALUES ('u1', 'old@example.com', 'Old', FALSE, 2, '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z'); \
         INSERT INTO tasks (user_id, id, title, description, completed, created_at, updated_at) VALUES \
         ('u1', 1, 'Old task', 'kept', TRUE, '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z'), \
         ('u1', 2, 'Another', NULL, FALSE, '2026-11-02T00:00:00Z', '2026-11-02T00:00:00Z');",
    )
    .await
    .expect("old data");
    db.close().await.expect("close");

    let store = Store::connect(&DbOptions::new(url)).await.expect("store");
    store.migrate().await.expect("upgrade");
    assert!(
        store
            .pending_migrations()
            .await
            .expect("pending")
            .is_empty()
    );
    let tasks = store
        .list_tasks("u1", todobot_store::StatusFilter::All, None, 0)
        .await
        .expect("list");
    assert_eq!(tasks.len(), 2);
    assert_eq!(
        (
            tasks[0].title.as_str(),
            tasks[0].description.as_deref(),
            tasks[0].completed
        ),
        ("Old task", Some("kept"), true)
    );
    assert_eq!(
        (
            tasks[1].priority,
            tasks[1].tags.as_str(),
            tasks[1].due_at,
            tasks[1].recurrence.as_deref()
        ),
        (1, "", None, None)
    );
    let next = store.create_task("u1", "New", None).await.expect("create");
    assert_eq!(next.id, 3, "numbering continues");
    store.close().await.expect("close");
    let _ = std::fs::remove_dir_all(dir);
}
