//! Client assertions the token endpoint refuses, each with the description
//! of the check that failed and without echoing the assertion.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey};
use m2m_auth_devserver::{ClientConfig, DevServer};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

use crate::assertion_support::{
    assert_invalid_client, assert_refused, assert_token_for, claims, jwks, now, post_assertion,
    post_assertion_with, read_key, sign, signing_key, unsigned,
};
use crate::support::{http, start, FORM};

/// A server with `pkj` (private_key_jwt only: RSA kid `rsa`, P-256 kid
/// `ec`), `both` (no auth_methods: secret methods, and private_key_jwt with
/// its RSA key) and the demo client.
async fn server() -> DevServer {
    let srv = start().await;
    srv.add_client(ClientConfig::private_key_jwt(
        "pkj",
        jwks(&[("rsa2048", "rsa"), ("p256", "ec")]),
    ));
    srv.add_client(ClientConfig {
        jwks: Some(jwks(&[("rsa2048", "rsa")])),
        ..ClientConfig::new("both", "both-secret")
    });
    srv
}

/// An ES256 assertion of `pkj` with these claims.
fn es256(c: &Value) -> String {
    sign(Algorithm::ES256, Some("ec"), c, &signing_key("p256"))
}

#[tokio::test]
async fn replayed_jti_is_refused() {
    let srv = server().await;
    let addr = srv.local_addr();
    let c = claims(&srv, "pkj");
    let a = es256(&c);
    assert_token_for(&post_assertion(addr, &a).await, "pkj");
    let r = post_assertion(addr, &a).await;
    assert_invalid_client(&r, "client assertion replayed", &a);
    // The same jti in a new assertion (another exp) is a replay too ...
    let mut again = c.clone();
    again["exp"] = (now() + 90).into();
    let r = post_assertion(addr, &es256(&again)).await;
    assert_invalid_client(&r, "client assertion replayed", &a);
    // ... but not for another client.
    let mut other = claims(&srv, "both");
    other["jti"] = c["jti"].clone();
    let a = sign(Algorithm::RS256, None, &other, &signing_key("rsa2048"));
    assert_token_for(&post_assertion(addr, &a).await, "both");
}

#[tokio::test]
async fn claim_checks() {
    let srv = server().await;
    let addr = srv.local_addr();
    let t = now();
    let with = |k: &str, v: Value| {
        let mut c = claims(&srv, "pkj");
        c[k] = v;
        c
    };
    let without = |k: &str| {
        let mut c = claims(&srv, "pkj");
        c.as_object_mut().unwrap().remove(k);
        c
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            with("aud", json!("https://elsewhere.example")),
            "aud must contain the issuer",
        ),
        (
            with("aud", json!([srv.token_url() + "/", "x"])),
            "aud must contain",
        ),
        (
            with("aud", json!(42)),
            "aud must be a string or an array of strings",
        ),
        (without("aud"), "has no aud"),
        (
            json!({"iss": "pkj", "sub": "pkj", "aud": srv.url(), "iat": t - 120, "exp": t - 60, "jti": "e"}),
            "expired",
        ),
        (
            with("exp", json!(t + 3600)),
            "more than 300 s in the future",
        ),
        (
            json!({"iss": "pkj", "sub": "pkj", "aud": srv.url(), "iat": t - 200, "exp": t + 200, "jti": "l"}),
            "more than 300 s after iat",
        ),
        (with("exp", json!("soon")), "exp must be a number"),
        (without("exp"), "has no exp"),
        (with("iat", json!(t + 120)), "iat is in the future"),
        (with("iat", json!("now")), "iat must be a number"),
        (with("nbf", json!(t + 120)), "not valid yet (nbf)"),
        (without("jti"), "has no jti"),
        (with("jti", json!(7)), "jti must be a non-empty string"),
        (with("sub", json!("both")), "iss and sub differ"),
        (without("sub"), "has no sub"),
        (
            with("iss", json!(["pkj"])),
            "iss must be a non-empty string",
        ),
    ];
    for (c, want) in cases {
        let a = es256(&c);
        assert_invalid_client(&post_assertion(addr, &a).await, want, &a);
    }
    // iss = sub naming an unknown client.
    let a = es256(
        &json!({"iss": "ghost", "sub": "ghost", "aud": srv.url(), "exp": t + 60, "jti": "g"}),
    );
    assert_invalid_client(&post_assertion(addr, &a).await, "unknown client", &a);
    // A body client_id that is not iss/sub.
    let a = es256(&claims(&srv, "pkj"));
    let r = post_assertion_with(addr, &a, &[("client_id", "both")], &[]).await;
    assert_invalid_client(&r, "client_id differs", &a);
}

