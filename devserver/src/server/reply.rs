//! The intermediate reply a handler builds, before fault steps touch it, and
//! the common error replies.

use std::time::Duration;

use bytes::Bytes;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::{json, Value};

use crate::body::{Fill, RespBody};

pub(super) enum ReplyBody {
    Json(Value),
    Raw(Bytes),
    Gen(Bytes, Fill),
}

pub(super) struct Reply {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: ReplyBody,
}

impl Reply {
    pub(super) fn json(status: StatusCode, v: Value) -> Self {
        Reply {
            status,
            headers: HeaderMap::new(),
            body: ReplyBody::Json(v),
        }
    }

    pub(super) fn raw(status: StatusCode, b: impl Into<Bytes>) -> Self {
        Reply {
            status,
            headers: HeaderMap::new(),
            body: ReplyBody::Raw(b.into()),
        }
    }

    pub(super) fn header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.insert(name, v);
        }
        self
    }

    pub(super) fn json_content_type(mut self) -> Self {
        self.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        self
    }

    pub(super) fn into_response(self, stall: Option<(u64, Duration)>) -> Response<RespBody> {
        let mut headers = self.headers;
        let body = match self.body {
            ReplyBody::Json(v) => {
                headers
                    .entry(header::CONTENT_TYPE)
                    .or_insert(HeaderValue::from_static("application/json"));
                RespBody::full(serde_json::to_vec(&v).expect("serialize JSON body"))
            }
            ReplyBody::Raw(b) => RespBody::full(b),
            ReplyBody::Gen(head, fill) => RespBody::new(head, fill),
        };
        let body = match stall {
            Some((at, dur)) => body.with_stall(at, dur),
            None => body,
        };
        let mut resp = Response::new(body);
        *resp.status_mut() = self.status;
        *resp.headers_mut() = headers;
        resp
    }
}

pub(super) fn oauth_error(status: StatusCode, code: &str, description: impl Into<String>) -> Reply {
    Reply::json(
        status,
        json!({"error": code, "error_description": description.into()}),
    )
    .header(header::CACHE_CONTROL, "no-store")
    .header(header::PRAGMA, "no-cache")
}

pub(super) fn plain_error(status: StatusCode, msg: impl Into<String>) -> Reply {
    Reply::json(status, json!({"error": msg.into()}))
}

pub(super) fn method_not_allowed(allow: &str) -> Reply {
    oauth_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "invalid_request",
        format!("method not allowed; use {allow}"),
    )
    .header(header::ALLOW, allow)
}
