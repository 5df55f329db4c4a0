//! The claims of a verified token and the rules they must meet
//! (docs/design.md §10): exact `iss`, `aud` a string or an array holding one
//! of ours, `exp` required, `exp`/`nbf`/`iat` numbers (a string is an error,
//! never "absent"), all within the leeway.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use super::reason;
use crate::error::{Error, Result};

/// The claims of a verified access token. Cheap to clone; its `Debug` shows
/// the claims, never the token.
#[derive(Clone)]
pub struct Claims(Arc<Inner>);

struct Inner {
    json: Map<String, Value>,
    issuer: String,
    subject: Option<String>,
    audience: Vec<String>,
    client_id: Option<String>,
    scopes: Vec<String>,
    /// Seconds since the epoch.
    exp: f64,
    iat: Option<f64>,
    nbf: Option<f64>,
    jwt_id: Option<String>,
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Claims").field(&self.0.json).finish()
    }
}

fn time(secs: f64) -> SystemTime {
    if secs <= 0.0 {
        return UNIX_EPOCH;
    }
    // Far-future values are clamped rather than overflowing.
    Duration::try_from_secs_f64(secs.min(1e11))
        .map(|d| UNIX_EPOCH + d)
        .unwrap_or(UNIX_EPOCH)
}

impl Claims {
    /// `iss`: the issuer, equal to the configured one.
    pub fn issuer(&self) -> &str {
        &self.0.issuer
    }
    /// `sub`, when present.
    pub fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }
    /// `aud`: a string `aud` gives one entry.
    pub fn audience(&self) -> &[String] {
        &self.0.audience
    }
    /// `client_id`, when present.
    pub fn client_id(&self) -> Option<&str> {
        self.0.client_id.as_deref()
    }
    /// The scopes: `scope` (space-separated) or `scp` (an array).
    pub fn scopes(&self) -> &[String] {
        &self.0.scopes
    }
    /// `exp`.
    pub fn expires_at(&self) -> SystemTime {
        time(self.0.exp)
    }
    /// `iat`, when present.
    pub fn issued_at(&self) -> Option<SystemTime> {
        self.0.iat.map(time)
    }
    /// `nbf`, when present.
    pub fn not_before(&self) -> Option<SystemTime> {
        self.0.nbf.map(time)
    }
    /// `jti`, when present.
    pub fn jwt_id(&self) -> Option<&str> {
        self.0.jwt_id.as_deref()
    }
    /// True when `scope` is one of [`Claims::scopes`].
    pub fn has_scope(&self, scope: &str) -> bool {
        self.0.scopes.iter().any(|s| s == scope)
    }
    /// Any claim by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.json.get(name)
    }
    /// Every claim.
    pub fn json(&self) -> &Map<String, Value> {
        &self.0.json
    }
    /// Every claim as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0.json).unwrap_or_else(|_| "{}".into())
    }

    /// `exp` in seconds since the epoch (for the verified-token cache).
    pub(crate) fn exp_secs(&self) -> f64 {
        self.0.exp
    }

    /// The time rules again, for a cached token.
    pub(crate) fn check_time(&self, now: f64, leeway: f64) -> Result<()> {
        check_time(self.0.exp, self.0.nbf, self.0.iat, now, leeway)
    }
}

/// What the claims are checked against.
pub(crate) struct ClaimRules<'a> {
    pub issuer: &'a str,
    pub audience: &'a [String],
    /// Seconds.
    pub leeway: f64,
}

fn bad_type(name: &str, what: &str) -> Error {
    Error::invalid_token(
        reason::BAD_CLAIM_TYPE,
        format!("claim {name} is not {what}"),
    )
}

fn missing(name: &str) -> Error {
    Error::invalid_token(reason::MISSING_CLAIM, format!("claim {name} is missing"))
}

/// A numeric date; a present value of another type is an error.
fn number(json: &Map<String, Value>, name: &str) -> Result<Option<f64>> {
    match json.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| bad_type(name, "a number")),
        Some(_) => Err(bad_type(name, "a number")),
    }
}

fn text(json: &Map<String, Value>, name: &str) -> Result<Option<String>> {
    match json.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad_type(name, "a string")),
    }
}

fn strings(v: &[Value], name: &str) -> Result<Vec<String>> {
    v.iter()
        .map(|s| s.as_str().map(str::to_string))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| bad_type(name, "an array of strings"))
}

fn check_time(exp: f64, nbf: Option<f64>, iat: Option<f64>, now: f64, leeway: f64) -> Result<()> {
    if now >= exp + leeway {
        return Err(Error::invalid_token(
            reason::EXPIRED,
            "the token has expired",
        ));
    }
    if nbf.is_some_and(|nbf| now + leeway < nbf) {
        return Err(Error::invalid_token(
            reason::NOT_YET_VALID,
            "the token is not valid yet (nbf)",
        ));
    }
    if iat.is_some_and(|iat| now + leeway < iat) {
        return Err(Error::invalid_token(
            reason::NOT_YET_VALID,
            "the token was issued in the future (iat)",
        ));
    }
    Ok(())
}

/// Parses the payload and applies the rules at time `now` (seconds).
pub(crate) fn validate(payload: &[u8], rules: &ClaimRules<'_>, now: f64) -> Result<Claims> {
    let json: Map<String, Value> = serde_json::from_slice(payload)
        .map_err(|_| Error::invalid_token(reason::MALFORMED, "the payload is not a JSON object"))?;
    // Types first: a claim of the wrong type is never read as absent.
    let exp = number(&json, "exp")?;
    let nbf = number(&json, "nbf")?;
    let iat = number(&json, "iat")?;
    let exp = exp.ok_or_else(|| missing("exp"))?;
    let issuer = match json.get("iss") {
        None => return Err(missing("iss")),
        Some(Value::String(s)) if s == rules.issuer => s.clone(),
        Some(_) => {
            return Err(Error::invalid_token(
                reason::WRONG_ISSUER,
                "iss is not the configured issuer",
            ))
        }
    };
    let audience = match json.get("aud") {
        None => return Err(missing("aud")),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => strings(a, "aud")?,
        Some(_) => return Err(bad_type("aud", "a string or an array of strings")),
    };
    if !audience.iter().any(|a| rules.audience.contains(a)) {
        return Err(Error::invalid_token(
            reason::WRONG_AUDIENCE,
            "aud does not name this API",
        ));
    }
    let scopes = match (json.get("scope"), json.get("scp")) {
        (Some(Value::String(s)), _) => s
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        (Some(_), _) => return Err(bad_type("scope", "a string")),
        (None, Some(Value::Array(a))) => strings(a, "scp")?,
        (None, Some(Value::String(s))) => s
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        (None, Some(_)) => return Err(bad_type("scp", "an array of strings")),
        (None, None) => Vec::new(),
    };
    let subject = text(&json, "sub")?;
    let client_id = text(&json, "client_id")?;
    let jwt_id = text(&json, "jti")?;
    check_time(exp, nbf, iat, now, rules.leeway)?;
    Ok(Claims(Arc::new(Inner {
        json,
        issuer,
        subject,
        audience,
        client_id,
        scopes,
        exp,
        iat,
        nbf,
        jwt_id,
    })))
}
