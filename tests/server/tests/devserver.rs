//! End-to-end tests of the dev/fault server over real TCP, with a tiny raw
//! HTTP/1.1 client (no TLS stack needed, and it can observe resets, stalls
//! and endless bodies byte by byte).

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::Engine as _;
use m2m_auth_devserver::{ClientConfig, DevServer, FaultStep, ServerConfig, Target};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&self.body)))
    }
}

fn raw_request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut r = r.into_bytes();
    r.extend_from_slice(body);
    r
}

fn parse(raw: &[u8]) -> Resp {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = std::str::from_utf8(&raw[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v == "chunked")
    {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let n = usize::from_str_radix(std::str::from_utf8(&rest[..nl]).unwrap(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + n]);
            rest = &rest[nl + 2 + n + 2..];
        }
        body = out;
    }
    Resp {
        status,
        headers,
        body,
    }
}

async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<Resp> {
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(&raw_request(method, path, headers, body))
        .await?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await?;
    if raw.is_empty() {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "no response"));
    }
    Ok(parse(&raw))
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

async fn post_form(addr: SocketAddr, body: &str) -> Resp {
    http(addr, "POST", "/oauth/token", &[FORM], body.as_bytes())
        .await
        .unwrap()
}

async fn demo_token(addr: SocketAddr) -> Resp {
    post_form(
        addr,
        "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret",
    )
    .await
}

