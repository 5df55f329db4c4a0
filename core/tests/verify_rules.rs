//! The token rules of docs/design.md §10, one regression test per CVE class
//! of JWT libraries. Tokens are signed by `jsonwebtoken` (an independent
//! JOSE library) with the fixed keys of tests/verify_keys; the verifier
//! gets a static JWKS.

mod verify_support;

use jsonwebtoken::{Algorithm, EncodingKey};
use m2m_auth::Verifier;
use serde_json::json;
use verify_support::*;

#[tokio::test]
async fn tokens_of_every_allowed_algorithm_verify() {
    let v = builder(standard_jwks())
        .algorithms(["RS256", "PS256", "ES256", "ES384", "EdDSA"])
        .build()
        .unwrap();
    for (alg, key, kid) in [
        (Algorithm::RS256, "rsa2048", "rsa"),
        (Algorithm::PS256, "rsa2048", "rsa"),
        (Algorithm::ES256, "p256", "ec"),
        (Algorithm::ES384, "p384", "ec384"),
        (Algorithm::EdDSA, "ed25519", "ed"),
    ] {
        let claims = v.verify(&token(alg, key, kid, &claims())).await;
        let claims = claims.unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        assert_eq!(claims.issuer(), ISS);
        assert_eq!(claims.audience(), [AUD.to_string()]);
        assert_eq!(claims.subject(), Some("svc"));
        assert_eq!(claims.client_id(), Some("svc"));
        assert_eq!(claims.jwt_id(), Some("j1"));
        assert_eq!(claims.scopes(), ["read".to_string(), "write".to_string()]);
        assert!(claims.has_scope("write") && !claims.has_scope("admin"));
        assert_eq!(claims.get("sub"), Some(&json!("svc")));
        assert!(claims.to_json().contains("\"jti\":\"j1\""));
        assert!(claims.issued_at().is_some() && claims.not_before().is_none());
    }
}

#[tokio::test]
async fn es384_is_refused_unless_listed() {
    let t = token(Algorithm::ES384, "p384", "ec384", &claims());
    assert_eq!(refused(&verifier(), &t).await, "disallowed_algorithm");
}

#[tokio::test]
async fn alg_none_is_refused_in_every_spelling() {
    let v = verifier();
    for alg in ["none", "None", "NONE"] {
        let header = b64(json!({"alg": alg, "typ": "at+jwt", "kid": "rsa"})
            .to_string()
            .as_bytes());
        let body = b64(claims().to_string().as_bytes());
        for t in [format!("{header}.{body}."), format!("{header}.{body}.AAAA")] {
            assert_eq!(refused(&v, &t).await, "disallowed_algorithm", "{alg}");
        }
    }
    for alg in ["none", "HS256", "hs512"] {
        let e = builder(standard_jwks())
            .algorithms([alg])
            .build()
            .unwrap_err();
        assert_eq!(e.code(), "config", "{alg}");
    }
}

#[tokio::test]
async fn hs256_signed_with_the_rsa_public_key_is_refused() {
    // Algorithm confusion: the attacker knows the public key and uses its
    // PEM as an HMAC secret.
    let secret = EncodingKey::from_secret(&key_file("rsa2048.pub.pem"));
    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": "rsa"});
    let t = sign_raw(&header, &claims(), Algorithm::HS256, &secret);
    assert_eq!(refused(&verifier(), &t).await, "disallowed_algorithm");
}

#[tokio::test]
async fn keys_named_in_the_header_are_never_used() {
    // Signed by a key the JWKS does not hold, which the header offers in
    // every way JOSE allows.
    let attacker = jwk("p256", "attacker", json!({}));
    let key = EncodingKey::from_ec_pem(&key_file("p256.pem")).unwrap();
    let v = builder(jwks(&[jwk("rsa2048", "rsa", json!({}))]))
        .build()
        .unwrap();
    for (kid, extra) in [
        ("attacker", json!({"jwk": attacker})),
        ("attacker", json!({"jku": "https://evil.example/jwks.json"})),
        ("attacker", json!({"x5u": "https://evil.example/cert.pem"})),
        ("attacker", json!({"x5c": ["MIIB"]})),
    ] {
        let mut header = json!({"alg": "ES256", "typ": "at+jwt", "kid": kid});
        for (n, val) in extra.as_object().unwrap() {
            header[n] = val.clone();
        }
        let t = sign_raw(&header, &claims(), Algorithm::ES256, &key);
        assert_eq!(refused(&v, &t).await, "unknown_key", "{header}");
    }
    // With the kid of a real key, the embedded key is not used either.
    let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": "rsa", "jwk": attacker});
    let t = sign_raw(&header, &claims(), Algorithm::ES256, &key);
    assert_eq!(refused(&v, &t).await, "disallowed_algorithm");
}

#[tokio::test]
async fn crit_is_refused() {
    let t = with_header(
        json!({"alg": "RS256", "typ": "at+jwt", "kid": "rsa", "crit": ["exp"], "exp": 1}),
        &claims(),
    );
    assert_eq!(refused(&verifier(), &t).await, "crit");
}

