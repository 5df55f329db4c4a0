//! Fault scripts: what the token endpoint or `/api` does instead of (or on top
//! of) behaving normally. See PROTOCOL.md, "Fault steps".

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// Which endpoint a fault script applies to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// `POST /oauth/token` (the default target of the control API).
    #[default]
    Token,
    /// `GET|POST /api`.
    Api,
}

impl Target {
    /// Parses the control API's `?target=` value (`token` or `api`).
    pub fn parse(s: &str) -> Option<Target> {
        match s {
            "token" => Some(Target::Token),
            "api" => Some(Target::Api),
            _ => None,
        }
    }
}

/// One step of a fault script. Every field is optional; `FaultStep::default()`
/// is a step that changes nothing (the request is served normally).
///
/// Only one of `reset`/`redirect`/`endless`/`body_bytes`/`status`(+`body`/`json`)/
/// `token`+`remove` decides the response; if several are set the first in that
/// order wins (`status` still sets the status of `body_bytes`/`endless`/
/// `redirect` responses). `delay_ms`, `headers` and `stall_*` combine with any.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultStep {
    /// How many requests this step serves (default 1; 0 counts as 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Wait this long before anything is sent (also for normal responses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Send a custom response with this status instead of the normal one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Custom response body, raw (no `Content-Type` unless `headers` sets one).
    /// Without `status` the status is 200.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Custom response body as JSON (sets `Content-Type: application/json`).
    /// Without `status` the status is 200. (`"json": null` means absent.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// Extra response headers; they replace same-named headers of the response.
    /// Values may be given as JSON strings, numbers or booleans.
    #[serde(
        default,
        deserialize_with = "de_headers",
        skip_serializing_if = "Option::is_none"
    )]
    pub headers: Option<BTreeMap<String, String>>,
    /// Fields merged (shallowly, `null` kept as `null`) over a normal
    /// *successful* JSON response; error responses are left alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Map<String, Value>>,
    /// Field names removed from a normal successful JSON response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove: Option<Vec<String>>,
    /// Close the connection (TCP reset) without any response.
    #[serde(default, skip_serializing_if = "is_false")]
    pub reset: bool,
    /// Send a body of exactly this many bytes: `{"access_token":"` then `a`s
    /// (status 200 unless `status`), with `Content-Length`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_bytes: Option<u64>,
    /// Stream a chunked body (`{"access_token":"` then `a`s, 16 KiB chunks)
    /// that never ends, until the client hangs up (status 200 unless `status`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub endless: bool,
    /// Send the headers and this many body bytes, then stall for `stall_ms`
    /// before sending the rest (default 0 when only `stall_ms` is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_after_bytes: Option<u64>,
    /// How long to stall (see `stall_after_bytes`); without it nothing stalls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_ms: Option<u64>,
    /// Respond `302 Found` (or `status` if it is a 3xx) with this `Location`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn de_headers<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    let raw: Option<BTreeMap<String, Value>> = Option::deserialize(d)?;
    let Some(raw) = raw else { return Ok(None) };
    let mut out = BTreeMap::new();
    for (k, v) in raw {
        let s = match v {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "header {k:?}: value must be a string or number, got {other}"
                )))
            }
        };
        out.insert(k, s);
    }
    Ok(Some(out))
}

impl FaultStep {
    /// A step answering with this status and an empty body.
    pub fn status(status: u16) -> Self {
        FaultStep {
            status: Some(status),
            ..Default::default()
        }
    }

    /// A step answering with this status and JSON body.
    pub fn status_json(status: u16, json: Value) -> Self {
        FaultStep {
            status: Some(status),
            json: Some(json),
            ..Default::default()
        }
    }

    /// A step that waits `ms` milliseconds and then answers normally.
    pub fn delay(ms: u64) -> Self {
        FaultStep {
            delay_ms: Some(ms),
            ..Default::default()
        }
    }

    /// A step that closes the connection without a response.
    pub fn reset() -> Self {
        FaultStep {
            reset: true,
            ..Default::default()
        }
    }

