//! Applying a fault step (PROTOCOL.md) to the reply of the token endpoint or
//! `/api`: delays, resets, canned statuses and bodies, redirects, endless or
//! sized bodies, token field overrides, extra headers, stalls.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::Value;

use super::reply::{Reply, ReplyBody};
use super::routing::ResetConnection;
use crate::body::{Fill, RespBody};
use crate::faults::FaultStep;

/// Prefix of `body_bytes` / `endless` bodies.
const FAKE_BODY_PREFIX: &[u8] = br#"{"access_token":""#;

pub(super) async fn apply_step(
    step: Option<Arc<FaultStep>>,
    reset_flag: &AtomicBool,
    normal: impl FnOnce() -> Reply,
) -> Result<Response<RespBody>, ResetConnection> {
    let Some(step) = step else {
        return Ok(normal().into_response(None));
    };
    if let Some(ms) = step.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if step.reset {
        reset_flag.store(true, Ordering::SeqCst);
        return Err(ResetConnection);
    }
    let custom_status = step.status.and_then(|s| StatusCode::from_u16(s).ok());
    let mut reply = if let Some(location) = &step.redirect {
        let status = custom_status
            .filter(|s| s.is_redirection())
            .unwrap_or(StatusCode::FOUND);
        Reply::raw(status, Bytes::new()).header(header::LOCATION, location)
    } else if step.endless {
        Reply {
            status: custom_status.unwrap_or(StatusCode::OK),
            headers: HeaderMap::new(),
            body: ReplyBody::Gen(Bytes::from_static(FAKE_BODY_PREFIX), Fill::Endless),
        }
        .json_content_type()
    } else if let Some(n) = step.body_bytes {
        let head_len = (FAKE_BODY_PREFIX.len() as u64).min(n) as usize;
        Reply {
            status: custom_status.unwrap_or(StatusCode::OK),
            headers: HeaderMap::new(),
            body: ReplyBody::Gen(
                Bytes::from_static(&FAKE_BODY_PREFIX[..head_len]),
                Fill::Count(n - head_len as u64),
            ),
        }
        .json_content_type()
    } else if step.status.is_some() || step.body.is_some() || step.json.is_some() {
        let status = custom_status.unwrap_or(StatusCode::OK);
        match (&step.json, &step.body) {
            (Some(j), _) => Reply::json(status, j.clone()),
            (None, Some(b)) => Reply::raw(status, b.clone()),
            (None, None) => Reply::raw(status, Bytes::new()),
        }
    } else {
        let mut reply = normal();
        if reply.status == StatusCode::OK && (step.token.is_some() || step.remove.is_some()) {
            if let ReplyBody::Json(Value::Object(obj)) = &mut reply.body {
                if let Some(t) = &step.token {
                    for (k, v) in t {
                        obj.insert(k.clone(), v.clone());
                    }
                }
                if let Some(r) = &step.remove {
                    for k in r {
                        obj.remove(k);
                    }
                }
            }
        }
        reply
    };
    if let Some(h) = &step.headers {
        for (k, v) in h {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) {
                reply.headers.insert(name, value);
            }
        }
    }
    let stall = step.stall_ms.map(|ms| {
        (
            step.stall_after_bytes.unwrap_or(0),
            Duration::from_millis(ms),
        )
    });
    Ok(reply.into_response(stall))
}
