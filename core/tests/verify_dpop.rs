//! DPoP on the API side (RFC 9449 §4.3, §7; docs/design.md §11):
//! `verify_http_request` with tokens bound to a key (`cnf.jkt`) and proofs,
//! both signed by an independent JOSE library (`jsonwebtoken`) with the
//! test keys; every proof check, the replay memory, the schemes taken, and
//! the RFC 9449 §7.1 challenges. Nonces, options and the engine's own
//! proofs: verify_dpop_options.rs.

#[path = "support/thumbprint.rs"]
mod thumbprint_support;
mod verify_dpop_support;
mod verify_support;

use jsonwebtoken::Algorithm;
use m2m_auth::{DpopMode, HttpRequest};
use serde_json::{json, Value};
use verify_dpop_support::*;
use verify_support::*;

#[tokio::test]
async fn a_bound_token_with_its_proof_verifies_once_per_proof() {
    let v = verifier();
    let t = bound_token("p256");
    let auth = format!("DPoP {t}");
    let p = p256_proof(&proof_claims(&t));
    let c = check(&v, &auth, Some(&p)).await.unwrap();
    assert_eq!(c.get("cnf").unwrap()["jkt"], thumbprint("p256"));
    let e = check(&v, &auth, Some(&p)).await.unwrap_err();
    assert_eq!(reason(&e), "dpop_replay");
    let ch = v.challenge(&e, Some(&auth), None);
    assert_eq!(ch.status, 401);
    assert_eq!(
        www(&ch),
        format!("DPoP error=\"invalid_dpop_proof\", error_description=\"dpop_replay\", {ALGS}")
    );
    // A fresh proof: fine (the token itself comes from the cache); query
    // and fragment of the URL are not part of htu; scheme and host case not.
    let mut c2 = proof_claims(&t);
    c2["htu"] = json!("HTTPS://API.example/things");
    let r = HttpRequest {
        url: "https://api.example/things?page=2#x",
        ..request(&auth, None)
    };
    let p2 = p256_proof(&c2);
    v.verify_http_request(
        &HttpRequest {
            dpop: Some(&p2),
            ..r
        },
        &[],
    )
    .await
    .unwrap();
    // EdDSA proofs, and the synchronous path.
    let t = bound_token("ed25519");
    let auth = format!("dpop   {t}");
    let p = proof_with(
        json!({"typ": "dpop+jwt", "alg": "EdDSA", "jwk": public("ed25519")}),
        &proof_claims(&t),
        Algorithm::EdDSA,
        "ed25519",
    );
    assert!(v
        .verify_http_request_now(&request(&auth, Some(&p)), &["read"])
        .unwrap()
        .is_ok());
    assert_eq!(v.stats().failures, 1);
}

#[tokio::test]
async fn every_proof_check_refuses_as_dpop_proof() {
    let v = verifier();
    let t = bound_token("p256");
    let auth = format!("DPoP {t}");
    let good = proof_claims(&t);
    let with = |k: &str, val: Value| {
        let mut c = proof_claims(&t);
        c[k] = val;
        p256_proof(&c)
    };
    let without = |k: &str| {
        let mut c = proof_claims(&t);
        c.as_object_mut().unwrap().remove(k);
        p256_proof(&c)
    };
    let header = |h: Value| proof_with(h, &proof_claims(&t), Algorithm::ES256, "p256");
    let mut private = public("p256");
    private["d"] = json!("N2TBkJn_HVObh4rJL3ZinnMW65HaZFaFS_rIlr_uKpU");
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no proof", None),
        ("empty", Some(String::new())),
        (
            "two proofs",
            Some(format!(
                "{}, {}",
                p256_proof(&good),
                p256_proof(&proof_claims(&t))
            )),
        ),
        ("too large", Some("a".repeat(9000))),
        ("not a JWS", Some("a.b".into())),
        (
            "typ",
            Some(header(
                json!({"typ": "JWT", "alg": "ES256", "jwk": public("p256")}),
            )),
        ),
        (
            "no typ",
            Some(header(json!({"alg": "ES256", "jwk": public("p256")}))),
        ),
        (
            "alg none",
            Some(header(
                json!({"typ": "dpop+jwt", "alg": "none", "jwk": public("p256")}),
            )),
        ),
        (
            "alg HS256",
            Some(header(
                json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": public("p256")}),
            )),
        ),
        (
            "alg of another key type",
            Some(header(
                json!({"typ": "dpop+jwt", "alg": "EdDSA", "jwk": public("p256")}),
            )),
        ),
        (
            "no jwk",
            Some(header(json!({"typ": "dpop+jwt", "alg": "ES256"}))),
        ),
        (
            "private jwk",
            Some(header(
                json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": private}),
            )),
        ),
        (
            "crit",
            Some(header(
                json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": public("p256"), "crit": ["x"]}),
            )),
        ),
        (
            "signed by another key",
            Some(proof_with(
                json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": public("p256")}),
                &good,
                Algorithm::ES384,
                "p384",
            )),
        ),
        ("htm", Some(with("htm", json!("POST")))),
        (
            "htu path",
            Some(with("htu", json!("https://api.example/other"))),
        ),
        (
            "htu host",
            Some(with("htu", json!("https://evil.example/things"))),
        ),
        ("htu not a URL", Some(with("htu", json!("things")))),
        ("iat old", Some(with("iat", json!(now() - 600)))),
        ("iat future", Some(with("iat", json!(now() + 600)))),
        ("iat string", Some(with("iat", json!(now().to_string())))),
        ("no jti", Some(without("jti"))),
        ("jti empty", Some(with("jti", json!("")))),
        ("no ath", Some(without("ath"))),
        ("ath of another token", Some(with("ath", json!(b64(b"x"))))),
        ("nonce not a string", Some(with("nonce", json!(7)))),
    ];
    for (what, proof) in &cases {
        let e = check(&v, &auth, proof.as_deref()).await.unwrap_err();
        assert_eq!(reason(&e), "dpop_proof", "{what}: {e}");
        assert!(
            !e.to_string().contains("N2TBkJn"),
            "{what}: the private jwk shows"
        );
    }
    // A valid proof by a key that is not the token's cnf.jkt.
    let ed = proof_with(
        json!({"typ": "dpop+jwt", "alg": "EdDSA", "jwk": public("ed25519")}),
        &proof_claims(&t),
        Algorithm::EdDSA,
        "ed25519",
    );
    let e = check(&v, &auth, Some(&ed)).await.unwrap_err();
    assert_eq!(reason(&e), "dpop_proof");
    assert!(e.to_string().contains("cnf.jkt"), "{e}");
    assert_eq!(v.stats().failures, cases.len() as u64 + 1);
    // The good one still passes after all that.
    check(&v, &auth, Some(&p256_proof(&good))).await.unwrap();
}

