//! `request_headers` and `dpop_response`: the one rule for which headers a
//! token goes with and how its answer is read, which `call_api` and every
//! language's HTTP adapters follow. The headers are sent to the dev
//! server's `/api` over a plain connection (it checks DPoP-bound tokens and
//! their proofs), so no HTTP client of this crate is involved.

mod common;

use base64::Engine as _;
use common::*;
use m2m_auth::{ErrorKind, MemoryCache, Token, TokenClient, TokenRequest};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NONCE_CHALLENGE: &str = r#"DPoP error="use_dpop_nonce", algs="ES256""#;

fn dpop_client(env: &Env) -> TokenClient {
    env.builder()
        .dpop(true)
        .memory_cache(MemoryCache::new(100))
        .build()
        .unwrap()
}

async fn token(client: &TokenClient) -> Token {
    client.get_token(&TokenRequest::new()).await.unwrap()
}

/// The claims of a proof (its signature is checked in dpop.rs and by the
/// dev server here).
fn claims(proof: &str) -> Value {
    let part = proof.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// An answer's status and its `WWW-Authenticate` and `DPoP-Nonce` headers.
struct Answer {
    status: u16,
    www_authenticate: Option<String>,
    dpop_nonce: Option<String>,
}

/// `GET /api` with `headers`, over a raw connection.
async fn get_api(env: &Env, headers: &m2m_auth::RequestHeaders) -> Answer {
    let addr = env.server.local_addr();
    let mut req = format!(
        "GET /api HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nAuthorization: {}\r\n",
        addr.port(),
        headers.authorization
    );
    if let Some(p) = &headers.dpop {
        req.push_str(&format!("DPoP: {p}\r\n"));
    }
    req.push_str("\r\n");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let head = out.split("\r\n\r\n").next().unwrap();
    let header = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    };
    Answer {
        status: head.split(' ').nth(1).unwrap().parse().unwrap(),
        www_authenticate: header("www-authenticate"),
        dpop_nonce: header("dpop-nonce"),
    }
}

#[tokio::test]
async fn a_bearer_token_gets_authorization_only() {
    let env = env().await;
    let client = env.client();
    let t = token(&client).await;
    let api = env.server.api_url();
    let h = client.request_headers("GET", &api, &t).unwrap();
    assert_eq!(h.authorization, t.authorization_header());
    assert!(h.authorization.starts_with("Bearer "));
    assert_eq!(h.dpop, None);
    assert_eq!(get_api(&env, &h).await.status, 200);
    // Any method an HTTP client takes: none goes into a proof.
    assert!(client.request_headers("M-SEARCH", &api, &t).is_ok());
    // Nothing secret in Debug.
    let debug = format!("{h:?}");
    assert!(!debug.contains(t.access_token()), "{debug}");
    assert!(debug.contains("dpop: None"), "{debug}");
}

#[tokio::test]
async fn the_url_rule_is_checked() {
    let env = env().await;
    let client = dpop_client(&env);
    let t = token(&client).await;
    for bad in [
        "http://example.com/api",
        "https://user:pw@example.com/api",
        "https://example.com/api#f",
        "ftp://example.com/",
        "not a url",
    ] {
        let e = client.request_headers("GET", bad, &t).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{bad}");
    }
    let e = client
        .request_headers("GE T", &env.server.api_url(), &t)
        .unwrap_err();
    assert!(e.to_string().contains("HTTP method"), "{e}");
    // A DPoP token with a client without DPoP: no key to prove it with.
    let e = env
        .client()
        .request_headers("GET", &env.server.api_url(), &t)
        .unwrap_err();
    assert!(e.to_string().contains("dpop on"), "{e}");
}

#[tokio::test]
async fn a_dpop_token_gets_a_proof_of_the_request_and_the_servers_nonce() {
    let env = env().await;
    let client = dpop_client(&env);
    let t = token(&client).await;
    assert_eq!(t.token_type(), "DPoP");
    let api = env.server.api_url();
    let h = client.request_headers("GET", &api, &t).unwrap();
    assert_eq!(h.authorization, t.authorization_header());
    assert!(h.authorization.starts_with("DPoP "));
    let proof = h.dpop.clone().expect("a proof");
    let c = claims(&proof);
    assert_eq!(
        (c["htm"].as_str(), c["htu"].as_str()),
        (Some("GET"), Some(api.as_str()))
    );
    let ath = ring::digest::digest(&ring::digest::SHA256, t.access_token().as_bytes());
    assert_eq!(
        c["ath"],
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ath)
    );
    assert!(c.get("nonce").is_none());
    let debug = format!("{h:?}");
    assert!(
        !debug.contains(t.access_token()) && !debug.contains(&proof),
        "{debug}"
    );
    assert_eq!(get_api(&env, &h).await.status, 200);

    // The API demands a nonce: the answer says retry, the next headers
    // carry it and pass.
    env.server.set_dpop_nonce(false, true);
    let h = client.request_headers("GET", &api, &t).unwrap();
    let a = get_api(&env, &h).await;
    assert_eq!(a.status, 401);
    let retry = client.dpop_response(
        &api,
        &t,
        a.status,
        a.www_authenticate.as_deref(),
        a.dpop_nonce.as_deref(),
    );
    assert!(retry, "use_dpop_nonce names the one retry");
    let h = client.request_headers("GET", &api, &t).unwrap();
    assert_eq!(
        claims(h.dpop.as_ref().unwrap())["nonce"].as_str(),
        a.dpop_nonce.as_deref()
    );
    assert_eq!(get_api(&env, &h).await.status, 200);
}

