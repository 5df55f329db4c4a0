//! The token endpoint: client authentication (post and Basic, with awkward
//! credentials), grant and content type, scopes, audiences, organization.

use base64::Engine as _;
use m2m_auth_devserver::ClientConfig;
use serde_json::json;

use crate::support::{demo_token, http, jwt_parts, post_form, start, FORM};

#[tokio::test]
async fn token_post_and_basic_with_awkward_credentials() {
    let srv = start().await;
    let addr = srv.local_addr();
    srv.add_client(ClientConfig::new("a b:c", "p+%/=:é"));
    let id_form = "a+b%3Ac";
    let secret_form = "p%2B%25%2F%3D%3A%C3%A9";

    // client_secret_basic, form-encoded per RFC 6749 §2.3.1.
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{id_form}:{secret_form}"));
    let auth = format!("Basic {basic}");
    let r = http(
        addr,
        "POST",
        "/oauth/token",
        &[FORM, ("Authorization", &auth)],
        b"grant_type=client_credentials",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let j = r.json();
    assert_eq!(j["token_type"], "Bearer");
    assert_eq!(j["expires_in"], 86400);
    assert!(
        j.get("scope").is_none(),
        "no scopes configured → no scope field"
    );
    let (h, c) = jwt_parts(j["access_token"].as_str().unwrap());
    assert_eq!(
        h,
        json!({"alg": "RS256", "typ": "at+jwt", "kid": "m2m-auth-dev-1"})
    );
    assert_eq!(c["iss"], srv.issuer());
    assert_eq!(c["sub"], "a b:c");
    assert_eq!(c["client_id"], "a b:c");
    assert_eq!(c["gty"], "client-credentials");
    assert_eq!(c["aud"], srv.url(), "default audience is the issuer");
    assert_eq!(
        c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(),
        86400
    );
    assert!(c["jti"].is_string() && c["nbf"].is_u64());

    // client_secret_post.
    let r = post_form(
        addr,
        &format!("grant_type=client_credentials&client_id={id_form}&client_secret={secret_form}"),
    )
    .await;
    assert_eq!(r.status, 200);

    // Wrong secret → 401 invalid_client, WWW-Authenticate only for Basic.
    let bad = base64::engine::general_purpose::STANDARD.encode(format!("{id_form}:nope"));
    let auth = format!("Basic {bad}");
    let r = http(
        addr,
        "POST",
        "/oauth/token",
        &[FORM, ("Authorization", &auth)],
        b"grant_type=client_credentials",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "invalid_client");
    assert_eq!(
        r.header("www-authenticate"),
        Some(r#"Basic realm="m2m-auth-devserver""#)
    );
    let r = post_form(
        addr,
        &format!("grant_type=client_credentials&client_id={id_form}&client_secret=nope"),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "invalid_client");
    assert_eq!(r.header("www-authenticate"), None);

    // Both methods at once → 400 invalid_request.
    let auth = format!("Basic {basic}");
    let r = http(
        addr,
        "POST",
        "/oauth/token",
        &[FORM, ("Authorization", &auth)],
        format!("grant_type=client_credentials&client_secret={secret_form}").as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_request");

    // Grant type, content type.
    let r = post_form(
        addr,
        "grant_type=password&client_id=demo-client&client_secret=demo-secret",
    )
    .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "unsupported_grant_type")
    );
    let r = http(
        addr,
        "POST",
        "/oauth/token",
        &[("Content-Type", "application/json")],
        b"{}",
    )
    .await
    .unwrap();
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_request")
    );

    // Method not allowed by the client.
    srv.add_client(ClientConfig {
        auth_methods: Some(vec!["client_secret_basic".into()]),
        ..ClientConfig::new("basic-only", "s")
    });
    let r = post_form(
        addr,
        "grant_type=client_credentials&client_id=basic-only&client_secret=s",
    )
    .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn scopes_audiences_and_organization() {
    let srv = start().await;
    let addr = srv.local_addr();
    let creds = "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret";
    let j = demo_token(addr).await.json();
    assert_eq!(j["scope"], "read:data write:data");
    let (_, c) = jwt_parts(j["access_token"].as_str().unwrap());
    assert_eq!(c["aud"], "https://api.example.com");

    let r = post_form(addr, &format!("{creds}&scope=read:data+admin&audience=https%3A%2F%2Fapi.example.com&organization=org_1")).await;
    let j = r.json();
    assert_eq!(j["scope"], "read:data");
    let (_, c) = jwt_parts(j["access_token"].as_str().unwrap());
    assert_eq!(c["scope"], "read:data");
    assert_eq!(c["org_id"], "org_1");

    let r = post_form(addr, &format!("{creds}&scope=admin")).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_scope")
    );
    let r = post_form(
        addr,
        &format!("{creds}&audience=https%3A%2F%2Fevil.example"),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (403, "access_denied")
    );

    srv.add_client(ClientConfig::new("open", "s"));
    let r = post_form(addr, "grant_type=client_credentials&client_id=open&client_secret=s&audience=x&resource=y&resource=z&scope=anything").await;
    let j = r.json();
    assert!(j.get("scope").is_none());
    let (_, c) = jwt_parts(j["access_token"].as_str().unwrap());
    assert_eq!(c["aud"], json!(["x", "y", "z"]));
    assert_eq!(c["scope"], "anything");
}
