//! Interop with a real authorization server: `oidc-provider` (a certified
//! OpenID Provider), configured in `tests/interop/` for the client credentials
//! grant with RFC 8707 resource indicators, issuing JWT access tokens whose
//! `aud` is the requested resource; its clients authenticate with every
//! method the engine has (secrets, private_key_jwt, client_secret_jwt).
//!
//! These tests need Node.js and `tests/interop/node_modules`, so they are
//! `#[ignore]`d in a plain `cargo test`; `scripts/test-interop.sh` installs
//! the pinned server (`npm ci`) and runs them with `--include-ignored`. Run
//! without the install, they fail and say so.

#[path = "support/oidc_provider.rs"]
mod oidc_provider;

use std::path::PathBuf;
use std::time::Duration;

use m2m_auth::{
    ErrorDetail, ErrorKind, RetryPolicy, TokenClient, TokenClientBuilder, TokenRequest,
};
use oidc_provider::{config, jwt_parts, provider};
use serde_json::Value;

fn clients() -> Vec<(String, String, String)> {
    config()["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_string();
            (
                s("client_id"),
                s("client_secret"),
                s("token_endpoint_auth_method"),
            )
        })
        .collect()
}

fn builder(id: &str, secret: &str, method: &str) -> TokenClientBuilder {
    TokenClient::builder()
        .token_url(provider().token_endpoint.clone())
        .client_id(id)
        .client_secret(secret)
        .auth_method_name(method)
        .no_proxy()
        .retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        })
}

#[tokio::test]
#[ignore = "needs Node.js and tests/interop/node_modules: run scripts/test-interop.sh"]
async fn every_client_gets_a_jwt_for_the_requested_resource() {
    let p = provider();
    let default_resource = config()["resource"].as_str().unwrap().to_string();
    for (id, secret, method) in clients() {
        let client = builder(&id, &secret, &method)
            .resource([default_resource.clone()])
            .scope(["read:data"])
            .build()
            .unwrap();
        let token = client
            .get_token(&TokenRequest::default())
            .await
            .unwrap_or_else(|e| panic!("{id} ({method}): {e}"));
        assert_eq!(token.token_type(), "Bearer");
        assert_eq!(token.scope(), Some("read:data"), "{id}");
        let left = token.expires_in().as_secs();
        assert!((290..=300).contains(&left), "{id}: expires in {left} s");
        let (header, claims) = jwt_parts(token.access_token());
        assert_eq!(header["alg"], "RS256", "{id}");
        assert_eq!(header["typ"], "at+jwt", "{id}: an RFC 9068 access token");
        assert_eq!(claims["aud"], default_resource.as_str(), "{id}");
        assert_eq!(claims["client_id"], id.as_str(), "{id}");
        assert_eq!(claims["iss"], p.issuer.as_str(), "{id}");

        // Another resource, per call: another token, for that audience.
        let other = "https://reports.example.com/";
        let t2 = client
            .get_token(&TokenRequest::new().resource([other]))
            .await
            .unwrap_or_else(|e| panic!("{id} ({method}), resource {other}: {e}"));
        assert_ne!(t2.access_token(), token.access_token());
        assert_eq!(jwt_parts(t2.access_token()).1["aud"], other, "{id}");

        // The first token is cached.
        let again = client.get_token(&TokenRequest::default()).await.unwrap();
        assert_eq!(again.access_token(), token.access_token(), "{id}");
        assert_eq!(client.stats().fetches, 2, "{id}");
    }
}

