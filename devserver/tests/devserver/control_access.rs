//! Who may use the control API, and what it gives back (issue #11 item 14):
//! without the control token → 401, with a foreign `Host` → 403, and the
//! recorded token requests never hold a client secret in clear.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use base64::Engine as _;
use m2m_auth_devserver::{secret_fingerprint, ClientConfig, DevServer};
use serde_json::Value;

use crate::support::{control, http, start, FORM};

/// Every control call, each of which must be refused without the token.
const CALLS: [(&str, &str, &str); 6] = [
    ("GET", "/_control/stats", ""),
    ("GET", "/_control/requests", ""),
    ("POST", "/_control/reset", ""),
    ("POST", "/_control/faults", r#"{"steps":[{"status":500}]}"#),
    ("DELETE", "/_control/faults", ""),
    (
        "POST",
        "/_control/clients",
        r#"{"client_id":"intruder","client_secret":"x"}"#,
    ),
];

#[tokio::test]
async fn control_api_without_the_token_is_401() {
    let srv = start().await;
    let addr = srv.local_addr();
    let token = srv.control_token().to_owned();
    assert_eq!(token.len(), 64);
    let wrong = "f".repeat(64);
    for auth in [
        None,
        Some(format!("Bearer {wrong}")),
        Some(format!("Basic {token}")),
        Some("Bearer".into()),
    ] {
        for (m, p, b) in CALLS {
            let mut h = vec![("Content-Type", "application/json")];
            if let Some(a) = &auth {
                h.push(("Authorization", a));
            }
            let r = http(addr, m, p, &h, b.as_bytes()).await.unwrap();
            assert_eq!(r.status, 401, "{m} {p} with {auth:?}");
            assert!(r.header("www-authenticate").unwrap().starts_with("Bearer "));
            let text = String::from_utf8_lossy(&r.body);
            assert!(!text.contains(&token) && !text.contains(&wrong), "{text}");
        }
    }
    // Nothing of the refused calls took effect.
    assert_eq!(crate::support::demo_token(addr).await.status, 200);
    let r = control(&srv, "GET", "/_control/stats", "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["token_requests"], 1);
    assert!(!format!("{srv:?}").contains(&token));
    // A second server has a token of its own.
    assert_ne!(start().await.control_token(), token);
}

#[tokio::test]
async fn control_api_with_a_foreign_host_is_403() {
    let srv = start().await;
    let addr = srv.local_addr();
    let port = addr.port();
    let auth = format!("Bearer {}", srv.control_token());
    let status = |host: String| {
        let auth = auth.clone();
        async move {
            http(
                addr,
                "GET",
                "/_control/stats",
                &[("Host", &host), ("Authorization", &auth)],
                b"",
            )
            .await
            .unwrap()
            .status
        }
    };
    // DNS rebinding: a page at attacker.example:PORT whose name now resolves
    // to 127.0.0.1 sends its own host name.
    assert_eq!(status(format!("attacker.example:{port}")).await, 403);
    assert_eq!(status(format!("127.0.0.1.nip.io:{port}")).await, 403);
    assert_eq!(
        status(format!("127.0.0.1:{}", port.wrapping_add(1))).await,
        403
    );
    assert_eq!(status("127.0.0.1".into()).await, 403);
    assert_eq!(status(format!("127.0.0.1:{port}")).await, 200);
    assert_eq!(status(format!("localhost:{port}")).await, 200);
    assert_eq!(status(format!("[::1]:{port}")).await, 200);
}

/// The spellings of `secret` a recording might hold.
fn spellings(secret: &str) -> Vec<String> {
    let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    vec![secret.to_owned(), form.clone(), form.replace('+', "%20")]
}

#[tokio::test]
async fn recorded_requests_never_hold_the_client_secret() {
    let secret = "s3cr3t value+/=:é";
    let srv: DevServer = start().await;
    srv.add_client(ClientConfig::new("rec-client", secret));
    let addr = srv.local_addr();
    let form_secret: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();

    // client_secret_post (and the same in the query string, which the
    // server ignores but records).
    let body =
        format!("grant_type=client_credentials&client_id=rec-client&client_secret={form_secret}");
    let path = format!("/oauth/token?client_secret={form_secret}");
    let r = http(addr, "POST", &path, &[FORM], body.as_bytes())
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    // client_secret_basic.
    let creds =
        base64::engine::general_purpose::STANDARD.encode(format!("rec-client:{form_secret}"));
    let basic = format!("Basic {creds}");
    let r = http(
        addr,
        "POST",
        "/oauth/token",
        &[FORM, ("Authorization", &basic)],
        b"grant_type=client_credentials",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);

    let fp = secret_fingerprint(secret);
    let over_http = control(&srv, "GET", "/_control/requests", "").await;
    assert_eq!(over_http.status, 200);
    let text = String::from_utf8_lossy(&over_http.body).into_owned();
    let embedded = format!("{:?}", srv.requests());
    for shown in [&text, &embedded] {
        for s in spellings(secret).iter().chain([&creds]) {
            assert!(!shown.contains(s.as_str()), "{s:?} recorded: {shown}");
        }
    }
    let reqs: Value = over_http.json();
    assert_eq!(
        reqs[0]["body"],
        format!("grant_type=client_credentials&client_id=rec-client&client_secret={fp}")
    );
    assert_eq!(reqs[0]["path"], format!("/oauth/token?client_secret={fp}"));
    assert_eq!(
        reqs[1]["headers"]["authorization"],
        format!("Basic {}", secret_fingerprint(&creds))
    );
    assert_eq!(reqs[1]["body"], "grant_type=client_credentials");
}

/// The binary prints the token once, in its startup line on stdout, and
/// nowhere else (not on stderr, not after a refused call).
#[test]
fn the_binary_prints_the_token_only_in_its_startup_line() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_m2m-auth-devserver"))
        .arg("--exit-on-stdin-eof")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let info: Value = serde_json::from_str(&line).unwrap();
    let token = info["control_token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 64);
    let port: u16 = info["url"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let addr = ([127, 0, 0, 1], port).into();
        let refused = http(addr, "GET", "/_control/stats", &[], b"")
            .await
            .unwrap();
        assert_eq!(refused.status, 401);
        let auth = format!("Bearer {token}");
        let ok = http(
            addr,
            "GET",
            "/_control/stats",
            &[("Authorization", &auth)],
            b"",
        )
        .await
        .unwrap();
        assert_eq!(ok.status, 200);
    });
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(rest, "", "nothing after the startup line on stdout");
    assert!(!err.contains(&token), "the token on stderr: {err}");
}
