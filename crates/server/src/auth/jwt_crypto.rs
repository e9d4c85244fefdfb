//! jsonwebtoken's cryptography for the only two algorithms todobot uses: EdDSA (the tokens it signs)
//! and HS256 (tokens from a Better Auth frontend sharing BETTER_AUTH_SECRET), on ed25519-dalek and
//! hmac/sha2. jsonwebtoken's bundled `rust_crypto` backend would also link `rsa`, which has an
//! unfixed timing side channel (RUSTSEC-2023-0071) and is never needed here; its `aws_lc_rs` backend
//! needs a C toolchain build. Every other algorithm is refused before any key is used.

use ed25519_dalek::{Signature, SigningKey, VerifyingKey, pkcs8::DecodePrivateKey};
use hmac::{Hmac, Mac};
use jsonwebtoken::{
    Algorithm, AlgorithmFamily, DecodingKey, EncodingKey,
    crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils},
    errors::{ErrorKind, Result, new_error},
    signature::{self, Signer, Verifier},
};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    // todobot builds its JWKS itself and never parses JWKs with jsonwebtoken.
    key_utils: KeyUtils::new_unimplemented(),
};

/// Makes this the process's jsonwebtoken backend. Idempotent; call before any token is signed or
/// verified (the auth service does when it starts).
pub fn install() {
    let _ = PROVIDER.install_default();
}

fn new_signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    match (alg, key.family()) {
        (Algorithm::EdDSA, AlgorithmFamily::Ed) => {
            let key = SigningKey::from_pkcs8_der(key.as_bytes())
                .map_err(|_| new_error(ErrorKind::InvalidEddsaKey))?;
            Ok(Box::new(EdDsaSigner(key)))
        }
        (Algorithm::HS256, AlgorithmFamily::Hmac) => Ok(Box::new(Hs256(hmac_key(key.as_bytes())?))),
        (Algorithm::EdDSA | Algorithm::HS256, _) => Err(new_error(ErrorKind::InvalidKeyFormat)),
        _ => Err(new_error(ErrorKind::InvalidAlgorithm)),
    }
}

fn new_verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    match (alg, key.family()) {
        (Algorithm::EdDSA, AlgorithmFamily::Ed) => {
            let bytes: &[u8; 32] = key
                .try_get_as_bytes()?
                .get(..32)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| new_error(ErrorKind::InvalidEddsaKey))?;
            let key = VerifyingKey::from_bytes(bytes)
                .map_err(|_| new_error(ErrorKind::InvalidEddsaKey))?;
            Ok(Box::new(EdDsaVerifier(key)))
        }
        (Algorithm::HS256, AlgorithmFamily::Hmac) => {
            Ok(Box::new(Hs256(hmac_key(key.try_get_as_bytes()?)?)))
        }
        (Algorithm::EdDSA | Algorithm::HS256, _) => Err(new_error(ErrorKind::InvalidKeyFormat)),
        _ => Err(new_error(ErrorKind::InvalidAlgorithm)),
    }
}

fn hmac_key(secret: &[u8]) -> Result<HmacSha256> {
    HmacSha256::new_from_slice(secret).map_err(|_| new_error(ErrorKind::InvalidKeyFormat))
}

struct EdDsaSigner(SigningKey);

impl Signer<Vec<u8>> for EdDsaSigner {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        Ok(self.0.sign(msg).to_bytes().to_vec())
    }
}

impl JwtSigner for EdDsaSigner {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

struct EdDsaVerifier(VerifyingKey);

impl Verifier<Vec<u8>> for EdDsaVerifier {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        // strict: rejects malleable signatures and weak public keys
        self.0.verify_strict(msg, &Signature::from_slice(sig)?)
    }
}

impl JwtVerifier for EdDsaVerifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

/// HMAC-SHA256 both ways; verification compares in constant time.
struct Hs256(HmacSha256);

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl Verifier<Vec<u8>> for Hs256 {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        mac.verify_slice(sig).map_err(signature::Error::from_source)
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{Header, Validation, decode, encode};
    use serde_json::{Value, json};

    use super::*;

    fn claims() -> Value {
        json!({"sub": "u1", "exp": jsonwebtoken::get_current_timestamp() + 60})
    }

    #[test]
    fn hs256_round_trip_and_tamper() {
        install();
        let token = encode(
            &Header::new(Algorithm::HS256),
            &claims(),
            &EncodingKey::from_secret(b"k1"),
        )
        .unwrap();
        let v = Validation::new(Algorithm::HS256);
        assert!(decode::<Value>(&token, &DecodingKey::from_secret(b"k1"), &v).is_ok());
        assert!(decode::<Value>(&token, &DecodingKey::from_secret(b"k2"), &v).is_err());
    }

    #[test]
    fn eddsa_round_trip_and_other_algorithms_refused() {
        install();
        let sk = SigningKey::generate(&mut rand::rngs::OsRng);
        let der = ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_der(&sk).unwrap();
        let token = encode(
            &Header::new(Algorithm::EdDSA),
            &claims(),
            &EncodingKey::from_ed_der(der.as_bytes()),
        )
        .unwrap();
        let x = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            sk.verifying_key().as_bytes(),
        );
        let dk = DecodingKey::from_ed_components(&x).unwrap();
        assert!(decode::<Value>(&token, &dk, &Validation::new(Algorithm::EdDSA)).is_ok());
        // an HS key never signs EdDSA, and RSA/EC are not available at all
        let hs = EncodingKey::from_secret(b"k");
        assert!(encode(&Header::new(Algorithm::EdDSA), &claims(), &hs).is_err());
        assert!(encode(&Header::new(Algorithm::RS256), &claims(), &hs).is_err());
        assert!(encode(&Header::new(Algorithm::HS384), &claims(), &hs).is_err());
    }
}
