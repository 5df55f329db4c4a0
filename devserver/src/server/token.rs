//! The token endpoint (`POST /oauth/token`, client credentials grant) and
//! the access tokens it signs (RFC 9068, RS256).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use hyper::header;
use hyper::http::request::Parts;
use hyper::{Method, StatusCode};
use jsonwebtoken::{Algorithm, Header};
use serde_json::{json, Map, Value};

use std::sync::atomic::Ordering;

use super::client_auth::authenticate;
use super::dpop::{check_proof, proof_header, Expect, ProofError};
use super::reply::{method_not_allowed, oauth_error, Reply};
use super::state::{CacheKey, Shared};
use crate::config::ClientConfig;
use crate::keys::KID;
use crate::tls::Peer;

pub(super) fn token_endpoint(shared: &Shared, parts: &Parts, peer: &Peer, body: &[u8]) -> Reply {
    if parts.method != Method::POST {
        return method_not_allowed("POST");
    }
    let content_type_ok = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
        .unwrap_or(false);
    if !content_type_ok {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded",
        );
    }

    // Parameters; empty values count as absent (RFC 6749 §3.1), only
    // `resource` may repeat.
    let mut params: HashMap<String, String> = HashMap::new();
    let mut resources: Vec<String> = Vec::new();
    for (k, v) in form_urlencoded::parse(body) {
        if v.is_empty() {
            continue;
        }
        if k == "resource" {
            if !resources.iter().any(|r| *r == v) {
                resources.push(v.into_owned());
            }
            continue;
        }
        if params
            .insert(k.clone().into_owned(), v.into_owned())
            .is_some()
        {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("parameter {k:?} repeated"),
            );
        }
    }

    match params.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "missing grant_type",
            )
        }
        Some(other) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("grant_type {other:?} is not supported; use client_credentials"),
            )
        }
    }

    // DPoP (RFC 9449 §5) before client authentication: a nonce demand must
    // not use up a client assertion's jti.
    let jkt = match token_proof(shared, parts, peer) {
        Ok(j) => j,
        Err(reply) => return *reply,
    };

    let client = match authenticate(shared, &parts.headers, &params, peer) {
        Ok(c) => c,
        Err(reply) => return *reply,
    };
    let client = &client.config;
    let Some(quota) = &client.token_quota else {
        return grant(
            shared,
            client,
            &params,
            resources,
            (jkt, peer.leaf_sha256()),
        );
    };
    if let Some(refusal) = shared.quotas.lock().refuse(&client.client_id, quota) {
        return refusal;
    }
    let reply = grant(
        shared,
        client,
        &params,
        resources,
        (jkt, peer.leaf_sha256()),
    );
    shared.quotas.lock().spend(&client.client_id, quota, reply)
}

/// The grant for an authenticated client: scope, audience, the token.
fn grant(
    shared: &Shared,
    client: &ClientConfig,
    params: &HashMap<String, String>,
    resources: Vec<String>,
    // `bound`: a certificate presented on the https listener binds the token
    // to it (RFC 8705 §3), whatever the client authentication method.
    (jkt, bound): (Option<String>, Option<[u8; 32]>),
) -> Reply {
    // Scope.
    let requested: Vec<&str> = params
        .get("scope")
        .map(|s| s.split(' ').filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let (scope_claim, scope_response) = match &client.scopes {
        None => (
            if requested.is_empty() {
                None
            } else {
                Some(requested.join(" "))
            },
            None,
        ),
        Some(allowed) => {
            let mut granted: Vec<&str> = Vec::new();
            if requested.is_empty() {
                for a in allowed {
                    if !granted.contains(&a.as_str()) {
                        granted.push(a);
                    }
                }
            } else {
                for r in &requested {
                    if allowed.iter().any(|a| a == r) && !granted.contains(r) {
                        granted.push(r);
                    }
                }
                if granted.is_empty() {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_scope",
                        "none of the requested scopes is allowed for this client",
                    );
                }
            }
            if granted.is_empty() {
                (None, None)
            } else {
                let s = granted.join(" ");
                (Some(s.clone()), Some(s))
            }
        }
    };

    // Audience.
    let mut auds: Vec<String> = Vec::new();
    if let Some(a) = params.get("audience") {
        auds.push(a.clone());
    }
    for r in resources {
        if !auds.contains(&r) {
            auds.push(r);
        }
    }
    if let Some(allowed) = &client.audiences {
        if let Some(bad) = auds.iter().find(|a| !allowed.contains(a)) {
            return oauth_error(
                StatusCode::FORBIDDEN,
                "access_denied",
                format!("audience {bad:?} is not allowed for this client"),
            );
        }
    }
    if auds.is_empty() {
        auds.push(match &client.audiences {
            Some(allowed) if !allowed.is_empty() => allowed[0].clone(),
            _ => shared.url.clone(),
        });
    }
    let org = params.get("organization").cloned();

    let lifetime = client.lifetime();
    let token_type = if jkt.is_some() { "DPoP" } else { "Bearer" };
    let claims = Claims {
        auds,
        scope: scope_claim,
        org,
        lifetime,
        bound,
        jkt,
    };
    let (jwt, expires_in) = issue(shared, client, claims);
    let mut body = Map::new();
    body.insert("access_token".into(), Value::String(jwt.to_string()));
    body.insert("token_type".into(), token_type.into());
    body.insert("expires_in".into(), expires_in.into());
    if let Some(s) = scope_response {
        body.insert("scope".into(), s.into());
    }
    Reply::json(StatusCode::OK, Value::Object(body))
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::PRAGMA, "no-cache")
}

