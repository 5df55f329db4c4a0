//! `verify_request` (the `Authorization` header as it arrives, required
//! scopes), the RFC 6750 challenge every middleware answers with, and the
//! verified-token cache (docs/design.md §10).

mod verify_support;

use std::time::Duration;

use m2m_auth::{challenge, Challenge, FieldValue};
use serde_json::json;
use verify_support::*;

fn www(c: &Challenge) -> &str {
    c.www_authenticate.as_deref().unwrap_or("")
}

#[tokio::test]
async fn the_bearer_header_is_parsed_as_it_arrives() {
    let v = verifier();
    let t = rs256(&claims());
    for h in [
        format!("Bearer {t}"),
        format!("bearer   {t}"),
        format!("BEARER {t} "),
    ] {
        assert!(v.verify_request(Some(&h), &[]).await.is_ok(), "{h}");
    }
    for h in [
        None,
        Some("Basic dXNlcjpwdw=="),
        Some("Bearer"),
        Some("Bearer   "),
        Some(""),
        Some(t.as_str()),
    ] {
        let e = v.verify_request(h, &[]).await.unwrap_err();
        assert_eq!(reason(&e), "missing", "{h:?}");
        let c = challenge(&e, None);
        assert_eq!((c.status, www(&c)), (401, "Bearer"));
    }
    let c = challenge(&v.verify_request(None, &[]).await.unwrap_err(), Some("api"));
    assert_eq!(www(&c), "Bearer realm=\"api\"");
}

#[tokio::test]
async fn every_required_scope_must_be_granted() {
    let v = verifier();
    let h = format!("Bearer {}", rs256(&claims())); // scope "read write"
    let ok = v
        .verify_request(Some(&h), &["read", "write"])
        .await
        .unwrap();
    assert!(ok.has_scope("read"));
    let e = v
        .verify_request(Some(&h), &["read", "admin"])
        .await
        .unwrap_err();
    assert_eq!(e.code(), "insufficient_scope");
    assert_eq!(
        e.field("required_scope"),
        Some(FieldValue::Text("read admin"))
    );
    let c = challenge(&e, Some("api"));
    assert_eq!(c.status, 403);
    assert_eq!(
        www(&c),
        "Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"read admin\""
    );
    // `scp` as an array counts too.
    let mut c = claims();
    c.as_object_mut().unwrap().remove("scope");
    c["scp"] = json!(["admin"]);
    let h = format!("Bearer {}", rs256(&c));
    assert!(v.verify_request(Some(&h), &["admin"]).await.is_ok());
    // The synchronous path agrees.
    assert!(v.verify_request_now(Some(&h), &["admin"]).unwrap().is_ok());
    let e = v
        .verify_request_now(Some(&h), &["read"])
        .unwrap()
        .unwrap_err();
    assert_eq!(e.code(), "insufficient_scope");
}

#[tokio::test]
async fn the_challenge_names_the_reason_never_the_token() {
    let v = verifier();
    let mut c = claims();
    c["exp"] = json!(now() - 3600);
    let t = rs256(&c);
    let e = v
        .verify_request(Some(&format!("Bearer {t}")), &[])
        .await
        .unwrap_err();
    let ch = challenge(&e, Some("a \"quoted\" realm"));
    assert_eq!(ch.status, 401);
    assert_eq!(
        www(&ch),
        "Bearer realm=\"a \\\"quoted\\\" realm\", error=\"invalid_token\", error_description=\"expired\""
    );
    for part in t.split('.') {
        assert!(!www(&ch).contains(part) && !e.to_string().contains(part));
    }
    let config = m2m_auth::Verifier::builder().build().unwrap_err();
    assert_eq!(
        challenge(&config, None),
        Challenge {
            status: 503,
            www_authenticate: None,
            dpop_nonce: None,
        }
    );
}

#[tokio::test]
async fn a_repeated_token_is_a_cache_hit_that_still_checks_exp() {
    let v = builder(standard_jwks())
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    let mut c = claims();
    c["exp"] = json!(now() + 2);
    let t = rs256(&c);
    v.verify(&t).await.unwrap();
    for _ in 0..5 {
        assert!(v.verify_now(&t).unwrap().is_ok());
    }
    let s = v.stats();
    assert_eq!(
        (s.verified, s.cache_hits, s.failures, s.jwks_fetches),
        (6, 5, 0, 0)
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(refused(&v, &t).await, "expired");
    assert_eq!(v.stats().failures, 1);
    // A cache of size 0 is off.
    let off = builder(standard_jwks()).cache_size(0).build().unwrap();
    let t = rs256(&claims());
    off.verify(&t).await.unwrap();
    off.verify(&t).await.unwrap();
    assert_eq!(off.stats().cache_hits, 0);
}

#[tokio::test]
async fn debug_output_never_holds_the_token() {
    let v = verifier();
    let t = rs256(&claims());
    let claims = v.verify(&t).await.unwrap();
    let shown = format!("{claims:?} {v:?}");
    for part in t.split('.') {
        assert!(!shown.contains(part), "{shown}");
    }
    assert!(shown.contains("\"sub\""));
}

#[tokio::test]
async fn verifiers_and_their_futures_cross_threads() {
    fn send_sync<T: Send + Sync + 'static>(_: &T) {}
    let v = verifier();
    send_sync(&v);
    let t = rs256(&claims());
    // Bindings spawn the verification on a runtime: the future is Send.
    let got = tokio::spawn({
        let v = v.clone();
        async move { v.verify(&t).await }
    })
    .await
    .unwrap()
    .unwrap();
    send_sync(&got);
    let h = format!("Bearer {}", rs256(&claims()));
    let r = tokio::spawn(async move { v.verify_request(Some(&h), &["read"]).await.map(|_| ()) });
    r.await.unwrap().unwrap();
}
