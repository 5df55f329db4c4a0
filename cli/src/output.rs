//! What the commands print: the token response, the token's metadata and
//! the status line of an API answer.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use m2m_auth::{QuotaBucket, Token};
use serde_json::{json, Value};

use crate::failure::{io_failure, Failure};

/// The token response as the server sent it (fields in RFC 6749 order, then
/// the others), with `expires_in` counted from now.
pub fn token_response(t: &Token) -> Vec<(String, Value)> {
    let mut fields = vec![
        ("access_token".to_string(), json!(t.access_token())),
        ("token_type".to_string(), json!(t.token_type())),
        ("expires_in".to_string(), json!(t.expires_in().as_secs())),
    ];
    if let Some(s) = t.scope() {
        fields.push(("scope".into(), json!(s)));
    }
    for (k, v) in t.extra() {
        if !fields.iter().any(|(f, _)| f == k) {
            fields.push((k.clone(), v.clone()));
        }
    }
    fields
}

/// What is safe to show: never the token, nor the values of fields the
/// engine does not know (a server may send other credentials there); then
/// the token quota the server reported, if it did (`reset_at` in seconds
/// since the epoch, as `expires_at`).
pub fn metadata(t: &Token, quota: &[QuotaBucket]) -> Vec<(String, Value)> {
    let unix = |at: SystemTime| at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut fields = vec![
        ("token_type".into(), json!(t.token_type())),
        ("expires_in".into(), json!(t.expires_in().as_secs())),
        ("expires_at".into(), json!(unix(t.expires_at()))),
        ("scope".into(), json!(t.scope())),
        ("fingerprint".into(), json!(t.fingerprint())),
        (
            "other_fields".into(),
            json!(t.extra().keys().collect::<Vec<_>>()),
        ),
    ];
    if !quota.is_empty() {
        let buckets: Vec<Value> = quota
            .iter()
            .map(|b| {
                json!({"scope": b.scope, "bucket": b.bucket, "quota": b.quota,
                       "remaining": b.remaining, "reset_at": unix(b.reset_at)})
            })
            .collect();
        fields.push(("quota".into(), Value::Array(buckets)));
    }
    fields
}

/// A JSON object with its fields in this order, one per line.
pub fn pretty(fields: &[(String, Value)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("  {}: {}", Value::String(k.clone()), v))
        .collect();
    format!("{{\n{}\n}}\n", body.join(",\n"))
}

/// `text` with every control character but newline and tab written as
/// `\u{..}`: text that came from a server (error descriptions, headers, an
/// API's body on a terminal) must not drive the user's terminal.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes `bytes` to standard output and flushes it. On a terminal, control
/// characters are escaped (see [`escape_controls`]); into a pipe or a file
/// the bytes go as they are.
pub fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    use std::io::IsTerminal as _;
    let mut out = std::io::stdout().lock();
    let escaped;
    let bytes = if out.is_terminal() {
        escaped = escape_controls(&String::from_utf8_lossy(bytes));
        escaped.as_bytes()
    } else {
        bytes
    };
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|e| io_failure("writing to standard output", e))
}

/// `status` with its reason phrase, e.g. `404 Not Found`.
pub fn status_line(status: u16) -> String {
    let reason = match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    };
    format!("{status} {reason}").trim_end().to_string()
}
