//! docs/design.md §7 and §11, issue #14's canary: a DPoP private key (PEM,
//! JWK, from a file) never shows in the Debug of a builder, client, token or
//! error, in an error's Display, or in any log line at TRACE (ours and our
//! dependencies'): with tokens served, nonce demands, call_api, a server
//! refusing proofs, and keys that do not parse. One test: it installs the
//! process's global subscriber.

mod common;

use common::*;
use m2m_auth::{MemoryCache, TokenClientBuilder, TokenRequest};
use serde_json::{json, Value};

const P256_PEM: &str = include_str!("verify_keys/p256.pem");
const RSA_PEM: &str = include_str!("verify_keys/rsa2048.pem");
const ED25519_JWK: &str = include_str!("assertion_keys/ed25519.jwk.json");
const RSA_JWK: &str = include_str!("assertion_keys/rsa2048.jwk.json");

/// The PEMs' base64 body lines and the JWKs' private members.
fn key_slices() -> Vec<String> {
    let mut out: Vec<String> = [P256_PEM, RSA_PEM]
        .iter()
        .flat_map(|pem| pem.lines())
        .filter(|l| !l.starts_with("-----") && !l.is_empty())
        .map(str::to_string)
        .collect();
    for jwk in [ED25519_JWK, RSA_JWK] {
        let jwk: Value = serde_json::from_str(jwk).unwrap();
        for member in ["d", "p", "q", "dp", "dq", "qi"] {
            if let Some(v) = jwk[member].as_str() {
                out.push(v.to_string());
            }
        }
    }
    out
}

fn assert_clean(what: &str, text: &str) {
    for s in key_slices() {
        assert!(!text.contains(s.as_str()), "{what} shows {s:?}:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dpop_keys_never_appear_in_debug_errors_or_trace_logs() {
    let captured = TraceCapture::install();

    let env = env().await;
    let dir = std::env::temp_dir().join(format!("m2m-dpop-canary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("key.pem");
    std::fs::write(&key_file, RSA_PEM).unwrap();
    let builders: Vec<TokenClientBuilder> = vec![
        env.builder().dpop(true).dpop_key(P256_PEM),
        env.builder().dpop(true).dpop_key(ED25519_JWK),
        env.builder().dpop(true).dpop_key(RSA_JWK),
        env.builder()
            .dpop(true)
            .dpop_key_file(key_file.to_string_lossy()),
    ];
    let mut outputs: Vec<(String, String)> = Vec::new();
    env.server.set_dpop_nonce(true, true);
    for b in builders {
        let b = b.memory_cache(MemoryCache::new(10));
        outputs.push(("builder".into(), format!("{b:?}")));
        let client = b.build().unwrap();
        outputs.push(("client".into(), format!("{client:?}")));
        let token = client.get_token(&TokenRequest::new()).await.unwrap();
        outputs.push(("token".into(), format!("{token:?}")));
        let r = call_get(&client, &env.server.api_url()).await;
        assert_eq!(r.status, 200, "{}", r.text());
        // A server refusing the proof, echoing what it can.
        env.faults(
            json!([{"status": 400, "json": {"error": "invalid_dpop_proof",
                "error_description": "bad proof"}}]),
            false,
        );
        let e = client.fetch_token(&TokenRequest::new()).await.unwrap_err();
        outputs.push(("error".into(), format!("{e:?} {e}")));
    }
    for bad in [
        P256_PEM.replace("MIG", "MIX"),
        ED25519_JWK.replace("\"OKP\"", "\"XXX\""),
        format!(
            "{}\n-----END PRIVATE KEY-----\n",
            &RSA_PEM[..RSA_PEM.len() / 2]
        ),
    ] {
        let e = env.builder().dpop(true).dpop_key(bad).build().unwrap_err();
        outputs.push(("config error".into(), format!("{e:?} {e}")));
    }
    let e = env.builder().dpop_key(P256_PEM).build().unwrap_err();
    outputs.push(("dpop off".into(), format!("{e:?} {e}")));
    std::fs::remove_dir_all(&dir).unwrap();

    for (what, text) in &outputs {
        assert_clean(what, text);
    }
    let logs = captured.text();
    assert!(
        logs.contains("token received"),
        "the subscriber saw the engine"
    );
    assert_clean("the TRACE logs", &logs);
}
