//! What the DPoP verifier tests share: test keys' thumbprints, tokens bound
//! to them, proofs signed by `jsonwebtoken` (an independent JOSE library),
//! and the request they go with.

#![allow(dead_code)]

use jsonwebtoken::Algorithm;
use m2m_auth::{Challenge, Error, HttpRequest, Verifier};
use serde_json::{json, Value};

use crate::thumbprint_support::thumbprint as jwk_thumbprint;
use crate::verify_support::*;

pub const URL: &str = "https://api.example/things";
pub const ALGS: &str = "algs=\"ES256 ES384 EdDSA RS256 PS256\"";

/// RFC 7638 thumbprint of test key `name`, computed by the test.
pub fn thumbprint(name: &str) -> String {
    jwk_thumbprint(&jwk(name, "x", json!({})))
}

/// A token bound to test key `key` (`cnf.jkt`).
pub fn bound_token(key: &str) -> String {
    let mut c = claims();
    c["cnf"] = json!({ "jkt": thumbprint(key) });
    rs256(&c)
}

pub fn public(name: &str) -> Value {
    let mut k = jwk(name, "x", json!({}));
    k.as_object_mut().unwrap().remove("kid");
    k
}

/// Proof claims for `GET URL` and `token`.
pub fn proof_claims(token: &str) -> Value {
    json!({
        "htm": "GET", "htu": URL, "iat": now(),
        "jti": format!("jti-{}", rand_id()),
        "ath": b64(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref()),
    })
}

pub fn rand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A proof signed by `jsonwebtoken` with test key `key` for `alg`.
pub fn proof_with(header: Value, claims: &Value, alg: Algorithm, key: &str) -> String {
    sign_raw(&header, claims, alg, &encoding_key(alg, key))
}

pub fn p256_proof(claims: &Value) -> String {
    proof_with(
        json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": public("p256")}),
        claims,
        Algorithm::ES256,
        "p256",
    )
}

pub fn request<'a>(auth: &'a str, proof: Option<&'a str>) -> HttpRequest<'a> {
    HttpRequest {
        method: "GET",
        url: URL,
        authorization: Some(auth),
        dpop: proof,
    }
}

pub async fn check(
    v: &Verifier,
    auth: &str,
    proof: Option<&str>,
) -> Result<m2m_auth::Claims, Error> {
    let r = request(auth, proof);
    let out = v.verify_http_request(&r, &[]).await;
    if let Err(e) = &out {
        // Never the token or the proof in a message.
        for part in auth.split(['.', ' ']).chain(proof.unwrap_or("").split('.')) {
            assert!(part.len() < 20 || !e.to_string().contains(part), "{e}");
        }
    }
    out
}

pub fn www(c: &Challenge) -> &str {
    c.www_authenticate.as_deref().unwrap_or("")
}