#[tokio::test]
async fn schemes_bearer_dpop_and_the_binding() {
    let v = verifier();
    let bound = bound_token("p256");
    let plain = rs256(&claims());
    // A bound token as Bearer: refused, by both request calls.
    let e = v
        .verify_request(Some(&format!("Bearer {bound}")), &[])
        .await
        .unwrap_err();
    assert_eq!(reason(&e), "dpop_bound");
    let e = check(&v, &format!("Bearer {bound}"), None)
        .await
        .unwrap_err();
    assert_eq!(reason(&e), "dpop_bound");
    assert_eq!(
        www(&v.challenge(&e, Some(&format!("Bearer {bound}")), Some("api"))),
        format!(
            "DPoP realm=\"api\", error=\"invalid_token\", error_description=\"dpop_bound\", {ALGS}"
        )
    );
    // An unbound token as DPoP: refused; as Bearer: fine.
    let p = p256_proof(&proof_claims(&plain));
    assert_eq!(
        reason(
            &check(&v, &format!("DPoP {plain}"), Some(&p))
                .await
                .unwrap_err()
        ),
        "dpop_bound"
    );
    check(&v, &format!("Bearer {plain}"), None).await.unwrap();
    // No token: both schemes offered.
    let e = v
        .verify_http_request(
            &HttpRequest {
                authorization: None,
                ..request("", None)
            },
            &[],
        )
        .await
        .unwrap_err();
    assert_eq!(reason(&e), "missing");
    assert_eq!(
        www(&v.challenge(&e, None, None)),
        format!("Bearer, DPoP {ALGS}")
    );
    // An expired DPoP token: answered in the DPoP scheme.
    let mut c = claims();
    c["exp"] = json!(now() - 3600);
    c["cnf"] = json!({"jkt": thumbprint("p256")});
    let old = rs256(&c);
    let auth = format!("DPoP {old}");
    let e = check(&v, &auth, Some(&p256_proof(&proof_claims(&old))))
        .await
        .unwrap_err();
    assert_eq!(reason(&e), "expired");
    assert_eq!(
        www(&v.challenge(&e, Some(&auth), None)),
        format!("DPoP error=\"invalid_token\", error_description=\"expired\", {ALGS}")
    );
    // Scopes are required after the proof.
    let auth = format!("DPoP {bound}");
    let p = p256_proof(&proof_claims(&bound));
    let e = v
        .verify_http_request(&request(&auth, Some(&p)), &["admin"])
        .await
        .unwrap_err();
    assert_eq!(e.code(), "insufficient_scope");
    let ch = v.challenge(&e, Some(&auth), None);
    assert_eq!(
        (ch.status, www(&ch)),
        (
            403,
            format!("DPoP error=\"insufficient_scope\", scope=\"admin\", {ALGS}").as_str()
        )
    );

    // dpop required: Bearer refused; off: the DPoP scheme is no token.
    let required = builder(standard_jwks())
        .dpop(DpopMode::Required)
        .build()
        .unwrap();
    let e = check(&required, &format!("Bearer {plain}"), None)
        .await
        .unwrap_err();
    assert_eq!(reason(&e), "dpop_bound");
    assert_eq!(
        www(&required.challenge(&e, None, None)),
        format!("DPoP error=\"invalid_token\", error_description=\"dpop_bound\", {ALGS}")
    );
    let off = builder(standard_jwks())
        .dpop(DpopMode::Off)
        .build()
        .unwrap();
    let e = check(
        &off,
        &format!("DPoP {bound}"),
        Some(&p256_proof(&proof_claims(&bound))),
    )
    .await
    .unwrap_err();
    assert_eq!(reason(&e), "missing");
    assert_eq!(www(&off.challenge(&e, None, None)), "Bearer");
}
