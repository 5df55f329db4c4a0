//! The protected `/api`: accepts a valid access token of this server and
//! echoes its claims. A certificate-bound token (`cnf.x5t#S256`, RFC 8705
//! §3) is accepted only with the same client certificate presented on the
//! https listener; the answer names the presented certificate's SHA-256.

use hyper::header;
use hyper::http::request::Parts;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use super::reply::{method_not_allowed, Reply};
use super::state::Shared;
use crate::tls::Peer;

const BEARER_INVALID: &str = r#"Bearer error="invalid_token""#;

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
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    let Some(token) = token else {
        return invalid("missing Bearer token".into());
    };
    let data = match jsonwebtoken::decode::<Value>(token, &shared.keys.decoding, &shared.validation)
    {
        Ok(d) => d,
        Err(e) => return invalid(format!("token rejected: {e}")),
    };
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
