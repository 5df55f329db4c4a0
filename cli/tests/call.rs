//! `m2m-auth call` and `m2m-auth dev-server`, run as a user runs them.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use m2m_auth_devserver::{DevServer, FaultStep, Target};
use serde_json::Value;
use support::{cmd, run, server, text, SECRET};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_gets_the_api_with_the_token() {
    let s = server().await;
    let mut c = cmd(&[
        "call",
        &s.api_url(),
        "--include",
        "--token-url",
        &s.token_url(),
        "--client-id",
        "cli-client",
        "--audience",
        "https://api.example.com",
    ]);
    c.env("M2M_AUTH_CLIENT_SECRET", SECRET);
    let out = run(c, "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("HTTP/1.1 200 OK\n"), "{stdout}");
    let body = stdout.split_once("\n\n").unwrap().1;
    let v: Value = serde_json::from_str(body.trim()).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["aud"], "https://api.example.com");
    assert_eq!(v["sub"], "cli-client");
    let st = s.stats();
    assert_eq!((st.token_requests, st.api_requests), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_posts_a_body_from_stdin_and_headers() {
    let s = server().await;
    let mut c = cmd(&[
        "call",
        &s.api_url(),
        "--data-file",
        "-",
        "-H",
        "Content-Type: application/json",
        "--token-url",
        &s.token_url(),
        "--client-id",
        "cli-client",
    ]);
    c.env("M2M_AUTH_CLIENT_SECRET", SECRET);
    let out = run(c, "{\"hello\":1}").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    // Both the secret and the body on stdin: refused.
    let c = cmd(&[
        "call",
        &s.api_url(),
        "--data-file",
        "-",
        "--client-secret-stdin",
        "--token-url",
        &s.token_url(),
        "--client-id",
        "cli-client",
    ]);
    let out = run(c, "x").await;
    assert_eq!(out.status.code(), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_renews_once_on_401_then_returns_the_401() {
    let s = server().await;
    let api_401 = || {
        FaultStep::status_json(401, serde_json::json!({"error": "invalid_token"}))
            .header("WWW-Authenticate", "Bearer error=\"invalid_token\"")
    };
    let base = |s: &DevServer| {
        let mut c = cmd(&[
            "call",
            &s.api_url(),
            "--token-url",
            &s.token_url(),
            "--client-id",
            "cli-client",
        ]);
        c.env("M2M_AUTH_CLIENT_SECRET", SECRET);
        c
    };
    // One 401: renewed, then 200.
    s.set_faults(Target::Api, vec![api_401()], false);
    let out = run(base(&s), "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!((s.stats().token_requests, s.stats().api_requests), (2, 2));
    // 401 twice: exactly one renewal, the 401 body printed, exit 22.
    s.reset();
    s.set_faults(Target::Api, vec![api_401()], true);
    let out = run(base(&s), "").await;
    assert_eq!(out.status.code(), Some(22));
    assert!(text(&out.stdout).contains("invalid_token"));
    assert!(text(&out.stderr).contains("401"));
    assert_eq!((s.stats().token_requests, s.stats().api_requests), (2, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_server_serves_clients_from_a_file_and_prints_its_urls() {
    let dir = std::env::temp_dir().join(format!("m2m-auth-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("clients.json");
    std::fs::write(
        &file,
        r#"{"clients": [{"client_id": "file-client", "client_secret": "file-secret",
            "audiences": ["https://file.example.com"], "token_lifetime": 120}]}"#,
    )
    .unwrap();
    let mut server = cmd(&[
        "dev-server",
        "--clients",
        file.to_str().unwrap(),
        "--exit-on-stdin-eof",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let urls: Value = serde_json::from_str(&first).unwrap();
    for k in [
        "url",
        "issuer",
        "token_url",
        "jwks_uri",
        "api_url",
        "control_url",
    ] {
        assert!(
            urls[k].as_str().unwrap().starts_with("http://127.0.0.1:"),
            "{k}: {first}"
        );
    }
    // The control API's token is in the JSON line, and only there.
    let control_token = urls["control_token"].as_str().unwrap().to_owned();
    assert_eq!(control_token.len(), 64, "{first}");
    let mut c = cmd(&[
        "call",
        urls["api_url"].as_str().unwrap(),
        "--issuer",
        urls["issuer"].as_str().unwrap(),
        "--client-id",
        "file-client",
        "--audience",
        "https://file.example.com",
    ]);
    c.env("M2M_AUTH_CLIENT_SECRET", "file-secret");
    let out = run(c, "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sub"], "file-client");
    // Closing its stdin stops it; its summary went to stderr.
    drop(server.stdin.take());
    let done = tokio::task::spawn_blocking(move || server.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(done.status.success());
    let summary = text(&done.stderr);
    assert!(
        summary.contains("token endpoint") && summary.contains("file-client"),
        "{summary}"
    );
    assert!(!summary.contains(&control_token), "{summary}");
    std::fs::remove_dir_all(&dir).ok();
}
