//! Reading a token endpoint's answer (RFC 6749 §5.1, §5.2; docs/design.md §3).
//!
//! Pure functions of status, headers and body, so that property tests can
//! throw anything at them.

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use crate::error::{Error, ErrorDetail};

/// Limits and defaults applied while reading a token response.
#[derive(Debug, Clone)]
pub struct ResponseRules {
    /// Lifetime assumed when `expires_in` is absent or null [600 s].
    pub default_expires_in: Duration,
    /// Longest lifetime believed; larger values are capped [1 year].
    pub max_expires_in: Duration,
    /// Longest `access_token` accepted, in bytes [32 KiB].
    pub max_access_token_len: usize,
    /// How many bytes of an error body an `http` error keeps (default: 512).
    pub error_excerpt_len: usize,
}

impl Default for ResponseRules {
    fn default() -> Self {
        ResponseRules {
            default_expires_in: Duration::from_secs(600),
            max_expires_in: Duration::from_secs(365 * 24 * 3600),
            max_access_token_len: 32 * 1024,
            error_excerpt_len: 512,
        }
    }
}

/// A successful token response, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// The lifetime, after the default and the cap were applied.
    pub expires_in: Duration,
    /// The `scope` field, if the server sent one.
    pub scope: Option<String>,
    /// Every other field.
    pub extra: Map<String, Value>,
}

impl TokenResponse {
    /// The server's `refresh_in` (seconds after the request when the token
    /// should be renewed, as some servers send it), when it is a positive
    /// finite number.
    pub fn refresh_in(&self) -> Option<Duration> {
        refresh_in(&self.extra)
    }
}

/// `refresh_in` of a response's other fields (see
/// [`TokenResponse::refresh_in`]).
pub(crate) fn refresh_in(extra: &Map<String, Value>) -> Option<Duration> {
    let secs = extra.get("refresh_in")?.as_f64()?;
    (secs > 0.0).then(|| Duration::try_from_secs_f64(secs).ok())?
}

/// Interprets one token endpoint response. `body_complete` is false when the
/// body was cut at the size limit.
pub fn parse_token_response(
    status: u16,
    body: &[u8],
    body_complete: bool,
    rules: &ResponseRules,
) -> Result<TokenResponse, Error> {
    parse_token_response_scrubbed(status, body, body_complete, rules, &|t| t, Accept::Bearer)
}

/// The `token_type`s a client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accept {
    /// `Bearer` only (DPoP off): `DPoP` is an `invalid_response`.
    Bearer,
    /// `DPoP` (DPoP on), and `Bearer` too with `dpop_accept_bearer`.
    Dpop { bearer_too: bool },
}

