//! Client authentication by a JWT client assertion (RFC 7523 §2.2 and §3,
//! OpenID Connect Core §9): `client_secret_jwt` (HS256/384/512 keyed with
//! the client secret) and `private_key_jwt` (RS*, PS*, ES256, ES384, EdDSA
//! with a key of the client's `jwks`), checked as a strict server does.
//!
//! Every failure is a description for a 401 `invalid_client`; none echoes
//! the assertion or a key. Accepted `jti`s go to [`super::replay`].

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use ring::{hmac, signature};
use serde_json::{Map, Value};

use super::state::{Client, Shared};
use crate::config::{CLIENT_SECRET_JWT, PRIVATE_KEY_JWT};
use crate::jwks::{Alg, Jwk, PublicKey};

/// Longer assertions are refused before they are parsed.
pub(super) const MAX_ASSERTION_LEN: usize = 8192;
/// Clock skew allowed on `exp`, `iat` and `nbf`, in seconds.
pub(super) const SKEW: f64 = 5.0;
/// An assertion may be valid for at most this long (from `iat`, or from now).
pub(super) const MAX_LIFETIME: f64 = 300.0;
/// Authenticates a client by `assertion` (the `client_assertion` value;
/// `client_id` is the body parameter, if any). Returns the client, or the
/// `error_description` of a 401 `invalid_client`.
pub(super) fn verify_assertion(
    shared: &Shared,
    assertion: &str,
    client_id: Option<&str>,
) -> Result<Arc<Client>, String> {
    if assertion.len() > MAX_ASSERTION_LEN {
        return Err(format!(
            "client assertion larger than {MAX_ASSERTION_LEN} bytes"
        ));
    }
    let parts: Vec<&str> = assertion.split('.').collect();
    let [head_b64, claims_b64, sig_b64] = parts[..] else {
        return Err("client assertion is not a JWS in compact serialization".into());
    };
    let header = json_object(head_b64)
        .ok_or("client assertion header is not base64url-encoded JSON object")?;
    let claims = json_object(claims_b64)
        .ok_or("client assertion claims are not a base64url-encoded JSON object")?;
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sig_b64)
        .map_err(|_| "client assertion signature is not unpadded base64url")?;

    let alg = match header.get("alg") {
        Some(Value::String(a)) if a.eq_ignore_ascii_case("none") => {
            return Err("client assertion alg none is not allowed".into())
        }
        Some(Value::String(a)) => Alg::parse(a).ok_or(
            "client assertion alg is not supported (see token_endpoint_auth_signing_alg_values_supported)",
        )?,
        _ => return Err("client assertion header has no alg".into()),
    };
    if header.contains_key("crit") {
        return Err(
            "client assertion header has crit parameters the server does not support".into(),
        );
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.as_str()),
        Some(_) => return Err("client assertion kid must be a string".into()),
    };

    // Who: iss and sub are the client id (and so is a body client_id).
    let iss = string_claim(&claims, "iss")?;
    let sub = string_claim(&claims, "sub")?;
    if iss != sub {
        return Err("client assertion iss and sub differ (both must be the client id)".into());
    }
    if client_id.is_some_and(|id| id != iss) {
        return Err("client_id differs from the client assertion's iss and sub".into());
    }
    let client = shared
        .clients
        .read()
        .get(iss)
        .cloned()
        .ok_or("unknown client (the client assertion's iss and sub)")?;
    let method = if alg.is_hmac() {
        CLIENT_SECRET_JWT
    } else {
        PRIVATE_KEY_JWT
    };
    if !client.config.allows_method(method) {
        return Err(format!("client may not use {method}"));
    }

    // The signature, with the key the method and alg call for.
    let signed = &assertion.as_bytes()[..head_b64.len() + 1 + claims_b64.len()];
    let ok = if alg.is_hmac() {
        let secret = client.config.client_secret.as_bytes();
        if secret.is_empty() {
            return Err(
                "client has no client_secret to check a client_secret_jwt assertion".into(),
            );
        }
        verify_hmac(secret, alg, signed, &sig)
    } else {
        let key = select_key(&client.keys, kid, alg)?;
        verify_signature(&key.key, alg, signed, &sig)
    };
    if !ok {
        return Err("client assertion signature does not verify".into());
    }

    // The claims.
    let issuer = shared.url.as_str();
    let token_url = format!("{issuer}/oauth/token");
    check_audience(&claims, issuer, &token_url)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let exp = check_times(&claims, now)?;
    let jti = match claims.get("jti") {
        None => return Err("client assertion has no jti".into()),
        Some(Value::String(j)) if !j.is_empty() => j,
        Some(_) => return Err("client assertion jti must be a non-empty string".into()),
    };
    let until = (exp + SKEW).ceil() as u64;
    shared
        .replay
        .lock()
        .remember(iss, jti, until, now.floor() as u64)?;
    Ok(client)
}

pub(super) fn json_object(b64: &str) -> Option<Map<String, Value>> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64)
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(o) => Some(o),
        _ => None,
    }
}

fn string_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Result<&'a str, String> {
    match claims.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        None => Err(format!("client assertion has no {name}")),
        Some(_) => Err(format!(
            "client assertion {name} must be a non-empty string"
        )),
    }
}

