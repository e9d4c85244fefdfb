//! Password hashing with Argon2id (run off the async threads, a few at a time).

use std::sync::{Arc, OnceLock};

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

use tokio::sync::Semaphore;

use crate::error::ApiError;

/// Why a password could not be hashed or checked (never the password's fault: a wrong password is
/// `Ok(false)`). The HTTP edge answers it as an internal error.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The computation did not run to its end (the hashing pool closed, or the task panicked).
    #[error("{0}")]
    NotRun(String),
    /// Argon2 refused to hash.
    #[error("password hashing failed: {0}")]
    Hash(String),
}

impl From<PasswordError> for ApiError {
    fn from(e: PasswordError) -> Self {
        ApiError::internal(e)
    }
}

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// How many Argon2 computations may run at once: one per core, at most 4. Each holds a 19 MiB
/// working buffer while it runs and is CPU-bound, so more at once would only add memory (a burst of
/// sign-ups or sign-ins would grow the process by 19 MiB per request) without finishing sooner.
fn hashing_slot_count() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4)
}

fn hashing_slots() -> &'static Arc<Semaphore> {
    static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    SLOTS.get_or_init(|| Arc::new(Semaphore::new(hashing_slot_count())))
}

/// Runs `work` on the blocking pool once a hashing slot is free. The slot goes with the work, so a
/// request abandoned meanwhile cannot let more computations run than there are slots.
async fn run_limited<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    let slot = Arc::clone(hashing_slots())
        .acquire_owned()
        .await
        .map_err(|e| PasswordError::NotRun(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        work()
    })
    .await
    .map_err(|e| PasswordError::NotRun(e.to_string()))
}

/// Hashes a password to a PHC string (`$argon2id$v=19$...`).
pub async fn hash(password: String) -> Result<String, PasswordError> {
    run_limited(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    })
    .await?
}

/// Checks a password against a stored hash. With `None` (unknown account) it still does the work of
/// a verification against a fixed hash, so response times do not reveal which emails exist.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, PasswordError> {
    run_limited(move || {
        let target = stored.as_deref().unwrap_or(DUMMY_HASH);
        let Ok(parsed) = PasswordHash::new(target) else {
            return false;
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && stored.is_some()
    })
    .await
}

/// Argon2id hash of a random string nobody knows, with default parameters.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1Vq0tY2I6pK5ae4Ovqpz6VlV1KkXz0fKxdFJk3zZ2lE";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_reject() {
        let h = hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify("correct horse".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse".into(), Some(h)).await.unwrap());
        assert!(!verify("anything".into(), None).await.unwrap());
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn hashing_runs_at_most_one_computation_per_slot() {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs = (0..16).map(|_| {
            let (running, most) = (Arc::clone(&running), Arc::clone(&most));
            tokio::spawn(run_limited(move || {
                let now = running.fetch_add(1, SeqCst) + 1;
                most.fetch_max(now, SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                running.fetch_sub(1, SeqCst);
            }))
        });
        for job in futures::future::join_all(jobs).await {
            job.unwrap().unwrap();
        }
        let slots = hashing_slot_count();
        let most = most.load(SeqCst);
        assert!(
            most >= 1 && most <= slots,
            "{most} ran at once, {slots} slots"
        );
    }
}
