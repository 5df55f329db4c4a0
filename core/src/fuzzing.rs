//! Entry points for the coverage-guided fuzz targets (`fuzz/`, run by
//! `scripts/fuzz.sh`), compiled only with the `fuzzing` feature. Each is a
//! thin wrapper that reaches a crate-private parser the way the engine
//! calls it; none holds policy of its own. Not a stable API.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hkdf::{Salt, HKDF_SHA256};
use serde_json::Map;
use url::Url;

use crate::config::Settings;
use crate::error::Error;
use crate::redact::Redactor;
use crate::response::{parse_retry_after, parse_token_response_scrubbed, ResponseRules};
use crate::retry::{classify, RetryPolicy};
use crate::secret::Secret;
use crate::store::{store_key, SealedToken, Sealer};
use crate::TokenResponse;

/// The client id the targets' redactor covers.
pub const CLIENT_ID: &str = "fuzz-client";
/// The client secret the targets scrub from errors, and seal values with.
/// Its spellings differ (form, JSON, HTML, Basic), so every one is tried.
pub const SECRET: &str = "s3cr3t/Fuzz+&\"<é>'";
/// The cache key digest the targets' sealed values belong to.
pub const KEY_DIGEST: [u8; 32] = [7; 32];

/// One token endpoint answer read as the fetch path reads it
/// (`exchange.rs`): the response parsed with the body scrubbed of
/// [`SECRET`], the error scrubbed again, then its `Retry-After` read and
/// its retry verdict taken. Returns the outcome, the `Retry-After` wait and
/// the verdict's name.
pub fn token_response(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
    complete: bool,
    now: SystemTime,
) -> (Result<TokenResponse, Error>, Option<Duration>, String) {
    // Built once, as a client builds it once.
    static REDACTOR: OnceLock<Redactor> = OnceLock::new();
    let redactor = REDACTOR.get_or_init(|| Redactor::for_secret(CLIENT_ID, &Secret::new(SECRET)));
    let rules = ResponseRules::default();
    let scrub_body = |t| redactor.scrub_body(t, complete);
    let parsed = parse_token_response_scrubbed(
        status,
        body,
        complete,
        &rules,
        &scrub_body,
        crate::response::Accept::Bearer,
    )
    .map_err(|e| e.map_text(|t| redactor.scrub(t)));
    let policy = RetryPolicy::default();
    let (wait, verdict) = match &parsed {
        Ok(_) => (None, String::new()),
        Err(e) => (
            retry_after.and_then(|v| parse_retry_after(v, now, policy.max_retry_after)),
            format!("{:?}", classify(e)),
        ),
    };
    (parsed, wait, verdict)
}

/// A token's fresh and usable windows (`lifetime.rs`) under the default
/// settings with this leeway and refresh ratio (the caller keeps them in
/// the ranges `build()` allows: leeway ≤ 1 day, ratio in (0, 1]).
pub fn windows(lifetime: Duration, leeway: Duration, refresh_ratio: f64) -> (Duration, Duration) {
    let s = Settings {
        leeway,
        refresh_ratio,
        ..Settings::default()
    };
    let w = crate::lifetime::windows(lifetime, None, &s);
    (w.fresh, w.usable)
}

/// The token endpoint a metadata document names (`discovery.rs`), for an
/// issuer given as text (checked as `build()` checks it), read from its
/// first metadata URL.
pub fn discovery(issuer: &str, body: &[u8]) -> Result<Url, Error> {
    let issuer = crate::config::check_url(issuer, "issuer")?;
    let [oidc, _rfc8414] = crate::discovery::metadata_urls(&issuer)?;
    crate::discovery::read_metadata(&issuer, &oidc, body, "token_endpoint")
}

/// The URL rule (`config.rs`) on `raw`: whether its fast path plainly
/// allows it, and whether the full check does.
pub fn url_rule(raw: &str) -> (bool, bool) {
    (
        crate::config::plainly_allowed(raw),
        crate::config::check_url(raw, "URL").is_ok(),
    )
}

/// The store key of the targets' cache key ([`KEY_DIGEST`]).
pub fn fuzz_store_key() -> String {
    store_key(&KEY_DIGEST)
}

