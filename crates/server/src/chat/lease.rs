//! Turn leases: the turns of one conversation run one at a time, in arrival order, on any replica.
//!
//! A turn takes a ticket in the conversation's queue (the database's `turn_queue`), waits until no
//! live ticket is ahead of it, runs, and gives the ticket back. Every ticket has a short lease
//! (TURN_LEASE_SECS) that a background heartbeat renews every third of it while its holder lives,
//! waiting or running. A holder that dies (kill -9, OOM, a node drain) or loses the database stops
//! renewing; the next request that looks at the conversation removes the stale ticket and goes
//! ahead, so a conversation is never locked for longer than one lease.

use std::time::Duration;

use todobot_store::{Store, TurnSlot};
use tokio::task::JoinHandle;

use super::TurnError;
use crate::AppState;

/// How long a ticket lives without being renewed.
pub fn lease_length(state: &AppState) -> Duration {
    Duration::from_secs(state.config.resilience.turn_lease_secs.max(3))
}

/// The longest a turn waits for the turns ahead of it before giving up with 409.
fn max_wait(state: &AppState) -> Duration {
    let c = &state.config;
    let per_request = c.llm.timeout_secs.max(1) * (u64::from(c.llm.max_retries) + 1);
    Duration::from_secs((per_request * c.llm.agent_max_turns.max(1) as u64 + 30).min(120))
}

fn until(lease: Duration) -> chrono::DateTime<chrono::Utc> {
    todobot_store::now()
        + chrono::Duration::from_std(lease).unwrap_or_else(|_| chrono::Duration::seconds(15))
}

/// A held turn. Give it back with [`TurnLease::release`]; dropped without that (a panic, a
/// cancelled request) it is released in the background, and if even that fails its lease lapses.
pub struct TurnLease {
    store: Store,
    ticket: i64,
    heartbeat: JoinHandle<()>,
    released: bool,
}

impl TurnLease {
    /// Gives the turn back to the next in line.
    pub async fn release(mut self) {
        self.released = true;
        self.heartbeat.abort();
        if let Err(e) = self.store.release_turn_ticket(self.ticket).await {
            tracing::warn!(error = %e, ticket = self.ticket, "could not release the turn lease (it will lapse)");
        }
    }
}

impl Drop for TurnLease {
    fn drop(&mut self) {
        self.heartbeat.abort();
        if self.released {
            return;
        }
        let (store, ticket) = (self.store.clone(), self.ticket);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = store.release_turn_ticket(ticket).await;
            });
        }
    }
}

/// Renews `ticket` every third of `lease` until aborted.
fn spawn_heartbeat(store: Store, ticket: i64, lease: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let every = lease / 3;
        loop {
            tokio::time::sleep(every).await;
            match store.renew_turn(ticket, until(lease)).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(ticket, "turn lease lost (it lapsed and was taken over)");
                    return;
                }
                Err(e) => tracing::warn!(error = %e, ticket, "could not renew the turn lease"),
            }
        }
    })
}

/// Waits for the conversation's turn: in arrival order, one at a time, across replicas.
pub async fn acquire(
    state: &AppState,
    user_id: &str,
    conversation_id: i64,
) -> Result<TurnLease, TurnError> {
    let lease = lease_length(state);
    let store = state.store.clone();
    let ticket = store
        .enqueue_turn(user_id, conversation_id, until(lease))
        .await?;
    let held = TurnLease {
        heartbeat: spawn_heartbeat(store.clone(), ticket, lease),
        store,
        ticket,
        released: false,
    };
    let deadline = tokio::time::Instant::now() + max_wait(state);
    let mut wait = Duration::from_millis(10);
    loop {
        if state
            .store
            .turn_slot(user_id, conversation_id, ticket)
            .await?
            == TurnSlot::Head
        {
            return Ok(held);
        }
        // a conversation deleted meanwhile: stop waiting
        if state
            .store
            .get_conversation(user_id, conversation_id)
            .await?
            .is_none()
        {
            held.release().await;
            return Err(TurnError::ConversationNotFound);
        }
        if tokio::time::Instant::now() >= deadline {
            held.release().await;
            return Err(TurnError::Busy);
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_millis(200));
    }
}
