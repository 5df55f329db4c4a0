//! A DPoP proof checked as RFC 9449 §4.3 says (docs/design.md §11, "The
//! API side"): one compact JWS of at most 8 KiB, `typ: dpop+jwt`, an
//! asymmetric `alg` on the allowlist, a public `jwk` that fits it and
//! verifies the signature, `htm`/`htu` of this request, a recent `iat`, a
//! `jti`, and `ath` of the presented token. What it does not check here:
//! the key against the token's `cnf.jkt`, the nonce and the replay memory
//! (the caller's, with state).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};
use url::Url;

use super::super::jws::scrub;
use super::super::keys::{verify_inline, Alg};
use super::super::reason;
use crate::error::{Error, Result};

/// Largest `DPoP` header accepted, checked before any parsing.
pub(crate) const MAX_PROOF_BYTES: usize = 8 * 1024;
/// Longest `jti` and `nonce` accepted.
const MAX_CLAIM_BYTES: usize = 512;
/// JWK members that would make it a private key (RFC 9449 §4.2: never).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// What a proof says, once checked.
pub(crate) struct Proof {
    /// The RFC 7638 thumbprint of its `jwk`.
    pub jkt: String,
    pub jti: String,
    /// Seconds since the epoch.
    pub iat: f64,
    pub nonce: Option<String>,
}

/// The rules a proof is checked against.
pub(crate) struct ProofRules<'a> {
    pub algorithms: &'a [Alg],
    /// How old `iat` may be, seconds.
    pub max_age: f64,
    /// Clock leeway, seconds (`iat` may be this far in the future).
    pub leeway: f64,
}

/// The request a proof must be about.
pub(crate) struct Target<'a> {
    pub method: &'a str,
    pub url: &'a Url,
    pub access_token: &'a str,
}

pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::invalid_token(reason::DPOP_PROOF, message)
}

fn object(segment: &str, what: &str) -> Result<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| invalid(format!("the proof's {what} is not base64url")))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| invalid(format!("the proof's {what} is not a JSON object")))
}

fn text<'a>(o: &'a Map<String, Value>, name: &str) -> Result<&'a str> {
    match o.get(name) {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_CLAIM_BYTES => Ok(s),
        Some(_) => Err(invalid(format!("the proof's {name} is not a short string"))),
        None => Err(invalid(format!("the proof has no {name}"))),
    }
}

/// `url` without query and fragment, as `htu` is compared (RFC 9449 §4.3
/// item 9, with RFC 3986 §6.2.2 syntax-based normalisation: scheme and
/// host case, default port and dot segments by parsing; percent-encoding
/// by [`normalize_percent`]).
pub(crate) fn htu_of(url: &Url) -> Url {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    if u.path().contains('%') {
        let path = normalize_percent(u.path());
        u.set_path(&path);
    }
    u
}

/// RFC 3986 §6.2.2.1 and §6.2.2.2: hex digits of a percent-encoding in
/// upper case, and an encoded unreserved character (`A-Z a-z 0-9 - . _ ~`)
/// decoded, so that `/th%69ngs` and `/things`, or `%2f` and `%2F`, are one
/// path. Reserved characters stay encoded (`%2F` is not `/`).
fn normalize_percent(path: &str) -> String {
    let b = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                let c = (h * 16 + l) as u8;
                if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
                    out.push(c as char);
                } else {
                    out.push('%');
                    out.push_str(&format!("{c:02X}"));
                }
                i += 3;
                continue;
            }
        }
        // Anything else is copied: `path` is a parsed URL's, so ASCII.
        out.push(b[i] as char);
        i += 1;
    }
    out
}

