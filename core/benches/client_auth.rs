//! Cold-path cost per client authentication method (figures printed, never
//! asserted; issue #12): sequential `fetch_token` calls against the release
//! dev server (`--cheap-tokens`, a separate process), each method's assertion
//! signing included, next to `client_secret_post` in the same run; the
//! mutual-TLS methods on the https listener, next to `client_secret_post`
//! over the same https (a kept-alive connection: the handshake, where the
//! certificate is presented, is paid once); and the hot path (`get_token`
//! on a cached token), which no method may change.
//!
//! `scripts/bench-core.sh` runs it (release dev server); alone:
//! `M2M_AUTH_DEVSERVER=target/release/m2m-auth-devserver cargo bench -p m2m-auth --bench client_auth`

#[path = "support/devserver.rs"]
mod devserver;

use std::ffi::OsStr;
use std::hint::black_box;
use std::time::Instant;

use futures_util::FutureExt;
use m2m_auth::{TokenClient, TokenRequest};
use serde_json::{json, Value};

/// Interleaved rounds; each method keeps its best (least disturbed) round.
const ROUNDS: usize = 5;
/// Token requests per method per round.
const REQUESTS: usize = 200;
/// Cached `get_token` calls per method.
const HOT_CALLS: u32 = 2_000_000;

fn keys_dir() -> String {
    format!("{}/tests/verify_keys", env!("CARGO_MANIFEST_DIR"))
}

/// The methods measured: (label, client id, dev-server client, builder).
fn methods() -> Vec<(&'static str, &'static str, Value, Option<&'static str>)> {
    let jwks: Value =
        serde_json::from_slice(&std::fs::read(format!("{}/public_jwks.json", keys_dir())).unwrap())
            .unwrap();
    let keyed = |id, key: &str| json!({"client_id": id, "auth_methods": ["private_key_jwt"], "jwks": {"keys": [jwks[key]]}});
    vec![
        (
            "client_secret_post",
            "secret-post",
            json!({"client_id": "secret-post", "client_secret": "bench-secret-0123456789"}),
            None,
        ),
        (
            "client_secret_jwt HS256",
            "secret-jwt",
            json!({"client_id": "secret-jwt", "client_secret": "bench-secret-0123456789", "auth_methods": ["client_secret_jwt"]}),
            None,
        ),
        (
            "private_key_jwt RS256",
            "pk-rs256",
            keyed("pk-rs256", "rsa2048"),
            Some("rsa2048"),
        ),
        (
            "private_key_jwt ES256",
            "pk-es256",
            keyed("pk-es256", "p256"),
            Some("p256"),
        ),
        (
            "private_key_jwt EdDSA",
            "pk-eddsa",
            keyed("pk-eddsa", "ed25519"),
            Some("ed25519"),
        ),
        (
            "https: client_secret_post",
            "secret-post",
            Value::Null,
            None,
        ),
        (
            "https: tls_client_auth",
            "tls-client",
            json!({"client_id": "tls-client", "auth_methods": ["tls_client_auth"], "tls_client_auth_subject_dn": "CN=mtls-client,O=m2m-auth tests"}),
            Some("client"),
        ),
        (
            "https: self_signed_tls_client_auth",
            "tls-self-signed",
            json!({"client_id": "tls-self-signed", "auth_methods": ["self_signed_tls_client_auth"],
                   "tls_client_certificate_sha256": [std::fs::read_to_string(mtls_file("self-signed.sha256")).unwrap().trim()]}),
            Some("self-signed"),
        ),
    ]
}

/// A file of the mutual-TLS fixtures (core/tests/mtls_keys).
fn mtls_file(name: &str) -> String {
    format!("{}/tests/mtls_keys/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn main() {
    let methods = methods();
    let clients_file =
        std::env::temp_dir().join(format!("m2m-bench-clients-{}.json", std::process::id()));
    let clients: Vec<&Value> = methods
        .iter()
        .map(|m| &m.2)
        .filter(|c| !c.is_null())
        .collect();
    std::fs::write(&clients_file, json!({ "clients": clients }).to_string()).unwrap();
    let server = devserver::start(&[
        OsStr::new("--clients"),
        clients_file.as_os_str(),
        OsStr::new("--client-ca"),
        OsStr::new(&mtls_file("client-ca.pem")),
    ]);
    let _ = std::fs::remove_file(&clients_file);
    let (token_url, mtls_token_url) = (server.token_url(), server.mtls_token_url());
    let tls_ca = server.tls_ca_pem();

    let rt = devserver::runtime();
    let _guard = rt.enter();
    let built: Vec<TokenClient> = methods
        .iter()
        .map(|(label, id, _, key)| {
            let https = label.starts_with("https: ");
            let mut b = TokenClient::builder()
                .token_url(if https { &mtls_token_url } else { &token_url })
                .client_id(*id)
                .no_proxy();
            if https {
                b = b.ca_certs(tls_ca.as_bytes());
            }
            b = match (label.starts_with("client_secret_jwt"), key) {
                (_, Some(key)) if https => b
                    .client_certificate_file(mtls_file(&format!("{key}.pem")))
                    .client_key_file(mtls_file(&format!("{key}.key"))),
                (_, Some(key)) => b.private_key_file(format!("{}/{key}.pem", keys_dir())),
                (true, None) => b
                    .client_secret("bench-secret-0123456789")
                    .auth_method_name("client_secret_jwt"),
                (false, None) => b.client_secret("bench-secret-0123456789"),
            };
            b.build().unwrap()
        })
        .collect();
    let req = TokenRequest::default();
    for c in &built {
        rt.block_on(c.fetch_token(&req)).unwrap();
    }

    println!("== cold path: sequential fetch_token against the dev server (best of {ROUNDS} rounds of {REQUESTS})");
    let mut best = vec![f64::MAX; built.len()];
    for _ in 0..ROUNDS {
        for (i, c) in built.iter().enumerate() {
            let start = Instant::now();
            for _ in 0..REQUESTS {
                black_box(rt.block_on(c.fetch_token(&req)).unwrap());
            }
            let per = start.elapsed().as_secs_f64() * 1e6 / REQUESTS as f64;
            best[i] = best[i].min(per);
        }
    }
    // Each row against client_secret_post over the same scheme.
    let https_base = methods
        .iter()
        .position(|m| m.0.starts_with("https: "))
        .unwrap();
    for (i, ((label, ..), us)) in methods.iter().zip(&best).enumerate() {
        let base = if i >= https_base {
            best[https_base]
        } else {
            best[0]
        };
        println!(
            "{label:<36} {us:>8.1} µs/request  {:>5.2}× client_secret_post",
            us / base
        );
    }

    println!("== hot path: get_token on a cached token ({HOT_CALLS} calls)");
    for ((label, ..), c) in methods.iter().zip(&built) {
        let start = Instant::now();
        for _ in 0..HOT_CALLS {
            black_box(
                c.get_token(black_box(&req))
                    .now_or_never()
                    .unwrap()
                    .unwrap(),
            );
        }
        let ns = start.elapsed().as_nanos() as f64 / f64::from(HOT_CALLS);
        println!("{label:<36} {ns:>8.1} ns/call");
    }
    server.stop();
}