#[tokio::test]
async fn time_claims_of_the_wrong_type_are_errors_not_absent() {
    let v = verifier();
    let now = now();
    for (name, value) in [
        ("exp", json!((now + 600).to_string())),
        ("exp", json!(null)),
        ("nbf", json!(now.to_string())),
        ("iat", json!(now.to_string())),
        ("nbf", json!([now])),
    ] {
        let mut c = claims();
        c[name] = value;
        assert_eq!(refused(&v, &rs256(&c)).await, "bad_claim_type", "{name}");
    }
}

#[tokio::test]
async fn exp_iss_and_aud_are_required() {
    let v = verifier();
    for name in ["exp", "iss", "aud"] {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(name);
        assert_eq!(refused(&v, &rs256(&c)).await, "missing_claim", "{name}");
    }
}

#[tokio::test]
async fn the_issuer_must_match_exactly() {
    let v = verifier();
    for iss in [
        json!("https://issuer.example/"),
        json!("https://issuer.example.evil"),
        json!("https://issuer.exampl"),
        json!("HTTPS://issuer.example"),
        json!([ISS]),
        json!(1),
    ] {
        let mut c = claims();
        c["iss"] = iss.clone();
        assert_eq!(refused(&v, &rs256(&c)).await, "wrong_issuer", "{iss}");
    }
}

#[tokio::test]
async fn the_audience_is_a_string_or_an_array_holding_ours() {
    let v = verifier();
    let mut c = claims();
    c["aud"] = json!(["https://other.example", AUD]);
    let ok = v.verify(&rs256(&c)).await.unwrap();
    assert_eq!(ok.audience().len(), 2);
    for aud in [
        json!("https://other.example"),
        json!("https://api.example/"),
        json!(["https://other.example"]),
        json!([]),
    ] {
        c["aud"] = aud.clone();
        assert_eq!(refused(&v, &rs256(&c)).await, "wrong_audience", "{aud}");
    }
    for aud in [json!(1), json!([AUD, 1])] {
        c["aud"] = aud.clone();
        assert_eq!(refused(&v, &rs256(&c)).await, "bad_claim_type", "{aud}");
    }
}

#[tokio::test]
async fn an_rsa_key_under_2048_bits_is_refused() {
    let t = String::from_utf8(key_file("rsa1024_token.txt")).unwrap();
    assert_eq!(refused(&verifier(), t.trim()).await, "weak_key");
}

#[tokio::test]
async fn the_key_type_must_match_alg() {
    // An EC key's kid on an RS256 token, and an RSA key's on an ES256 one.
    let v = verifier();
    let t = token(Algorithm::RS256, "rsa2048", "ec", &claims());
    assert_eq!(refused(&v, &t).await, "disallowed_algorithm");
    let t = token(Algorithm::ES256, "p256", "rsa", &claims());
    assert_eq!(refused(&v, &t).await, "disallowed_algorithm");
}

#[tokio::test]
async fn the_jwk_s_own_alg_and_use_are_honoured() {
    let set = jwks(&[
        jwk("rsa2048", "pss-only", json!({"alg": "PS256"})),
        jwk("rsa2048", "enc", json!({"use": "enc"})),
        jwk("rsa2048", "sig", json!({"use": "sig", "alg": "RS256"})),
    ]);
    let v = builder(set).build().unwrap();
    let t = token(Algorithm::RS256, "rsa2048", "pss-only", &claims());
    assert_eq!(refused(&v, &t).await, "disallowed_algorithm");
    assert!(v
        .verify(&token(Algorithm::PS256, "rsa2048", "pss-only", &claims()))
        .await
        .is_ok());
    let t = token(Algorithm::RS256, "rsa2048", "enc", &claims());
    assert_eq!(refused(&v, &t).await, "unknown_key");
    assert!(v
        .verify(&token(Algorithm::RS256, "rsa2048", "sig", &claims()))
        .await
        .is_ok());
}

#[tokio::test]
async fn the_size_is_checked_before_any_parsing() {
    let v = verifier();
    let huge = "A".repeat(16385);
    assert_eq!(refused(&v, &huge).await, "too_large");
    let mut c = claims();
    c["pad"] = json!("x".repeat(20000));
    assert_eq!(refused(&v, &rs256(&c)).await, "too_large");
    let small = builder(standard_jwks())
        .max_token_bytes(100)
        .build()
        .unwrap();
    assert_eq!(refused(&small, &rs256(&claims())).await, "too_large");
}

#[tokio::test]
async fn a_token_has_exactly_three_segments() {
    let v = verifier();
    let t = rs256(&claims());
    for bad in [
        format!("{t}.x"),
        format!("{t}.."),
        "a.b.c.d.e".to_string(),
        t.rsplit_once('.').unwrap().0.to_string(),
        String::new(),
        format!("{t}="),
        t.replace('.', " . "),
    ] {
        assert_eq!(refused(&v, &bad).await, "malformed", "{bad}");
    }
}

