//! Ed25519 signing keys: generated once, persisted in the database (private half encrypted with a
//! key derived from the server secret), published as a JWKS. Every replica loads the same keys;
//! replicas starting together create one key between them (the insert is checked under a lock); a
//! token with an unknown `kid` triggers an immediate reload (one at a time, at most one per 50 ms
//! against floods), so keys added by another replica or a fresh migration work at once.

use std::{
    collections::HashMap,
    sync::{
        RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit},
};
use ed25519_dalek::{SigningKey, pkcs8::EncodePrivateKey};
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::Serialize;
use sha2::{Digest, Sha256};
use todobot_store::{SigningKeyRow, Store, StoreError};
use tokio::sync::Mutex;

/// A public key as published at /api/auth/jwks.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Jwk {
    pub kty: &'static str,
    pub crv: &'static str,
    pub x: String,
    pub kid: String,
    pub alg: &'static str,
    #[serde(rename = "use")]
    pub use_: &'static str,
}

struct Ring {
    signing: Option<(String, EncodingKey)>,
    verifying: HashMap<String, DecodingKey>,
    jwks: Vec<Jwk>,
}

pub struct Keys {
    store: Store,
    cipher_key: [u8; 32],
    ring: RwLock<Ring>,
    last_reload: Mutex<Option<Instant>>,
    /// Completed re-reads (callers that waited on one in progress need not start another).
    generation: AtomicU64,
}

const MIN_RELOAD_INTERVAL: Duration = Duration::from_millis(50);
const ENCRYPTION_PREFIX: &str = "v1.";

fn derive_cipher_key(secret: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"todobot:jwks-encryption:v1:");
    h.update(secret.as_bytes());
    h.finalize().into()
}

fn encrypt(key: &[u8; 32], plaintext: &[u8]) -> Result<String, StoreError> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let nonce_bytes: [u8; 24] = rand::random();
    let ct = cipher
        .encrypt(&XNonce::from(nonce_bytes), plaintext)
        .map_err(|_| StoreError::Internal("key encryption failed".into()))?;
    let mut out = nonce_bytes.to_vec();
    out.extend_from_slice(&ct);
    Ok(format!("{ENCRYPTION_PREFIX}{}", B64.encode(out)))
}

fn decrypt(key: &[u8; 32], stored: &str) -> Option<Vec<u8>> {
    let raw = B64.decode(stored.strip_prefix(ENCRYPTION_PREFIX)?).ok()?;
    if raw.len() < 24 {
        return None;
    }
    let (nonce, ct) = raw.split_at(24);
    let nonce: [u8; 24] = nonce.try_into().ok()?;
    XChaCha20Poly1305::new(key.into())
        .decrypt(&XNonce::from(nonce), ct)
        .ok()
}

fn build_ring(rows: &[SigningKeyRow], cipher_key: &[u8; 32]) -> Ring {
    let mut verifying = HashMap::new();
    let mut jwks = Vec::new();
    let mut signing = None;
    // rows are newest first: the newest key we can decrypt signs
    for row in rows {
        match DecodingKey::from_ed_components(&row.public_key) {
            Ok(k) => {
                verifying.insert(row.id.clone(), k);
                jwks.push(Jwk {
                    kty: "OKP",
                    crv: "Ed25519",
                    x: row.public_key.clone(),
                    kid: row.id.clone(),
                    alg: "EdDSA",
                    use_: "sig",
                });
            }
            Err(_) => {
                tracing::warn!(kid = %row.id, "ignoring malformed public key");
                continue;
            }
        }
        if signing.is_none()
            && let Some(der) = decrypt(cipher_key, &row.private_key)
        {
            signing = Some((row.id.clone(), EncodingKey::from_ed_der(&der)));
        }
    }
    Ring {
        signing,
        verifying,
        jwks,
    }
}