/// Checks `proof` (the `DPoP` header) for `target` at `now`.
pub(crate) fn check(
    proof: &str,
    target: &Target<'_>,
    rules: &ProofRules<'_>,
    now: f64,
) -> Result<Proof> {
    if proof.len() > MAX_PROOF_BYTES {
        return Err(invalid(format!(
            "the proof is longer than {MAX_PROOF_BYTES} bytes"
        )));
    }
    // Several DPoP headers arrive joined by commas, which no JWS holds.
    if proof.contains(',') {
        return Err(invalid("a request carries exactly one DPoP proof"));
    }
    let mut parts = proof.trim().splitn(4, '.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid("the proof is not a compact JWS"));
    };
    let header = object(h, "header")?;
    if !header
        .get("typ")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("dpop+jwt"))
    {
        return Err(invalid("the proof's typ is not dpop+jwt"));
    }
    if header.contains_key("crit") {
        return Err(invalid("the proof's header has crit extensions"));
    }
    let alg_name = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let alg = Alg::parse(alg_name)
        .filter(|a| !a.is_hmac() && rules.algorithms.contains(a))
        .ok_or_else(|| {
            invalid(format!(
                "the proof's algorithm {:?} is not allowed",
                scrub(alg_name)
            ))
        })?;
    let jwk = match header.get("jwk") {
        Some(Value::Object(j)) => j,
        _ => return Err(invalid("the proof's header has no jwk object")),
    };
    if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
        // Never echo it: the member may hold a private key.
        return Err(invalid("the proof's jwk holds private key members"));
    }
    let signature = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| invalid("the proof's signature is not base64url"))?;
    let input = &proof.trim().as_bytes()[..h.len() + 1 + p.len()];
    match verify_inline(jwk, alg, input, &signature) {
        Ok(true) => {}
        Ok(false) => {
            return Err(invalid(
                "the proof's signature does not verify with its jwk",
            ))
        }
        Err(why) => return Err(invalid(why)),
    }
    let claims = object(p, "payload")?;
    if text(&claims, "htm")? != target.method {
        return Err(invalid("the proof's htm is not the request's method"));
    }
    let htu =
        Url::parse(text(&claims, "htu")?).map_err(|_| invalid("the proof's htu is not a URL"))?;
    if htu_of(&htu) != htu_of(target.url) {
        return Err(invalid("the proof's htu is not the request's URL"));
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_f64)
        .ok_or_else(|| invalid("the proof's iat is not a number"))?;
    if iat > now + rules.leeway || iat < now - rules.max_age - rules.leeway {
        return Err(invalid("the proof's iat is outside the accepted window"));
    }
    let jti = text(&claims, "jti")?.to_string();
    let ath = ring::digest::digest(&ring::digest::SHA256, target.access_token.as_bytes());
    if text(&claims, "ath")? != URL_SAFE_NO_PAD.encode(ath.as_ref()) {
        return Err(invalid(
            "the proof's ath is not the hash of the presented token",
        ));
    }
    let nonce = match claims.get("nonce") {
        None => None,
        Some(_) => Some(text(&claims, "nonce")?.to_string()),
    };
    Ok(Proof {
        jkt: crate::dpop::key::thumbprint(&Value::Object(jwk.clone())),
        jti,
        iat,
        nonce,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htu_paths_compare_after_percent_normalisation() {
        let htu = |s: &str| htu_of(&Url::parse(s).unwrap());
        let things = htu("https://api.example/things");
        assert_eq!(htu("https://api.example/th%69ngs"), things);
        assert_eq!(htu("https://api.example/TH%69ngs?x#y").path(), "/THings");
        assert_eq!(
            htu("https://api.example/a%2fb"),
            htu("https://api.example/a%2Fb")
        );
        assert_ne!(
            htu("https://api.example/a%2Fb"),
            htu("https://api.example/a/b")
        );
        assert_eq!(htu("https://api.example/%7e%5F%2d%2E").path(), "/~_-.");
        // A lone or malformed percent sign is kept as it is.
        assert_eq!(normalize_percent("/a%2"), "/a%2");
        assert_eq!(normalize_percent("/a%zz%"), "/a%zz%");
    }
}
