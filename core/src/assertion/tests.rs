//! Key parsing and signing: every accepted format and algorithm, and the
//! refusals, whose messages never carry key text.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::signature::{self, KeyPair as _, UnparsedPublicKey};
use serde_json::Value;

use super::keys::{self, Pair, PrivateKey};
use super::sign::{self, Claims, SignAlg, SigningKey};
use super::*;
use crate::secret::Secret;

macro_rules! key {
    ($dir:literal, $name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/",
            $dir,
            "/",
            $name
        ))
    };
}

const RSA: &str = key!("verify_keys", "rsa2048.pem");
const RSA_PKCS1: &str = key!("assertion_keys", "rsa2048.pkcs1.pem");
const RSA_JWK: &str = key!("assertion_keys", "rsa2048.jwk.json");
const RSA1024: &str = key!("verify_keys", "rsa1024.pem");
const P256: &str = key!("verify_keys", "p256.pem");
const P256_SEC1: &str = key!("assertion_keys", "p256.sec1.pem");
const P256_JWK: &str = key!("assertion_keys", "p256.jwk.json");
const P384: &str = key!("verify_keys", "p384.pem");
const P384_SEC1: &str = key!("assertion_keys", "p384.sec1.pem");
const P384_JWK: &str = key!("assertion_keys", "p384.jwk.json");
const ED25519: &str = key!("verify_keys", "ed25519.pem");
const ED25519_JWK: &str = key!("assertion_keys", "ed25519.jwk.json");

fn parse(text: &str) -> PrivateKey {
    keys::parse(text, "private_key").expect("the key parses")
}

/// The config message of a refused key, checked free of the key's text.
fn refused(text: &str) -> String {
    let e = keys::parse(text, "private_key").expect_err("the key is refused");
    let message = e.to_string();
    for line in text
        .lines()
        .filter(|l| l.len() > 8 && !l.starts_with("-----"))
    {
        assert!(!message.contains(line.trim()), "{message}");
    }
    assert_eq!(e.code(), "config");
    message
}

fn public(pair: &Pair) -> Vec<u8> {
    match pair {
        Pair::Rsa(k) => k.public_key().as_ref().to_vec(),
        Pair::P256(k) | Pair::P384(k) => k.public_key().as_ref().to_vec(),
        Pair::Ed25519(k) => k.public_key().as_ref().to_vec(),
    }
}

#[test]
fn every_format_gives_the_same_key_and_family() {
    let groups: [(&[&str], &str, SignAlg); 4] = [
        (&[RSA, RSA_PKCS1, RSA_JWK], "RSA", SignAlg::Rs256),
        (&[P256, P256_SEC1, P256_JWK], "EC P-256", SignAlg::Es256),
        (&[P384, P384_SEC1, P384_JWK], "EC P-384", SignAlg::Es384),
        (&[ED25519, ED25519_JWK], "Ed25519", SignAlg::EdDsa),
    ];
    for (texts, family, alg) in groups {
        let keys: Vec<PrivateKey> = texts.iter().map(|t| parse(t)).collect();
        for k in &keys {
            assert_eq!(k.pair.family(), family);
            assert_eq!(SignAlg::default_for(&k.pair), alg);
            assert_eq!(k.public_sha256, keys[0].public_sha256, "{family}");
        }
        // The JWK's kid is the default kid.
        let jwk = keys.last().expect("a JWK");
        assert!(jwk.jwk_kid.as_deref().is_some_and(|k| k.ends_with("-jwk")));
    }
}

/// Splits a JWS, checks its signature with the key's public half, and
/// returns its header and claims.
fn verify(jws: &str, key: &PrivateKey, alg: SignAlg) -> (Value, Value) {
    let parts: Vec<&str> = jws.split('.').collect();
    assert_eq!(parts.len(), 3);
    let signed = format!("{}.{}", parts[0], parts[1]);
    let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let verify_alg: &dyn signature::VerificationAlgorithm = match alg {
        SignAlg::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        SignAlg::Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        SignAlg::Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        SignAlg::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
        SignAlg::Ps384 => &signature::RSA_PSS_2048_8192_SHA384,
        SignAlg::Ps512 => &signature::RSA_PSS_2048_8192_SHA512,
        SignAlg::Es256 => &signature::ECDSA_P256_SHA256_FIXED,
        SignAlg::Es384 => &signature::ECDSA_P384_SHA384_FIXED,
        SignAlg::EdDsa => &signature::ED25519,
        _ => unreachable!(),
    };
    UnparsedPublicKey::new(verify_alg, public(&key.pair))
        .verify(signed.as_bytes(), &sig)
        .unwrap_or_else(|_| panic!("{alg:?} signature verifies"));
    let json = |p: &str| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap();
    (json(parts[0]), json(parts[1]))
}