/// `dpop_response` for a DPoP token: every nonce is remembered for its
/// origin; only a 401 `use_dpop_nonce` DPoP challenge with a nonce asks
/// for one more request.
#[tokio::test]
async fn dpop_response_remembers_nonces_and_names_the_one_retry() {
    let env = env().await;
    let client = dpop_client(&env);
    let t = token(&client).await;
    let api = "http://127.0.0.1:9/data";
    let nonce = |url: &str| {
        let h = client.request_headers("GET", url, &t).unwrap();
        claims(&h.dpop.unwrap())["nonce"]
            .as_str()
            .map(str::to_string)
    };
    let challenge = Some(NONCE_CHALLENGE);
    assert!(client.dpop_response(api, &t, 401, challenge, Some("n-1")));
    assert_eq!(nonce(api).as_deref(), Some("n-1"));
    // Not a retry, though the nonce is kept: another status, another
    // challenge, no nonce, an empty one.
    assert!(!client.dpop_response(api, &t, 200, None, Some("n-2")));
    assert_eq!(nonce(api).as_deref(), Some("n-2"));
    let bearer_challenge = Some(r#"Bearer error="invalid_token""#);
    assert!(!client.dpop_response(api, &t, 401, bearer_challenge, Some("n-3")));
    assert!(!client.dpop_response(api, &t, 401, challenge, None));
    assert!(!client.dpop_response(api, &t, 401, challenge, Some(" ")));
    assert!(!client.dpop_response(api, &t, 400, challenge, Some("n-4")));
    assert!(!client.dpop_response("not a url", &t, 401, challenge, Some("n")));
    // Another origin has its own nonce.
    assert_eq!(nonce("http://127.0.0.1:10/data"), None);
    assert!(client.dpop_response(&format!("{api}?q=1"), &t, 401, challenge, Some("n-6")));
}

/// A Bearer token's answer is no DPoP answer: false, and nothing is
/// remembered (the rule the adapters held before it moved here).
#[tokio::test]
async fn dpop_response_with_a_bearer_token_is_false_and_remembers_nothing() {
    let env = env().await;
    let client = dpop_client(&env);
    let dpop = token(&client).await;
    let bearer = token(&env.client()).await;
    let api = "http://127.0.0.1:9/data";
    assert!(!client.dpop_response(api, &bearer, 401, Some(NONCE_CHALLENGE), Some("n-1")));
    let h = client.request_headers("GET", api, &dpop).unwrap();
    assert!(claims(&h.dpop.unwrap()).get("nonce").is_none());
    // A client without DPoP says no to either.
    let plain = env.client();
    assert!(!plain.dpop_response(api, &bearer, 401, Some(NONCE_CHALLENGE), Some("n")));
    assert!(!plain.dpop_response(api, &dpop, 401, Some(NONCE_CHALLENGE), Some("n")));
    assert_eq!(plain.dpop_thumbprint(), None);
}

/// The redirect rule the adapters of every language ask the engine for:
/// a token's headers follow a redirect to the first request's origin only.
#[test]
fn redirects_carry_the_headers_to_the_same_origin_only() {
    use m2m_auth::same_origin;
    let first = "https://api.example.com/things?page=1";
    assert!(same_origin(first, "https://api.example.com/other#x"));
    assert!(same_origin(first, "https://API.example.com:443/"));
    assert!(same_origin(
        "http://127.0.0.1:8080/a",
        "http://127.0.0.1:8080/b"
    ));
    for other in [
        "http://api.example.com/things",
        "https://api.example.com:8443/things",
        "https://evil.example.com/things",
        "https://api.example.com.evil.example/",
        "/relative",
        "not a url",
    ] {
        assert!(!same_origin(first, other), "{other}");
    }
    assert!(!same_origin("data:text/plain,x", "data:text/plain,x"));
}
