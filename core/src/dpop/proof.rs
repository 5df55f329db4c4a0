//! Signing one DPoP proof (RFC 9449 §4.2): header `typ` `dpop+jwt`, `alg`,
//! the public `jwk`; claims `jti` (random), `htm`, `htu` (no query, no
//! fragment), `iat`, and `ath` and `nonce` when given.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};
use url::Url;

use super::key::DpopKey;
use crate::assertion::sign::{signature_of, SigningKey};
use crate::error::{Error, Result};

/// `url` as `htu`: without query and fragment.
pub(crate) fn htu(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

/// A new proof for `htm` `url`, bound to `access_token` (`ath`) and
/// carrying `nonce` if given.
pub(crate) fn sign(
    key: &DpopKey,
    htm: &str,
    url: &Url,
    access_token: Option<&str>,
    nonce: Option<&str>,
) -> Result<String> {
    let rng = SystemRandom::new();
    let mut jti = [0u8; 16];
    rng.fill(&mut jti)
        .map_err(|_| Error::config("no system randomness for a DPoP proof jti"))?;
    let iat = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let header = serde_json::json!({
        "typ": "dpop+jwt",
        "alg": key.alg.name(),
        "jwk": key.public_jwk,
    });
    let mut claims = serde_json::json!({
        "jti": URL_SAFE_NO_PAD.encode(jti),
        "htm": htm,
        "htu": htu(url),
        "iat": iat,
    });
    if let Some(token) = access_token {
        let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
        claims["ath"] = URL_SAFE_NO_PAD.encode(digest).into();
    }
    if let Some(n) = nonce {
        claims["nonce"] = n.into();
    }
    let mut jws = String::with_capacity(512);
    URL_SAFE_NO_PAD.encode_string(header.to_string(), &mut jws);
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(claims.to_string(), &mut jws);
    let sig = signature_of(SigningKey::Private(&key.key), key.alg, jws.as_bytes(), &rng).map_err(
        |_| {
            Error::config(format!(
                "signing a DPoP proof with {} failed",
                key.alg.name()
            ))
        },
    )?;
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(sig, &mut jws);
    Ok(jws)
}
