//! DPoP on the API side, continued (docs/design.md §11): nonces (demanded,
//! given, shared by secret), the options checked at build and set by name
//! as the bindings set them, and proofs made by the engine's own client
//! checked against the dev server's tokens.

#[path = "support/thumbprint.rs"]
mod thumbprint_support;
mod verify_dpop_support;
mod verify_support;

use m2m_auth::{HttpRequest, TokenClient, TokenRequest, Verifier};
use serde_json::json;
use verify_dpop_support::*;
use verify_support::*;

#[tokio::test]
async fn nonces_are_demanded_given_and_shared_by_secret() {
    let secret = "the API fleet's DPoP nonce secret, 32+ bytes";
    let v = builder(standard_jwks())
        .dpop_nonce(true)
        .dpop_nonce_secret(secret)
        .build()
        .unwrap();
    let other = builder(standard_jwks())
        .dpop_nonce(true)
        .dpop_nonce_secret(secret)
        .build()
        .unwrap();
    let t = bound_token("p256");
    let auth = format!("DPoP {t}");
    let e = check(&v, &auth, Some(&p256_proof(&proof_claims(&t))))
        .await
        .unwrap_err();
    assert_eq!(reason(&e), "dpop_nonce");
    let ch = v.challenge(&e, Some(&auth), None);
    assert_eq!(
        www(&ch),
        format!("DPoP error=\"use_dpop_nonce\", error_description=\"dpop_nonce\", {ALGS}")
    );
    let nonce = ch.dpop_nonce.clone().expect("a nonce to use");
    assert_eq!(v.dpop_nonce().as_deref(), Some(nonce.as_str()));
    let mut c = proof_claims(&t);
    c["nonce"] = json!(nonce);
    check(&other, &auth, Some(&p256_proof(&c))).await.unwrap();
    c["jti"] = json!("another");
    c["nonce"] = json!("not-a-nonce-of-this-api");
    assert_eq!(
        reason(&check(&v, &auth, Some(&p256_proof(&c))).await.unwrap_err()),
        "dpop_nonce"
    );
    // Without nonce mode there is none to send.
    assert_eq!(verifier().dpop_nonce(), None);
}

#[test]
fn dpop_options_are_checked_at_build() {
    for b in [
        builder(standard_jwks()).dpop_algorithms(["HS256"]),
        builder(standard_jwks()).dpop_algorithms(["none"]),
        builder(standard_jwks()).dpop_algorithms(Vec::<String>::new()),
        builder(standard_jwks()).dpop_max_age(std::time::Duration::ZERO),
        builder(standard_jwks())
            .dpop_nonce(true)
            .dpop_nonce_secret("short"),
    ] {
        let e = b.build().unwrap_err();
        assert_eq!(e.code(), "config", "{e}");
        assert!(!e.to_string().contains("short"), "{e}");
    }
    let v = builder(standard_jwks())
        .dpop_algorithms(["EdDSA"])
        .build()
        .unwrap();
    let e = v.verify_request_now(None, &[]).unwrap().unwrap_err();
    assert_eq!(
        www(&v.challenge(&e, None, None)),
        "Bearer, DPoP algs=\"EdDSA\""
    );
}

/// The engine's own client against the dev server: its DPoP token and its
/// `dpop_proof` verify with the dev server's JWKS.
#[tokio::test]
async fn the_engine_client_proofs_verify() {
    let server =
        m2m_auth_devserver::DevServer::start(m2m_auth_devserver::ServerConfig::with_clients(vec![
            m2m_auth_devserver::ClientConfig::demo(),
        ]))
        .await
        .unwrap();
    let client = TokenClient::builder()
        .token_url(server.token_url())
        .client_id("demo-client")
        .client_secret("demo-secret")
        .audience("https://api.example.com")
        .dpop(true)
        .no_proxy()
        .build()
        .unwrap();
    let token = client.get_token(&TokenRequest::default()).await.unwrap();
    let v = Verifier::builder()
        .issuer(server.issuer())
        .audience("https://api.example.com")
        .jwks_uri(server.jwks_uri())
        .build()
        .unwrap();
    let url = format!("{}/orders?id=1", server.url());
    let proof = client
        .dpop_proof("POST", &url, Some(token.access_token()))
        .unwrap();
    let r = HttpRequest {
        method: "POST",
        url: &url,
        authorization: Some(token.authorization_header()),
        dpop: Some(&proof),
    };
    let claims = v.verify_http_request(&r, &[]).await.unwrap();
    assert_eq!(
        claims.get("cnf").unwrap()["jkt"],
        client.dpop_thumbprint().unwrap()
    );
}

/// The DPoP options by name, as every binding sets them.
#[tokio::test]
async fn dpop_options_by_name() {
    let mut b = builder(standard_jwks());
    b.set_text("dpop", "required").unwrap();
    b.set_text("dpop_algorithms", "ES256 EdDSA").unwrap();
    b.set_text("dpop_max_age", "30").unwrap();
    b.set_text("dpop_replay_cache_size", "10").unwrap();
    b.set_text("dpop_nonce", "true").unwrap();
    b.set_text("dpop_nonce_secret", "0123456789abcdef0123456789abcdef")
        .unwrap();
    let v = b.build().unwrap();
    assert!(v.dpop_nonce().is_some());
    let e = v.verify_request_now(None, &[]).unwrap().unwrap_err();
    assert_eq!(
        www(&v.challenge(&e, None, None)),
        "DPoP algs=\"ES256 EdDSA\""
    );
    let mut b = builder(standard_jwks());
    b.set_text("dpop", "sometimes").unwrap();
    let e = b.build().unwrap_err();
    assert_eq!(e.code(), "config");
    assert!(e.to_string().contains("allowed, required or off"), "{e}");
}
