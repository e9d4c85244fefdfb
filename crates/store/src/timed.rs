//! The pool, with a bound on every database call (DB_STATEMENT_TIMEOUT_MS).
//!
//! PostgreSQL's own `statement_timeout` (set on every connection too) stops a statement the
//! server is stuck on; this bound also covers a database the client cannot hear from at all (a
//! network partition drops packets, nothing resets the connection): the call fails as
//! `Unavailable` (503) instead of hanging for the whole partition. The pool replaces connections
//! abandoned this way once the database answers again.

use std::{future::Future, time::Duration};

use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    ExecResult, QueryResult, Statement, TransactionTrait,
};
use sea_orm_migration::async_trait::async_trait;

#[derive(Clone, Debug)]
pub(crate) struct TimedDb {
    pub(crate) inner: DatabaseConnection,
    bound: Option<Duration>,
}

impl TimedDb {
    pub(crate) fn new(inner: DatabaseConnection, bound: Option<Duration>) -> Self {
        Self { inner, bound }
    }

    async fn timed<T>(&self, work: impl Future<Output = Result<T, DbErr>>) -> Result<T, DbErr> {
        match self.bound {
            Some(bound) => match tokio::time::timeout(bound, work).await {
                Ok(r) => r,
                Err(_) => {
                    tracing::warn!(
                        bound_ms = bound.as_millis() as u64,
                        "database call timed out"
                    );
                    Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))
                }
            },
            None => work.await,
        }
    }

    /// Starts a transaction (bounded like any call).
    pub(crate) async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.timed(self.inner.begin()).await
    }

    pub(crate) async fn ping(&self) -> Result<(), DbErr> {
        self.timed(self.inner.ping()).await
    }
}

#[async_trait]
impl ConnectionTrait for TimedDb {
    fn get_database_backend(&self) -> DbBackend {
        self.inner.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.timed(self.inner.execute_raw(stmt)).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.timed(self.inner.execute_unprepared(sql)).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.timed(self.inner.query_one_raw(stmt)).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.timed(self.inner.query_all_raw(stmt)).await
    }

    fn support_returning(&self) -> bool {
        self.inner.support_returning()
    }
}
