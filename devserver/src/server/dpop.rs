//! DPoP proofs (RFC 9449): checking the `DPoP` header of a token request
//! (§4.3) or of an `/api` request (§7.1), the JWK thumbprint a bound token
//! carries as `cnf.jkt` (RFC 7638), and the server nonce (§8, §9).
//!
//! Failures are descriptions; none echoes the proof or a key.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hyper::header::HeaderMap;
use ring::digest::{digest, SHA256};
use serde_json::{Map, Value};

use super::assertion::{json_object, verify_signature};
use super::state::Shared;
use crate::jwks::{parse_jwk, Alg};

/// The proof algorithms accepted (asymmetric only), as `algs` lists them.
pub(super) const ALGS: [Alg; 5] = [Alg::ES256, Alg::ES384, Alg::EdDSA, Alg::RS256, Alg::PS256];
/// How far `iat` may be from now, in seconds (either way).
pub(super) const IAT_WINDOW: u64 = 60;
/// Longer proofs are refused before they are parsed.
const MAX_PROOF_LEN: usize = 8192;

/// Why a proof was refused.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum ProofError {
    /// Nonces are demanded and the proof lacks the current one.
    UseNonce,
    /// Anything else (`invalid_dpop_proof`), with a description.
    Invalid(String),
}

impl From<&str> for ProofError {
    fn from(s: &str) -> Self {
        ProofError::Invalid(s.to_owned())
    }
}

impl From<String> for ProofError {
    fn from(s: String) -> Self {
        ProofError::Invalid(s)
    }
}

/// An accepted proof: the thumbprint of its key and whether it carried a nonce.
pub(super) struct Proof {
    pub(super) jkt: String,
    pub(super) had_nonce: bool,
}

/// What a request must match: its method and URL (no query), the access
/// token it presents (for `ath`), the nonce demanded, if any.
pub(super) struct Expect<'a> {
    pub(super) htm: &'a str,
    pub(super) htu: &'a str,
    pub(super) token: Option<&'a str>,
    pub(super) nonce: Option<&'a str>,
}

/// The `DPoP` header's value: `Ok(None)` without one, an error for several.
pub(super) fn proof_header(headers: &HeaderMap) -> Result<Option<&str>, ProofError> {
    let mut all = headers.get_all("dpop").iter();
    match (all.next(), all.next()) {
        (None, _) => Ok(None),
        (Some(_), Some(_)) => Err("more than one DPoP header".into()),
        (Some(v), None) => v
            .to_str()
            .map(|s| Some(s.trim()))
            .map_err(|_| "DPoP header is not ASCII".into()),
    }
}

/// Checks `proof` as RFC 9449 §4.3 says and remembers its `jti`.
pub(super) fn check_proof(
    shared: &Shared,
    proof: &str,
    expect: &Expect<'_>,
) -> Result<Proof, ProofError> {
    if proof.len() > MAX_PROOF_LEN {
        return Err(format!("DPoP proof larger than {MAX_PROOF_LEN} bytes").into());
    }
    let parts: Vec<&str> = proof.split('.').collect();
    let [head_b64, claims_b64, sig_b64] = parts[..] else {
        return Err("DPoP proof is not a JWS in compact serialization".into());
    };
    let header = json_object(head_b64).ok_or("DPoP proof header is not a JSON object")?;
    let claims = json_object(claims_b64).ok_or("DPoP proof claims are not a JSON object")?;
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sig_b64)
        .map_err(|_| "DPoP proof signature is not unpadded base64url")?;
    if header.get("typ").and_then(Value::as_str) != Some("dpop+jwt") {
        return Err("DPoP proof typ must be dpop+jwt".into());
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(Alg::parse)
        .filter(|a| ALGS.contains(a))
        .ok_or("DPoP proof alg is not one of the accepted asymmetric algorithms")?;
    let jwk_value = header.get("jwk").ok_or("DPoP proof header has no jwk")?;
    let jwk = parse_jwk(jwk_value).map_err(|e| format!("DPoP proof jwk: {e}"))?;
    if !jwk.fits(alg) {
        return Err("DPoP proof jwk does not fit its alg".into());
    }
    let signed = &proof.as_bytes()[..head_b64.len() + 1 + claims_b64.len()];
    if !verify_signature(&jwk.key, alg, signed, &sig) {
        return Err("DPoP proof signature does not verify with its jwk".into());
    }
    let jkt = thumbprint(jwk_value).ok_or("DPoP proof jwk lacks a required member")?;

    if str_claim(&claims, "htm")? != expect.htm {
        return Err(format!("DPoP proof htm must be {}", expect.htm).into());
    }
    if !same_uri(str_claim(&claims, "htu")?, expect.htu) {
        return Err(format!("DPoP proof htu must be {}", expect.htu).into());
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let iat = claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or("DPoP proof iat must be a number of seconds")?;
    if iat.abs_diff(now) > IAT_WINDOW {
        return Err(format!("DPoP proof iat is more than {IAT_WINDOW} s from now").into());
    }
    let jti = str_claim(&claims, "jti")?;
    match expect.token {
        Some(token) => {
            let want = b64(digest(&SHA256, token.as_bytes()).as_ref());
            if claims.get("ath").and_then(Value::as_str) != Some(want.as_str()) {
                return Err("DPoP proof ath does not match the access token".into());
            }
        }
        None if claims.contains_key("ath") => {
            return Err("DPoP proof has ath but no access token was presented".into())
        }
        None => {}
    }
    let nonce = claims.get("nonce").and_then(Value::as_str);
    if let Some(want) = expect.nonce {
        if nonce != Some(want) {
            return Err(ProofError::UseNonce);
        }
    }
    shared
        .dpop_replay
        .lock()
        .remember("dpop", jti, now + IAT_WINDOW + 1, now)
        .map_err(|e| {
            if e.contains("replayed") {
                "DPoP proof jti was seen before (replayed proof)".to_owned()
            } else {
                e
            }
        })?;
    Ok(Proof {
        jkt,
        had_nonce: nonce.is_some(),
    })
}

fn str_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Result<&'a str, ProofError> {
    match claims.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(format!("DPoP proof {name} must be a non-empty string").into()),
    }
}

