//! Discovery, JWKS, and the protected `/api` (valid and rejected tokens).

use serde_json::{json, Value};

use crate::support::{demo_token, http, start};

#[tokio::test]
async fn discovery_jwks_and_api() {
    let srv = start().await;
    let addr = srv.local_addr();
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let d = http(addr, "GET", path, &[], b"").await.unwrap().json();
        assert_eq!(d["issuer"], srv.issuer());
        assert_eq!(d["token_endpoint"], srv.token_url());
        assert_eq!(d["jwks_uri"], srv.jwks_uri());
        assert_eq!(d["grant_types_supported"], json!(["client_credentials"]));
    }
    let jwks = http(addr, "GET", "/.well-known/jwks.json", &[], b"")
        .await
        .unwrap()
        .json();
    let key = &jwks["keys"][0];
    assert_eq!(key["kid"], "m2m-auth-dev-1");
    assert_eq!(key["kty"], "RSA");

    // The token verifies against the published JWKS.
    let tok = demo_token(addr).await.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let dk = jsonwebtoken::DecodingKey::from_rsa_components(
        key["n"].as_str().unwrap(),
        key["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.validate_aud = false;
    jsonwebtoken::decode::<Value>(&tok, &dk, &v).unwrap();

    // /api accepts it (GET and POST) ...
    let bearer = format!("Bearer {tok}");
    for m in ["GET", "POST"] {
        let r = http(addr, m, "/api", &[("Authorization", &bearer)], b"")
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        let j = r.json();
        assert_eq!(j["ok"], true);
        assert_eq!(j["sub"], "demo-client");
        assert_eq!(j["client_id"], "demo-client");
        assert_eq!(j["aud"], "https://api.example.com");
        assert_eq!(j["scope"], "read:data write:data");
    }
    // ... and rejects garbage, a missing token, an expired one and a foreign issuer.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ek = jsonwebtoken::EncodingKey::from_rsa_pem(
        m2m_auth_devserver::keys::PRIVATE_KEY_PEM.as_bytes(),
    )
    .unwrap();
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    h.typ = Some("at+jwt".into());
    let expired = jsonwebtoken::encode(
        &h,
        &json!({"iss": srv.issuer(), "exp": now - 10, "sub": "x"}),
        &ek,
    )
    .unwrap();
    let foreign =
        jsonwebtoken::encode(&h, &json!({"iss": "http://other", "exp": now + 100}), &ek).unwrap();
    let mut h_jwt = h.clone();
    h_jwt.typ = Some("JWT".into());
    let wrong_typ =
        jsonwebtoken::encode(&h_jwt, &json!({"iss": srv.issuer(), "exp": now + 100}), &ek).unwrap();
    for auth in [
        Some("Bearer garbage".to_owned()),
        None,
        Some(format!("Bearer {expired}")),
        Some(format!("Bearer {foreign}")),
        Some(format!("Bearer {wrong_typ}")),
        Some(format!("Bearer {}x", &tok[..tok.len() - 1])),
    ] {
        let hdrs: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        let r = http(addr, "GET", "/api", &hdrs, b"").await.unwrap();
        assert_eq!(r.status, 401, "{auth:?}");
        assert_eq!(
            r.header("www-authenticate"),
            Some(r#"Bearer error="invalid_token""#)
        );
        assert_eq!(r.json()["error"], "invalid_token");
    }
    let s = srv.stats();
    assert_eq!(
        (
            s.discovery_requests,
            s.jwks_requests,
            s.api_requests,
            s.token_requests
        ),
        (2, 1, 8, 1)
    );
}