/// The clients whose id and secret are full of `:%+/=`, spaces and the other
/// specials: RFC 6749 §2.3.1 form-encoding in the Basic header, and the form
/// body. (Non-ASCII secrets are outside RFC 6749 Appendix A's `VSCHAR`
/// (%x20-7E), and oidc-provider refuses to register a client with one; the
/// engine's encoding of non-ASCII is covered against the dev server by the
/// conformance vectors `encoding-*`.)
#[tokio::test]
#[ignore = "needs Node.js and tests/interop/node_modules: run scripts/test-interop.sh"]
async fn special_characters_survive_basic_and_post_encoding() {
    let special: Vec<_> = clients()
        .into_iter()
        .filter(|(_, s, _)| {
            [':', '%', '+', '/', '=', ' ']
                .iter()
                .all(|c| s.contains(*c))
        })
        .collect();
    let methods: Vec<&str> = special.iter().map(|(_, _, m)| m.as_str()).collect();
    assert!(
        methods.contains(&"client_secret_basic") && methods.contains(&"client_secret_post"),
        "clients.json has a special secret for both methods: {methods:?}"
    );
    for (id, secret, method) in special {
        let client = builder(&id, &secret, &method).build().unwrap();
        let token = client
            .get_token(&TokenRequest::new().resource(["https://api.example.com/"]))
            .await
            .unwrap_or_else(|e| panic!("{id} ({method}): {e}"));
        assert_eq!(jwt_parts(token.access_token()).1["client_id"], id.as_str());
    }
}

#[tokio::test]
#[ignore = "needs Node.js and tests/interop/node_modules: run scripts/test-interop.sh"]
async fn a_wrong_secret_is_an_oauth_invalid_client_error() {
    for (id, secret, method) in clients() {
        let wrong = format!("{secret}-wrong");
        let client = builder(&id, &wrong, &method).build().unwrap();
        let err = client
            .get_token(&TokenRequest::new().resource(["https://api.example.com/"]))
            .await
            .expect_err("a wrong secret is refused");
        assert_eq!(err.kind(), ErrorKind::OAuth, "{id}: {err}");
        match err.detail() {
            ErrorDetail::OAuth { error, status, .. } => {
                assert_eq!(error, "invalid_client", "{id}");
                assert_eq!(*status, 401, "{id}");
            }
            other => panic!("{id}: {other:?}"),
        }
        assert_eq!(client.stats().fetches, 1, "never retried");
        let shown = format!("{err} {err:?}");
        let form: String = form_urlencoded::byte_serialize(wrong.as_bytes()).collect();
        assert!(
            !shown.contains(&wrong) && !shown.contains(&form),
            "{id}: {shown}"
        );
    }
}

#[tokio::test]
#[ignore = "needs Node.js and tests/interop/node_modules: run scripts/test-interop.sh"]
async fn discovery_from_the_issuer_finds_the_token_endpoint() {
    let p = provider();
    let (id, secret, method) = clients().remove(0);
    let client = TokenClient::builder()
        .issuer(p.issuer.clone())
        .client_id(id.clone())
        .client_secret(secret)
        .auth_method_name(method)
        .resource(["https://discovered.example.com/"])
        .no_proxy()
        .build()
        .unwrap();
    let token = client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_or_else(|e| panic!("discovery from {}: {e}", p.issuer));
    // The token came from the endpoint the metadata names (`{issuer}/token`,
    // not the Auth0-style `/oauth/token`), for the requested audience.
    let (_, claims) = jwt_parts(token.access_token());
    assert_eq!(claims["aud"], "https://discovered.example.com/");
    assert_eq!(claims["iss"], p.issuer.as_str());
    assert_eq!(p.token_endpoint, format!("{}/token", p.issuer));
}

/// The verifier on a real, independent server's tokens (issue #13):
/// oidc-provider's RS256 `at+jwt` access tokens verify with the `issuer`
/// option alone (keys found through its discovery document), and are
/// refused for another audience or another issuer.
#[tokio::test]
#[ignore = "needs Node.js and tests/interop/node_modules: run scripts/test-interop.sh"]
async fn the_verifier_accepts_oidc_provider_tokens_through_discovery() {
    let p = provider();
    let (id, secret, method) = clients().remove(0);
    let api = "https://verified.example.com/";
    let client = builder(&id, &secret, &method)
        .resource([api])
        .build()
        .unwrap();
    let token = client
        .get_token(&TokenRequest::default().scope(["read:data"]))
        .await
        .unwrap();
    let (header, _) = jwt_parts(token.access_token());
    assert_eq!(header["typ"], "at+jwt");
    let verifier = |issuer: &str, audience: &str| {
        m2m_auth::Verifier::builder()
            .issuer(issuer)
            .audience(audience)
            .build()
            .unwrap()
    };
    let claims = verifier(&p.issuer, api)
        .verify(token.access_token())
        .await
        .unwrap_or_else(|e| panic!("oidc-provider token refused: {e}"));
    assert_eq!(claims.issuer(), p.issuer.as_str());
    assert_eq!(claims.client_id(), Some(id.as_str()));
    assert!(claims.has_scope("read:data"), "{:?}", claims.scopes());
    let other = verifier(&p.issuer, "https://other.example.com/")
        .verify(token.access_token())
        .await
        .unwrap_err();
    assert!(
        matches!(
            other.field("reason"),
            Some(m2m_auth::FieldValue::Text("wrong_audience"))
        ),
        "{other}"
    );
}