const CLAIMS: Claims<'static> = Claims {
    client_id: "the-client",
    audience: "https://issuer.example",
};

#[test]
fn each_algorithm_signs_a_verifiable_assertion_with_the_rules_claims() {
    use SignAlg::*;
    let cases = [
        (RSA, [Rs256, Rs384, Rs512, Ps256, Ps384, Ps512].as_slice()),
        (P256, &[Es256]),
        (P384, &[Es384]),
        (ED25519, &[EdDsa]),
    ];
    for (text, algs) in cases {
        let key = parse(text);
        for alg in algs {
            alg.check_fits(&key.pair).unwrap();
            let jws = sign::sign(SigningKey::Private(&key), *alg, Some("k1"), &CLAIMS).unwrap();
            let (header, claims) = verify(jws.expose(), &key, *alg);
            assert_eq!(header["alg"], alg.name());
            assert_eq!(header["kid"], "k1");
            assert_eq!(claims["iss"], "the-client");
            assert_eq!(claims["sub"], "the-client");
            assert_eq!(claims["aud"], "https://issuer.example");
            let (iat, exp) = (
                claims["iat"].as_u64().unwrap(),
                claims["exp"].as_u64().unwrap(),
            );
            assert_eq!(exp - iat, 60);
            // 128 random bits: 22 base64url characters.
            assert!(claims["jti"].as_str().unwrap().len() >= 22);
        }
    }
}

#[test]
fn every_assertion_has_a_new_jti() {
    let key = parse(P256);
    let jti = |_| {
        let jws = sign::sign(SigningKey::Private(&key), SignAlg::Es256, None, &CLAIMS).unwrap();
        verify(jws.expose(), &key, SignAlg::Es256).1["jti"].clone()
    };
    let mut seen: Vec<Value> = (0..50).map(jti).collect();
    seen.sort_by_key(|v| v.to_string());
    seen.dedup();
    assert_eq!(seen.len(), 50);
}

#[test]
fn hmac_assertions_verify_with_the_secret() {
    let secret = Secret::new("a long shared secret");
    for (alg, h) in [
        (SignAlg::Hs256, ring::hmac::HMAC_SHA256),
        (SignAlg::Hs384, ring::hmac::HMAC_SHA384),
        (SignAlg::Hs512, ring::hmac::HMAC_SHA512),
    ] {
        let jws = sign::sign(SigningKey::Secret(&secret), alg, None, &CLAIMS).unwrap();
        let (signed, sig) = jws.expose().rsplit_once('.').unwrap();
        let key = ring::hmac::Key::new(h, b"a long shared secret");
        ring::hmac::verify(
            &key,
            signed.as_bytes(),
            &URL_SAFE_NO_PAD.decode(sig).unwrap(),
        )
        .unwrap();
    }
}

