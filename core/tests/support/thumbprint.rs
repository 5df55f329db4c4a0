//! RFC 7638 JWK thumbprints computed by the tests themselves (from the
//! public key's required members, with ring), to check the engine's
//! `cnf.jkt` and `dpop_thumbprint` against: dpop.rs, interop_dpop.rs,
//! verify_dpop.rs.

use base64::Engine as _;
use serde_json::Value;

/// SHA-256 over the required members in lexicographic order, no spaces,
/// base64url (RFC 7638 §3).
pub fn thumbprint(jwk: &Value) -> String {
    let m = |k: &str| jwk[k].as_str().unwrap().to_owned();
    let text = match jwk["kty"].as_str().unwrap() {
        "EC" => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            m("crv"),
            m("x"),
            m("y")
        ),
        "OKP" => format!(r#"{{"crv":"{}","kty":"OKP","x":"{}"}}"#, m("crv"), m("x")),
        _ => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, m("e"), m("n")),
    };
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}
