//! DPoP (RFC 9449) against a real authorization server: oidc-provider
//! (`tests/interop/server.mjs`, DPoP on as in its v9 default, with a nonce
//! secret) and its `dpop_clients` of `tests/interop/clients.json`, one of
//! which must first be sent `use_dpop_nonce`. Each token must be a `DPoP`
//! token bound to the key used: `cnf.jkt` equal to the key's RFC 7638
//! thumbprint, computed here from the public key's members with ring.
//!
//! `#[ignore]`d like `interop.rs`: `scripts/test-interop.sh` runs them.

#[path = "support/oidc_provider.rs"]
mod oidc_provider;
#[path = "support/thumbprint.rs"]
mod thumbprint;
#[path = "common/trace_capture.rs"]
mod trace_capture;

use m2m_auth::{FieldValue, TokenClient, TokenRequest};
use oidc_provider::{config, jwt_parts, provider};
use serde_json::Value;
use thumbprint::thumbprint;

/// The tests of this binary run one at a time: the first counts the
/// engine's log lines, which the others' requests would add to.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const P256_JWK: &str = include_str!("assertion_keys/p256.jwk.json");
const ED25519_PEM: &str = include_str!("verify_keys/ed25519.pem");
const PUBLIC_JWKS: &str = include_str!("verify_keys/public_jwks.json");

fn dpop_client(c: &Value, key: Option<&str>) -> TokenClient {
    let s = |k: &str| c[k].as_str().unwrap().to_string();
    let mut b = TokenClient::builder()
        .token_url(provider().token_endpoint.clone())
        .client_id(s("client_id"))
        .client_secret(s("client_secret"))
        .auth_method_name(s("token_endpoint_auth_method"))
        .resource([config()["resource"].as_str().unwrap().to_string()])
        .dpop(true)
        .no_proxy();
    if let Some(k) = key {
        b = b.dpop_key(k);
    }
    b.build().unwrap()
}

/// Three tokens in a row per client and key: each a DPoP token whose
/// `cnf.jkt` is the key's thumbprint (a new proof each time: oidc-provider
/// refuses a replayed one; the nonce client gets its nonce once, then
/// reuses the one it was sent).
#[tokio::test]
#[ignore = "needs Node.js and tests/interop/node_modules: run scripts/test-interop.sh"]
async fn dpop_tokens_are_bound_to_the_key_with_and_without_nonces() {
    let _one = ONE_AT_A_TIME.lock().await;
    // The engine's debug line for a token endpoint's nonce demand shows
    // that oidc-provider did ask the nonce client (once per key at least).
    let log = trace_capture::TraceCapture::install();
    let demands = || {
        log.text()
            .matches("token endpoint asked for a DPoP nonce")
            .count()
    };
    let p256: Value = serde_json::from_str(P256_JWK).unwrap();
    let ed25519 = serde_json::from_str::<Value>(PUBLIC_JWKS).unwrap()["ed25519"].clone();
    let keys = [
        (None, None),
        (Some(P256_JWK), Some(thumbprint(&p256))),
        (Some(ED25519_PEM), Some(thumbprint(&ed25519))),
    ];
    for c in config()["dpop_clients"].as_array().unwrap() {
        let before = demands();
        for (key, want) in &keys {
            let client = dpop_client(c, *key);
            let jkt = client.dpop_thumbprint().unwrap().to_string();
            if let Some(want) = want {
                assert_eq!(&jkt, want, "{}: the engine's thumbprint", c["client_id"]);
            }
            let mut seen = std::collections::HashSet::new();
            for _ in 0..3 {
                let token = client
                    .fetch_token(&TokenRequest::default())
                    .await
                    .unwrap_or_else(|e| panic!("{}: {e}", c["client_id"]));
                assert_eq!(token.token_type(), "DPoP");
                assert!(token.authorization_header().starts_with("DPoP "));
                let (_, claims) = jwt_parts(token.access_token());
                assert_eq!(claims["cnf"]["jkt"], jkt.as_str(), "{}", c["client_id"]);
                assert_eq!(claims["client_id"], c["client_id"]);
                seen.insert(token.access_token().to_string());
            }
            assert_eq!(seen.len(), 3);
        }
        let asked = demands() - before;
        if c["require_nonce"] == true {
            assert!(
                asked >= keys.len(),
                "{}: {asked} nonce demands",
                c["client_id"]
            );
        } else {
            assert_eq!(asked, 0, "{}", c["client_id"]);
        }
    }
}

/// A client without DPoP gets a Bearer token from the same clients (DPoP
/// is the client's choice), with no `cnf`.
#[tokio::test]
#[ignore = "needs Node.js and tests/interop/node_modules: run scripts/test-interop.sh"]
async fn without_dpop_the_same_clients_get_bearer_tokens() {
    let _one = ONE_AT_A_TIME.lock().await;
    let c = &config()["dpop_clients"][1];
    let s = |k: &str| c[k].as_str().unwrap().to_string();
    let client = TokenClient::builder()
        .token_url(provider().token_endpoint.clone())
        .client_id(s("client_id"))
        .client_secret(s("client_secret"))
        .auth_method_name(s("token_endpoint_auth_method"))
        .resource([config()["resource"].as_str().unwrap().to_string()])
        .no_proxy()
        .build()
        .unwrap();
    let token = client.fetch_token(&TokenRequest::default()).await.unwrap();
    assert_eq!(token.token_type(), "Bearer");
    let (_, claims) = jwt_parts(token.access_token());
    assert!(claims.get("cnf").is_none(), "{claims}");
}

/// The API side with oidc-provider's DPoP tokens: the verifier (keys
/// through discovery) takes each token with the client's proof of the
/// request, refuses the same proof twice, and the token as `Bearer`.
#[tokio::test]
#[ignore = "needs Node.js and tests/interop/node_modules: run scripts/test-interop.sh"]
async fn the_verifier_takes_oidc_provider_dpop_tokens_with_their_proofs() {
    let _one = ONE_AT_A_TIME.lock().await;
    let p = provider();
    let resource = config()["resource"].as_str().unwrap().to_string();
    let verifier = m2m_auth::Verifier::builder()
        .issuer(p.issuer.as_str())
        .audience(resource.as_str())
        .build()
        .unwrap();
    for c in config()["dpop_clients"].as_array().unwrap() {
        let client = dpop_client(c, Some(ED25519_PEM));
        let token = client.fetch_token(&TokenRequest::default()).await.unwrap();
        let url = "https://api.example.com/orders?page=1";
        let proof = client
            .dpop_proof("GET", url, Some(token.access_token()))
            .unwrap();
        let request = m2m_auth::HttpRequest {
            method: "GET",
            url,
            authorization: Some(token.authorization_header()),
            dpop: Some(&proof),
        };
        let claims = verifier.verify_http_request(&request, &[]).await.unwrap();
        assert_eq!(claims.client_id(), c["client_id"].as_str());
        let again = verifier
            .verify_http_request(&request, &[])
            .await
            .unwrap_err();
        assert_eq!(again.field("reason"), Some(FieldValue::Text("dpop_replay")));
        let bearer = format!("Bearer {}", token.access_token());
        let e = verifier
            .verify_request(Some(&bearer), &[])
            .await
            .unwrap_err();
        assert_eq!(e.field("reason"), Some(FieldValue::Text("dpop_bound")));
    }
}
