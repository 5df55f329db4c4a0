//! private_key_jwt from the command line: the key from a file
//! (`--private-key-file`, or `M2M_AUTH_PRIVATE_KEY_FILE`) or from standard
//! input (`--private-key-stdin`), never from argv (`--private-key` is
//! refused without echoing it).

mod support;

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
