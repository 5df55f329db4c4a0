//! The compact JWS, read defensively (docs/design.md §10): exactly three
//! base64url segments, a JSON object header whose `alg` is on the
//! allowlist, no `crit`, the right `typ`. Keys named by the header (`jwk`,
//! `jku`, `x5u`, `x5c`) are never read.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use super::keys::Alg;
use super::reason;
use crate::error::{Error, Result};

/// A token split and its header checked; the signature not yet verified.
pub(crate) struct Jws<'a> {
    pub alg: Alg,
    pub kid: Option<String>,
    /// `header.payload`, what the signature covers.
    pub signing_input: &'a [u8],
    pub payload: Vec<u8>,
    pub signature: Vec<u8>,
}

/// What the header rules depend on.
pub(crate) struct HeaderRules<'a> {
    pub algorithms: &'a [Alg],
    pub strict_typ: bool,
}

fn malformed(message: impl Into<String>) -> Error {
    Error::invalid_token(reason::MALFORMED, message)
}

fn decode(segment: &str, what: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| malformed(format!("the {what} is not base64url")))
}

/// Splits and checks `token` (its size was checked by the caller).
pub(crate) fn parse<'a>(token: &'a str, rules: &HeaderRules<'_>) -> Result<Jws<'a>> {
    let mut parts = token.splitn(4, '.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("a token has exactly three segments"));
    };
    let header: Map<String, Value> = serde_json::from_slice(&decode(h, "header")?)
        .map_err(|_| malformed("the header is not a JSON object"))?;
    let alg = match header.get("alg") {
        Some(Value::String(a)) => a.as_str(),
        Some(_) => return Err(malformed("the header's alg is not a string")),
        None => return Err(malformed("the header has no alg")),
    };
    let alg = Alg::parse(alg)
        .filter(|a| rules.algorithms.contains(a))
        .ok_or_else(|| {
            Error::invalid_token(
                reason::DISALLOWED_ALGORITHM,
                format!("algorithm {:?} is not allowed", scrub(alg)),
            )
        })?;
    // RFC 7515 §4.1.11: an extension we do not understand must be refused;
    // we understand none.
    if header.contains_key("crit") {
        return Err(Error::invalid_token(
            reason::CRIT,
            "the header has crit extensions",
        ));
    }
    check_typ(header.get("typ"), rules.strict_typ)?;
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(malformed("the header's kid is not a string")),
    };
    let payload = decode(p, "payload")?;
    let signature = decode(s, "signature")?;
    if signature.is_empty() {
        return Err(malformed("the signature is empty"));
    }
    Ok(Jws {
        alg,
        kid,
        signing_input: &token.as_bytes()[..h.len() + 1 + p.len()],
        payload,
        signature,
    })
}

/// RFC 9068 §4: `at+jwt` (or `application/at+jwt`), case-insensitive;
/// without `strict_typ`, also `JWT` or no `typ`.
fn check_typ(typ: Option<&Value>, strict: bool) -> Result<()> {
    let ok = match typ {
        Some(Value::String(t)) => {
            let t = t.to_ascii_lowercase();
            t == "at+jwt"
                || t == "application/at+jwt"
                || (!strict && (t == "jwt" || t == "application/jwt"))
        }
        None => !strict,
        Some(_) => false,
    };
    if ok {
        return Ok(());
    }
    let shown = match typ {
        Some(Value::String(t)) => format!("{:?}", scrub(t)),
        Some(_) => "not a string".into(),
        None => "absent".into(),
    };
    Err(Error::invalid_token(
        reason::BAD_TYP,
        format!("typ {shown} is not at+jwt"),
    ))
}

/// A header value fit for a message: printable ASCII only, at most 64 bytes.
pub(crate) fn scrub(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(64)
        .collect()
}
