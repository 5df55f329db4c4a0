//! DPoP per call (figures printed, never asserted; issue #14): proof
//! creation (`TokenClient::dpop_proof`) with a generated P-256 key (ES256)
//! and an Ed25519 key (EdDSA), with and without `ath`; and the API side,
//! `Verifier::verify_http_request` of a DPoP-bound token with a fresh
//! proof next to the same token check for a Bearer token (both tokens
//! RS256, from the verified-token cache after the first call, so the
//! difference is the proof's check). No I/O.
//!
//! `cargo bench -p m2m-auth --bench dpop`

use std::hint::black_box;
use std::time::Instant;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use m2m_auth::{HttpRequest, TokenClient, Verifier};
use serde_json::json;

/// Proofs per key per round; each key keeps its best round.
const PROOFS: u32 = 5_000;
const ROUNDS: usize = 5;

fn client(key: Option<&str>) -> TokenClient {
    let mut b = TokenClient::builder()
        .token_url("http://127.0.0.1:9/oauth/token")
        .client_id("bench")
        .client_secret("bench-secret")
        .no_proxy()
        .dpop(true);
    if let Some(k) = key {
        b = b.dpop_key(k);
    }
    b.build().expect("client builds")
}

fn main() {
    let ed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/verify_keys/ed25519.pem"
    ))
    .unwrap();
    let clients = [
        ("ES256 (generated P-256)", client(None)),
        ("EdDSA (Ed25519)", client(Some(&ed))),
    ];
    let url = "https://api.example.com/v1/things?page=2";
    println!("DPoP proof creation, best of {ROUNDS} rounds of {PROOFS}:");
    for (label, c) in &clients {
        for (what, token) in [("", None), (" + ath", Some("an access token"))] {
            let mut best = f64::MAX;
            for _ in 0..ROUNDS {
                let t = Instant::now();
                for _ in 0..PROOFS {
                    black_box(c.dpop_proof("GET", black_box(url), token).unwrap());
                }
                best = best.min(t.elapsed().as_secs_f64() * 1e6 / f64::from(PROOFS));
            }
            println!("  {:<30} {best:>8.1} µs/proof", format!("{label}{what}"));
        }
    }
    verification(&clients, url);
}

/// An RS256 access token signed by jsonwebtoken, bound to `jkt` if given.
fn token(jkt: Option<&str>) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut claims = json!({
        "iss": "https://issuer.example", "aud": "https://api.example",
        "sub": "svc", "iat": now, "exp": now + 3600, "scope": "read",
    });
    if let Some(j) = jkt {
        claims["cnf"] = json!({ "jkt": j });
    }
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rsa".into());
    header.typ = Some("at+jwt".into());
    let pem = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/verify_keys/rsa2048.pem"
    ))
    .unwrap();
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
}

fn verification(clients: &[(&str, TokenClient)], url: &str) {
    let jwks: serde_json::Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/verify_keys/public_jwks.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut key = jwks["rsa2048"].clone();
    key["kid"] = json!("rsa");
    let jwks = json!({ "keys": [key] }).to_string();
    let build = |cache_size: u64| {
        Verifier::builder()
            .issuer("https://issuer.example")
            .audience("https://api.example")
            .jwks(jwks.clone())
            .cache_size(cache_size)
            .build()
            .unwrap()
    };
    let (verifier, uncached) = (build(10_000), build(0));
    println!(
        "Verification per request, best of {ROUNDS} rounds of {PROOFS} (token from the cache):"
    );
    let bearer = format!("Bearer {}", token(None));
    let mut base = f64::MAX;
    let bearers = [
        ("Bearer, token cached", &verifier),
        ("Bearer, RS256 checked each time", &uncached),
    ];
    for (label, v) in bearers {
        let mut best = f64::MAX;
        for _ in 0..ROUNDS {
            let t = Instant::now();
            for _ in 0..PROOFS {
                let r = HttpRequest {
                    method: "GET",
                    url,
                    authorization: Some(&bearer),
                    dpop: None,
                };
                black_box(
                    v.verify_http_request_now(black_box(&r), &[])
                        .unwrap()
                        .unwrap(),
                );
            }
            best = best.min(t.elapsed().as_secs_f64() * 1e6 / f64::from(PROOFS));
        }
        println!("  {label:<34} {best:>8.1} µs/request");
        base = best;
    }
    for (label, c) in clients {
        let token = token(c.dpop_thumbprint());
        let auth = format!("DPoP {token}");
        let mut best = f64::MAX;
        for _ in 0..ROUNDS {
            // Fresh proofs (a proof is accepted once), made before the clock starts.
            let proofs: Vec<String> = (0..PROOFS)
                .map(|_| c.dpop_proof("GET", url, Some(&token)).unwrap())
                .collect();
            let t = Instant::now();
            for p in &proofs {
                let r = HttpRequest {
                    method: "GET",
                    url,
                    authorization: Some(&auth),
                    dpop: Some(p),
                };
                black_box(
                    verifier
                        .verify_http_request_now(black_box(&r), &[])
                        .unwrap()
                        .unwrap(),
                );
            }
            best = best.min(t.elapsed().as_secs_f64() * 1e6 / f64::from(PROOFS));
        }
        println!(
            "  {:<34} {best:>8.1} µs/request ({:.2}x the RS256 Bearer check)",
            format!("DPoP (cached), proof {label}"),
            best / base
        );
    }
}
