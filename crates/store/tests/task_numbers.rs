//! Per-user task numbers under concurrency, on SQLite and PostgreSQL (PostgreSQL tests are
//! `#[ignore]`d: run them with TEST_DATABASE_URL set and `--include-ignored`).

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use todobot_store::{Backend, DbOptions, NewUser, Store, StoreError, User};

/// A fresh database: a SQLite file in a temporary directory, or a PostgreSQL schema of its own.
struct TestDb {
    store: Store,
    schema: Option<String>,
    dir: std::path::PathBuf,
}

impl TestDb {
    async fn open(pg: bool, max_connections: u32) -> Self {
        let name = format!("task_numbers_{}", uuid::Uuid::new_v4().simple());
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (mut opts, schema) = if pg {
            let url = std::env::var("TEST_DATABASE_URL")
                .ok()
                .filter(|s| !s.trim().is_empty())
                .expect("this PostgreSQL test needs TEST_DATABASE_URL");
            (DbOptions::new(url), Some(name))
        } else {
            let url = format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display());
            (DbOptions::new(url), None)
        };
        opts.schema = schema.clone();
        opts.max_connections = max_connections;
        let store = Store::connect(&opts).await.expect("connect");
        store.migrate().await.expect("migrate");
        Self { store, schema, dir }
    }

    async fn user(&self, name: &str) -> User {
        self.store
            .create_user(NewUser {
                email: format!("{name}@example.com"),
                name: name.into(),
                password_hash: None,
                image: None,
            })
            .await
            .expect("user")
    }

    async fn numbers(&self, user: &User) -> Vec<i64> {
        let tasks = self
            .store
            .list_tasks(&user.id, Default::default(), None, 0)
            .await
            .expect("list");
        tasks.iter().map(|t| t.id).collect()
    }

    async fn close(self) {
        if let Some(schema) = &self.schema {
            self.store
                .execute_unprepared(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
                .await
                .expect("drop schema");
        }
        let _ = self.store.close().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// 64 creates at once for one user (interleaved with 16 for another) over a pool of 16
/// connections: every one succeeds, and each user's numbers are exactly 1..=n.
async fn concurrent_creates_get_unique_dense_numbers(pg: bool) {
    let db = TestDb::open(pg, 16).await;
    let (hot, other) = (db.user("hot").await, db.user("other").await);
    let mut set = tokio::task::JoinSet::new();
    for i in 0..80 {
        let store = db.store.clone();
        let user = if i % 5 == 4 {
            other.id.clone()
        } else {
            hot.id.clone()
        };
        set.spawn(async move {
            let task = store.create_task(&user, &format!("task {i}"), None).await;
            (user, task.map(|t| t.id))
        });
    }
    let (mut hot_ids, mut other_ids) = (Vec::new(), Vec::new());
    while let Some(joined) = set.join_next().await {
        let (user, id) = joined.expect("task panicked");
        let id = id.expect("every concurrent create succeeds");
        if user == hot.id {
            hot_ids.push(id)
        } else {
            other_ids.push(id)
        }
    }
    hot_ids.sort_unstable();
    other_ids.sort_unstable();
    assert_eq!(hot_ids, (1..=64).collect::<Vec<_>>());
    assert_eq!(other_ids, (1..=16).collect::<Vec<_>>());
    assert_eq!(db.numbers(&hot).await, hot_ids, "stored as returned");
    assert_eq!(db.numbers(&other).await, other_ids);
    db.close().await;
}

/// An insert that fails after its number was taken leaves a gap; the number is not handed out
/// again, and nothing is stored for the failed create.
async fn a_failed_insert_leaves_a_gap_never_a_duplicate(pg: bool) {
    let db = TestDb::open(pg, 4).await;
    let user = db.user("gap").await;
    // this database only: refuse one title at insert time, after validation and the counter bump
    let refuse = if pg {
        "ALTER TABLE tasks ADD CONSTRAINT refuse_boom CHECK (title <> 'boom')"
    } else {
        "CREATE TRIGGER refuse_boom BEFORE INSERT ON tasks WHEN NEW.title = 'boom' \
         BEGIN SELECT RAISE(ABORT, 'boom'); END"
    };
    db.store
        .execute_unprepared(refuse)
        .await
        .expect("constraint");
    let first = db.store.create_task(&user.id, "first", None).await;
    assert_eq!(first.expect("first").id, 1);
    let failed = db.store.create_task(&user.id, "boom", None).await;
    assert!(failed.is_err(), "the refused insert fails: {failed:?}");
    let third = db.store.create_task(&user.id, "third", None).await;
    assert_eq!(third.expect("third").id, 3, "number 2 is a gap");
    assert_eq!(db.numbers(&user).await, vec![1, 3]);
    db.close().await;
}

/// A create for an unknown user is refused and creates nothing.
async fn unknown_user_is_refused(pg: bool) {
    let db = TestDb::open(pg, 2).await;
    let res = db.store.create_task("no-such-user", "x", None).await;
    assert!(matches!(res, Err(StoreError::UserNotFound)), "{res:?}");
    db.close().await;
}

/// The counter bump commits asynchronously on PostgreSQL; that setting is local to its own
/// transaction: the pooled connection still commits synchronously afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL: needs TEST_DATABASE_URL, run with --include-ignored"]
async fn postgres_async_commit_does_not_leak_to_the_connection() {
    let db = TestDb::open(true, 1).await;
    assert_eq!(db.store.backend(), Backend::Postgres);
    let user = db.user("durable").await;
    db.store
        .create_task(&user.id, "t", None)
        .await
        .expect("create");
    let row = db
        .store
        .connection()
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_setting('synchronous_commit') AS s",
        ))
        .await
        .expect("query")
        .expect("row");
    assert_eq!(row.try_get::<String>("", "s").expect("s"), "on");
    db.close().await;
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(false).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "PostgreSQL: needs TEST_DATABASE_URL, run with --include-ignored"]
            async fn postgres() {
                super::$name(true).await;
            }
        }
    )*};
}

both_backends!(
    concurrent_creates_get_unique_dense_numbers,
    a_failed_insert_leaves_a_gap_never_a_duplicate,
    unknown_user_is_refused,
);
