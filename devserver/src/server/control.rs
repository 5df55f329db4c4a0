//! The control API (`/_control/...`): fault scripts, clients, counters,
//! recorded requests, reset; only for clients [`super::guard`] lets in.

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::guard::refuse;
use super::reply::{plain_error, Reply};
use super::routing::{read_body, BodyError};
use super::state::Shared;
use crate::config::ClientConfig;
use crate::faults::{FaultStep, Target};

/// Control API bodies larger than this get 413.
const MAX_CONTROL_BODY: usize = 16 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsBody {
    #[serde(default)]
    steps: Vec<FaultStep>,
    #[serde(default)]
    repeat_last: bool,
}

/// `POST /_control/dpop`: any field absent leaves that setting alone.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DpopBody {
    /// Whether the token endpoint demands a DPoP nonce.
    nonce_token: Option<bool>,
    /// Whether `/api` demands a DPoP nonce.
    nonce_api: Option<bool>,
    /// Replace the current nonce with a fresh one.
    #[serde(default)]
    rotate: bool,
}

/// The DPoP nonce settings and the current nonce.
fn dpop_state(shared: &Shared) -> Reply {
    let n = shared.dpop_nonces.lock();
    Reply::json(
        StatusCode::OK,
        json!({"nonce_token": n.token, "nonce_api": n.api, "nonce": n.current}),
    )
}

pub(super) async fn control(shared: &Shared, req: Request<Incoming>) -> Reply {
    // Checked before the body is read: a refused client costs nothing.
    if let Some(refusal) = refuse(req.headers(), shared.port, &shared.control_token) {
        return refusal;
    }
    let (parts, body) = req.into_parts();
    let body = match read_body(body, MAX_CONTROL_BODY).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return plain_error(StatusCode::PAYLOAD_TOO_LARGE, "body too large")
        }
        Err(BodyError::Io) => return plain_error(StatusCode::BAD_REQUEST, "could not read body"),
    };
    let ok = || Reply::json(StatusCode::OK, json!({"ok": true}));
    let mut target = Target::Token;
    for (k, v) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
        if k == "target" {
            match Target::parse(&v) {
                Some(t) => target = t,
                None => {
                    return plain_error(
                        StatusCode::BAD_REQUEST,
                        format!("unknown target {v:?} (token or api)"),
                    )
                }
            }
        }
    }
    match (parts.uri.path(), &parts.method) {
        ("/_control/faults", &Method::POST) => {
            let fb: FaultsBody = match serde_json::from_slice(&body) {
                Ok(f) => f,
                Err(e) => return plain_error(StatusCode::BAD_REQUEST, format!("faults JSON: {e}")),
            };
            for (i, s) in fb.steps.iter().enumerate() {
                if let Err(e) = s.validate() {
                    return plain_error(StatusCode::BAD_REQUEST, format!("step {i}: {e}"));
                }
            }
            shared.set_faults(target, fb.steps, fb.repeat_last);
            ok()
        }
        ("/_control/faults", &Method::DELETE) => {
            shared.clear_faults(target);
            ok()
        }
        ("/_control/clients", &Method::POST) => {
            let c: ClientConfig = match serde_json::from_slice(&body) {
                Ok(c) => c,
                Err(e) => return plain_error(StatusCode::BAD_REQUEST, format!("client JSON: {e}")),
            };
            if let Err(e) = c.validate() {
                return plain_error(StatusCode::BAD_REQUEST, e);
            }
            shared.add_client(c);
            ok()
        }
        ("/_control/stats", &Method::GET) => Reply::json(
            StatusCode::OK,
            serde_json::to_value(shared.stats()).expect("stats"),
        ),
        ("/_control/requests", &Method::GET) => Reply::json(
            StatusCode::OK,
            serde_json::to_value(shared.requests()).expect("requests"),
        ),
        ("/_control/dpop", &Method::GET) => dpop_state(shared),
        ("/_control/dpop", &Method::POST) => {
            let d: DpopBody = match serde_json::from_slice(&body) {
                Ok(d) => d,
                Err(e) => return plain_error(StatusCode::BAD_REQUEST, format!("dpop JSON: {e}")),
            };
            {
                let mut n = shared.dpop_nonces.lock();
                if let Some(t) = d.nonce_token {
                    n.token = t;
                }
                if let Some(a) = d.nonce_api {
                    n.api = a;
                }
                if d.rotate {
                    n.rotate();
                }
            }
            dpop_state(shared)
        }
        ("/_control/reset", &Method::POST) => {
            shared.reset();
            ok()
        }
        ("/_control/faults", _) => {
            plain_error(StatusCode::METHOD_NOT_ALLOWED, "use POST or DELETE")
        }
        ("/_control/clients" | "/_control/reset", _) => {
            plain_error(StatusCode::METHOD_NOT_ALLOWED, "use POST")
        }
        ("/_control/dpop", _) => plain_error(StatusCode::METHOD_NOT_ALLOWED, "use GET or POST"),
        ("/_control/stats" | "/_control/requests", _) => {
            plain_error(StatusCode::METHOD_NOT_ALLOWED, "use GET")
        }
        _ => plain_error(StatusCode::NOT_FOUND, "not_found"),
    }
}