#[tokio::test]
async fn wrong_key_alg_none_and_algorithm_confusion() {
    let srv = server().await;
    let addr = srv.local_addr();
    // Signed with a P-256 key that is not the registered one.
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let stranger = EncodingKey::from_ec_der(pkcs8.as_ref());
    let a = sign(
        Algorithm::ES256,
        Some("ec"),
        &claims(&srv, "pkj"),
        &stranger,
    );
    assert_invalid_client(
        &post_assertion(addr, &a).await,
        "signature does not verify",
        &a,
    );
    // A registered key of the wrong type for the alg (kid names the EC key).
    let a = sign(
        Algorithm::RS256,
        Some("ec"),
        &claims(&srv, "pkj"),
        &signing_key("rsa2048"),
    );
    assert_invalid_client(
        &post_assertion(addr, &a).await,
        "does not fit alg RS256",
        &a,
    );
    // Unknown kid; no kid and no key for the alg; the right key type for
    // another curve.
    let a = sign(
        Algorithm::ES256,
        Some("nope"),
        &claims(&srv, "pkj"),
        &signing_key("p256"),
    );
    assert_invalid_client(
        &post_assertion(addr, &a).await,
        "no registered key has the client assertion's kid",
        &a,
    );
    let a = sign(
        Algorithm::EdDSA,
        None,
        &claims(&srv, "pkj"),
        &signing_key("ed25519"),
    );
    assert_invalid_client(
        &post_assertion(addr, &a).await,
        "no registered key fits alg EdDSA",
        &a,
    );
    let a = sign(
        Algorithm::ES384,
        None,
        &claims(&srv, "pkj"),
        &signing_key("p384"),
    );
    assert_invalid_client(
        &post_assertion(addr, &a).await,
        "no registered key fits alg ES384",
        &a,
    );

    // alg none (any spelling), and an alg the server does not know.
    for alg in ["none", "None", "NONE"] {
        let a = unsigned(&json!({"alg": alg, "typ": "JWT"}), &claims(&srv, "pkj"));
        assert_invalid_client(
            &post_assertion(addr, &a).await,
            "alg none is not allowed",
            &a,
        );
    }
    let a = unsigned(&json!({"alg": "ES512"}), &claims(&srv, "pkj"));
    assert_invalid_client(&post_assertion(addr, &a).await, "alg is not supported", &a);
    let a = unsigned(&json!({"typ": "JWT"}), &claims(&srv, "pkj"));
    assert_invalid_client(&post_assertion(addr, &a).await, "has no alg", &a);

    // HS256 keyed with the public key text (algorithm confusion): a
    // private_key_jwt-only client may not use client_secret_jwt at all ...
    let public_pem = EncodingKey::from_secret(&read_key("rsa2048.pub.pem"));
    let a = sign(
        Algorithm::HS256,
        Some("rsa"),
        &claims(&srv, "pkj"),
        &public_pem,
    );
    assert_invalid_client(
        &post_assertion(addr, &a).await,
        "client may not use client_secret_jwt",
        &a,
    );
    // ... and a client allowed both checks HMAC with its secret only.
    let a = sign(
        Algorithm::HS256,
        Some("rsa"),
        &claims(&srv, "both"),
        &public_pem,
    );
    assert_invalid_client(
        &post_assertion(addr, &a).await,
        "signature does not verify",
        &a,
    );
    // The JWK itself as the HMAC key, and a wrong secret, likewise.
    let jwk_text =
        serde_json::to_vec(&crate::assertion_support::public_jwk("rsa2048", "rsa")).unwrap();
    for key in [jwk_text.as_slice(), b"both-secreT"] {
        let a = sign(
            Algorithm::HS256,
            None,
            &claims(&srv, "both"),
            &EncodingKey::from_secret(key),
        );
        assert_invalid_client(
            &post_assertion(addr, &a).await,
            "signature does not verify",
            &a,
        );
    }
}