/// Whether `htu` names `want`: query and fragment ignored, scheme and host
/// compared case-insensitively (RFC 9449 §4.3 item 9, RFC 3986 §6.2.2).
fn same_uri(htu: &str, want: &str) -> bool {
    let strip = |s: &str| s.split(['?', '#']).next().unwrap_or("").to_owned();
    let split = |s: &str| -> Option<(String, String)> {
        let (scheme, rest) = s.split_once("://")?;
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        Some((
            format!(
                "{}://{}",
                scheme.to_ascii_lowercase(),
                authority.to_ascii_lowercase()
            ),
            path.to_owned(),
        ))
    };
    matches!((split(&strip(htu)), split(&strip(want))), (Some(a), Some(b)) if a == b)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The RFC 7638 thumbprint (SHA-256, base64url) of a public JWK: its
/// required members, in lexicographic order, without whitespace.
pub(super) fn thumbprint(jwk: &Value) -> Option<String> {
    let o = jwk.as_object()?;
    let members: &[&str] = match o.get("kty")?.as_str()? {
        "EC" => &["crv", "kty", "x", "y"],
        "OKP" => &["crv", "kty", "x"],
        "RSA" => &["e", "kty", "n"],
        _ => return None,
    };
    // Built by hand: members in the order listed, whatever serde_json's
    // map order is.
    let mut text = String::from("{");
    for (i, m) in members.iter().enumerate() {
        let v = Value::String(o.get(*m)?.as_str()?.to_owned());
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!("\"{m}\":{v}"));
    }
    text.push('}');
    Some(b64(digest(&SHA256, text.as_bytes()).as_ref()))
}

/// The `algs` parameter of a `WWW-Authenticate: DPoP` challenge.
pub(super) fn algs() -> String {
    ALGS.iter().map(|a| a.name()).collect::<Vec<_>>().join(" ")
}

/// The server nonces (RFC 9449 §8, §9): whether each endpoint demands one,
/// and the current value.
pub(crate) struct Nonces {
    pub(crate) token: bool,
    pub(crate) api: bool,
    pub(crate) current: String,
}

impl Nonces {
    pub(crate) fn new(on: bool) -> Self {
        Nonces {
            token: on,
            api: on,
            current: new_nonce(),
        }
    }

    /// Replaces the current nonce with a fresh one.
    pub(crate) fn rotate(&mut self) {
        self.current = new_nonce();
    }
}

fn new_nonce() -> String {
    format!("n-{:032x}", fastrand::u128(..))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc7638_example_thumbprint() {
        // RFC 7638 §3.1.
        let jwk = json!({"kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"});
        assert_eq!(
            thumbprint(&jwk).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }

    #[test]
    fn htu_ignores_query_fragment_and_case() {
        let want = "http://127.0.0.1:80/oauth/token";
        assert!(same_uri("HTTP://127.0.0.1:80/oauth/token?x=1#f", want));
        assert!(!same_uri("http://127.0.0.1:80/oauth/token/", want));
        assert!(!same_uri("http://127.0.0.1:81/oauth/token", want));
        assert!(!same_uri("not a uri", want));
    }
}
