//! docs/design.md §7: no copy of the client secret survives in freed memory.
//! An allocator wrapping `System` scans every block the client side frees
//! for a canary secret (raw, form-encoded, inside the Basic header value);
//! a client fetches tokens over http and https with both authentication
//! methods, is dropped with its runtime (which ends its connections, so
//! the HTTP stack frees its buffers too), and no freed block may have held
//! the canary. One test in its own binary: the allocator is process-wide.
//!
//! The servers are in this process, and they hold the secret as any server
//! does: their threads are exempt from the scan.

mod common;
#[path = "support/https.rs"]
mod https;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

use base64::Engine as _;
use m2m_auth::{AuthMethod, TokenClient, TokenRequest};
use m2m_auth_devserver::{ClientConfig, DevServer, ServerConfig};

/// The secret: `/` and `+` make its form encoding differ from it.
const CANARY: &str = "hc/Zq7+kT9vLm3Xw8RpB2nYd-canary-secret";
const CLIENT_ID: &str = "heap-canary-client";

/// Byte strings no freed block may hold, set before the scan is armed.
static NEEDLES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
static ARMED: AtomicBool = AtomicBool::new(false);
static HITS: AtomicUsize = AtomicUsize::new(0);
/// Freed HTTP/1 head buffers holding the Basic value (see the test).
static HEAD_HITS: AtomicUsize = AtomicUsize::new(0);
/// Sizes of the first blocks found holding a needle, for the failure message.
static HIT_SIZES: [AtomicUsize; 16] = [const { AtomicUsize::new(0) }; 16];
/// `HEAP_CANARY_TRACE=1` prints a backtrace at each hit (to find the copy).
static TRACE: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Set on server threads (and while the test sets servers up), and
    /// while a hit is being traced.
    static EXEMPT: Cell<bool> = const { Cell::new(false) };
}

struct Scanning;

fn exempt() -> bool {
    EXEMPT.try_with(Cell::get).unwrap_or(true)
}

fn holds(block: &[u8], needle: &[u8]) -> bool {
    block.len() >= needle.len() && block.windows(needle.len()).any(|w| w == needle)
}

/// What a freed block holds.
#[derive(PartialEq)]
enum Found {
    Nothing,
    /// The secret, or the Basic value anywhere but in hyper's head buffer.
    Secret,
    /// Only the Basic value, in hyper's HTTP/1 head buffer (see the test).
    BasicInHyperHead,
}

fn scan(block: &[u8]) -> Found {
    let Some(needles) = NEEDLES.get() else {
        return Found::Nothing;
    };
    let (basic, secret) = needles.split_last().expect("needles");
    if secret.iter().any(|n| holds(block, n)) {
        Found::Secret
    } else if !holds(block, basic) {
        Found::Nothing
    } else if block.starts_with(b"POST /oauth/token HTTP/1.1\r\n") {
        Found::BasicInHyperHead
    } else {
        Found::Secret
    }
}

unsafe impl GlobalAlloc for Scanning {
    // Zeroed, so a block holds only what its own owner wrote: a freed block
    // that an exempt thread left dirty and this side reuses is not blamed on
    // this side.
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        System.alloc_zeroed(layout)
    }

    // No `realloc`: the default allocates, copies and frees through `dealloc`,
    // so the block a growing buffer leaves behind is scanned too.
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::SeqCst) && !exempt() {
            // Nothing here allocates (unless tracing, with scanning off).
            let block = std::slice::from_raw_parts(ptr, layout.size());
            let found = scan(block);
            if found == Found::BasicInHyperHead {
                HEAD_HITS.fetch_add(1, Ordering::SeqCst);
            }
            if found == Found::Secret {
                let n = HITS.fetch_add(1, Ordering::SeqCst);
                if let Some(slot) = HIT_SIZES.get(n) {
                    slot.store(layout.size(), Ordering::SeqCst);
                }
                if TRACE.load(Ordering::SeqCst) {
                    exempted(|| {
                        eprintln!(
                            "canary in a freed block of {} bytes: {:?}\n{}",
                            layout.size(),
                            String::from_utf8_lossy(block),
                            std::backtrace::Backtrace::force_capture()
                        )
                    });
                }
            }
        }
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Scanning = Scanning;

