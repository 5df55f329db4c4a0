//! private_key_jwt from the command line: the key from a file
//! (`--private-key-file`, or `M2M_AUTH_PRIVATE_KEY_FILE`) or from standard
//! input (`--private-key-stdin`), never from argv (`--private-key` is
//! refused without echoing it).

mod support;

use serde_json::json;
use support::{cmd, form_field, run, server, text, JWT_CLIENT, JWT_KEY};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_file_gets_a_token_with_an_assertion() {
    let s = server().await;
    let dir = std::env::temp_dir().join(format!("m2m-cli-pk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("key.pem");
    std::fs::write(&path, JWT_KEY).unwrap();
    let path = path.to_str().unwrap();
    let flag = cmd(&[
        "token",
        "--raw",
        "--token-url",
        &s.token_url(),
        "--client-id",
        JWT_CLIENT,
        "--private-key-file",
        path,
    ]);
    let mut env = cmd(&["token", "--raw", "--token-url", &s.token_url()]);
    env.env("M2M_AUTH_CLIENT_ID", JWT_CLIENT)
        .env("M2M_AUTH_PRIVATE_KEY_FILE", path);
    for c in [flag, env] {
        let out = run(c, "").await;
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    for r in s.requests() {
        assert_eq!(
            form_field(&r.body, "client_assertion_type").as_deref(),
            Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        );
        assert!(form_field(&r.body, "client_secret").is_none());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_on_the_command_line_is_refused_and_not_echoed() {
    let s = server().await;
    let line = JWT_KEY.lines().nth(1).unwrap();
    let out = run(
        cmd(&[
            "token",
            "--token-url",
            &s.token_url(),
            "--client-id",
            JWT_CLIENT,
            "--private-key",
            line,
        ]),
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("--private-key-stdin"), "{err}");
    assert!(!err.contains(line) && !text(&out.stdout).contains(line));
    assert_eq!(s.stats().token_requests, 0);
}

/// Issue #12's canary on the command line: a private key (PEM or JWK, from
/// a file, standard input or the environment) and a client assertion (from
/// a file or standard input) never show on stdout or stderr: with tokens
/// served, a key the server refuses, keys that do not parse, failing
/// fetches and a server echoing the assertion. The CLI has no log output of
/// its own; RUST_LOG=trace is set anyway, so that a logger added later is
/// checked too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_and_assertions_never_show_in_output() {
    let s = server().await;
    let dir = std::env::temp_dir().join(format!("m2m-cli-canary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let p256 = include_str!("../../core/tests/verify_keys/p256.pem");
    let jwk = include_str!("../../core/tests/assertion_keys/rsa2048.jwk.json");
    // A ready assertion (the server refuses it: its signature is not one).
    let signature = "Y2xpLWNhbmFyeS1zaWduYXR1cmUtN2YzYQ";
    let assertion = format!("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJjbGktand0LWNsaWVudCJ9.{signature}");
    let key_file = write("key.pem", JWT_KEY);
    let refused_file = write("p256.pem", p256);
    let broken_file = write("broken.pem", &JWT_KEY[..JWT_KEY.len() / 2]);
    let assertion_file = write("assertion.jwt", &assertion);
    let mut needles: Vec<String> = [JWT_KEY, p256]
        .iter()
        .flat_map(|pem| pem.lines())
        .filter(|l| !l.starts_with("-----") && !l.is_empty())
        .map(str::to_string)
        .collect();
    let private: serde_json::Value = serde_json::from_str(jwk).unwrap();
    for member in ["d", "p", "q", "dp", "dq", "qi"] {
        needles.push(private[member].as_str().unwrap().to_string());
    }
    needles.extend([assertion.clone(), signature.to_string()]);
    // The mutual-TLS client key: cli/tests/mtls.rs (argv refused unechoed,
    // a mismatched key named without its text).

    let token_url = s.token_url();
    let base = |command: &str, extra: &[&str]| {
        let mut args = vec![
            command,
            "--token-url",
            &token_url,
            "--client-id",
            JWT_CLIENT,
        ];
        args.extend(["--max-attempts", "1"]);
        args.extend(extra);
        if command == "token" {
            args.push("--metadata"); // never the token
        }
        let mut c = cmd(&args);
        c.env("RUST_LOG", "trace");
        c
    };
    let api = s.api_url();
    let echo = json!([
        {"status": 400, "json": {"error": "invalid_client", "error_description": format!("bad {assertion}")}},
        {"status": 500, "body": format!("echo: {assertion}")},
    ]);
    let unavailable = json!([{"status": 503}]);
    // (command, its standard input, fault script, expected exit status)
    let mut env_key = base("call", &[&api]);
    env_key.env("M2M_AUTH_PRIVATE_KEY", JWT_KEY);
    let mut env_assertion = base("token", &[]);
    env_assertion.env("M2M_AUTH_CLIENT_ASSERTION_FILE", &assertion_file);
    let runs = [
        (
            base("token", &["--private-key-file", &key_file]),
            "",
            None,
            0,
        ),
        (
            base("call", &["--private-key-stdin", &api]),
            JWT_KEY,
            None,
            0,
        ),
        (env_key, "", None, 0),
        (base("token", &["--private-key-stdin"]), jwk, None, 4),
        (
            base("token", &["--private-key-file", &refused_file]),
            "",
            None,
            4,
        ),
        (
            base("token", &["--private-key-file", &broken_file]),
            "",
            None,
            3,
        ),
        (
            base("token", &["--private-key-stdin"]),
            &jwk[..jwk.len() / 2],
            None,
            3,
        ),
        (
            base("token", &["--client-assertion-file", &assertion_file]),
            "",
            None,
            4,
        ),
        (env_assertion, "", Some(&echo), 4),
        (
            base("token", &["--client-assertion-stdin"]),
            &assertion,
            Some(&echo),
            4,
        ),
        // Failing fetches of a key's client: 503s (the server cannot echo
        // an assertion the engine signed, which no test knows).
        (
            base("token", &["--private-key-file", &key_file]),
            "",
            Some(&unavailable),
            5,
        ),
    ];
    for (i, (c, stdin, faults, status)) in runs.into_iter().enumerate() {
        match faults {
            Some(steps) => s.set_faults(
                m2m_auth_devserver::Target::Token,
                serde_json::from_value(steps.clone()).unwrap(),
                false,
            ),
            None => s.clear_faults(m2m_auth_devserver::Target::Token),
        }
        let out = run(c, stdin).await;
        let shown = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(status), "run {i}: {shown}");
        for needle in &needles {
            assert!(
                !shown.contains(needle.as_str()),
                "run {i} shows {needle:?}: {shown}"
            );
        }
        assert!(!has_jwt(&shown), "run {i} shows a JWT: {shown}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Whether `text` holds something shaped like a JWS: `eyJ` (the base64url
/// of `{"`, which starts every JWS header) and at least 16 more base64url
/// characters, then a dot. The engine's own assertions are signed inside
/// it, so no test can know them; access tokens are never printed here.
fn has_jwt(text: &str) -> bool {
    text.match_indices("eyJ").any(|(i, _)| {
        let rest = &text[i..];
        let run = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(rest.len());
        run >= 19 && rest[run..].starts_with('.')
    })
}