/// [`parse_token_response`], with `scrub` applied to the whole error body
/// *before* it is cut to the excerpt, so that a secret the server echoed
/// cannot survive in part across the cut. (Other texts are scrubbed whole by
/// the caller.)
pub(crate) fn parse_token_response_scrubbed(
    status: u16,
    body: &[u8],
    body_complete: bool,
    rules: &ResponseRules,
    scrub: &dyn Fn(String) -> String,
    accept: Accept,
) -> Result<TokenResponse, Error> {
    let json: Option<Value> = if body_complete {
        serde_json::from_slice(body).ok()
    } else {
        None
    };

    // §5.2: an `error` member makes it an OAuth error, whatever the status.
    if let Some(Value::Object(obj)) = &json {
        if let Some(Value::String(code)) = obj.get("error") {
            // Each field is bounded like an `http` body excerpt (scrubbed
            // before it is cut): a server's megabyte of text must not become
            // a megabyte of error message, logged on every call.
            let bounded = |t: String| excerpt(&scrub(t), rules.error_excerpt_len);
            return Err(ErrorDetail::OAuth {
                error: bounded(code.clone()),
                error_description: string_field(obj, "error_description").map(bounded),
                error_uri: string_field(obj, "error_uri").map(bounded),
                status,
            }
            .into());
        }
    }
    if status != 200 {
        let text = scrub(String::from_utf8_lossy(body).into_owned());
        return Err(ErrorDetail::Http {
            status,
            body: excerpt(&text, rules.error_excerpt_len),
        }
        .into());
    }
    if !body_complete {
        return Err(Error::invalid_response(
            "response body exceeds the size limit",
        ));
    }
    let mut obj = match json {
        Some(Value::Object(obj)) => obj,
        Some(_) => {
            return Err(Error::invalid_response(
                "response body is not a JSON object",
            ))
        }
        None => return Err(Error::invalid_response("response body is not JSON")),
    };

    let access_token = match obj.remove("access_token") {
        Some(Value::String(t)) if t.is_empty() => {
            return Err(Error::invalid_response("access_token is empty"))
        }
        Some(Value::String(t)) if t.len() > rules.max_access_token_len => {
            return Err(Error::invalid_response(format!(
                "access_token is longer than {} bytes",
                rules.max_access_token_len
            )))
        }
        Some(Value::String(t)) => t,
        Some(_) => return Err(Error::invalid_response("access_token is not a string")),
        None => return Err(Error::invalid_response("access_token is missing")),
    };
    let token_type = match (obj.remove("token_type"), accept) {
        (Some(Value::String(t)), Accept::Bearer | Accept::Dpop { bearer_too: true })
            if t.eq_ignore_ascii_case("bearer") =>
        {
            "Bearer".to_string()
        }
        (Some(Value::String(t)), Accept::Dpop { .. }) if t.eq_ignore_ascii_case("dpop") => {
            "DPoP".to_string()
        }
        (Some(Value::String(t)), Accept::Dpop { .. }) if t.eq_ignore_ascii_case("bearer") => {
            return Err(Error::invalid_response(
                "token_type is Bearer, not DPoP: the server did not bind the token to the DPoP \
                 key (set dpop_accept_bearer to accept such a server)",
            ))
        }
        (Some(Value::String(_)), Accept::Dpop { .. }) => {
            return Err(Error::invalid_response("token_type is not DPoP"))
        }
        (Some(Value::String(_)), Accept::Bearer) => {
            return Err(Error::invalid_response("token_type is not Bearer"))
        }
        (Some(_), _) => return Err(Error::invalid_response("token_type is not a string")),
        (None, _) => return Err(Error::invalid_response("token_type is missing")),
    };
    let expires_in = parse_expires_in(obj.remove("expires_in").as_ref(), rules)
        .map_err(Error::invalid_response)?;
    let scope = match obj.remove("scope") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(Error::invalid_response("scope is not a string")),
    };
    Ok(TokenResponse {
        access_token,
        token_type,
        expires_in,
        scope,
        extra: obj,
    })
}

/// Reads `expires_in`: a non-negative integer or numeric string; absent or
/// null gives the default; anything else is an error. Capped at the maximum.
pub fn parse_expires_in(value: Option<&Value>, rules: &ResponseRules) -> Result<Duration, String> {
    let secs: f64 = match value {
        None | Some(Value::Null) => return Ok(rules.default_expires_in),
        Some(Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
            (Some(u), _) => u as f64,
            (None, Some(f)) if f.is_finite() && f >= 0.0 => f,
            _ => return Err("expires_in is negative or not a number".into()),
        },
        Some(Value::String(s)) => {
            let s = s.trim();
            let numeric = !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && s.bytes().filter(|b| *b == b'.').count() <= 1
                && s.bytes().any(|b| b.is_ascii_digit());
            match s.parse::<f64>() {
                Ok(f) if numeric && f.is_finite() => f,
                _ => return Err("expires_in is not a non-negative number".into()),
            }
        }
        Some(_) => return Err("expires_in is neither a number nor a numeric string".into()),
    };
    let max = rules.max_expires_in.as_secs_f64();
    Ok(Duration::from_secs_f64(secs.min(max)))
}

/// Reads a `Retry-After` value: delta-seconds or an HTTP date, capped.
/// `None` when it is neither.
pub fn parse_retry_after(value: &str, now: SystemTime, cap: Duration) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        let secs = v.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(cap));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO).min(cap))
}

fn string_field(obj: &Map<String, Value>, name: &str) -> Option<String> {
    match obj.get(name) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// The first `max` bytes of `text`, cut at a character boundary.
fn excerpt(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}
