//! docs/design.md §7: a canary secret never shows in an error's Display or Debug, a
//! client's or token's Debug, or any log line at TRACE (ours and our
//! dependencies'), even when the server echoes it back.

mod common;

use common::*;
use m2m_auth::{AuthMethod, TokenRequest};
use serde_json::json;

const CANARY: &str = "CANARY-s3cr3t+/=:é %zz";

fn spellings() -> Vec<String> {
    use base64::Engine;
    let form: String = form_urlencoded::byte_serialize(CANARY.as_bytes()).collect();
    vec![
        CANARY.to_string(),
        form.clone(),
        "CANARY-s3cr3t".to_string(),
        serde_json::to_string(CANARY)
            .unwrap()
            .trim_matches('"')
            .to_string(),
        base64::engine::general_purpose::STANDARD.encode(format!("canary-client:{form}")),
    ]
}

fn assert_clean(what: &str, text: &str) {
    for s in spellings() {
        assert!(
            !text.contains(&s),
            "{what} leaks the secret as {s:?}:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_secret_never_appears_in_errors_debug_or_trace_logs() {
    let captured = TraceCapture::install();

    let env = env_with(3600, Some("canary-client"), Some(CANARY)).await;
    let form: String = form_urlencoded::byte_serialize(CANARY.as_bytes()).collect();
    let json_escaped = serde_json::to_string(CANARY).unwrap();
    let echoes = [
        json!({"status": 400, "json": {"error": "invalid_client", "error_description": format!("bad secret {CANARY}"), "error_uri": format!("https://x/{form}")}}),
        json!({"status": 500, "body": format!("echo: {CANARY} {form} {json_escaped}")}),
        json!({"status": 200, "body": format!("{{\"access_token\": 1, \"echo\": {json_escaped}}}")}),
        json!({"status": 200, "json": {"access_token": "t", "token_type": "Bearer", "expires_in": CANARY}}),
        json!({"status": 401, "json": {"error": CANARY}}),
    ];
    let mut texts = Vec::new();
    for method in [AuthMethod::ClientSecretPost, AuthMethod::ClientSecretBasic] {
        for step in &echoes {
            env.faults(json!([step]), true);
            let client = env.builder().auth_method(method).build().unwrap();
            texts.push(format!("{client:?}"));
            let req = TokenRequest::new().audience(format!("https://{method}/{}", texts.len()));
            let err = client.get_token(&req).await.unwrap_err();
            texts.push(format!("{err} {err:?}"));
        }
        env.server.clear_faults(Target::Token);
        let client = env.builder().auth_method(method).build().unwrap();
        let token = client
            .get_token(&TokenRequest::new().audience(format!("https://ok/{method}")))
            .await
            .unwrap();
        texts.push(format!("{token:?} {client:?}"));
        let wrong = env
            .builder()
            .auth_method(method)
            .client_secret(format!("{CANARY}x"))
            .build()
            .unwrap();
        let err = wrong.get_token(&TokenRequest::default()).await.unwrap_err();
        texts.push(format!("{err} {err:?}"));
    }
    for t in &texts {
        assert_clean("an error or Debug", t);
    }
    let logs = captured.text();
    assert!(
        logs.contains("token received"),
        "TRACE logging was captured"
    );
    assert_clean("the TRACE log", &logs);
    std::io::Write::flush(&mut std::io::stderr()).ok();
}

/// Issue #11 item 13: configuration errors quote the URL they refuse, never
/// the password in it.
#[test]
fn config_errors_do_not_echo_passwords_in_urls() {
    let base = || {
        m2m_auth::TokenClient::builder()
            .token_url("https://a.example/token")
            .client_id("id")
            .client_secret("s")
    };
    let errors = [
        base().cache("valkey://:hunter2@127.0.0.1:6379/0").build(),
        base().proxy("http://user:hunter2@[::1").build(),
        m2m_auth::TokenClient::builder()
            .token_url("ftp://user:hunter2@a.example/token")
            .client_id("id")
            .client_secret("s")
            .build(),
    ];
    for result in errors {
        let err = result.expect_err("a config error");
        assert_eq!(err.code(), "config");
        let text = format!("{err} {err:?}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}