#[test]
fn weak_wrong_and_garbage_keys_are_config_errors_without_key_text() {
    assert!(refused(RSA1024).contains("RSA key under 2048 bits"));
    assert!(refused("hello").contains("not PEM nor a JWK"));
    let body: String = RSA.lines().filter(|l| !l.starts_with("-----")).collect();
    let cut = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        &body[..200]
    );
    refused(&cut);
    refused("-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n-----END PRIVATE KEY-----\n");
    refused(&RSA.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"));
    refused(key!("verify_keys", "rsa2048.pub.pem"));
    // A public JWK is not a private one; an oct key is not supported.
    let public_jwk = key!("verify_keys", "public_jwks.json");
    let p256_public: Value = serde_json::from_str::<Value>(public_jwk).unwrap()["p256"].clone();
    assert!(refused(&p256_public.to_string()).contains("JWK has no d"));
    assert!(refused(r#"{"kty":"oct","k":"c2VjcmV0"}"#).contains("unsupported JWK key type"));
    // A JWK whose members do not match.
    let mut mixed: Value = serde_json::from_str(P256_JWK).unwrap();
    mixed["d"] = serde_json::from_str::<Value>(P384_JWK).unwrap()["d"].clone();
    refused(&mixed.to_string());
    // An algorithm that does not fit the key.
    let err = SignAlg::Es256.check_fits(&parse(RSA).pair).unwrap_err();
    assert!(err
        .to_string()
        .contains("ES256 does not fit the private key (RSA)"));
    assert!(SignAlg::Hs256.check_fits(&parse(ED25519).pair).is_err());
    assert!(super::sign::parse_alg("none").is_err());
}

fn options() -> AssertionOptions {
    AssertionOptions::default()
}

#[test]
fn the_options_are_checked_together() {
    let key = Some(Secret::new(RSA));
    let err = |method, o: &AssertionOptions, secret: Option<&Secret>| {
        Assertion::new(method, o, secret, None)
            .err()
            .expect("refused")
            .to_string()
    };
    let pk = AuthMethod::PrivateKeyJwt;
    assert!(err(pk, &options(), None).contains("private_key_jwt needs private_key"));
    let both = AssertionOptions {
        private_key: key.clone(),
        client_assertion: Some(Secret::new("a.b.c")),
        ..options()
    };
    assert!(err(pk, &both, None).contains("not both"));
    let wrong_alg = AssertionOptions {
        private_key: key.clone(),
        signing_alg: Some("HS256".into()),
        ..options()
    };
    assert!(err(pk, &wrong_alg, None).contains("HS256 does not fit"));
    let sj = AuthMethod::ClientSecretJwt;
    assert!(err(sj, &options(), None).contains("client_secret_jwt needs client_secret"));
    let rs = AssertionOptions {
        signing_alg: Some("RS256".into()),
        ..options()
    };
    assert!(err(sj, &rs, Some(&Secret::new("s"))).contains("does not fit client_secret_jwt"));
    let bad_ready = AssertionOptions {
        client_assertion: Some(Secret::new("not a jwt")),
        ..options()
    };
    assert!(err(pk, &bad_ready, None).contains("not a JWS"));
    let missing = AssertionOptions {
        private_key_file: Some("/nonexistent/key.pem".into()),
        ..options()
    };
    assert!(err(pk, &missing, None).contains("cannot read"));
    // The JWK's own alg and kid are the defaults.
    let jwk = AssertionOptions {
        private_key: Some(Secret::new(P384_JWK)),
        ..options()
    };
    let a = Assertion::new(pk, &jwk, None, Some("https://issuer.example")).unwrap();
    let url = url::Url::parse("https://issuer.example/token").unwrap();
    let jws = a.create("c", &url).unwrap();
    let (header, claims) = verify(jws.expose(), &parse(P384_JWK), SignAlg::Es384);
    assert_eq!(header["kid"], "p384-jwk");
    assert_eq!(claims["aud"], "https://issuer.example");
    assert!(format!("{:?}", jwk).contains("private_key: Some(\"***\")"));
}

/// The `aud` of the assertions a client built this way signs.
fn audience_of(builder: crate::TokenClientBuilder) -> String {
    let auth = crate::auth::client_auth(&builder, "the-client", None).unwrap();
    let crate::auth::ClientAuth::Jwt(assertion) = auth else {
        panic!("an assertion method");
    };
    let token_url = Url::parse("https://tenant.example.com/oauth/token").unwrap();
    let jws = assertion.create("the-client", &token_url).unwrap();
    let (_, claims) = verify(jws.expose(), &parse(RSA), SignAlg::Rs256);
    claims["aud"].as_str().unwrap().to_string()
}

#[test]
fn the_audience_is_the_issuer_an_auth0_domain_stands_for() {
    let base = || {
        crate::TokenClient::builder()
            .client_id("the-client")
            .private_key(RSA)
    };
    // Auth0 accepts only its issuer identifier, with the trailing slash.
    assert_eq!(
        audience_of(base().domain("tenant.example.com")),
        "https://tenant.example.com/"
    );
    assert_eq!(
        audience_of(base().issuer("https://op.example/")),
        "https://op.example/"
    );
    assert_eq!(
        audience_of(base().token_url("https://tenant.example.com/oauth/token")),
        "https://tenant.example.com/oauth/token"
    );
    assert_eq!(
        audience_of(
            base()
                .domain("tenant.example.com")
                .assertion_audience("token_endpoint")
        ),
        "https://tenant.example.com/oauth/token"
    );
}
