//! Reproducer of a chaos finding (scripts/chaos.sh, server-429 row): two
//! processes' clients (separate memory caches) on one Redis, read commands
//! from stdin: `A` or `B` calls that client's get_token and prints `ok` or
//! the error code and retry_after. B reaches Redis through CACHE_B (a
//! forwarder the caller can partition), A through CACHE_A.
//!
//! usage: throttle_repro TOKEN_URL CLIENT_ID CACHE_A CACHE_B (secret: M2M_AUTH_CLIENT_SECRET)

use std::io::BufRead;

use m2m_auth::{MemoryCache, TokenClient, TokenRequest};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secret = std::env::var("M2M_AUTH_CLIENT_SECRET").unwrap();
    let build = |cache: &str| {
        let policy = m2m_auth::RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        };
        TokenClient::builder()
            .token_url(&args[1])
            .client_id(&args[2])
            .client_secret(secret.clone())
            .cache(cache)
            .retry_policy(policy)
            .memory_cache(MemoryCache::new(100))
            .no_proxy()
            .build()
            .unwrap()
    };
    let (a, b) = (build(&args[3]), build(&args[4]));
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let c = if line.trim() == "A" { &a } else { &b };
        match c.get_token(&TokenRequest::default()).await {
            Ok(t) => println!("{}: ok {}", line.trim(), t.fingerprint()),
            Err(e) => println!(
                "{}: {} retry_after={:?}",
                line.trim(),
                e.code(),
                e.retry_after()
            ),
        }
    }
}
