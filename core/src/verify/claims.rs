//! The claims of a verified token and the rules they must meet
//! (docs/design.md §10): exact `iss`, `aud` a string or an array holding one
//! of ours, `exp` required, `exp`/`nbf`/`iat` numbers (a string is an error,
//! never "absent"), all within the leeway.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use super::json::{self, Member};
use super::reason;
use crate::error::{Error, Result};

/// The claims of a verified access token. Cheap to clone; its `Debug` shows
/// the claims, never the token.
#[derive(Clone)]
pub struct Claims(Arc<Inner>);

struct Inner {
    /// The claims as they came (JSON text, checked when verified).
    text: String,
    /// `text` parsed, on first use: the verification reads only the
    /// members it checks.
    json: OnceLock<Map<String, Value>>,
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
    /// `cnf.jkt`, when `cnf` is an object holding it as a string.
    jkt: Option<String>,
}

impl Inner {
    fn json(&self) -> &Map<String, Value> {
        // The text parses: it passed the same parser when verified.
        self.json
            .get_or_init(|| serde_json::from_str(&self.text).unwrap_or_default())
    }
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Claims").field(self.0.json()).finish()
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
        self.0.json().get(name)
    }
    /// Every claim.
    pub fn json(&self) -> &Map<String, Value> {
        self.0.json()
    }
    /// Every claim as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self.0.json()).unwrap_or_else(|_| "{}".into())
    }

    /// `cnf.jkt`, the DPoP key the token is bound to (RFC 9449 §6.1).
    pub(crate) fn bound_key(&self) -> Option<&str> {
        self.0.jkt.as_deref()
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
fn number(m: &Option<Member<'_>>, name: &str) -> Result<Option<f64>> {
    match m {
        None => Ok(None),
        Some(Member::Num(n)) if n.is_finite() => Ok(Some(*n)),
        Some(_) => Err(bad_type(name, "a number")),
    }
}

fn string_claim(m: Option<Member<'_>>, name: &str) -> Result<Option<String>> {
    match m {
        None => Ok(None),
        Some(Member::Str(s)) => Ok(Some(s.into_owned())),
        Some(_) => Err(bad_type(name, "a string")),
    }
}

fn strings(v: Vec<Cow<'_, str>>) -> Vec<String> {
    v.into_iter().map(Cow::into_owned).collect()
}

fn split_scope(s: &str) -> Vec<String> {
    s.split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The members the rules read, in the order of `Read`'s fields.
const NAMES: [&str; 11] = [
    "exp",
    "nbf",
    "iat",
    "iss",
    "aud",
    "scope",
    "scp",
    "sub",
    "client_id",
    "jti",
    "cnf",
];

const EXP: usize = 0;
const NBF: usize = 1;
const IAT: usize = 2;
const ISS: usize = 3;
const AUD: usize = 4;
const SCOPE: usize = 5;
const SCP: usize = 6;
const SUB: usize = 7;
const CLIENT_ID: usize = 8;
const JTI: usize = 9;
const CNF: usize = 10;

/// The claims' members the rules read; `None` when absent.
#[derive(Default)]
struct Read<'a>([Option<Member<'a>>; NAMES.len()]);

impl<'a> Read<'a> {
    /// The member `NAMES[i]`, taken out.
    fn take(&mut self, i: usize) -> Option<Member<'a>> {
        self.0[i].take()
    }
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
pub(crate) fn validate(payload: Vec<u8>, rules: &ClaimRules<'_>, now: f64) -> Result<Claims> {
    let not_json = || Error::invalid_token(reason::MALFORMED, "the payload is not a JSON object");
    let text = String::from_utf8(payload).map_err(|_| not_json())?;
    let mut read = Read::default();
    json::object(&text, &NAMES, |i, m| read.0[i] = Some(m)).map_err(|_| not_json())?;
    // Types first: a claim of the wrong type is never read as absent.
    let exp = number(&read.take(EXP), "exp")?;
    let nbf = number(&read.take(NBF), "nbf")?;
    let iat = number(&read.take(IAT), "iat")?;
    let exp = exp.ok_or_else(|| missing("exp"))?;
    let issuer = match read.take(ISS) {
        None => return Err(missing("iss")),
        Some(Member::Str(s)) if s == rules.issuer => s.into_owned(),
        Some(_) => {
            return Err(Error::invalid_token(
                reason::WRONG_ISSUER,
                "iss is not the configured issuer",
            ))
        }
    };
    let audience = match read.take(AUD) {
        None => return Err(missing("aud")),
        Some(Member::Str(s)) => vec![s.into_owned()],
        Some(Member::Strs(a)) => strings(a),
        Some(Member::Array) => return Err(bad_type("aud", "an array of strings")),
        Some(_) => return Err(bad_type("aud", "a string or an array of strings")),
    };
    if !audience.iter().any(|a| rules.audience.contains(a)) {
        return Err(Error::invalid_token(
            reason::WRONG_AUDIENCE,
            "aud does not name this API",
        ));
    }
    let scopes = match (read.take(SCOPE), read.take(SCP)) {
        (Some(Member::Str(s)), _) => split_scope(&s),
        (Some(_), _) => return Err(bad_type("scope", "a string")),
        (None, Some(Member::Strs(a))) => strings(a),
        (None, Some(Member::Str(s))) => split_scope(&s),
        (None, Some(_)) => return Err(bad_type("scp", "an array of strings")),
        (None, None) => Vec::new(),
    };
    let subject = string_claim(read.take(SUB), "sub")?;
    let client_id = string_claim(read.take(CLIENT_ID), "client_id")?;
    let jwt_id = string_claim(read.take(JTI), "jti")?;
    check_time(exp, nbf, iat, now, rules.leeway)?;
    let jkt = match read.take(CNF) {
        Some(Member::Object { jkt }) => jkt.map(Cow::into_owned),
        _ => None,
    };
    Ok(Claims(Arc::new(Inner {
        text,
        json: OnceLock::new(),
        issuer,
        subject,
        audience,
        client_id,
        scopes,
        exp,
        iat,
        nbf,
        jwt_id,
        jkt,
    })))
}