/// What a shared-cache value opened to (`store/seal.rs`'s `SealedToken`).
#[derive(Debug, Clone, PartialEq)]
pub struct SharedValue {
    /// The access token.
    pub access_token: String,
    /// The token type.
    pub token_type: String,
    /// Unix ms when its request was sent.
    pub sent_at_ms: u64,
    /// Its lifetime in ms.
    pub lifetime_ms: u64,
    /// Its scope.
    pub scope: Option<String>,
    /// Every other field.
    pub extra: Map<String, serde_json::Value>,
}

/// Opens a stored value with [`SECRET`] and [`KEY_DIGEST`] under `key`, as
/// the shared cache's reader does: `None` for anything that does not open.
pub fn open_shared_value(key: &str, value: &[u8]) -> Option<SharedValue> {
    let t = Sealer::new(SECRET.as_bytes(), &KEY_DIGEST).open::<SealedToken>(key, value)?;
    Some(SharedValue {
        access_token: t.access_token.clone(),
        token_type: t.token_type.clone(),
        sent_at_ms: t.sent_at_ms,
        lifetime_ms: t.lifetime_ms,
        scope: t.scope.clone(),
        extra: t.extra.clone(),
    })
}

/// Seals a value as the shared cache's writer does.
pub fn seal_shared_value(key: &str, v: &SharedValue) -> Option<Vec<u8>> {
    let t = SealedToken {
        access_token: v.access_token.clone(),
        token_type: v.token_type.clone(),
        sent_at_ms: v.sent_at_ms,
        lifetime_ms: v.lifetime_ms,
        scope: v.scope.clone(),
        extra: v.extra.clone(),
    };
    Sealer::new(SECRET.as_bytes(), &KEY_DIGEST).seal(key, &t)
}

/// Seals arbitrary plaintext in the format docs/shared-cache.md specifies
/// (written from the document, not from `seal.rs`, so that the decoder's
/// JSON path can be fuzzed and the two checked against each other), with
/// a fixed nonce: for tests only.
pub fn seal_raw(key: &str, plain: &[u8]) -> Vec<u8> {
    let prk = Salt::new(HKDF_SHA256, b"m2m-auth/cache/v1").extract(SECRET.as_bytes());
    let info = [KEY_DIGEST.as_slice()];
    let okm = prk
        .expand(&info, &AES_256_GCM)
        .expect("HKDF output of AES-256 length is valid");
    let aead = LessSafeKey::new(UnboundKey::from(okm));
    let nonce = [1u8; NONCE_LEN];
    let mut data = plain.to_vec();
    aead.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(key.as_bytes()),
        &mut data,
    )
    .expect("AES-GCM seals any length a test gives");
    [b"m2m1".as_slice(), &nonce, &data].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_points_reach_the_parsers() {
        let (ok, _, _) = token_response(
            200,
            None,
            br#"{"access_token":"a","token_type":"bearer","expires_in":60}"#,
            true,
            SystemTime::now(),
        );
        assert_eq!(ok.unwrap().expires_in, Duration::from_secs(60));
        let (err, wait, verdict) =
            token_response(503, Some("7"), SECRET.as_bytes(), true, SystemTime::now());
        assert!(!err.unwrap_err().to_string().contains(SECRET));
        assert_eq!(wait, Some(Duration::from_secs(7)));
        assert_eq!(verdict, "RetryThenThrottle");
        let url = discovery(
            "https://issuer.example",
            br#"{"issuer":"https://issuer.example/","token_endpoint":"https://issuer.example/t"}"#,
        );
        assert_eq!(url.unwrap().as_str(), "https://issuer.example/t");
        let key = fuzz_store_key();
        let plain = br#"{"access_token":"t","token_type":"Bearer","sent_at_ms":1,"lifetime_ms":2,"scope":null}"#;
        let v = open_shared_value(&key, &seal_raw(&key, plain)).expect("the format opens");
        assert_eq!(v.access_token, "t");
        let again = seal_shared_value(&key, &v).unwrap();
        assert_eq!(open_shared_value(&key, &again), Some(v));
        let (fresh, usable) = windows(Duration::from_secs(100), Duration::from_secs(60), 0.75);
        assert_eq!(
            (fresh, usable),
            (Duration::from_secs(50), Duration::from_secs(50))
        );
    }
}