/// Checks the `DPoP` header of a token request, if any: the thumbprint of
/// the proof's key, `None` without a proof, or the 400 reply.
fn token_proof(shared: &Shared, parts: &Parts, peer: &Peer) -> Result<Option<String>, Box<Reply>> {
    let bad = |e: ProofError| -> Box<Reply> {
        Box::new(match e {
            ProofError::UseNonce => oauth_error(
                StatusCode::BAD_REQUEST,
                "use_dpop_nonce",
                "the authorization server requires a nonce in the DPoP proof",
            ),
            ProofError::Invalid(d) => oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof", d),
        })
    };
    let proof = match proof_header(&parts.headers) {
        Ok(None) => return Ok(None),
        Ok(Some(p)) => p,
        Err(e) => return Err(bad(e)),
    };
    let base = match (peer.tls, &shared.https_url) {
        (true, Some(https)) => https.as_str(),
        _ => shared.url.as_str(),
    };
    let htu = format!("{base}/oauth/token");
    let nonce = {
        let n = shared.dpop_nonces.lock();
        n.token.then(|| n.current.clone())
    };
    let expect = Expect {
        htm: "POST",
        htu: &htu,
        token: None,
        nonce: nonce.as_deref(),
    };
    let proof = check_proof(shared, proof, &expect).map_err(bad)?;
    if proof.had_nonce {
        shared
            .dpop_nonce_token_requests
            .fetch_add(1, Ordering::Relaxed);
    }
    Ok(Some(proof.jkt))
}

/// What an access token says beyond who the client is.
struct Claims {
    auds: Vec<String>,
    scope: Option<String>,
    org: Option<String>,
    lifetime: u64,
    /// The SHA-256 of a client certificate (`cnf.x5t#S256`).
    bound: Option<[u8; 32]>,
    /// The thumbprint of a DPoP key (`cnf.jkt`).
    jkt: Option<String>,
}

/// Signs (or, with cheap tokens, reuses) an access token. Returns the JWT and
/// its remaining lifetime in seconds.
fn issue(shared: &Shared, client: &ClientConfig, c: Claims) -> (Arc<str>, u64) {
    let Claims {
        auds,
        scope,
        org,
        lifetime,
        bound,
        jkt,
    } = c;
    let now = unix_now();
    let key: Option<CacheKey> = shared.cheap_tokens.then(|| {
        (
            client.client_id.clone(),
            auds.clone(),
            scope.clone(),
            org.clone(),
            lifetime,
            bound,
            jkt.clone(),
        )
    });
    if let Some(key) = &key {
        if let Some((jwt, iat)) = shared.token_cache.lock().get(key) {
            if now < iat + lifetime / 2 {
                return (jwt.clone(), iat + lifetime - now);
            }
        }
    }
    let aud = if auds.len() == 1 {
        Value::String(auds[0].clone())
    } else {
        json!(auds)
    };
    let mut claims = Map::new();
    claims.insert("iss".into(), shared.url.clone().into());
    claims.insert("sub".into(), client.client_id.clone().into());
    claims.insert("client_id".into(), client.client_id.clone().into());
    claims.insert("aud".into(), aud);
    claims.insert("iat".into(), now.into());
    claims.insert("nbf".into(), now.into());
    claims.insert("exp".into(), (now + lifetime).into());
    claims.insert("jti".into(), format!("{:032x}", fastrand::u128(..)).into());
    claims.insert("gty".into(), "client-credentials".into());
    if let Some(s) = scope {
        claims.insert("scope".into(), s.into());
    }
    if let Some(o) = org {
        claims.insert("org_id".into(), o.into());
    }
    let mut cnf = Map::new();
    if let Some(digest) = bound {
        use base64::Engine as _;
        let x5t = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        cnf.insert("x5t#S256".into(), x5t.into());
    }
    if let Some(jkt) = jkt {
        cnf.insert("jkt".into(), jkt.into());
    }
    if !cnf.is_empty() {
        claims.insert("cnf".into(), Value::Object(cnf));
    }
    let mut h = Header::new(Algorithm::RS256);
    h.typ = Some("at+jwt".into());
    h.kid = Some(KID.into());
    let jwt: Arc<str> = jsonwebtoken::encode(&h, &Value::Object(claims), &shared.keys.encoding)
        .expect("RS256 signing with the embedded key")
        .into();
    if let Some(key) = key {
        let mut cache = shared.token_cache.lock();
        if cache.len() > 10_000 {
            cache.retain(|k, (_, iat)| now < *iat + k.4 / 2);
        }
        cache.insert(key, (jwt.clone(), now));
    }
    (jwt, lifetime)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