#[tokio::test]
async fn typ_must_be_at_jwt_unless_strict_typ_is_off() {
    let strict = verifier();
    let lax = builder(standard_jwks()).strict_typ(false).build().unwrap();
    for typ in [json!("at+jwt"), json!("application/AT+JWT")] {
        let t = with_header(json!({"alg": "RS256", "typ": typ, "kid": "rsa"}), &claims());
        assert!(strict.verify(&t).await.is_ok(), "{typ}");
    }
    for typ in [
        Some(json!("JWT")),
        None,
        Some(json!("dpop+jwt")),
        Some(json!(1)),
    ] {
        let mut h = json!({"alg": "RS256", "kid": "rsa"});
        if let Some(t) = &typ {
            h["typ"] = t.clone();
        }
        let t = with_header(h, &claims());
        assert_eq!(refused(&strict, &t).await, "bad_typ", "{typ:?}");
        let lax_ok = typ.is_none() || typ == Some(json!("JWT"));
        assert_eq!(lax.verify(&t).await.is_ok(), lax_ok, "{typ:?}");
    }
}

#[tokio::test]
async fn exp_and_nbf_are_checked_with_the_leeway() {
    let v = verifier(); // leeway 30 s
    let now = now();
    let with = |name: &str, value: i64| {
        let mut c = claims();
        c[name] = json!(value);
        rs256(&c)
    };
    assert!(v.verify(&with("exp", now - 10)).await.is_ok());
    assert_eq!(refused(&v, &with("exp", now - 60)).await, "expired");
    assert!(v.verify(&with("nbf", now + 10)).await.is_ok());
    assert_eq!(refused(&v, &with("nbf", now + 120)).await, "not_yet_valid");
    assert_eq!(refused(&v, &with("iat", now + 120)).await, "not_yet_valid");
    let strict = builder(standard_jwks())
        .leeway(std::time::Duration::ZERO)
        .build()
        .unwrap();
    assert_eq!(refused(&strict, &with("exp", now - 10)).await, "expired");
}

#[tokio::test]
async fn a_bad_signature_is_refused() {
    let v = verifier();
    let t = rs256(&claims());
    // Another claim set under the same signature.
    let (head, rest) = t.split_once('.').unwrap();
    let sig = rest.split_once('.').unwrap().1;
    let mut c = claims();
    c["scope"] = json!("admin");
    let forged = format!("{head}.{}.{sig}", b64(c.to_string().as_bytes()));
    assert_eq!(refused(&v, &forged).await, "bad_signature");
    // The right kid, signed by another key.
    let other = jwks(&[jwk("p256", "ec", json!({}))]);
    let v2 = builder(other).build().unwrap();
    let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": "ec"});
    let t = sign_raw(
        &header,
        &claims(),
        Algorithm::ES256,
        &EncodingKey::from_ec_pem(&key_file("p256.pem")).unwrap(),
    );
    assert!(v2.verify(&t).await.is_ok());
    let ed = token(Algorithm::EdDSA, "ed25519", "ed", &claims());
    assert_eq!(
        refused(&verifier(), &{
            let (h, rest) = ed.split_once('.').unwrap();
            let body = rest.split_once('.').unwrap().0;
            format!("{h}.{body}.{}", b64(&[0u8; 64]))
        })
        .await,
        "bad_signature"
    );
}

#[tokio::test]
async fn a_token_without_kid_uses_the_only_fitting_key() {
    let one = builder(jwks(&[jwk("rsa2048", "rsa", json!({}))]))
        .build()
        .unwrap();
    let t = with_header(json!({"alg": "RS256", "typ": "at+jwt"}), &claims());
    assert!(one.verify(&t).await.is_ok());
    let two = builder(jwks(&[
        jwk("rsa2048", "a", json!({})),
        jwk("rsa2048", "b", json!({})),
    ]))
    .build()
    .unwrap();
    assert_eq!(refused(&two, &t).await, "unknown_key");
}

#[tokio::test]
async fn the_options_are_checked_by_build() {
    let none = Verifier::builder()
        .issuer(ISS)
        .jwks(standard_jwks())
        .build();
    assert_eq!(none.unwrap_err().code(), "config"); // no audience
    let no_iss = Verifier::builder()
        .audience(AUD)
        .jwks(standard_jwks())
        .build();
    assert_eq!(no_iss.unwrap_err().code(), "config");
    let both = builder(standard_jwks())
        .jwks_uri("https://issuer.example/jwks")
        .build();
    assert_eq!(both.unwrap_err().code(), "config");
    let http = Verifier::builder()
        .issuer(ISS)
        .audience(AUD)
        .jwks_uri("http://example.com/jwks")
        .build();
    assert_eq!(http.unwrap_err().code(), "config");
    let empty = builder(jwks(&[json!({"kty": "oct", "k": "c2VjcmV0"})])).build();
    assert_eq!(empty.unwrap_err().code(), "config");
    assert_eq!(
        builder("not json".into()).build().unwrap_err().code(),
        "config"
    );
}