#[tokio::test]
async fn method_not_allowed_for_the_client() {
    let srv = server().await;
    let addr = srv.local_addr();
    // The demo client lists only the secret methods.
    let a = sign(
        Algorithm::HS256,
        None,
        &claims(&srv, "demo-client"),
        &EncodingKey::from_secret(b"demo-secret"),
    );
    assert_invalid_client(
        &post_assertion(addr, &a).await,
        "client may not use client_secret_jwt",
        &a,
    );
    // A client_secret_jwt-only client may not use private_key_jwt (even with
    // keys) nor client_secret_post.
    srv.add_client(ClientConfig {
        auth_methods: Some(vec!["client_secret_jwt".into()]),
        jwks: Some(jwks(&[("p256", "ec")])),
        ..ClientConfig::new("csj", "csj-secret")
    });
    let a = es256(&claims(&srv, "csj"));
    assert_invalid_client(
        &post_assertion(addr, &a).await,
        "client may not use private_key_jwt",
        &a,
    );
    let r = crate::support::post_form(
        addr,
        "grant_type=client_credentials&client_id=csj&client_secret=csj-secret",
    )
    .await;
    assert_invalid_client(&r, "client may not use client_secret_post", "");
    // Without auth_methods and without jwks: no private_key_jwt.
    srv.add_client(ClientConfig::new("plain", "s"));
    let a = es256(&claims(&srv, "plain"));
    assert_invalid_client(
        &post_assertion(addr, &a).await,
        "client may not use private_key_jwt",
        &a,
    );
}

#[tokio::test]
async fn malformed_requests_and_assertions() {
    let srv = server().await;
    let addr = srv.local_addr();
    let a = es256(&claims(&srv, "pkj"));

    // An assertion with client_secret, or with Basic credentials: 400.
    let r = post_assertion_with(addr, &a, &[("client_secret", "both-secret")], &[]).await;
    assert_refused(
        &r,
        400,
        "invalid_request",
        "both a client assertion and client_secret",
        &a,
    );
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("both:both-secret")
    );
    let r = post_assertion_with(addr, &a, &[], &[("Authorization", &basic)]).await;
    assert_refused(&r, 400, "invalid_request", "or Basic credentials", &a);

    // client_assertion_type wrong or missing, or no assertion: 400.
    let send = |body: String| async move {
        http(addr, "POST", "/oauth/token", &[FORM], body.as_bytes())
            .await
            .unwrap()
    };
    let g = "grant_type=client_credentials";
    let r = send(format!("{g}&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Asaml2-bearer&client_assertion={a}")).await;
    assert_refused(
        &r,
        400,
        "invalid_request",
        "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        &a,
    );
    let r = send(format!("{g}&client_assertion={a}")).await;
    assert_refused(
        &r,
        400,
        "invalid_request",
        "client_assertion without client_assertion_type",
        &a,
    );
    let r = send(format!("{g}&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer")).await;
    assert_refused(
        &r,
        400,
        "invalid_request",
        "client_assertion_type without client_assertion",
        &a,
    );

    // Oversize (refused before parsing), also when otherwise valid.
    let big = "a".repeat(8193);
    assert_invalid_client(
        &post_assertion(addr, &big).await,
        "larger than 8192 bytes",
        &big,
    );
    let mut c = claims(&srv, "pkj");
    c["padding"] = "p".repeat(8192).into();
    let a = es256(&c);
    assert_invalid_client(
        &post_assertion(addr, &a).await,
        "larger than 8192 bytes",
        &a,
    );

    // Not a compact JWS; header or claims not base64url JSON objects; crit.
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let (h, p) = (b64(r#"{"alg":"ES256"}"#), b64(r#"{"iss":"pkj"}"#));
    let cases = [
        ("only.two".to_owned(), "not a JWS in compact serialization"),
        (
            format!("{h}.{p}.c2ln.extra.part"),
            "not a JWS in compact serialization",
        ),
        (format!("{}.{p}.c2ln", b64("[1]")), "header is not"),
        (format!("{h}.{}.c2ln", b64("\"x\"")), "claims are not"),
        (format!("{h}=.{p}.c2ln"), "header is not"),
        (
            format!("{h}.{p}.c2ln="),
            "signature is not unpadded base64url",
        ),
    ];
    for (a, want) in cases {
        assert_invalid_client(&post_assertion(addr, &a).await, want, &a);
    }
    let a = unsigned(
        &json!({"alg": "ES256", "crit": ["exp"], "exp": 1}),
        &claims(&srv, "pkj"),
    );
    assert_invalid_client(&post_assertion(addr, &a).await, "crit", &a);
}
