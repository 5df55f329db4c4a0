//! DPoP proof creation per call (figures printed, never asserted; issue
//! #14): `TokenClient::dpop_proof` with a generated P-256 key (ES256) and
//! an Ed25519 key (EdDSA), with and without `ath`. No I/O: a proof is made
//! in memory.
//!
//! `cargo bench -p m2m-auth --bench dpop`

use std::hint::black_box;
use std::time::Instant;

use m2m_auth::TokenClient;

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
        let mut best = f64::MAX;
        for _ in 0..ROUNDS {
            let t = Instant::now();
            for _ in 0..PROOFS {
                black_box(c.dpop_proof("GET", black_box(url), None).unwrap());
            }
            best = best.min(t.elapsed().as_secs_f64() * 1e6 / f64::from(PROOFS));
        }
        println!("  {label:<24} {best:>8.1} µs/proof");
    }
}
