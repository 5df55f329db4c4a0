//! Mutual TLS from the command line: `--client-certificate-file` and
//! `--client-key-file` (or their variables) against the dev server's https
//! listener; the key never from argv (`--client-key` is refused without
//! echoing it). Certificates: core's fixtures (`core/tests/mtls_keys`).

mod support;

use m2m_auth_devserver::{ClientConfig, DevServer, ServerConfig};
use support::{cmd, form_field, run, text};

fn fixture(name: &str) -> String {
    format!(
        "{}/../core/tests/mtls_keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A TLS dev server with a tls_client_auth client for the fixture
/// `client.pem`, and the path of a file holding the PEM that trusts it.
async fn tls_server(dir: &std::path::Path) -> (DevServer, String) {
    let mut config = ServerConfig::with_clients(vec![ClientConfig::tls_client_auth(
        "cli-mtls",
        "CN=mtls-client,O=m2m-auth tests",
    )]);
    config.client_ca = Some(std::fs::read_to_string(fixture("client-ca.pem")).unwrap());
    let server = DevServer::start(config).await.unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let ca = dir.join("server-ca.pem");
    std::fs::write(&ca, server.tls_ca_pem().unwrap()).unwrap();
    (server, ca.to_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_certificate_and_key_files_get_a_token_by_flag_or_variable() {
    let dir = std::env::temp_dir().join(format!("m2m-cli-mtls-{}", std::process::id()));
    let (s, ca) = tls_server(&dir).await;
    let url = s.mtls_token_url().unwrap();
    let flags = cmd(&[
        "token",
        "--raw",
        "--token-url",
        &url,
        "--client-id",
        "cli-mtls",
        "--auth-method",
        "tls_client_auth",
        "--ca-certs-file",
        &ca,
        "--client-certificate-file",
        &fixture("client.pem"),
        "--client-key-file",
        &fixture("client.sec1.key"),
    ]);
    let mut env = cmd(&["token", "--raw"]);
    env.env("M2M_AUTH_TOKEN_URL", &url)
        .env("M2M_AUTH_CLIENT_ID", "cli-mtls")
        .env("M2M_AUTH_CA_CERTS", s.tls_ca_pem().unwrap())
        .env("M2M_AUTH_CLIENT_CERTIFICATE_FILE", fixture("client.pem"))
        .env("M2M_AUTH_CLIENT_KEY_FILE", fixture("client.key"));
    for c in [flags, env] {
        let out = run(c, "").await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout).split('.').count(), 3, "a JWT");
    }
    let requests = s.requests();
    assert_eq!(requests.len(), 2);
    for r in requests {
        assert!(r.tls);
        assert!(r.client_certificate_sha256.is_some());
        assert_eq!(
            form_field(&r.body, "client_id").as_deref(),
            Some("cli-mtls")
        );
        assert!(form_field(&r.body, "client_secret").is_none());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_on_the_command_line_is_refused_and_a_bad_one_not_echoed() {
    let dir = std::env::temp_dir().join(format!("m2m-cli-mtls-bad-{}", std::process::id()));
    let (s, ca) = tls_server(&dir).await;
    let key = std::fs::read_to_string(fixture("client.key")).unwrap();
    let line = key.lines().nth(1).unwrap();
    let out = run(
        cmd(&[
            "token",
            "--token-url",
            &s.mtls_token_url().unwrap(),
            "--client-id",
            "cli-mtls",
            "--client-certificate-file",
            &fixture("client.pem"),
            "--client-key",
            line,
        ]),
        "",
    )
    .await;
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("--client-key-stdin"), "{err}");
    assert!(!err.contains(line), "{err}");
    // A key of another certificate: a config error (exit 3) naming the
    // file, never quoting the key.
    let other = std::fs::read_to_string(fixture("other.key")).unwrap();
    let out = run(
        cmd(&[
            "token",
            "--token-url",
            &s.mtls_token_url().unwrap(),
            "--client-id",
            "cli-mtls",
            "--ca-certs-file",
            &ca,
            "--client-certificate-file",
            &fixture("client.pem"),
            "--client-key-file",
            &fixture("other.key"),
        ]),
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("does not match"), "{err}");
    for l in other.lines().chain(key.lines()).filter(|l| l.len() > 20) {
        assert!(!err.contains(l), "{err}");
    }
    // The key from standard input.
    let out = run(
        cmd(&[
            "token",
            "--raw",
            "--token-url",
            &s.mtls_token_url().unwrap(),
            "--client-id",
            "cli-mtls",
            "--ca-certs-file",
            &ca,
            "--client-certificate-file",
            &fixture("client.pem"),
            "--client-key-stdin",
        ]),
        &key,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(s.requests().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
