//! Routing: dispatch by path, discovery and JWKS, reading bodies, and
//! recording token requests for `/_control/requests`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper::header::HeaderName;
use hyper::http::request::Parts;
use hyper::{Method, Request, Response, StatusCode};

use super::api::api_endpoint;
use super::control::control;
use super::fault_steps::apply_step;
use super::reply::{method_not_allowed, oauth_error, plain_error, Reply};
use super::state::{Shared, MAX_RECORDED};
use super::token::token_endpoint;
use crate::body::RespBody;
use crate::faults::Target;
use crate::redact::{redact_form, redact_header, redact_target};
use crate::tls::Peer;
use crate::RecordedRequest;

/// Token request bodies larger than this get 413.
pub(crate) const MAX_TOKEN_BODY: usize = 1 << 20;

/// The error a service returns to make hyper drop the connection.
#[derive(Debug)]
pub(crate) struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fault step: reset connection")
    }
}
impl std::error::Error for ResetConnection {}

pub(crate) async fn handle(
    shared: Arc<Shared>,
    reset_flag: Arc<AtomicBool>,
    peer: Arc<Peer>,
    req: Request<Incoming>,
) -> Result<Response<RespBody>, ResetConnection> {
    let path = req.uri().path().to_owned();
    match path.as_str() {
        "/oauth/token" => {
            shared.token_requests.fetch_add(1, Ordering::Relaxed);
            let (parts, body) = req.into_parts();
            let body = read_body(body, MAX_TOKEN_BODY).await;
            let body = match body {
                Ok(b) => Ok(b),
                Err(BodyError::TooLarge) => Err(()),
                Err(BodyError::Io) => return Err(ResetConnection),
            };
            record(
                &shared,
                &parts,
                &peer,
                body.as_ref().map(|b| &b[..]).unwrap_or(b""),
            );
            if parts.headers.contains_key("dpop") {
                shared.dpop_token_requests.fetch_add(1, Ordering::Relaxed);
            }
            let step = shared.token_faults.lock().next();
            apply_step(step, &reset_flag, || {
                let reply = match &body {
                    Ok(b) => token_endpoint(&shared, &parts, &peer, b),
                    Err(()) => oauth_error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "invalid_request",
                        format!("request body larger than {MAX_TOKEN_BODY} bytes"),
                    ),
                };
                with_nonce(&shared, reply, Target::Token)
            })
            .await
        }
        "/api" => {
            shared.api_requests.fetch_add(1, Ordering::Relaxed);
            let (parts, body) = req.into_parts();
            if let Err(BodyError::Io) = read_body(body, MAX_TOKEN_BODY).await {
                return Err(ResetConnection);
            }
            if parts.headers.contains_key("dpop") {
                shared.dpop_api_requests.fetch_add(1, Ordering::Relaxed);
            }
            let step = shared.api_faults.lock().next();
            apply_step(step, &reset_flag, || {
                with_nonce(&shared, api_endpoint(&shared, &parts, &peer), Target::Api)
            })
            .await
        }
        "/.well-known/openid-configuration" | "/.well-known/oauth-authorization-server" => {
            shared.discovery_requests.fetch_add(1, Ordering::Relaxed);
            Ok(get_only(req.method(), || {
                Reply::raw(StatusCode::OK, shared.discovery_body.clone()).json_content_type()
            })
            .into_response(None))
        }
        "/.well-known/jwks.json" => {
            shared.jwks_requests.fetch_add(1, Ordering::Relaxed);
            Ok(get_only(req.method(), || {
                Reply::raw(StatusCode::OK, shared.keys.jwks_body.clone()).json_content_type()
            })
            .into_response(None))
        }
        p if p == "/_control" || p.starts_with("/_control/") => {
            Ok(control(&shared, req).await.into_response(None))
        }
        _ => Ok(plain_error(StatusCode::NOT_FOUND, "not_found").into_response(None)),
    }
}

/// In DPoP nonce mode every answer of the endpoint carries the current
/// nonce (RFC 9449 §8.2: the client keeps the latest).
fn with_nonce(shared: &Shared, reply: Reply, target: Target) -> Reply {
    let n = shared.dpop_nonces.lock();
    let on = match target {
        Target::Token => n.token,
        Target::Api => n.api,
    };
    if on {
        reply.header(HeaderName::from_static("dpop-nonce"), &n.current)
    } else {
        reply
    }
}

fn get_only(method: &Method, f: impl FnOnce() -> Reply) -> Reply {
    if method == Method::GET || method == Method::HEAD {
        f()
    } else {
        method_not_allowed("GET")
    }
}

pub(super) enum BodyError {
    TooLarge,
    Io,
}

pub(super) async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, BodyError> {
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Io),
    }
}

/// Records a token request for `/_control/requests`, its secrets replaced
/// by fingerprints (see [`crate::redact`]) before anything is stored.
fn record(shared: &Shared, parts: &Parts, peer: &Peer, body: &[u8]) {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &parts.headers {
        let v = redact_header(name.as_str(), &String::from_utf8_lossy(value.as_bytes()));
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|e| {
                e.push_str(", ");
                e.push_str(&v)
            })
            .or_insert(v);
    }
    let path = redact_target(parts.uri.path_and_query().map_or("/", |p| p.as_str()));
    let r = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path,
        headers,
        body: redact_form(body),
        tls: peer.tls,
        client_certificate_sha256: peer.leaf_sha256_hex(),
    };
    let mut rec = shared.recorded.lock();
    if rec.len() >= MAX_RECORDED {
        rec.pop_front();
    }
    rec.push_back(r);
}
