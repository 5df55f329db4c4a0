//! `m2m-auth verify`, run as a user runs it: every case of the
//! cross-language vectors (tests/verify/vectors.json, tests/verify/FORMAT.md)
//! with their JWKS from `--jwks-file` (of an `http_requests` case, its first
//! request: one run is one verifier), and tokens of an in-process dev
//! server (taken from its public token endpoint with `m2m-auth token`)
//! verified through its JWKS and through discovery.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use support::{cmd, dev_token, run, server, text};

/// tests/verify/vectors.json.
fn vectors() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/verify/vectors.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// A file in a directory of this test's own, removed by the OS's tmp rules
/// (its name holds the process id, so parallel runs do not meet).
fn temp_file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("m2m-cli-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// The command line of a case's options (FORMAT.md "options"): every
/// option by its flag, durations in seconds as the vectors have them.
fn option_flags(options: &Value) -> Vec<String> {
    let mut flags = Vec::new();
    for (name, v) in options.as_object().unwrap() {
        let flag = format!("--{}", name.replace('_', "-"));
        match v {
            Value::Array(list) => {
                if list.is_empty() {
                    // An empty list: the option given as nothing.
                    flags.extend([flag.clone(), String::new()]);
                }
                for e in list {
                    flags.extend([flag.clone(), e.as_str().unwrap().to_string()]);
                }
            }
            Value::Bool(b) => flags.push(format!("{flag}={b}")),
            Value::String(s) => flags.extend([flag, s.clone()]),
            Value::Number(n) => flags.extend([flag, n.to_string()]),
            other => panic!("option {name}: {other}"),
        }
    }
    flags
}

/// The claims printed on success, checked against the case's `claims`
/// (FORMAT.md: the getters' names; here the JWT claims they come from).
fn check_claims(name: &str, printed: &Value, want: &Value) {
    let get = |k: &str| printed.get(k).cloned().unwrap_or(Value::Null);
    assert_eq!(get("iss"), want["issuer"], "{name}: iss");
    assert_eq!(get("sub"), want["subject"], "{name}: sub");
    assert_eq!(get("client_id"), want["client_id"], "{name}: client_id");
    assert_eq!(get("jti"), want["jwt_id"], "{name}: jti");
    let aud = match get("aud") {
        Value::String(s) => Value::from(vec![s]),
        other => other,
    };
    assert_eq!(aud, want["audience"], "{name}: aud");
    let scopes: Vec<Value> = match (get("scope"), get("scp")) {
        (Value::String(s), _) => s.split(' ').map(Value::from).collect(),
        (_, Value::Array(a)) => a,
        _ => Vec::new(),
    };
    assert_eq!(Value::from(scopes), want["scopes"], "{name}: scopes");
    for (claim, field) in [
        ("exp", "expires_at"),
        ("iat", "issued_at"),
        ("nbf", "not_before"),
    ] {
        let got = get(claim).as_f64();
        assert_eq!(got, want[field].as_f64(), "{name}: {claim}");
    }
}

/// Checks a failed run against the case's `expect`.
fn check_failure(name: &str, out: &Output, expect: &Value, token: &str) {
    let stderr = text(&out.stderr);
    let status = out.status.code();
    match expect["code"].as_str().unwrap() {
        "config" => assert_eq!(status, Some(3), "{name}: {stderr}"),
        "invalid_token" => {
            assert_eq!(status, Some(10), "{name}: {stderr}");
            let reason = expect["reason"].as_str().unwrap();
            assert!(
                stderr.contains(&format!("invalid_token ({reason})")),
                "{name}: {stderr}"
            );
        }
        "insufficient_scope" => {
            assert_eq!(status, Some(11), "{name}: {stderr}");
            let scope = expect["required_scope"].as_str().unwrap();
            assert!(stderr.contains("insufficient_scope"), "{name}: {stderr}");
            assert!(stderr.contains(&format!("{scope:?}")), "{name}: {stderr}");
        }
        code => panic!("{name}: unknown code {code}"),
    }
    assert!(out.stdout.is_empty(), "{name}: printed claims on failure");
    let signature = token.rsplit('.').next().unwrap_or("");
    assert!(
        signature.len() < 16 || !stderr.contains(signature),
        "{name}: the message holds the token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vector_case() {
    let v = vectors();
    let default_jwks = temp_file("jwks.json", &v["jwks"].to_string());
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 144);
    let (mut ran, mut failed) = (0, Vec::new());
    for (i, case) in cases.iter().enumerate() {
        let name = case["name"].as_str().unwrap();
        let token = case["token"].as_str().unwrap();
        let jwks = match case.get("jwks") {
            Some(j) => temp_file(&format!("jwks-{i}.json"), &j.to_string()),
            None => default_jwks.clone(),
        };
        let mut args = vec!["verify".to_string(), "--jwks-file".into()];
        args.push(jwks.to_str().unwrap().into());
        args.extend(option_flags(&case["options"]));
        let mut stdin = String::new();
        let mut expect = &case["expect"];
        match (case.get("request"), case.get("http_requests")) {
            (_, Some(steps)) => {
                // Only the first request: a replay needs the verifier of the
                // run before, and every run has its own.
                let step = &steps[0];
                expect = &step["expect"];
                for (flag, field) in [("--url", "url"), ("--method", "method")] {
                    args.extend([flag.into(), step[field].as_str().unwrap().into()]);
                }
                let header = step["authorization"].as_str().unwrap();
                args.extend(["--authorization".into(), header.into()]);
                if let Some(proof) = step["dpop"].as_str() {
                    args.extend(["--dpop-proof".into(), proof.into()]);
                }
                for s in step["scopes"].as_array().unwrap() {
                    args.extend(["--require-scope".into(), s.as_str().unwrap().into()]);
                }
            }
            (Some(r), _) => {
                let Some(header) = r["authorization"].as_str() else {
                    // No header at all: a command line always gives one.
                    continue;
                };
                args.extend(["--authorization".into(), header.into()]);
                for s in r["scopes"].as_array().unwrap() {
                    args.extend(["--require-scope".into(), s.as_str().unwrap().into()]);
                }
            }
            // Long tokens through standard input, as `-`.
            (None, None) if token.len() > 8192 => {
                args.push("-".into());
                stdin = format!("{token}\n");
            }
            (None, None) => args.push(token.into()),
        }
        let out = run(cmd(&args), &stdin).await;
        // Every case runs; the failed ones are listed at the end.
        let checked = std::panic::catch_unwind(|| {
            if expect["ok"] == Value::Bool(true) {
                assert!(out.status.success(), "{name}: {}", text(&out.stderr));
                let printed: Value = serde_json::from_slice(&out.stdout)
                    .unwrap_or_else(|e| panic!("{name}: {e}: {}", text(&out.stdout)));
                check_claims(name, &printed, &expect["claims"]);
            } else {
                check_failure(name, &out, expect, token);
            }
        });
        if checked.is_err() {
            failed.push(name);
        }
        ran += 1;
    }
    assert!(ran >= 140, "ran {ran} cases");
    assert!(
        failed.is_empty(),
        "{} cases failed: {failed:?}",
        failed.len()
    );
    let _ = std::fs::remove_dir_all(default_jwks.parent().unwrap_or(Path::new("/nonexistent")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dev_server_token_verifies_through_its_jwks_and_discovery() {
    let s = server().await;
    let token = dev_token(&s.token_url()).await;
    let base = [
        "verify",
        "--issuer",
        s.issuer(),
        "--audience",
        "https://api.example.com",
    ];
    let jwks_uri = s.jwks_uri();
    for extra in [vec!["--jwks-uri", jwks_uri.as_str()], vec![]] {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(&extra);
        args.push(&token);
        let out = run(cmd(&args), "").await;
        assert!(out.status.success(), "{extra:?}: {}", text(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["iss"], s.issuer());
        assert_eq!(v["client_id"], "cli-client");
        assert_eq!(v["aud"], "https://api.example.com");
        assert_eq!(v["scope"], "read:data");
        assert_eq!(v["typ"], Value::Null, "claims only, not the header");
    }

    // From standard input, with the scope it grants, then one it lacks.
    let mut args = base.to_vec();
    args.extend(["--jwks-uri", &jwks_uri, "--require-scope", "read:data", "-"]);
    let out = run(cmd(&args), &format!("{token}\n")).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut args = base.to_vec();
    args.extend([
        "--jwks-uri",
        &jwks_uri,
        "--require-scope",
        "read:data admin",
        "-",
    ]);
    let out = run(cmd(&args), &token).await;
    assert_eq!(out.status.code(), Some(11), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("\"read:data admin\""));

    // Another audience: invalid_token, exit 10, the token never printed.
    let out = run(
        cmd(&[
            "verify",
            "--issuer",
            s.issuer(),
            "--audience",
            "https://other.example.com",
            &token,
        ]),
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(10), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("invalid_token (wrong_audience)"),
        "{stderr}"
    );
    assert!(!stderr.contains(token.rsplit('.').next().unwrap()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_jwks_is_a_transport_error() {
    let s = server().await;
    let token = dev_token(&s.token_url()).await;
    let jwks_uri = s.jwks_uri();
    drop(s);
    let out = run(
        cmd(&[
            "verify",
            "--issuer",
            "http://127.0.0.1:1",
            "--audience",
            "https://api.example.com",
            "--jwks-uri",
            &jwks_uri,
            "--timeout",
            "5",
            &token,
        ]),
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_and_config_errors() {
    // No token and no --authorization: usage (2).
    let out = run(cmd(&["verify", "--issuer", "https://i.example/"]), "").await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    // No audience: config (3), before reading anything.
    let out = run(
        cmd(&["verify", "--issuer", "https://i.example/", "x.y.z"]),
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    // A JWKS file that does not exist: I/O (1).
    let out = run(
        cmd(&[
            "verify",
            "--issuer",
            "https://i.example/",
            "--audience",
            "a",
            "--jwks-file",
            "/nonexistent/jwks.json",
            "x.y.z",
        ]),
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    // Bytes that are not UTF-8 on standard input: a malformed token (10).
    let jwks = temp_file("jwks-utf8.json", &vectors()["jwks"].to_string());
    let mut c = cmd(&[
        "verify",
        "--issuer",
        "https://issuer.example/",
        "--audience",
        "https://api.example/",
        "--jwks-file",
        jwks.to_str().unwrap(),
        "-",
    ]);
    c.stdin(std::process::Stdio::piped());
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = c
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"\xff\xfe.a.b")
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(10), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("(malformed)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_lists_a_flag_for_every_verifier_option() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/surface.json");
    let surface: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let options = surface["verifier_options"].as_array().unwrap();
    assert!(options.len() >= 13);
    let out = run(cmd(&["verify", "--help"]), "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let help = text(&out.stdout);
    for o in options {
        let name = o["name"].as_str().unwrap().replace('_', "-");
        let flag = match o["type"].as_str().unwrap() {
            "pem" => format!("--{name}-file "),
            "flag" => format!("--{name}[="),
            "secret" => format!("--{name}-stdin"),
            _ => format!("--{name} "),
        };
        assert!(help.contains(&flag), "no {flag} in verify --help");
        let doc = o["doc"].as_str().unwrap();
        assert!(
            help.contains(doc),
            "{flag}: its doc line {doc:?} is not in --help"
        );
    }
    for flag in [
        "--jwks-file ",
        "--require-scope ",
        "--authorization ",
        "--url ",
        "--method ",
        "--dpop-proof ",
    ] {
        assert!(help.contains(flag), "no {flag} in verify --help");
    }
}
