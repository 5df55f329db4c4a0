//! The shared value format, one for every language:
//!
//! `"m2m1" || nonce (12 bytes) || AES-256-GCM(JSON)` with the store key as
//! associated data, the AES key being HKDF-SHA256(salt "m2m-auth/cache/v1",
//! ikm = client secret, info = cache key digest). The JSON holds the token
//! response and when its request was sent, in Unix milliseconds; a throttle
//! (under `<key>:throttle`) holds how long the server asked callers to wait.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hkdf::{Salt, HKDF_SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

const MAGIC: &[u8; 4] = b"m2m1";
const SALT: &[u8] = b"m2m-auth/cache/v1";

/// A token as stored: enough to rebuild it and its deadlines anywhere.
#[derive(Serialize, Deserialize)]
pub(crate) struct SealedToken {
    pub access_token: String,
    pub token_type: String,
    /// Unix ms when the request that got it was sent.
    pub sent_at_ms: u64,
    /// Lifetime in ms, after the default and cap were applied.
    pub lifetime_ms: u64,
    pub scope: Option<String>,
    #[serde(default)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Drop for SealedToken {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.access_token);
    }
}

/// A throttle as stored: the server said to stop asking for this long
/// (docs/design.md §5), from when it said so.
#[derive(Serialize, Deserialize)]
pub(crate) struct SealedThrottle {
    /// Unix ms when the failing answer arrived.
    pub at_ms: u64,
    /// How long to stop asking, in ms.
    pub retry_after_ms: u64,
}

/// Seals and opens one key's values.
pub(crate) struct Sealer {
    key: LessSafeKey,
}

impl Sealer {
    pub(crate) fn new(secret: &[u8], key_digest: &[u8; 32]) -> Sealer {
        let info = [key_digest.as_slice()];
        let prk = Salt::new(HKDF_SHA256, SALT).extract(secret);
        let okm = prk
            .expand(&info, &AES_256_GCM)
            .expect("HKDF output of AES-256 length is valid");
        Sealer {
            key: LessSafeKey::new(UnboundKey::from(okm)),
        }
    }

    /// `value` sealed for `store_key` (its associated data: a value moved
    /// to another key does not open).
    pub(crate) fn seal<T: Serialize>(&self, store_key: &str, value: &T) -> Option<Vec<u8>> {
        let mut data = Zeroizing::new(serde_json::to_vec(value).ok()?);
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).ok()?;
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(store_key.as_bytes()),
                &mut *data,
            )
            .ok()?;
        let mut out = Vec::with_capacity(4 + NONCE_LEN + data.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&data);
        Some(out)
    }

    /// The value, or `None` for anything that does not open (another
    /// secret, another key, corruption, another format): a miss.
    pub(crate) fn open<T: DeserializeOwned>(&self, store_key: &str, value: &[u8]) -> Option<T> {
        let rest = value.strip_prefix(MAGIC.as_slice())?;
        if rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = Zeroizing::new(sealed.to_vec());
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(store_key.as_bytes()), &mut buf)
            .ok()?;
        serde_json::from_slice(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> SealedToken {
        SealedToken {
            access_token: "tok".into(),
            token_type: "Bearer".into(),
            sent_at_ms: 1,
            lifetime_ms: 2,
            scope: None,
            extra: Default::default(),
        }
    }

    #[test]
    fn another_secret_or_key_cannot_open_it() {
        let digest = [7u8; 32];
        let sealed = Sealer::new(b"secret-a", &digest)
            .seal("k", &token())
            .unwrap();
        assert_eq!(
            Sealer::new(b"secret-a", &digest)
                .open::<SealedToken>("k", &sealed)
                .unwrap()
                .access_token,
            "tok"
        );
        assert!(Sealer::new(b"secret-b", &digest)
            .open::<SealedToken>("k", &sealed)
            .is_none());
        assert!(Sealer::new(b"secret-a", &[8u8; 32])
            .open::<SealedToken>("k", &sealed)
            .is_none());
        assert!(Sealer::new(b"secret-a", &digest)
            .open::<SealedToken>("other", &sealed)
            .is_none());
        assert!(
            !sealed.windows(3).any(|w| w == b"tok"),
            "the token is not in clear"
        );
        let mut bad = sealed.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(Sealer::new(b"secret-a", &digest)
            .open::<SealedToken>("k", &bad)
            .is_none());
        assert!(Sealer::new(b"secret-a", &digest)
            .open::<SealedToken>("k", b"m2m1short")
            .is_none());
    }
}
