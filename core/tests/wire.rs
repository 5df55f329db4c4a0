//! docs/design.md §1–§3 on the wire: the request we send, the https rule, what we
//! accept back.

mod common;

use std::time::Duration;

use common::*;
use m2m_auth::{AuthMethod, ErrorDetail, ErrorKind, TokenClient, TokenRequest};
use m2m_auth_devserver::secret_fingerprint;
use serde_json::json;

#[tokio::test]
async fn the_request_is_a_form_post_with_the_right_headers() {
    let env = env().await;
    let client = env
        .builder()
        .audience("https://api.example.com")
        .scope(["read:data"])
        .build()
        .unwrap();
    client.get_token(&TokenRequest::default()).await.unwrap();
    let r = &env.server.requests()[0];
    assert_eq!(r.method, "POST");
    assert_eq!(
        r.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(r.headers["accept"], "application/json");
    assert_eq!(
        r.headers["user-agent"],
        format!("m2m-auth/{} (rust)", env!("CARGO_PKG_VERSION"))
    );
    assert!(!r.headers.contains_key("authorization"));
    let f = form(&r.body);
    assert_eq!(f[0], ("grant_type".into(), "client_credentials".into()));
    assert_eq!(field(&r.body, "client_id"), Some(env.client_id.clone()));
    // The dev server records the secret as its fingerprint (PROTOCOL.md).
    assert_eq!(
        field(&r.body, "client_secret"),
        Some(secret_fingerprint(&env.secret))
    );
    assert_eq!(
        field(&r.body, "audience").as_deref(),
        Some("https://api.example.com")
    );
    assert_eq!(field(&r.body, "scope").as_deref(), Some("read:data"));
}

#[tokio::test]
async fn basic_auth_form_encodes_id_and_secret_first() {
    let env = env_with(3600, Some("a b:c"), Some("p+%/=:é")).await;
    let client = env
        .builder()
        .auth_method(AuthMethod::ClientSecretBasic)
        .build()
        .unwrap();
    client
        .get_token(&TokenRequest::default())
        .await
        .expect("the server decodes RFC 6749 §2.3.1");
    let r = &env.server.requests()[0];
    use base64::Engine;
    let expected =
        base64::engine::general_purpose::STANDARD.encode("a+b%3Ac:p%2B%25%2F%3D%3A%C3%A9");
    assert_eq!(
        r.headers["authorization"],
        format!("Basic {}", secret_fingerprint(&expected))
    );
    assert_eq!(field(&r.body, "client_secret"), None);
    // And the same credentials in the body with client_secret_post.
    let post = env.builder().audience("https://post").build().unwrap();
    post.get_token(&TokenRequest::default()).await.unwrap();
    let r = &env.server.requests()[1];
    assert_eq!(field(&r.body, "client_id").as_deref(), Some("a b:c"));
    assert_eq!(
        field(&r.body, "client_secret"),
        Some(secret_fingerprint("p+%/=:é"))
    );
}

#[test]
fn http_is_refused_for_non_loopback_hosts_before_any_io() {
    let build = |url: &str| {
        TokenClient::builder()
            .token_url(url)
            .client_id("x")
            .client_secret("y")
            .build()
    };
    for bad in [
        "http://example.com/oauth/token",
        "http://10.0.0.1/token",
        "ftp://example.com/t",
        "not a url",
    ] {
        assert_eq!(build(bad).unwrap_err().kind(), ErrorKind::Config, "{bad}");
    }
    for good in [
        "https://example.com/oauth/token",
        "http://127.0.0.1:8080/token",
        "http://127.9.9.9/token",
        "http://[::1]:8080/token",
        "http://localhost/token",
    ] {
        build(good).unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    let by_domain = TokenClient::builder()
        .domain("tenant.auth0.com")
        .client_id("x")
        .client_secret("y")
        .build();
    assert!(format!("{:?}", by_domain.unwrap()).contains("https://tenant.auth0.com/oauth/token"));
    let issuer = TokenClient::builder()
        .issuer("http://evil.example")
        .client_id("x")
        .client_secret("y")
        .build();
    assert_eq!(issuer.unwrap_err().kind(), ErrorKind::Config);
}

#[test]
fn missing_or_conflicting_options_are_config_errors() {
    let base = || TokenClient::builder().client_id("x").client_secret("y");
    assert_eq!(base().build().unwrap_err().kind(), ErrorKind::Config);
    let two = base()
        .token_url("https://a.example/t")
        .domain("b.example")
        .build();
    assert_eq!(two.unwrap_err().kind(), ErrorKind::Config);
    let no_secret = TokenClient::builder()
        .token_url("https://a.example/t")
        .client_id("x")
        .build();
    assert_eq!(no_secret.unwrap_err().kind(), ErrorKind::Config);
    let method = base()
        .token_url("https://a.example/t")
        .auth_method_name("magic")
        .build();
    assert_eq!(method.unwrap_err().kind(), ErrorKind::Config);
    let extra = base()
        .token_url("https://a.example/t")
        .extra("client_secret", "x")
        .build();
    assert_eq!(extra.unwrap_err().kind(), ErrorKind::Config);
    let resource = base()
        .token_url("https://a.example/t")
        .resource(["relative/path"])
        .build();
    assert_eq!(resource.unwrap_err().kind(), ErrorKind::Config);
    let cache = base()
        .token_url("https://a.example/t")
        .cache("memcached://x")
        .build();
    assert_eq!(cache.unwrap_err().kind(), ErrorKind::Config);
}

#[test]
fn from_env_reads_the_m2m_auth_variables() {
    let vars = [
        ("M2M_AUTH_TOKEN_URL", "http://127.0.0.1:1/oauth/token"),
        ("M2M_AUTH_CLIENT_ID", "env-client"),
        ("M2M_AUTH_CLIENT_SECRET", "env-secret"),
        ("M2M_AUTH_AUTH_METHOD", "client_secret_basic"),
        ("M2M_AUTH_AUDIENCE", "https://api"),
        ("M2M_AUTH_SCOPE", "b a"),
        ("M2M_AUTH_CACHE", "memory"),
    ];
    let get = |n: &str| {
        vars.iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| v.to_string())
    };
    let client = TokenClient::builder().from_vars(get).build().unwrap();
    assert_eq!(client.client_id(), "env-client");
    assert_eq!(client.auth_method(), AuthMethod::ClientSecretBasic);
    let dbg = format!("{client:?}");
    assert!(
        dbg.contains("\"a\", \"b\"") && dbg.contains("https://api"),
        "{dbg}"
    );
    assert!(!dbg.contains("env-secret"));
}

#[tokio::test]
async fn expires_in_is_tolerant_but_strict() {
    for (value, expect) in [
        (json!("3600"), Some(3600)),
        (json!(120), Some(120)),
        (json!(null), Some(600)),
        (json!(99999999999u64), Some(365 * 24 * 3600)),
        (json!(-5), None),
        (json!("zzz"), None),
        (json!("-5"), None),
        (json!(true), None),
        (json!([1]), None),
    ] {
        let env = env().await;
        env.faults(json!([{"token": {"expires_in": value.clone()}}]), false);
        let got = env.client().get_token(&TokenRequest::default()).await;
        match (expect, got) {
            (Some(secs), Ok(t)) => {
                let left = t.expires_in().as_secs();
                assert!(left + 5 >= secs && left <= secs, "{value}: {left}");
            }
            (None, Err(e)) => assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{value}"),
            (want, got) => panic!("{value}: wanted {want:?}, got {got:?}"),
        }
    }
    let env = env().await;
    env.faults(json!([{"remove": ["expires_in"]}]), false);
    let t = env
        .client()
        .get_token(&TokenRequest::default())
        .await
        .unwrap();
    assert!((595..=600).contains(&t.expires_in().as_secs()));
}

#[tokio::test]
async fn malformed_200s_are_invalid_responses_not_retried() {
    let big = "x".repeat(33 * 1024);
    for step in [
        json!({"status": 200, "body": "<html>oops</html>"}),
        json!({"status": 200, "json": [1, 2]}),
        json!({"status": 200, "body": "{\"access_token\":"}),
        json!({"remove": ["access_token"]}),
        json!({"token": {"access_token": ""}}),
        json!({"token": {"access_token": 42}}),
        json!({"token": {"access_token": big}}),
        json!({"remove": ["token_type"]}),
        json!({"token": {"token_type": "mac"}}),
        json!({"token": {"token_type": "DPoP"}}),
        json!({"token": {"scope": ["a"]}}),
    ] {
        let env = env().await;
        env.faults(json!([step.clone()]), true);
        let err = env
            .client()
            .get_token(&TokenRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{step}: {err}");
        assert_eq!(env.requests(), 1, "{step}");
    }
}

#[tokio::test]
async fn token_fields_scope_case_and_extras() {
    let env = env().await;
    env.faults(
        json!([{"token": {"token_type": "bearer", "id_hint": 7}}]),
        false,
    );
    let client = env.builder().scope(["read", "write"]).build().unwrap();
    let t = client.get_token(&TokenRequest::default()).await.unwrap();
    assert_eq!(t.token_type(), "Bearer");
    assert_eq!(
        t.scope(),
        Some("read write"),
        "absent scope means the requested scope"
    );
    assert_eq!(t.extra()["id_hint"], json!(7));
    assert_eq!(
        t.authorization_header(),
        format!("Bearer {}", t.access_token())
    );
}

#[tokio::test]
async fn html_502_is_an_http_error_with_at_most_512_bytes() {
    let env = env().await;
    let html = format!("<html><body>{}</body></html>", "bad gateway ".repeat(300));
    env.faults(json!([{"status": 502, "body": html}]), true);
    let err = env
        .client()
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    match err.into_detail() {
        ErrorDetail::Http { status: 502, body } => {
            assert!(
                body.len() <= 512 && body.starts_with("<html>"),
                "{}",
                body.len()
            )
        }
        e => panic!("{e:?}"),
    }
}

fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(0)
        * 4
}

#[tokio::test]
async fn ten_mib_and_endless_bodies_are_refused_with_flat_memory() {
    let env = env().await;
    let client = env.client();
    env.faults(json!([{"body_bytes": 10 * 1024 * 1024}]), true);
    let before = rss_kib();
    for _ in 0..5 {
        let err = client
            .get_token(&TokenRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
    }
    env.faults(json!([{"endless": true}]), true);
    let err = client
        .get_token(&TokenRequest::new().audience("https://endless"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
    let grown = rss_kib().saturating_sub(before);
    println!("RSS grew by {grown} KiB over five 10 MiB bodies and one endless body");
    assert!(grown < 16 * 1024, "RSS grew by {grown} KiB");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let env = env().await;
    let other = env_with(3600, Some(&env.client_id), Some(&env.secret)).await;
    env.faults(json!([{"redirect": other.server.token_url()}]), true);
    let err = env
        .client()
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err.detail(), ErrorDetail::Http { status: 302, .. }),
        "{err:?}"
    );
    assert_eq!(other.requests(), 0);
}

#[tokio::test]
async fn a_reset_connection_is_a_transport_error() {
    let env = env().await;
    env.faults(json!([{"reset": true}]), true);
    let client = env
        .builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let err = client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert_eq!(env.requests(), 3);
}

#[tokio::test]
async fn call_api_sends_the_bearer_token_and_renews_once_on_401() {
    let env = env().await;
    let client = env.client();
    let api = env.server.api_url();
    let req = TokenRequest::default();
    let call = || client.call_api(&req, "GET", &api, &[], None);
    let counts = || (env.requests(), env.server.stats().api_requests);
    let api_faults = |repeat: bool| {
        let steps: Vec<FaultStep> = serde_json::from_value(json!([{"status": 401}])).unwrap();
        env.server.set_faults(Target::Api, steps, repeat);
    };

    let ok = call().await.unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(counts(), (1, 1));

    // One 401: the token is renewed once and the call succeeds.
    api_faults(false);
    assert_eq!(call().await.unwrap().status, 200);
    assert_eq!(counts(), (2, 3));

    // Always 401: exactly one renewal, then the 401 is returned.
    api_faults(true);
    assert_eq!(call().await.unwrap().status, 401);
    assert_eq!(counts(), (3, 5));

    let refused = client
        .call_api(
            &TokenRequest::default(),
            "GET",
            "http://example.com/api",
            &[],
            None,
        )
        .await;
    assert_eq!(refused.unwrap_err().kind(), ErrorKind::Config);
}

/// Issue #11 item 6: a server's OAuth error fields are bounded like an HTTP
/// body excerpt (512 bytes each), whatever it sends.
#[tokio::test]
async fn oauth_error_fields_are_bounded() {
    let env = env().await;
    let huge = "é".repeat(100_000); // 200 KB of two-byte characters
    env.faults(
        json!([{"status": 400, "json": {"error": format!("invalid_request{huge}"),
            "error_description": huge, "error_uri": format!("https://e.example/{huge}")}}]),
        false,
    );
    let err = env
        .client()
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    match err.detail() {
        ErrorDetail::OAuth {
            error,
            error_description,
            error_uri,
            status,
        } => {
            assert_eq!(*status, 400);
            assert!(error.starts_with("invalid_request") && error.len() <= 512);
            assert!(error_description
                .as_ref()
                .is_some_and(|d| d.len() <= 512 && !d.is_empty()));
            assert!(error_uri.as_ref().is_some_and(|u| u.len() <= 512));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().len() < 2048);
}
