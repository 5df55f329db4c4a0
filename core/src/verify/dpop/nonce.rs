//! Server nonces for DPoP proofs (RFC 9449 §8, §9), made so that every
//! process of an API that shares `dpop_nonce_secret` makes and accepts the
//! same ones without talking to each other: a nonce is the number of the
//! current time window and an HMAC of it. One window is `WINDOW` seconds;
//! the current and the previous window's nonces are accepted, so a nonce
//! lives one to two windows.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::hmac;

use crate::secret::Secret;

/// Seconds per nonce window.
pub(crate) const WINDOW: f64 = 300.0;
/// Bytes of HMAC kept in a nonce.
const TAG_BYTES: usize = 16;

/// Makes and checks nonces.
pub(crate) struct Nonces {
    key: hmac::Key,
}

impl std::fmt::Debug for Nonces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Nonces { .. }")
    }
}

impl Nonces {
    /// Nonces keyed by `secret`, or by random bytes (nonces of this
    /// verifier only) when none is given.
    pub(crate) fn new(secret: Option<&Secret>) -> crate::error::Result<Self> {
        let key = match secret {
            Some(s) => hmac::Key::new(hmac::HMAC_SHA256, s.expose().as_bytes()),
            None => {
                let rng = ring::rand::SystemRandom::new();
                hmac::Key::generate(hmac::HMAC_SHA256, &rng)
                    .map_err(|_| crate::error::Error::config("no randomness for DPoP nonces"))?
            }
        };
        Ok(Nonces { key })
    }

    fn for_window(&self, window: u64) -> String {
        let tag = hmac::sign(&self.key, &window.to_be_bytes());
        let mut raw = window.to_be_bytes().to_vec();
        raw.extend_from_slice(&tag.as_ref()[..TAG_BYTES]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    fn window(now: f64) -> u64 {
        (now.max(0.0) / WINDOW) as u64
    }

    /// The nonce to send now (`DPoP-Nonce`).
    pub(crate) fn current(&self, now: f64) -> String {
        self.for_window(Self::window(now))
    }

    /// Whether `nonce` is this or the previous window's. A plain
    /// comparison: a nonce is no secret (the API hands one to anyone who
    /// asks), so timing reveals nothing worth having.
    pub(crate) fn accepts(&self, nonce: &str, now: f64) -> bool {
        let w = Self::window(now);
        [w, w.saturating_sub(1)]
            .iter()
            .any(|w| self.for_window(*w) == nonce)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_live_one_to_two_windows_and_follow_the_secret() {
        let secret = Secret::new("a shared secret of the API's processes, 32 bytes+");
        let a = Nonces::new(Some(&secret)).unwrap();
        let b = Nonces::new(Some(&secret)).unwrap();
        let now = 10.0 * WINDOW + 1.0;
        let n = a.current(now);
        assert!(
            b.accepts(&n, now),
            "another process with the secret accepts it"
        );
        assert!(a.accepts(&n, now + WINDOW));
        assert!(!a.accepts(&n, now + 2.0 * WINDOW));
        assert!(!a.accepts(&n, now - WINDOW));
        let other = Nonces::new(None).unwrap();
        assert!(!other.accepts(&n, now));
        assert!(!a.accepts("", now) && !a.accepts("x", now));
    }
}
