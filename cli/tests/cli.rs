//! `m2m-auth token` and `--help`, run as a user runs them, against an
//! in-process dev server (`call` and `dev-server`: call.rs; every option of
//! the surface: parity.rs).

mod support;

use std::process::Output;

use m2m_auth_devserver::{secret_fingerprint, DevServer, FaultStep, Target};
use serde_json::Value;
use support::{cmd, form_field, run, server, text, SECRET};

/// Neither output shows the secret.
fn assert_no_secret(out: &Output) {
    let form: String = form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
    for s in [text(&out.stdout), text(&out.stderr)] {
        assert!(!s.contains(SECRET) && !s.contains(&form), "{s}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_from_flags_and_env_secret_prints_the_token_response() {
    let s = server().await;
    let mut c = cmd(&[
        "token",
        "--token-url",
        &s.token_url(),
        "--client-id",
        "cli-client",
        "--audience",
        "https://api.example.com",
        "--scope",
        "read:data",
        "--scope",
        "write:data",
        "--organization",
        "org_1",
        "--resource",
        "https://r.example.com/",
        "--extra",
        "tenant=t1",
    ]);
    c.env("M2M_AUTH_CLIENT_SECRET", SECRET);
    let out = run(c, "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["scope"], "read:data write:data");
    let left = v["expires_in"].as_u64().unwrap();
    assert!((3590..=3600).contains(&left), "{left}");
    assert_eq!(v["access_token"].as_str().unwrap().split('.').count(), 3);
    assert!(text(&out.stdout).starts_with("{\n  \"access_token\""));
    let r = &s.requests()[0];
    assert_eq!(
        form_field(&r.body, "client_secret"),
        Some(secret_fingerprint(SECRET))
    );
    assert_eq!(
        form_field(&r.body, "audience").as_deref(),
        Some("https://api.example.com")
    );
    assert_eq!(
        form_field(&r.body, "organization").as_deref(),
        Some("org_1")
    );
    assert_eq!(
        form_field(&r.body, "resource").as_deref(),
        Some("https://r.example.com/")
    );
    assert_eq!(form_field(&r.body, "tenant").as_deref(), Some("t1"));
    assert!(r.headers["user-agent"].starts_with("m2m-auth/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_prints_only_the_access_token() {
    let s = server().await;
    let mut c = cmd(&["token", "--raw"]);
    c.env("M2M_AUTH_TOKEN_URL", s.token_url())
        .env("M2M_AUTH_CLIENT_ID", "cli-client")
        .env("M2M_AUTH_CLIENT_SECRET", SECRET)
        .env("M2M_AUTH_AUDIENCE", "https://api.example.com");
    let out = run(c, "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert_eq!(lines[0].split('.').count(), 3, "a JWT: {stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_never_prints_the_token() {
    let s = server().await;
    s.set_faults(
        Target::Token,
        vec![FaultStep::token(
            serde_json::json!({"refresh_token": "rt-should-not-show"}),
        )],
        false,
    );
    let mut c = cmd(&[
        "token",
        "--metadata",
        "--token-url",
        &s.token_url(),
        "--client-id",
        "cli-client",
    ]);
    c.env("M2M_AUTH_CLIENT_SECRET", SECRET);
    let out = run(c, "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["fingerprint"].as_str().unwrap().len(), 16);
    assert_eq!(v["other_fields"], serde_json::json!(["refresh_token"]));
    assert!(v.get("access_token").is_none());
    assert!(!stdout.contains("eyJ") && !stdout.contains("rt-should-not-show"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_shows_the_quota_the_server_reported() {
    let s = server().await;
    let step: FaultStep = serde_json::from_value(serde_json::json!({"headers": {
        "Auth0-Client-Quota-Limit": "b=per_hour;q=100;r=7;t=3000"
    }}))
    .unwrap();
    s.set_faults(Target::Token, vec![step], false);
    let mut c = cmd(&[
        "token",
        "--metadata",
        "--token-url",
        &s.token_url(),
        "--client-id",
        "cli-client",
    ]);
    c.env("M2M_AUTH_CLIENT_SECRET", SECRET);
    let out = run(c, "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let q = &v["quota"][0];
    assert_eq!(
        (&q["scope"], &q["bucket"], &q["quota"], &q["remaining"]),
        (
            &serde_json::json!("client"),
            &serde_json::json!("per_hour"),
            &serde_json::json!(100),
            &serde_json::json!(7)
        )
    );
    assert!(q["reset_at"].as_u64().unwrap() > v["expires_at"].as_u64().unwrap() - 3600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_from_stdin_with_basic_auth() {
    let s = server().await;
    let c = cmd(&[
        "token",
        "--client-secret-stdin",
        "--auth-method",
        "client_secret_basic",
        "--token-url",
        &s.token_url(),
        "--client-id",
        "cli-client",
    ]);
    let out = run(c, &format!("{SECRET}\r\n")).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r = &s.requests()[0];
    assert!(r.headers["authorization"].starts_with("Basic "));
    assert_eq!(form_field(&r.body, "client_secret"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_on_the_command_line_is_refused_before_any_request() {
    let s = server().await;
    let out = run(
        cmd(&[
            "token",
            "--token-url",
            &s.token_url(),
            "--client-id",
            "cli-client",
            "--client-secret",
            SECRET,
        ]),
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "config");
    let err = text(&out.stderr);
    assert!(
        err.contains("M2M_AUTH_CLIENT_SECRET") && err.contains("--client-secret-stdin"),
        "{err}"
    );
    assert_eq!(s.stats().token_requests, 0);
    assert_no_secret(&out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_secret_and_bad_options_are_config_errors() {
    let s = server().await;
    let out = run(
        cmd(&["token", "--token-url", &s.token_url(), "--client-id", "x"]),
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no client secret"));

    let mut c = cmd(&[
        "token",
        "--token-url",
        "http://auth.example.com/oauth/token",
        "--client-id",
        "x",
    ]);
    c.env("M2M_AUTH_CLIENT_SECRET", SECRET);
    let out = run(c, "").await;
    assert_eq!(out.status.code(), Some(3), "https rule");
    assert!(text(&out.stderr).starts_with("m2m-auth: config: "));

    // Usage errors are clap's: status 2.
    let out = run(cmd(&["token", "--no-such-flag"]), "").await;
    assert_eq!(out.status.code(), Some(2));

    // A malformed Redis Cluster or Sentinel URL: config, password unshown.
    for cache in [
        "redis+cluster://u:hunter2@h1:7000,,h2:7001",
        "redis+sentinel://u:hunter2@h1:26379",
    ] {
        let mut c = cmd(&["token", "--token-url", &s.token_url(), "--client-id", "x"]);
        c.args(["--cache", cache])
            .env("M2M_AUTH_CLIENT_SECRET", SECRET);
        let out = run(c, "").await;
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("cache URL is not valid"));
        assert!(!text(&out.stderr).contains("hunter2"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_override_the_environment() {
    let s = server().await;
    let mut c = cmd(&[
        "token",
        "--token-url",
        &s.token_url(),
        "--client-id",
        "cli-client",
        "--audience",
        "https://flag.example.com",
    ]);
    c.env("M2M_AUTH_DOMAIN", "tenant.example.com")
        .env("M2M_AUTH_CLIENT_ID", "env-client")
        .env("M2M_AUTH_AUDIENCE", "https://env.example.com")
        .env("M2M_AUTH_CLIENT_SECRET", SECRET);
    let out = run(c, "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r = &s.requests()[0];
    assert_eq!(
        form_field(&r.body, "client_id").as_deref(),
        Some("cli-client")
    );
    assert_eq!(
        form_field(&r.body, "audience").as_deref(),
        Some("https://flag.example.com")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_print_code_and_description_with_distinct_exit_codes() {
    let s = server().await;
    let base = |s: &DevServer| {
        let mut c = cmd(&[
            "token",
            "--token-url",
            &s.token_url(),
            "--client-id",
            "cli-client",
        ]);
        c.env("M2M_AUTH_CLIENT_SECRET", SECRET);
        c
    };
    // oauth
    s.set_faults(
        Target::Token,
        vec![FaultStep::status_json(
            400,
            serde_json::json!({"error": "invalid_scope", "error_description": "no such scope",
                "error_uri": "https://errors.example.com/scope"}),
        )],
        false,
    );
    let out = run(base(&s), "").await;
    assert_eq!(out.status.code(), Some(4));
    let err = text(&out.stderr);
    assert!(
        err.contains("oauth") && err.contains("invalid_scope") && err.contains("no such scope"),
        "{err}"
    );
    assert!(err.contains("https://errors.example.com/scope"), "{err}");
    // a wrong secret: oauth invalid_client, and the secret is not shown
    let mut c = cmd(&[
        "token",
        "--token-url",
        &s.token_url(),
        "--client-id",
        "cli-client",
    ]);
    c.env("M2M_AUTH_CLIENT_SECRET", "wrong-cli-secret");
    let out = run(c, "").await;
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("invalid_client"));
    assert!(!text(&out.stderr).contains("wrong-cli-secret"));
    // http
    s.set_faults(Target::Token, vec![FaultStep::status(404)], true);
    let out = run(base(&s), "").await;
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("http: status 404"));
    // invalid_response
    s.set_faults(
        Target::Token,
        vec![FaultStep::token(serde_json::json!({"token_type": "mac"}))],
        true,
    );
    let out = run(base(&s), "").await;
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    // transport: nobody listens on the discard port.
    let url = "http://127.0.0.1:9/oauth/token";
    let mut c = cmd(&["token", "--token-url", url, "--client-id", "cli-client"]);
    c.env("M2M_AUTH_CLIENT_SECRET", SECRET);
    let out = run(c, "").await;
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
    assert!(text(&out.stderr).starts_with("m2m-auth: transport"));
    assert_no_secret(&out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_names_every_command_and_the_exit_codes() {
    let out = run(cmd(&["--help"]), "").await;
    let help = text(&out.stdout);
    for w in ["token", "call", "dev-server", "3 config", "4 oauth"] {
        assert!(help.contains(w), "{w}: {help}");
    }
    let out = run(cmd(&["token", "--help"]), "").await;
    let help = text(&out.stdout);
    for w in [
        "--token-url",
        "--domain",
        "--issuer",
        "--client-id",
        "--auth-method",
        "--audience",
        "--scope",
        "--organization",
        "--resource",
        "--client-secret-stdin",
        "--raw",
    ] {
        assert!(help.contains(w), "{w}");
    }
    assert!(!help.contains("--client-secret <"), "hidden: {help}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_cache_lets_repeated_commands_reuse_the_token() {
    let s = server().await;
    let dir = std::env::temp_dir().join(format!("m2m-auth-cli-cache-{}", std::process::id()));
    let spec = format!("file:{}", dir.display());
    let token = |s: &DevServer| {
        let mut c = cmd(&[
            "token",
            "--raw",
            "--cache",
            &spec,
            "--token-url",
            &s.token_url(),
            "--client-id",
            "cli-client",
        ]);
        c.env("M2M_AUTH_CLIENT_SECRET", SECRET);
        c
    };
    let first = run(token(&s), "").await;
    assert!(first.status.success(), "{}", text(&first.stderr));
    let second = run(token(&s), "").await;
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert_eq!(first.stdout, second.stdout, "the same token");
    assert_eq!(s.stats().token_requests, 1);
    // The store never holds the secret or the token in the clear.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            let hay = String::from_utf8_lossy(&bytes);
            let tok = text(&first.stdout);
            assert!(
                !hay.contains(SECRET) && !hay.contains(tok.trim()),
                "{}",
                path.display()
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue #11 item 6: what a server says never reaches the terminal as
/// control characters (an escape sequence in an error description).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_text_is_printed_with_control_characters_escaped() {
    let s = server().await;
    s.set_faults(
        Target::Token,
        vec![FaultStep::status_json(
            400,
            serde_json::json!({"error": "invalid_scope",
                "error_description": "\u{1b}]0;pwned\u{7}\u{1b}[2Jcleared"}),
        )],
        false,
    );
    let mut c = cmd(&[
        "token",
        "--token-url",
        &s.token_url(),
        "--client-id",
        "cli-client",
    ]);
    c.env("M2M_AUTH_CLIENT_SECRET", SECRET);
    let out = run(c, "").await;
    assert_eq!(out.status.code(), Some(4));
    let err = text(&out.stderr);
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(err.contains("\\u{1b}]0;pwned"), "{err}");
}
