//! todobot's store: the schema, its migrations and every query the application runs.
//!
//! One code path serves SQLite (the zero-setup default) and PostgreSQL (production); the backend is
//! chosen by the database URL. Every task, conversation and message query takes the owning user's id
//! and filters by it, so a caller can only ever reach its own rows.

mod conversations;
pub mod entity;
mod error;
mod keys;
pub mod migration;
mod oauth;
mod rate_limit;
mod sessions;
mod task_details;
mod tasks;
mod timed;
mod turns;
mod users;
pub mod validate;

use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection};
use sea_orm_migration::MigratorTrait;

pub use conversations::{Conversation, Message, MessageOrder, MessageStatus, NewMessage, Role};
pub use error::StoreError;
pub use keys::SigningKeyRow;
pub use oauth::{Connection, NewGrant, OauthClient, OauthGrant, PersonalAccessToken, Redeemed};
pub use sessions::Session;
pub use task_details::{
    MAX_TAGS, Priority, Recurrence, SortKey, TaskDetails, decode_tags, normalize_tag,
    normalize_tags, parse_instant, parse_timezone,
};
pub use tasks::{Completion, StatusFilter, Task, TaskPatch, TaskQuery};
pub use turns::TurnSlot;
pub use users::{NewUser, User};

/// How to reach the database.
#[derive(Clone, Debug)]
pub struct DbOptions {
    /// `sqlite://path?mode=rwc` or `postgres://user:pass@host/db`.
    pub url: String,
    pub max_connections: u32,
    /// How long a request waits for a pooled connection before failing (fail fast when the database is down).
    pub acquire_timeout: Duration,
    pub connect_timeout: Duration,
    /// PostgreSQL only: a schema to create (if missing) and put first on the search path.
    pub schema: Option<String>,
    /// Bound on one database call (PostgreSQL statement_timeout and a client-side bound), or none.
    pub statement_timeout: Option<Duration>,
    /// SQLite: how long a write waits for the database lock.
    pub busy_timeout: Duration,
}

impl DbOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(3),
            schema: None,
            statement_timeout: None,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// Which database engine the store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle on the database; cheap to clone (it wraps a connection pool).
#[derive(Clone, Debug)]
pub struct Store {
    db: timed::TimedDb,
}

impl Store {
    /// Connects to the database named by `opts.url`.
    pub async fn connect(opts: &DbOptions) -> Result<Self, StoreError> {
        let is_sqlite = opts.url.starts_with("sqlite:");
        if !is_sqlite
            && !opts.url.starts_with("postgres://")
            && !opts.url.starts_with("postgresql://")
        {
            return Err(StoreError::Config(
                "DATABASE_URL must start with sqlite:, postgres:// or postgresql://".into(),
            ));
        }
        let mut options = ConnectOptions::new(opts.url.clone());
        if let Some(schema) = opts.schema.as_deref().filter(|_| !is_sqlite) {
            if schema.is_empty()
                || schema.len() > 63
                || !schema
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(StoreError::Config(
                    "DATABASE_SCHEMA must be 1-63 characters of [A-Za-z0-9_]".into(),
                ));
            }
            let mut bootstrap = ConnectOptions::new(opts.url.clone());
            bootstrap
                .max_connections(1)
                .connect_timeout(opts.connect_timeout)
                .acquire_timeout(opts.acquire_timeout)
                .sqlx_logging(false);
            let db = Database::connect(bootstrap).await?;
            create_schema(&db, schema).await?;
            let _ = db.close().await;
            options.set_schema_search_path(schema.to_owned());
        }
        options
            .max_connections(opts.max_connections.max(1))
            .min_connections(if is_sqlite { 1 } else { 0 })
            .acquire_timeout(opts.acquire_timeout)
            .connect_timeout(opts.connect_timeout)
            .idle_timeout(Duration::from_secs(300))
            .test_before_acquire(false)
            .sqlx_logging(false);
        if is_sqlite {
            let busy_timeout = opts.busy_timeout;
            options.map_sqlx_sqlite_opts(move |o| {
                o.create_if_missing(true)
                    .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(busy_timeout)
                    .foreign_keys(true)
            });
        }
        if let Some(bound) = opts.statement_timeout.filter(|_| !is_sqlite) {
            let ms = bound.as_millis().max(1).to_string();
            options.map_sqlx_postgres_opts(move |o| o.options([("statement_timeout", ms.clone())]));
        }
        let db = Database::connect(options).await?;
        Ok(Self {
            db: timed::TimedDb::new(db, opts.statement_timeout),
        })
    }

    /// Applies every pending migration. On PostgreSQL this holds a transaction-scoped advisory
    /// lock, so replicas starting together (MIGRATE_ON_START) migrate one at a time.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        if self.backend() == Backend::Postgres {
            use sea_orm::{ConnectionTrait, TransactionTrait};
            let txn = self.db.inner.begin().await?;
            // migrations (and waiting for another replica's) are not bound by statement_timeout
            txn.execute_unprepared("SET LOCAL statement_timeout = 0")
                .await?;
            txn.execute_unprepared("SELECT pg_advisory_xact_lock(7402611115)")
                .await?;
            migration::Migrator::up(&txn, None).await?;
            return Ok(txn.commit().await?);
        }
        Ok(migration::Migrator::up(&self.db.inner, None).await?)
    }

    /// Names of migrations not yet applied.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, StoreError> {
        let pending = migration::Migrator::get_pending_migrations(&self.db.inner).await?;
        Ok(pending.iter().map(|m| m.name().to_owned()).collect())
    }

    /// Round-trips a trivial query; used by the readiness probe.
    pub async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.db.ping().await?)
    }

    pub fn backend(&self) -> Backend {
        match self.db.inner.get_database_backend() {
            DatabaseBackend::Postgres => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }

    /// The underlying connection, for tests and maintenance tasks.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db.inner
    }

    /// Closes the pool (waits for checked-out connections to return).
    pub async fn close(self) -> Result<(), StoreError> {
        Ok(self.db.inner.close().await?)
    }

    /// Executes raw SQL; for test setup only.
    pub async fn execute_unprepared(&self, sql: &str) -> Result<(), StoreError> {
        Ok(self.db.execute_unprepared(sql).await.map(|_| ())?)
    }
}

/// `CREATE SCHEMA IF NOT EXISTS`, tolerating the race of replicas starting together (PostgreSQL
/// may then report a unique violation on pg_namespace for all but one of them).
async fn create_schema(db: &DatabaseConnection, schema: &str) -> Result<(), StoreError> {
    let sql = format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"");
    for attempt in 0..3 {
        match db.execute_unprepared(&sql).await.map_err(StoreError::from) {
            Ok(_) => return Ok(()),
            Err(StoreError::Conflict(_)) if attempt < 2 => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The current time, truncated to microseconds so it round-trips through every backend unchanged.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::{DurationRound, TimeDelta};
    let now = chrono::Utc::now();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}