fn b64url_json(part: &str) -> Value {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn jwt_parts(jwt: &str) -> (Value, Value) {
    let mut it = jwt.split('.');
    (
        b64url_json(it.next().unwrap()),
        b64url_json(it.next().unwrap()),
    )
}

async fn start() -> DevServer {
    DevServer::start(ServerConfig::default()).await.unwrap()
}

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

#[tokio::test]
async fn fault_status_headers_count_and_repeat() {
    let srv = start().await;
    let addr = srv.local_addr();
    srv.set_faults(
        Target::Token,
        vec![
            FaultStep::status_json(503, json!({"error": "temporarily_unavailable"}))
                .header("Retry-After", "2")
                .times(2),
            FaultStep {
                status: Some(500),
                body: Some("<html>oops</html>".into()),
                ..Default::default()
            },
        ],
        false,
    );
    for _ in 0..2 {
        let r = demo_token(addr).await;
        assert_eq!(r.status, 503);
        assert_eq!(r.header("retry-after"), Some("2"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.json()["error"], "temporarily_unavailable");
    }
    let r = demo_token(addr).await;
    assert_eq!((r.status, &r.body[..]), (500, &b"<html>oops</html>"[..]));
    assert_eq!(
        demo_token(addr).await.status,
        200,
        "script exhausted → normal"
    );

    srv.set_faults(
        Target::Token,
        vec![FaultStep::status(500), FaultStep::status(429)],
        true,
    );
    assert_eq!(demo_token(addr).await.status, 500);
    for _ in 0..3 {
        assert_eq!(demo_token(addr).await.status, 429);
    }
    srv.clear_faults(Target::Token);
    assert_eq!(demo_token(addr).await.status, 200);
    assert_eq!(srv.stats().token_requests, 9);
}

#[tokio::test]
async fn fault_token_override_remove_and_redirect() {
    let srv = start().await;
    let addr = srv.local_addr();
    srv.set_faults(
        Target::Token,
        vec![
            FaultStep::token(json!({"expires_in": "3600", "token_type": "mac"})),
            FaultStep::token(json!({"access_token": null})),
            FaultStep::remove(["expires_in"]),
            FaultStep::redirect("http://127.0.0.1:1/elsewhere"),
            FaultStep {
                redirect: Some("/x".into()),
                status: Some(307),
                ..Default::default()
            },
        ],
        false,
    );
    let j = demo_token(addr).await.json();
    assert_eq!(
        (j["expires_in"].as_str(), j["token_type"].as_str()),
        (Some("3600"), Some("mac"))
    );
    assert!(j["access_token"].is_string());
    let j = demo_token(addr).await.json();
    assert!(j["access_token"].is_null() && j.get("access_token").is_some());
    let j = demo_token(addr).await.json();
    assert!(j.get("expires_in").is_none() && j["access_token"].is_string());
    let r = demo_token(addr).await;
    assert_eq!(
        (r.status, r.header("location")),
        (302, Some("http://127.0.0.1:1/elsewhere"))
    );
    let r = demo_token(addr).await;
    assert_eq!((r.status, r.header("location")), (307, Some("/x")));
}

#[tokio::test]
async fn fault_delay_reset_body_bytes() {
    let srv = start().await;
    let addr = srv.local_addr();
    srv.set_faults(
        Target::Token,
        vec![
            FaultStep::delay(200),
            FaultStep::reset(),
            FaultStep {
                body_bytes: Some(100_000),
                ..Default::default()
            },
            FaultStep {
                body_bytes: Some(5),
                status: Some(502),
                ..Default::default()
            },
        ],
        false,
    );
    let t = Instant::now();
    assert_eq!(demo_token(addr).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(200));

    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&raw_request(
        "POST",
        "/oauth/token",
        &[FORM],
        b"grant_type=client_credentials",
    ))
    .await
    .unwrap();
    let mut buf = Vec::new();
    let err = s
        .read_to_end(&mut buf)
        .await
        .expect_err("reset must not look like a clean close");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    assert!(buf.is_empty());

    let r = demo_token(addr).await;
    assert_eq!((r.status, r.body.len()), (200, 100_000));
    assert_eq!(r.header("content-length"), Some("100000"));
    assert!(r.body.starts_with(br#"{"access_token":"aaa"#));
    let r = demo_token(addr).await;
    assert_eq!((r.status, &r.body[..]), (502, &br#"{"acc"#[..]));
    assert_eq!(srv.stats().token_requests, 4);
}

#[tokio::test]
async fn fault_endless_and_stall() {
    let srv = start().await;
    let addr = srv.local_addr();
    srv.set_faults(
        Target::Token,
        vec![
            FaultStep {
                endless: true,
                ..Default::default()
            },
            FaultStep {
                stall_after_bytes: Some(10),
                stall_ms: Some(300),
                ..Default::default()
            },
        ],
        false,
    );
    // Endless: read 4 MiB, then hang up; the server must carry on.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&raw_request("POST", "/oauth/token", &[FORM], b""))
        .await
        .unwrap();
    let mut total = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    while total < 4 << 20 {
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0, "endless body ended");
        total += n;
    }
    drop(s);

    // Stall: headers + 10 bytes arrive at once, the rest ≥ 300 ms later.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&raw_request(
        "POST",
        "/oauth/token",
        &[FORM],
        b"grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret",
    ))
    .await
    .unwrap();
    let start = Instant::now();
    let mut raw = Vec::new();
    let mut first_part_at = None;
    loop {
        let n = s.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if first_part_at.is_none() {
            if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                if raw.len() - (p + 4) >= 10 {
                    first_part_at = Some(start.elapsed());
                    assert_eq!(raw.len() - (p + 4), 10, "exactly 10 bytes before the stall");
                }
            }
        }
    }
    let done = start.elapsed();
    let first = first_part_at.expect("got the first bytes");
    assert!(
        first < Duration::from_millis(250),
        "first part took {first:?}"
    );
    assert!(
        done - first >= Duration::from_millis(250),
        "stall too short: {:?}",
        done - first
    );
    let r = parse(&raw);
    assert_eq!(r.status, 200);
    assert!(r.json()["access_token"].is_string());
}

#[tokio::test]
async fn control_api_over_http() {
    let srv = start().await;
    let addr = srv.local_addr();
    let ctl = |m: &'static str, p: &'static str, b: &'static str| async move {
        http(
            addr,
            m,
            p,
            &[("Content-Type", "application/json")],
            b.as_bytes(),
        )
        .await
        .unwrap()
    };
    assert_eq!(
        ctl(
            "POST",
            "/_control/clients",
            r#"{"client_id":"c2","client_secret":"s2","token_lifetime":60}"#
        )
        .await
        .status,
        200
    );
    let r = post_form(
        addr,
        "grant_type=client_credentials&client_id=c2&client_secret=s2",
    )
    .await;
    assert_eq!(r.json()["expires_in"], 60);

    let r = ctl(
        "POST",
        "/_control/faults?target=api",
        r#"{"steps":[{"status":500,"headers":{"Retry-After":1}}],"repeat_last":true}"#,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        http(addr, "GET", "/api", &[], b"").await.unwrap().status,
        500
    );
    assert_eq!(
        http(addr, "GET", "/api", &[], b"")
            .await
            .unwrap()
            .header("retry-after"),
        Some("1")
    );
    assert_eq!(
        demo_token(addr).await.status,
        200,
        "token endpoint unaffected"
    );
    assert_eq!(
        ctl("DELETE", "/_control/faults?target=api", "")
            .await
            .status,
        200
    );
    assert_eq!(
        http(addr, "GET", "/api", &[], b"").await.unwrap().status,
        401
    );

    assert_eq!(
        ctl("POST", "/_control/faults", r#"{"steps":[{"stauts":500}]}"#)
            .await
            .status,
        400
    );
    assert_eq!(
        ctl("POST", "/_control/faults?target=nope", r#"{"steps":[]}"#)
            .await
            .status,
        400
    );
    assert_eq!(
        ctl("POST", "/_control/faults", r#"{"steps":[{"status":503}]}"#)
            .await
            .status,
        200
    );
    assert_eq!(demo_token(addr).await.status, 503);

    let stats = ctl("GET", "/_control/stats", "").await.json();
    assert_eq!(
        stats,
        json!({"token_requests": 3, "api_requests": 3, "discovery_requests": 0, "jwks_requests": 0})
    );
    let reqs = ctl("GET", "/_control/requests", "").await.json();
    let reqs = reqs.as_array().unwrap();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0]["method"], "POST");
    assert_eq!(reqs[0]["path"], "/oauth/token");
    assert_eq!(
        reqs[0]["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        reqs[0]["body"],
        "grant_type=client_credentials&client_id=c2&client_secret=s2"
    );
    assert_eq!(srv.requests().len(), 3);

    assert_eq!(ctl("POST", "/_control/reset", "").await.status, 200);
    assert_eq!(srv.stats(), Default::default());
    assert!(srv.requests().is_empty());
    assert_eq!(demo_token(addr).await.status, 200, "faults cleared");
    let r = post_form(
        addr,
        "grant_type=client_credentials&client_id=c2&client_secret=s2",
    )
    .await;
    assert_eq!(r.status, 200, "clients survive reset");

    // Oversized token request → 413 (still counted).
    let big = vec![b'a'; (1 << 20) + 1];
    let r = http(addr, "POST", "/oauth/token", &[FORM], &big)
        .await
        .unwrap();
    assert_eq!(r.status, 413);
    assert_eq!(srv.stats().token_requests, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_concurrent_clients_with_cheap_tokens() {
    let srv = DevServer::start(ServerConfig {
        cheap_tokens: true,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let addr = srv.local_addr();
    srv.set_faults(Target::Token, vec![FaultStep::delay(200)], false);
    let t = Instant::now();
    let tasks: Vec<_> = (0..2000)
        .map(|_| tokio::spawn(async move { demo_token(addr).await }))
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, 200);
        tokens.insert(r.json()["access_token"].as_str().unwrap().to_owned());
    }
    assert!(
        tokens.len() <= 2,
        "cheap tokens are reused, got {}",
        tokens.len()
    );
    assert_eq!(srv.stats().token_requests, 2000);
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn shutdown_stops_accepting() {
    let srv = start().await;
    let addr = srv.local_addr();
    assert_eq!(demo_token(addr).await.status, 200);
    let line: Value = serde_json::from_str(&srv.startup_line()).unwrap();
    assert_eq!(line["token_url"], srv.token_url());
    assert_eq!(line["control_url"], srv.control_url());
    drop(srv);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(http(addr, "GET", "/api", &[], b"").await.is_err());
}

#[test]
fn server_config_from_json() {
    let c = ServerConfig::from_json(
        r#"{"clients":[{"client_id":"x","client_secret":"y","scopes":["a"]}]}"#,
    )
    .unwrap();
    assert_eq!(c.clients[0].scopes, Some(vec!["a".to_owned()]));
    assert!(ServerConfig::from_json(
        r#"{"clients":[{"client_id":"x","client_secret":"y","scope":["a"]}]}"#
    )
    .is_err());
    assert!(ServerConfig::from_json(
        r#"{"clients":[{"client_id":"x","client_secret":"y","auth_methods":["private_key_jwt"]}]}"#
    )
    .is_err());
    assert_eq!(ServerConfig::default().clients, vec![ClientConfig::demo()]);
}