/// The key of `keys` that checks a JWS with `alg`: the one named by `kid`,
/// else the only one that fits `alg`.
fn select_key<'a>(keys: &'a [Jwk], kid: Option<&str>, alg: Alg) -> Result<&'a Jwk, String> {
    let name = alg.name();
    match kid {
        Some(kid) => {
            let key = keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid))
                .ok_or("no registered key has the client assertion's kid")?;
            if key.fits(alg) {
                Ok(key)
            } else {
                Err(format!(
                    "the registered key with the client assertion's kid does not fit alg {name}"
                ))
            }
        }
        None => {
            let mut fitting = keys.iter().filter(|k| k.fits(alg));
            match (fitting.next(), fitting.next()) {
                (Some(k), None) => Ok(k),
                (None, _) => Err(format!("no registered key fits alg {name}")),
                (Some(_), Some(_)) => Err(format!(
                    "several registered keys fit alg {name}; the client assertion header must name one by kid"
                )),
            }
        }
    }
}

fn verify_hmac(secret: &[u8], alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
    let algorithm = match alg {
        Alg::HS256 => hmac::HMAC_SHA256,
        Alg::HS384 => hmac::HMAC_SHA384,
        Alg::HS512 => hmac::HMAC_SHA512,
        _ => return false,
    };
    hmac::verify(&hmac::Key::new(algorithm, secret), msg, sig).is_ok()
}

/// Checks a public-key signature; the key type must be the one `alg` is
/// defined for (no algorithm confusion).
pub(super) fn verify_signature(key: &PublicKey, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
    match (key, alg) {
        (PublicKey::Rsa { n, e }, _) => {
            let params = match alg {
                Alg::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                Alg::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                Alg::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                Alg::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                Alg::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
                Alg::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
                _ => return false,
            };
            signature::RsaPublicKeyComponents { n, e }
                .verify(params, msg, sig)
                .is_ok()
        }
        (PublicKey::Ec { point, .. }, Alg::ES256) => {
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(msg, sig)
                .is_ok()
        }
        (PublicKey::Ec { point, .. }, Alg::ES384) => {
            signature::UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, point)
                .verify(msg, sig)
                .is_ok()
        }
        (PublicKey::Ed25519(x), Alg::EdDSA) => {
            signature::UnparsedPublicKey::new(&signature::ED25519, x)
                .verify(msg, sig)
                .is_ok()
        }
        _ => false,
    }
}

/// `aud`: a string or an array of strings, containing the issuer or the
/// token endpoint URL. The issuer may carry Auth0's trailing slash
/// (`https://{domain}/`, what Auth0 requires), as clients configured with a
/// `domain` spell it.
fn check_audience(
    claims: &Map<String, Value>,
    issuer: &str,
    token_url: &str,
) -> Result<(), String> {
    let ours = |s: &str| s == issuer || s.strip_suffix('/') == Some(issuer) || s == token_url;
    let found = match claims.get("aud") {
        None => return Err("client assertion has no aud".into()),
        Some(Value::String(s)) => ours(s),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => {
            a.iter().filter_map(Value::as_str).any(ours)
        }
        Some(_) => {
            return Err("client assertion aud must be a string or an array of strings".into())
        }
    };
    if found {
        Ok(())
    } else {
        Err(format!(
            "client assertion aud must contain the issuer ({issuer}) or the token endpoint ({token_url})"
        ))
    }
}

/// `exp` (required), `iat` and `nbf` (if present) against `now`, with
/// [`SKEW`]; `exp` at most [`MAX_LIFETIME`] after `iat` and after now.
/// Returns `exp`.
fn check_times(claims: &Map<String, Value>, now: f64) -> Result<f64, String> {
    let number = |name: &str| -> Result<Option<f64>, String> {
        match claims.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| format!("client assertion {name} must be a number")),
        }
    };
    let exp = number("exp")?.ok_or("client assertion has no exp")?;
    let iat = number("iat")?;
    let nbf = number("nbf")?;
    if now >= exp + SKEW {
        return Err("client assertion expired (exp)".into());
    }
    if exp > now + MAX_LIFETIME + SKEW {
        return Err(format!(
            "client assertion exp is more than {MAX_LIFETIME} s in the future"
        ));
    }
    if let Some(iat) = iat {
        if iat > now + SKEW {
            return Err("client assertion iat is in the future".into());
        }
        if exp - iat > MAX_LIFETIME {
            return Err(format!(
                "client assertion exp is more than {MAX_LIFETIME} s after iat"
            ));
        }
    }
    if nbf.is_some_and(|nbf| nbf > now + SKEW) {
        return Err("client assertion is not valid yet (nbf)".into());
    }
    Ok(exp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(o) => o,
            _ => unreachable!(),
        }
    }

    #[test]
    fn times() {
        let now = 1_000_000.0;
        let t = |v: Value| check_times(&obj(v), now);
        assert_eq!(t(json!({"exp": now + 60.0, "iat": now})), Ok(now + 60.0));
        assert_eq!(
            t(json!({"exp": now - 1.0})),
            Ok(now - 1.0),
            "within the skew"
        );
        assert!(t(json!({})).unwrap_err().contains("no exp"));
        assert!(t(json!({"exp": "soon"})).unwrap_err().contains("number"));
        assert!(t(json!({"exp": now - 10.0}))
            .unwrap_err()
            .contains("expired"));
        assert!(t(json!({"exp": now + 400.0}))
            .unwrap_err()
            .contains("future"));
        assert!(t(json!({"exp": now + 60.0, "iat": now - 290.0}))
            .unwrap_err()
            .contains("after iat"));
        assert!(t(json!({"exp": now + 60.0, "iat": now + 30.0}))
            .unwrap_err()
            .contains("iat is in the future"));
        assert!(t(json!({"exp": now + 60.0, "nbf": now + 30.0}))
            .unwrap_err()
            .contains("nbf"));
    }
}
