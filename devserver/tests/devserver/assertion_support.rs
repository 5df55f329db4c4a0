//! Building client assertions (RFC 7523) for the tests, with `jsonwebtoken`
//! and the test keys checked in at `core/tests/verify_keys/`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use m2m_auth_devserver::{DevServer, JWT_BEARER_ASSERTION_TYPE};
use serde_json::{json, Value};

use crate::support::{http, Resp, FORM};

/// `core/tests/verify_keys/<name>`.
pub(crate) fn key_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/verify_keys")
        .join(name)
}

pub(crate) fn read_key(name: &str) -> Vec<u8> {
    std::fs::read(key_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The public JWK of test key `name` (`rsa2048`, `p256`, ...) with this kid.
pub(crate) fn public_jwk(name: &str, kid: &str) -> Value {
    let all: Value = serde_json::from_slice(&read_key("public_jwks.json")).unwrap();
    let mut jwk = all[name].clone();
    assert!(jwk.is_object(), "no public JWK {name}");
    jwk["kid"] = kid.into();
    jwk
}

/// `{"keys": [...]}` of the test keys `(name, kid)`.
pub(crate) fn jwks(keys: &[(&str, &str)]) -> Value {
    json!({"keys": keys.iter().map(|(n, k)| public_jwk(n, k)).collect::<Vec<_>>()})
}

/// The signing key for test key `name` (PKCS#8 PEM).
pub(crate) fn signing_key(name: &str) -> EncodingKey {
    let pem = read_key(&format!("{name}.pem"));
    match name {
        "rsa2048" => EncodingKey::from_rsa_pem(&pem),
        "p256" | "p384" => EncodingKey::from_ec_pem(&pem),
        "ed25519" => EncodingKey::from_ed_pem(&pem),
        _ => panic!("unknown test key {name}"),
    }
    .unwrap()
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Claims a client sends: iss = sub = client id, aud = the token endpoint,
/// iat now, exp in 60 s, a fresh jti.
pub(crate) fn claims(srv: &DevServer, client_id: &str) -> Value {
    let now = now();
    json!({
        "iss": client_id,
        "sub": client_id,
        "aud": srv.token_url(),
        "iat": now,
        "exp": now + 60,
        "jti": format!("{:032x}", fastrand::u128(..)),
    })
}

/// A JWS over `claims` with `alg`, `kid` (if any) and `key`.
pub(crate) fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut h = Header::new(alg);
    h.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&h, claims, key).unwrap()
}

/// `base64url(header).base64url(claims).` with an empty signature.
pub(crate) fn unsigned(header: &Value, claims: &Value) -> String {
    let b64 = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    };
    format!("{}.{}.", b64(header), b64(claims))
}

/// The token request of a client authenticating with `assertion`, plus
/// `extra` form fields, plus `headers`.
pub(crate) async fn post_assertion_with(
    addr: SocketAddr,
    assertion: &str,
    extra: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Resp {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "client_credentials")
        .append_pair("client_assertion_type", JWT_BEARER_ASSERTION_TYPE)
        .append_pair("client_assertion", assertion);
    for (k, v) in extra {
        form.append_pair(k, v);
    }
    let mut all = vec![FORM];
    all.extend_from_slice(headers);
    http(addr, "POST", "/oauth/token", &all, form.finish().as_bytes())
        .await
        .unwrap()
}

pub(crate) async fn post_assertion(addr: SocketAddr, assertion: &str) -> Resp {
    post_assertion_with(addr, assertion, &[], &[]).await
}

/// Asserts a 200 token response for `client_id`.
pub(crate) fn assert_token_for(r: &Resp, client_id: &str) {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let j = r.json();
    let (_, c) = crate::support::jwt_parts(j["access_token"].as_str().unwrap());
    assert_eq!(c["sub"], client_id);
    assert_eq!(c["client_id"], client_id);
}

/// Asserts `status` / `error` with a description containing `want`, and
/// that the reply does not echo `assertion` (nor its signature).
pub(crate) fn assert_refused(r: &Resp, status: u16, error: &str, want: &str, assertion: &str) {
    let text = String::from_utf8_lossy(&r.body).into_owned();
    assert_eq!(r.status, status, "{text}");
    let j = r.json();
    assert_eq!(j["error"], error, "{text}");
    let desc = j["error_description"].as_str().unwrap();
    assert!(desc.contains(want), "{desc:?} should say {want:?}");
    let sig = assertion.rsplit('.').next().unwrap_or("");
    for part in [assertion, sig] {
        if part.len() >= 16 {
            assert!(
                !text.contains(part),
                "the reply echoes the assertion: {text}"
            );
        }
    }
    assert_eq!(r.header("www-authenticate"), None);
}

/// A 401 `invalid_client` saying `want`.
pub(crate) fn assert_invalid_client(r: &Resp, want: &str, assertion: &str) {
    assert_refused(r, 401, "invalid_client", want, assertion);
}
