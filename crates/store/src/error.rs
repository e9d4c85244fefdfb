use sea_orm::{DbErr, RuntimeErr, sqlx};

use crate::validate::FieldErrors;

/// Everything the store can fail with, classified for the caller.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Input failed validation; nothing was written.
    #[error("validation failed: {0}")]
    Validation(FieldErrors),
    /// A unique constraint was violated (e.g. email already registered).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The referenced user does not exist (e.g. deleted while a token for it is still valid).
    #[error("user not found")]
    UserNotFound,
    /// The database could not be reached or is shutting down: the request may be retried.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Misconfiguration, e.g. an unsupported database URL.
    #[error("configuration: {0}")]
    Config(String),
    /// Anything else: a bug or an unexpected database state.
    #[error("database error: {0}")]
    Internal(String),
}

impl StoreError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

fn sqlx_is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            // PostgreSQL: class 08 (connection exception), 57P0x (operator intervention: shutdown),
            // 53 (insufficient resources). SQLite: SQLITE_BUSY (5) / SQLITE_LOCKED (6) after the busy timeout.
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            code.starts_with("08")
                || code.starts_with("57P")
                || code.starts_with("53")
                || code == "5"
                || code == "6"
                || code == "517"
                || code == "261"
        }
        _ => false,
    }
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(msg)) = err.sql_err() {
            return StoreError::Conflict(msg);
        }
        match &err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => {
                StoreError::Unavailable(err.to_string())
            }
            DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))
                if sqlx_is_unavailable(e) =>
            {
                StoreError::Unavailable(err.to_string())
            }
            _ => StoreError::Internal(err.to_string()),
        }
    }
}

impl From<FieldErrors> for StoreError {
    fn from(e: FieldErrors) -> Self {
        StoreError::Validation(e)
    }
}