    /// A normal response with `fields` merged over its JSON.
    pub fn token(fields: Value) -> Self {
        let map = match fields {
            Value::Object(m) => m,
            other => panic!("FaultStep::token needs a JSON object, got {other}"),
        };
        FaultStep {
            token: Some(map),
            ..Default::default()
        }
    }

    /// A normal response without these JSON fields.
    pub fn remove<I, S>(fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        FaultStep {
            remove: Some(fields.into_iter().map(Into::into).collect()),
            ..Default::default()
        }
    }

    /// A `302 Found` to `location`.
    pub fn redirect(location: impl Into<String>) -> Self {
        FaultStep {
            redirect: Some(location.into()),
            ..Default::default()
        }
    }

    /// Sets how many requests this step serves.
    pub fn times(mut self, count: u64) -> Self {
        self.count = Some(count);
        self
    }

    /// Adds an extra response header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers
            .get_or_insert_with(BTreeMap::new)
            .insert(name.into(), value.into());
        self
    }

    /// Checks that the status, header names/values and redirect target can be
    /// sent on the wire.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(s) = self.status {
            hyper::StatusCode::from_u16(s).map_err(|_| format!("invalid status {s}"))?;
        }
        if let Some(h) = &self.headers {
            for (k, v) in h {
                hyper::header::HeaderName::from_bytes(k.as_bytes())
                    .map_err(|_| format!("invalid header name {k:?}"))?;
                hyper::header::HeaderValue::from_str(v)
                    .map_err(|_| format!("invalid value for header {k:?}: {v:?}"))?;
            }
        }
        if let Some(r) = &self.redirect {
            hyper::header::HeaderValue::from_str(r)
                .map_err(|_| format!("invalid redirect {r:?}"))?;
        }
        Ok(())
    }
}

/// The script for one target: steps, position, and `repeat_last`.
#[derive(Debug, Default)]
pub(crate) struct FaultScript {
    steps: Vec<Arc<FaultStep>>,
    idx: usize,
    used: u64,
    repeat_last: bool,
}

impl FaultScript {
    pub(crate) fn new(steps: Vec<FaultStep>, repeat_last: bool) -> Self {
        FaultScript {
            steps: steps.into_iter().map(Arc::new).collect(),
            idx: 0,
            used: 0,
            repeat_last,
        }
    }

    /// Consumes the step for the next request, if any.
    pub(crate) fn next(&mut self) -> Option<Arc<FaultStep>> {
        if let Some(step) = self.steps.get(self.idx) {
            let step = step.clone();
            self.used += 1;
            if self.used >= step.count.unwrap_or(1).max(1) {
                self.idx += 1;
                self.used = 0;
            }
            return Some(step);
        }
        if self.repeat_last {
            return self.steps.last().cloned();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_counts_and_repeats() {
        let mut s = FaultScript::new(
            vec![FaultStep::status(500).times(2), FaultStep::status(503)],
            false,
        );
        assert_eq!(s.next().unwrap().status, Some(500));
        assert_eq!(s.next().unwrap().status, Some(500));
        assert_eq!(s.next().unwrap().status, Some(503));
        assert!(s.next().is_none());
        let mut s = FaultScript::new(vec![FaultStep::status(500), FaultStep::status(503)], true);
        s.next();
        for _ in 0..5 {
            assert_eq!(s.next().unwrap().status, Some(503));
        }
        let mut s = FaultScript::new(vec![], true);
        assert!(s.next().is_none());
    }

    #[test]
    fn step_json_roundtrip_and_unknown_fields() {
        let s: FaultStep =
            serde_json::from_str(r#"{"status":429,"headers":{"Retry-After":2},"count":3}"#)
                .unwrap();
        assert_eq!(s.headers.as_ref().unwrap()["Retry-After"], "2");
        let back: FaultStep = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        assert!(serde_json::from_str::<FaultStep>(r#"{"stauts":429}"#).is_err());
        let s: FaultStep = serde_json::from_str(r#"{"token":{"access_token":null}}"#).unwrap();
        assert_eq!(s.token.unwrap()["access_token"], Value::Null);
    }
}
