//! The protected `/api`: accepts a valid access token of this server and
//! echoes its claims. A certificate-bound token (`cnf.x5t#S256`, RFC 8705
//! §3) is accepted only with the same client certificate presented on the
//! https listener; the answer names the presented certificate's SHA-256.
//! A DPoP-bound token (`cnf.jkt`, RFC 9449 §7) is accepted only as
//! `Authorization: DPoP` with a valid proof of that key; failures then
//! answer a `WWW-Authenticate: DPoP` challenge.

use hyper::header;
use hyper::http::request::Parts;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use super::dpop::{algs, check_proof, proof_header, Expect, ProofError};
use super::reply::{method_not_allowed, Reply};
use super::state::Shared;
use crate::tls::Peer;

const BEARER_INVALID: &str = r#"Bearer error="invalid_token""#;

/// A 401 with a `WWW-Authenticate: DPoP` challenge (RFC 9449 §7.1).
fn dpop_refusal(error: &str, desc: String) -> Reply {
    let challenge = format!(r#"DPoP error="{error}", algs="{}""#, algs());
    Reply::json(
        StatusCode::UNAUTHORIZED,
        json!({"error": error, "error_description": desc}),
    )
    .header(header::WWW_AUTHENTICATE, &challenge)
}

pub(super) fn api_endpoint(shared: &Shared, parts: &Parts, peer: &Peer) -> Reply {
    if parts.method != Method::GET && parts.method != Method::POST {
        return method_not_allowed("GET, POST");
    }
    let invalid = |desc: String| {
        Reply::json(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_token", "error_description": desc}),
        )
        .header(header::WWW_AUTHENTICATE, BEARER_INVALID)
    };
    let credentials = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .map(|(scheme, t)| (scheme.to_ascii_lowercase(), t.trim()));
    let (dpop, token) = match &credentials {
        Some((scheme, t)) if scheme == "bearer" => (false, *t),
        Some((scheme, t)) if scheme == "dpop" => (true, *t),
        _ => return invalid("missing Bearer or DPoP token".into()),
    };
    let data = match jsonwebtoken::decode::<Value>(token, &shared.keys.decoding, &shared.validation)
    {
        Ok(d) => d,
        Err(e) if dpop => return dpop_refusal("invalid_token", format!("token rejected: {e}")),
        Err(e) => return invalid(format!("token rejected: {e}")),
    };
    let jkt = data.claims.pointer("/cnf/jkt").and_then(Value::as_str);
    match (dpop, jkt) {
        (false, None) => {}
        (false, Some(_)) => {
            return dpop_refusal(
                "invalid_token",
                "a DPoP-bound token must be presented with the DPoP scheme and a proof".into(),
            )
        }
        (true, None) => {
            return dpop_refusal(
                "invalid_token",
                "the token is not DPoP-bound (no cnf.jkt); present it as Bearer".into(),
            )
        }
        (true, Some(jkt)) => {
            if let Some(refusal) = api_proof(shared, parts, peer, token, jkt) {
                return refusal;
            }
        }
    }
    let typ_ok = data
        .header
        .typ
        .as_deref()
        .map(|t| t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt"))
        .unwrap_or(false);
    if !typ_ok {
        return invalid("token typ is not at+jwt".into());
    }
    let c = &data.claims;
    let presented = peer.leaf_sha256();
    if let Some(bound) = c.pointer("/cnf/x5t#S256").and_then(Value::as_str) {
        use base64::Engine as _;
        let x5t = presented.map(|d| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d));
        if x5t.as_deref() != Some(bound) {
            return invalid("token is bound to a client certificate that was not presented".into());
        }
    }
    let mut body = json!({
        "ok": true,
        "sub": c.get("sub").cloned().unwrap_or(Value::Null),
        "aud": c.get("aud").cloned().unwrap_or(Value::Null),
        "scope": c.get("scope").cloned().unwrap_or(Value::Null),
        "client_id": c.get("client_id").cloned().unwrap_or(Value::Null),
    });
    if let Some(org) = c.get("org_id") {
        body["org_id"] = org.clone();
    }
    if let Some(digest) = presented {
        body["client_certificate_sha256"] = crate::tls::hex(&digest).into();
    }
    if let Some(cnf) = c.get("cnf") {
        body["cnf"] = cnf.clone();
    }
    Reply::json(StatusCode::OK, body)
}

/// Checks the proof of a DPoP-bound token presented to `/api`: `None` when
/// it is valid and made with the key whose thumbprint is `jkt`.
fn api_proof(shared: &Shared, parts: &Parts, peer: &Peer, token: &str, jkt: &str) -> Option<Reply> {
    let proof = match proof_header(&parts.headers) {
        Ok(Some(p)) => p,
        Ok(None) => {
            return Some(dpop_refusal(
                "invalid_dpop_proof",
                "a DPoP token needs a DPoP proof header".into(),
            ))
        }
        Err(ProofError::Invalid(d)) => return Some(dpop_refusal("invalid_dpop_proof", d)),
        Err(ProofError::UseNonce) => unreachable!("proof_header never asks for a nonce"),
    };
    let base = match (peer.tls, &shared.https_url) {
        (true, Some(https)) => https.as_str(),
        _ => shared.url.as_str(),
    };
    let htu = format!("{base}{}", parts.uri.path());
    let nonce = {
        let n = shared.dpop_nonces.lock();
        n.api.then(|| n.current.clone())
    };
    let expect = Expect {
        htm: parts.method.as_str(),
        htu: &htu,
        token: Some(token),
        nonce: nonce.as_deref(),
    };
    match check_proof(shared, proof, &expect) {
        Ok(p) if p.jkt == jkt => None,
        Ok(_) => Some(dpop_refusal(
            "invalid_dpop_proof",
            "the DPoP proof's key is not the one the token is bound to (cnf.jkt)".into(),
        )),
        Err(ProofError::UseNonce) => Some(dpop_refusal(
            "use_dpop_nonce",
            "the resource server requires a nonce in the DPoP proof".into(),
        )),
        Err(ProofError::Invalid(d)) => Some(dpop_refusal("invalid_dpop_proof", d)),
    }
}