/// oidc-provider's ES256 `at+jwt` tokens (resources under
/// https://es256.example.com/ are signed with its P-256 key) verify through
/// discovery too.
#[tokio::test]
#[ignore = "needs Node.js and tests/interop/node_modules: run scripts/test-interop.sh"]
async fn the_verifier_accepts_oidc_provider_es256_tokens() {
    let p = provider();
    let (id, secret, method) = clients().remove(1);
    // The server signs tokens for resources under this prefix with its P-256 key.
    let api = "https://es256.example.com/orders";
    let client = builder(&id, &secret, &method)
        .resource([api])
        .build()
        .unwrap();
    let token = client
        .get_token(&TokenRequest::default().scope(["write:data"]))
        .await
        .unwrap();
    let (header, _) = jwt_parts(token.access_token());
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["typ"], "at+jwt");
    let claims = m2m_auth::Verifier::builder()
        .issuer(p.issuer.as_str())
        .audience(api)
        .build()
        .unwrap()
        .verify(token.access_token())
        .await
        .unwrap_or_else(|e| panic!("oidc-provider ES256 token refused: {e}"));
    assert_eq!(claims.client_id(), Some(id.as_str()));
    assert!(claims.has_scope("write:data"), "{:?}", claims.scopes());
}

/// `tests/interop/clients.json`'s `assertion_clients`: private_key_jwt with
/// RS256, PS256, ES256 and EdDSA test keys (core/tests/verify_keys, whose
/// public halves oidc-provider registers), and client_secret_jwt.
fn assertion_client(c: &Value) -> TokenClient {
    let s = |k: &str| c[k].as_str().map(str::to_string);
    let mut b = TokenClient::builder()
        .token_url(provider().token_endpoint.clone())
        .client_id(s("client_id").unwrap())
        .auth_method_name(s("token_endpoint_auth_method").unwrap())
        .signing_alg(s("signing_alg").unwrap())
        .no_proxy();
    if let Some(key) = s("key") {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/verify_keys/{key}.pem"));
        b = b.private_key_file(path.to_string_lossy());
    }
    if let Some(secret) = s("client_secret") {
        b = b.client_secret(secret);
    }
    b.build().unwrap()
}

/// Every assertion method against oidc-provider, which checks the
/// signature with the registered key (or the secret), `iss`/`sub`/`aud`/
/// `exp` and refuses a `jti` it has seen.
#[tokio::test]
#[ignore = "needs Node.js and tests/interop/node_modules: run scripts/test-interop.sh"]
async fn every_assertion_method_gets_tokens_from_oidc_provider() {
    for c in config()["assertion_clients"].as_array().unwrap() {
        let client = assertion_client(c);
        for _ in 0..3 {
            let token = client
                .fetch_token(&TokenRequest::default())
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", c["client_id"]));
            let (_, claims) = jwt_parts(token.access_token());
            assert_eq!(claims["client_id"], c["client_id"]);
        }
    }
}

/// 1,000 consecutive token requests with private_key_jwt succeed: a new
/// assertion (and `jti`) each time, as oidc-provider refuses a reused one.
#[tokio::test]
#[ignore = "needs Node.js and tests/interop/node_modules: run scripts/test-interop.sh"]
async fn a_thousand_private_key_jwt_requests_in_a_row() {
    let clients = config();
    let c = &clients["assertion_clients"][2];
    assert_eq!(c["signing_alg"], "ES256");
    let client = assertion_client(c);
    for i in 0..1000 {
        client
            .fetch_token(&TokenRequest::default())
            .await
            .unwrap_or_else(|e| panic!("request {i}: {e}"));
    }
}
