//! One process of the shared-cache tests: `CALLERS` concurrent `get_token`
//! calls with the cache given on the command line; prints one JSON line with
//! the token fingerprints it saw and its stats.
//!
//! usage: shared_cache_worker TOKEN_URL CLIENT_ID CACHE CALLERS [LEASE_MS]
//! (the secret comes from M2M_AUTH_CLIENT_SECRET)

use std::collections::BTreeSet;
use std::time::Duration;

use m2m_auth::{TokenClient, TokenRequest};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let callers: usize = args[4].parse().unwrap();
    let mut builder = TokenClient::builder()
        .token_url(&args[1])
        .client_id(&args[2])
        .client_secret(std::env::var("M2M_AUTH_CLIENT_SECRET").unwrap())
        .cache(&args[3])
        .no_proxy();
    if let Some(ms) = args.get(5) {
        builder = builder.lease_ttl(Duration::from_millis(ms.parse().unwrap()));
    }
    let client = builder.build().unwrap();
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.get_token(&TokenRequest::default()).await })
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut errors = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(tok) => {
                seen.insert(tok.fingerprint().to_string());
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    let s = client.stats();
    println!(
        "{}",
        serde_json::json!({"tokens": seen, "errors": errors, "fetches": s.fetches,
            "shared_hits": s.shared_hits, "store_errors": s.store_errors})
    );
}
