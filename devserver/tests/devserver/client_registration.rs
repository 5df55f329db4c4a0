//! Registering clients for the JWT methods: `auth_methods` naming
//! `client_secret_jwt` / `private_key_jwt`, the `jwks` field, and the
//! configuration errors (which name the client, never key material).

use base64::Engine as _;
use jsonwebtoken::Algorithm;
use m2m_auth_devserver::{ClientConfig, DevServer, ServerConfig};
use serde_json::{json, Value};

use crate::assertion_support::{
    assert_token_for, claims, jwks, post_assertion, public_jwk, sign, signing_key,
};
use crate::support::{control, start};

/// Key material of the test keys, none of which may appear in an error.
fn material() -> Vec<String> {
    let all: Value =
        serde_json::from_slice(&crate::assertion_support::read_key("public_jwks.json")).unwrap();
    let mut out = Vec::new();
    for k in all.as_object().unwrap().values() {
        for m in ["n", "x", "y"] {
            if let Some(s) = k[m].as_str() {
                out.push(s[..20].to_owned());
            }
        }
    }
    out
}

#[tokio::test]
async fn control_api_registers_a_jwks_client_without_a_secret() {
    let srv = start().await;
    let body = json!({
        "client_id": "ctl-pkj",
        "auth_methods": ["private_key_jwt"],
        "jwks": jwks(&[("rsa2048", "r1"), ("ed25519", "e1")]),
    });
    let r = control(&srv, "POST", "/_control/clients", &body.to_string()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let a = sign(
        Algorithm::PS256,
        Some("r1"),
        &claims(&srv, "ctl-pkj"),
        &signing_key("rsa2048"),
    );
    assert_token_for(&post_assertion(srv.local_addr(), &a).await, "ctl-pkj");
    // A secret-less client cannot use the secret methods.
    let r = crate::support::post_form(
        srv.local_addr(),
        "grant_type=client_credentials&client_id=ctl-pkj&client_secret=x",
    )
    .await;
    assert_eq!(r.status, 401);
    // Keys and no auth_methods: private_key_jwt works, an empty Basic
    // password does not.
    let body = json!({"client_id": "keys-only", "jwks": jwks(&[("p256", "k")])});
    let r = control(&srv, "POST", "/_control/clients", &body.to_string()).await;
    assert_eq!(r.status, 200);
    let a = sign(
        Algorithm::ES256,
        None,
        &claims(&srv, "keys-only"),
        &signing_key("p256"),
    );
    assert_token_for(&post_assertion(srv.local_addr(), &a).await, "keys-only");
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("keys-only:")
    );
    let r = crate::support::http(
        srv.local_addr(),
        "POST",
        "/oauth/token",
        &[crate::support::FORM, ("Authorization", &basic)],
        b"grant_type=client_credentials",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json()["error_description"],
        "unknown client or wrong secret"
    );
}

#[tokio::test]
async fn unusable_registrations_are_refused() {
    let srv = start().await;
    let mut with_d = public_jwk("p256", "k");
    with_d["d"] = "N2TBkJn_HVObh4rJzz0000000000000000000000000".into();
    let mut wrong_alg = public_jwk("p256", "k");
    wrong_alg["alg"] = "RS256".into();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"auth_methods": ["private_key_jwt"]}),
            "private_key_jwt needs a jwks",
        ),
        (
            json!({"auth_methods": ["private_key_jwt"], "jwks": {"keys": []}}),
            "jwks has no keys",
        ),
        (
            json!({"jwks": [public_jwk("p256", "k")]}),
            "must be a JWK Set",
        ),
        (
            json!({"jwks": {"keys": [public_jwk("rsa1024", "weak")]}}),
            "RSA modulus has 1024 bits",
        ),
        (
            json!({"jwks": {"keys": [with_d]}}),
            "private or symmetric key material",
        ),
        (
            json!({"jwks": {"keys": [wrong_alg]}}),
            "its alg does not fit its key type",
        ),
        (
            json!({"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}),
            "private or symmetric",
        ),
        (
            json!({"jwks": {"keys": [{"kty": "OKP", "crv": "X25519", "x": "AAAA"}]}}),
            "unsupported OKP crv",
        ),
        (
            json!({"client_secret": "", "auth_methods": ["client_secret_jwt"]}),
            "needs a non-empty client_secret",
        ),
        (
            json!({"auth_methods": ["tls_client_auth"]}),
            "tls_client_auth needs tls_client_auth_subject_dn",
        ),
        (
            json!({"auth_methods": ["self_signed_tls_client_auth"]}),
            "needs tls_client_certificate_sha256",
        ),
        (
            json!({"tls_client_certificate_sha256": ["abc"]}),
            "64 hex digits",
        ),
        (
            json!({"auth_methods": ["tls_client_auth_typo"]}),
            "unknown auth method",
        ),
    ];
    let secret_marker = "N2TBkJn_HVObh4rJ";
    for (extra, want) in cases {
        let mut body = json!({"client_id": "bad-client", "client_secret": "s"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = control(&srv, "POST", "/_control/clients", &body.to_string()).await;
        let text = String::from_utf8_lossy(&r.body).into_owned();
        assert_eq!(r.status, 400, "{want}: {text}");
        assert!(text.contains(want), "{text} should say {want:?}");
        assert!(text.contains("bad-client"), "{text} should name the client");
        for m in material().iter().map(String::as_str).chain([secret_marker]) {
            assert!(!text.contains(m), "{text} echoes key material");
        }
        // The same from a clients file and through the Rust API.
        let file = json!({"clients": [body]}).to_string();
        let e = ServerConfig::from_json(&file).unwrap_err();
        assert!(e.contains(want) && e.contains("bad-client"), "{e}");
        let c: ClientConfig = serde_json::from_value(body).unwrap();
        let e = DevServer::start(ServerConfig::with_clients(vec![c]))
            .await
            .unwrap_err();
        assert!(e.to_string().contains(want), "{e}");
    }
    // Nothing was registered.
    let a = sign(
        Algorithm::ES256,
        Some("k"),
        &claims(&srv, "bad-client"),
        &signing_key("p256"),
    );
    let r = post_assertion(srv.local_addr(), &a).await;
    assert_eq!(
        r.json()["error_description"],
        "unknown client (the client assertion's iss and sub)"
    );
}

#[test]
fn client_json_round_trips_with_jwks() {
    let c = ClientConfig {
        scopes: Some(vec!["read".into()]),
        ..ClientConfig::private_key_jwt("pkj", jwks(&[("ed25519", "ed")]))
    };
    c.validate().unwrap();
    let text = serde_json::to_string(&c).unwrap();
    assert_eq!(serde_json::from_str::<ClientConfig>(&text).unwrap(), c);
    assert!(c.allows_method("private_key_jwt") && !c.allows_method("client_secret_jwt"));
    // Without auth_methods: the secret methods, client_secret_jwt, and
    // private_key_jwt only with a jwks.
    let open = ClientConfig::new("o", "s");
    for m in [
        "client_secret_post",
        "client_secret_basic",
        "client_secret_jwt",
    ] {
        assert!(open.allows_method(m), "{m}");
    }
    assert!(!open.allows_method("private_key_jwt"));
    let keyed = ClientConfig {
        jwks: Some(jwks(&[("p384", "k")])),
        ..open
    };
    assert!(keyed.allows_method("private_key_jwt"));
}
