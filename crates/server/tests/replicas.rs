//! Replicas starting together on one fresh database: one signing key between them, tokens from a
//! key another replica just created are accepted at once (no reload throttle), and concurrent
//! `CREATE SCHEMA IF NOT EXISTS` does not fail a start.

mod common;

use std::time::Duration;

use common::Db;
use todobot_server::{auth::AuthService, config::Config};
use todobot_store::{DbOptions, Store};

async fn fresh_store(db: Db) -> (Store, DbOptions, Option<String>) {
    let (opts, schema) = match db {
        Db::Sqlite => {
            let dir =
                std::env::temp_dir().join(format!("todobot-rep-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&dir).expect("dir");
            (
                DbOptions::new(format!("sqlite://{}/t.db?mode=rwc", dir.display())),
                None,
            )
        }
        Db::Postgres => {
            let schema = format!(
                "todobot_test_{}_rep{}",
                chrono::Utc::now().timestamp(),
                uuid::Uuid::new_v4().simple()
            );
            let mut opts = DbOptions::new(common::require_pg());
            opts.schema = Some(schema.clone());
            (opts, Some(schema))
        }
    };
    let store = Store::connect(&opts).await.expect("connect");
    store.migrate().await.expect("migrate");
    (store, opts, schema)
}

async fn cleanup(store: Store, schema: Option<String>) {
    if let Some(schema) = schema {
        let _ = store
            .execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .await;
    }
    let _ = store.close().await;
}

fn config() -> Config {
    let mut c = Config::from_args(["--data-dir", "/nonexistent"]).expect("config");
    c.auth.secret = Some(todobot_server::config::SecretString::from(common::SECRET));
    c.server.public_url = "http://todobot.test".parse().expect("url");
    c
}

async fn replicas_starting_together_share_one_key(db: Db) {
    let (store, opts, schema) = fresh_store(db).await;
    let mut stores = Vec::new();
    for _ in 0..8 {
        stores.push(Store::connect(&opts).await.expect("connect"));
    }
    let c = config();
    let services = futures::future::join_all(
        stores
            .iter()
            .map(|s| AuthService::new(s.clone(), &c, common::SECRET, true)),
    )
    .await;
    let services: Vec<AuthService> = services.into_iter().map(|s| s.expect("auth")).collect();
    assert_eq!(
        store.signing_keys().await.expect("keys").len(),
        1,
        "one key"
    );
    let kids: Vec<String> = services.iter().map(|s| s.jwks()[0].kid.clone()).collect();
    assert!(kids.iter().all(|k| *k == kids[0]), "{kids:?}");
    for s in stores {
        let _ = s.close().await;
    }
    cleanup(store, schema).await;
}

async fn a_key_created_by_another_replica_is_accepted_at_once(db: Db) {
    let (store, _opts, schema) = fresh_store(db).await;
    let c = config();
    // the MCP service starts first, before any key exists
    let mcp = AuthService::new(store.clone(), &c, common::SECRET, false)
        .await
        .expect("mcp auth");
    assert!(mcp.jwks().is_empty());
    let web = AuthService::new(store.clone(), &c, common::SECRET, true)
        .await
        .expect("web auth");
    let token = web
        .issue_token_for("user-1", None, None, Duration::from_secs(60))
        .expect("token");
    let user = mcp
        .verify_access_token(&token)
        .await
        .expect("accepted at once");
    assert_eq!(user.id, "user-1");
    cleanup(store, schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "PostgreSQL: needs TEST_DATABASE_URL, run with --include-ignored"]
async fn concurrent_schema_creation_does_not_fail_a_start() {
    let url = common::require_pg();
    let schema = format!(
        "todobot_test_{}_race{}",
        chrono::Utc::now().timestamp(),
        uuid::Uuid::new_v4().simple()
    );
    let mut opts = DbOptions::new(url);
    opts.schema = Some(schema.clone());
    let results = futures::future::join_all((0..15).map(|_| Store::connect(&opts))).await;
    let mut stores = Vec::new();
    for r in results {
        stores.push(r.expect("every start succeeds"));
    }
    let first = stores.remove(0);
    for s in stores {
        let _ = s.close().await;
    }
    cleanup(first, Some(schema)).await;
}

db_tests!(
    replicas_starting_together_share_one_key,
    a_key_created_by_another_replica_is_accepted_at_once,
);
