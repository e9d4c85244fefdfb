//! The verified-token cache: a signature check costs more than the rest of a request.

use std::{collections::HashMap, sync::Mutex};

use sha2::{Digest, Sha256};

use super::{AuthUser, LEEWAY_SECS};

/// Tokens whose signature and claims were already checked, keyed by the SHA-256 of the exact token
/// text, each kept only until the token's own expiry. Signing keys are never revoked before the
/// tokens they signed expire, so a remembered token is exactly as valid as when it was checked.
pub(super) struct TokenCache {
    entries: Mutex<HashMap<[u8; 32], (Verified, u64)>>,
    capacity: usize,
}

impl TokenCache {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    pub(super) fn key(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    /// Whether a token expiring at `exp` is still accepted at `now` (the leeway the full check allows).
    fn live(exp: u64, now: u64) -> bool {
        now <= exp.saturating_add(LEEWAY_SECS)
    }

    /// The user of a remembered token still within its validity (expiry plus leeway).
    pub(super) fn get(&self, key: &[u8; 32], now: u64) -> Option<Verified> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some((user, exp)) if Self::live(*exp, now) => Some(user.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    pub(super) fn insert(&self, key: [u8; 32], user: Verified, exp: u64, now: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            entries.retain(|_, (_, exp)| Self::live(*exp, now));
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (user, exp));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }
}

/// A verified token: its user and the session it belongs to (if any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Verified {
    pub(super) user: AuthUser,
    pub(super) sid: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AuthUser;

    fn user(id: &str) -> Verified {
        Verified {
            user: AuthUser {
                id: id.into(),
                email: None,
                name: None,
            },
            sid: None,
        }
    }

    #[test]
    fn remembered_tokens_expire_with_the_token() {
        let cache = TokenCache::new(8);
        let key = TokenCache::key("a.b.c");
        cache.insert(key, user("u1"), 1_000, 900);
        assert_eq!(cache.get(&key, 1_000), Some(user("u1")));
        assert_eq!(cache.get(&key, 1_000 + LEEWAY_SECS), Some(user("u1")));
        assert_eq!(cache.get(&key, 1_001 + LEEWAY_SECS), None);
        assert_eq!(cache.len(), 0, "an expired entry is dropped when seen");
        assert_eq!(cache.get(&TokenCache::key("a.b.d"), 900), None);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = TokenCache::new(4);
        for i in 0..4 {
            cache.insert(TokenCache::key(&format!("old{i}")), user("u"), 100, 50);
        }
        // full of expired entries: they make room
        cache.insert(TokenCache::key("new"), user("u"), 10_000, 5_000);
        assert_eq!(cache.len(), 1);
        for i in 0..10 {
            cache.insert(
                TokenCache::key(&format!("live{i}")),
                user("u"),
                10_000,
                5_000,
            );
            assert!(cache.len() <= 4);
        }
    }
}
