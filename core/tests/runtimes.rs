//! Clients on runtimes that come and go (each `#[tokio::test]` has its own;
//! so do apps that `block_on` per job): clients with the same transport
//! settings share a connection pool only within one runtime, because a
//! pooled connection is served by a task of the runtime that opened it and
//! dies with it. Before, a client on a new runtime could be handed a
//! connection of a dropped one and fail with `transport` ("dispatch task is
//! gone: runtime dropped the dispatch task").

use m2m_auth::{TokenClient, TokenRequest};
use m2m_auth_devserver::{ClientConfig, DevServer, ServerConfig};

/// Threads, each making and dropping runtimes in turn, as parallel tests do.
const THREADS: usize = 8;
/// Runtimes per thread, each with a client of its own (same settings, its
/// own audience so that each makes requests).
const RUNTIMES: usize = 12;

#[test]
fn clients_on_successive_runtimes_never_get_a_dead_runtime_s_connection() {
    let server_rt = tokio::runtime::Runtime::new().unwrap();
    let server = server_rt
        .block_on(DevServer::start(ServerConfig::with_clients(vec![
            ClientConfig::new("rt-client", "rt-secret"),
        ])))
        .unwrap();
    let token_url = server.token_url();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let token_url = &token_url;
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    for n in 0..RUNTIMES {
                        let rt = tokio::runtime::Builder::new_multi_thread()
                            .worker_threads(1)
                            .enable_all()
                            .build()
                            .unwrap();
                        let client = TokenClient::builder()
                            .token_url(token_url)
                            .client_id("rt-client")
                            .client_secret("rt-secret")
                            .audience(format!("https://api.example/{t}/{n}"))
                            .no_proxy()
                            .build()
                            .unwrap();
                        // Two requests: the second reuses a pooled connection.
                        for _ in 0..2 {
                            let got = rt.block_on(client.fetch_token(&TokenRequest::default()));
                            if let Err(e) = got {
                                failures.push(format!("thread {t}, runtime {n}: {e}"));
                            }
                        }
                        drop(rt);
                    }
                    failures
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(server.requests().len(), 2 * THREADS * RUNTIMES);
    drop(server);
}