/// Runs `f` with this thread exempt from the scan.
fn exempted<T>(f: impl FnOnce() -> T) -> T {
    let before = EXEMPT.with(|e| e.replace(true));
    let out = f();
    EXEMPT.with(|e| e.set(before));
    out
}

fn needles() -> Vec<Vec<u8>> {
    let form: String = form_urlencoded::byte_serialize(CANARY.as_bytes()).collect();
    assert_ne!(form, CANARY);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{form}"));
    // Any 24 bytes of the Basic value's middle identify it (the first and
    // last characters depend on the id and padding).
    let basic_core = basic[8..32].to_string();
    // The distinctive middle of the secret, raw and form-encoded; the
    // Basic value last.
    vec![
        b"kT9vLm3Xw8RpB2nYd".to_vec(),
        form.into_bytes(),
        CANARY.as_bytes().to_vec(),
        basic_core.into_bytes(),
    ]
}

#[test]
fn no_freed_block_holds_the_client_secret() {
    TRACE.store(
        std::env::var_os("HEAP_CANARY_TRACE").is_some(),
        Ordering::SeqCst,
    );
    NEEDLES.set(needles()).unwrap();

    // The servers: a runtime whose threads are exempt; set up from here
    // with this thread exempt too.
    let servers = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .on_thread_start(|| EXEMPT.with(|e| e.set(true)))
        .build()
        .unwrap();
    let (dev, tls) = exempted(|| {
        servers.block_on(async {
            let client = ClientConfig::new(CLIENT_ID.to_string(), CANARY.to_string());
            let dev = DevServer::start(ServerConfig::with_clients(vec![client]))
                .await
                .unwrap();
            (dev, https::start().await)
        })
    });
    let targets = [
        (dev.token_url(), None),
        (tls.url.clone(), Some(tls.ca_pem.clone())),
    ];

    let mut fetched = 0;
    for method in [AuthMethod::ClientSecretPost, AuthMethod::ClientSecretBasic] {
        for (url, ca) in &targets {
            let builder = exempted(|| {
                let b = TokenClient::builder()
                    .token_url(url)
                    .client_id(CLIENT_ID)
                    .auth_method(method)
                    .no_proxy();
                match ca {
                    Some(pem) => b.ca_certs(pem.clone().into_bytes()),
                    None => b,
                }
            });
            // Armed from the moment the secret is handed over.
            ARMED.store(true, Ordering::SeqCst);
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let secret = String::from(CANARY);
                let client = builder.client_secret(secret).build().unwrap();
                let token = client.get_token(&TokenRequest::default()).await;
                assert!(token.is_ok(), "{method:?} {url}: {:?}", token.err());
                fetched += 1;
            });
            // Ends the connection tasks: the HTTP stack frees its buffers.
            drop(runtime);
            ARMED.store(false, Ordering::SeqCst);
            // What we do not control: hyper encodes request headers into a
            // per-connection `Vec` (its HTTP/1 head buffer) and frees it
            // unwiped when the connection ends, so with client_secret_basic
            // the Basic value survives there (one buffer per connection).
            // Nothing else may: not the secret itself, not its form
            // encoding, not the Basic value in any other block, and with
            // client_secret_post not even that buffer (the body is queued
            // as our own wiped `Bytes`, not copied into it).
            let head = HEAD_HITS.swap(0, Ordering::SeqCst);
            match method {
                AuthMethod::ClientSecretBasic => assert!(head <= 1, "{method:?} {url}: {head}"),
                _ => assert_eq!(head, 0, "{method:?} {url}: a head buffer held the secret"),
            }
        }
    }
    assert_eq!(fetched, 4);
    assert_eq!(tls.served(), 2, "both https fetches reached the server");

    let hits = HITS.load(Ordering::SeqCst);
    let sizes: Vec<usize> = HIT_SIZES
        .iter()
        .map(|s| s.load(Ordering::SeqCst))
        .take(hits)
        .collect();
    assert_eq!(
        hits, 0,
        "{hits} freed blocks held the client secret (sizes {sizes:?}); \
         rerun with HEAP_CANARY_TRACE=1 to see where they were freed"
    );
    exempted(|| drop((dev, servers)));
}