impl Keys {
    /// Loads the keys; when `may_generate` and no usable signing key exists, creates one (exactly
    /// one, however many replicas start at once).
    pub async fn load(store: Store, secret: &str, may_generate: bool) -> Result<Self, StoreError> {
        let cipher_key = derive_cipher_key(secret);
        let mut ring = build_ring(&store.signing_keys().await?, &cipher_key);
        for _ in 0..5 {
            if ring.signing.is_some() || !may_generate {
                break;
            }
            let rows = store.signing_keys().await?;
            ring = build_ring(&rows, &cipher_key);
            if ring.signing.is_some() {
                break;
            }
            if !rows.is_empty() {
                tracing::warn!(
                    "no signing key can be decrypted with the current secret; generating a new one \
                     (tokens signed by the old keys stay valid until they expire)"
                );
            }
            let seen: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            if !generate_key(&store, &cipher_key, &seen).await? {
                tracing::info!("another replica created a signing key meanwhile; using it");
            }
            ring = build_ring(&store.signing_keys().await?, &cipher_key);
        }
        Ok(Self {
            store,
            cipher_key,
            ring: RwLock::new(ring),
            last_reload: Mutex::new(Some(Instant::now())),
            generation: AtomicU64::new(0),
        })
    }

    /// Re-reads the keys from the database (for a token with an unknown key id). Callers waiting
    /// while another call re-reads share its result; against floods, re-reads are spaced at least
    /// 50 ms apart (a later caller waits for its turn rather than being refused).
    pub async fn reload(&self) -> Result<bool, StoreError> {
        let seen = self.generation.load(Ordering::SeqCst);
        let mut last = self.last_reload.lock().await;
        if self.generation.load(Ordering::SeqCst) != seen {
            return Ok(true);
        }
        if let Some(since) = last.map(|t| t.elapsed())
            && since < MIN_RELOAD_INTERVAL
        {
            tokio::time::sleep(MIN_RELOAD_INTERVAL - since).await;
        }
        let rows = self.store.signing_keys().await?;
        *last = Some(Instant::now());
        let ring = build_ring(&rows, &self.cipher_key);
        if let Ok(mut guard) = self.ring.write() {
            *guard = ring;
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(true)
    }

    /// The key id and key that sign new tokens.
    pub fn signing_key(&self) -> Option<(String, EncodingKey)> {
        self.ring.read().ok()?.signing.clone()
    }

    pub fn decoding_key(&self, kid: &str) -> Option<DecodingKey> {
        self.ring.read().ok()?.verifying.get(kid).cloned()
    }

    pub fn jwks(&self) -> Vec<Jwk> {
        self.ring.read().map(|r| r.jwks.clone()).unwrap_or_default()
    }
}

/// Creates a key unless the stored keys changed from `seen` meanwhile; true when created.
async fn generate_key(
    store: &Store,
    cipher_key: &[u8; 32],
    seen: &[String],
) -> Result<bool, StoreError> {
    let signing = SigningKey::generate(&mut rand::rngs::OsRng);
    let der = signing
        .to_pkcs8_der()
        .map_err(|_| StoreError::Internal("could not encode signing key".into()))?;
    let public = B64.encode(signing.verifying_key().to_bytes());
    let kid = uuid::Uuid::new_v4().simple().to_string();
    let encrypted = encrypt(cipher_key, der.as_bytes())?;
    let created = store
        .insert_signing_key_if_unchanged(seen, &kid, &public, &encrypted)
        .await?;
    if created {
        tracing::info!(%kid, "generated a new Ed25519 signing key");
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encryption_round_trips_and_detects_wrong_key() {
        let k1 = derive_cipher_key("one-secret-that-is-long-enough-xxxxx");
        let k2 = derive_cipher_key("another-secret-that-is-long-enough-x");
        let sealed = encrypt(&k1, b"private key bytes").unwrap();
        assert!(!sealed.contains("private"));
        assert_eq!(
            decrypt(&k1, &sealed).as_deref(),
            Some(&b"private key bytes"[..])
        );
        assert_eq!(decrypt(&k2, &sealed), None);
        assert_eq!(decrypt(&k1, "garbage"), None);
    }
}
