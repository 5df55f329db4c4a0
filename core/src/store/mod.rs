//! Shared token caches (docs/design.md §4 "Shared cache"): one host (`file:`) or a
//! fleet (`redis://`, `redis+cluster://`, `redis+sentinel://`). The in-process cache stays in front; a store is asked
//! only when a process would otherwise fetch, and the fetch itself happens
//! under a lease so that a fleet makes one request per key per refresh.
//!
//! Values are sealed (AES-256-GCM, key from HKDF-SHA256 over the client
//! secret and the cache key): a reader without the secret gets nothing usable,
//! and a value that does not open is a miss. Store keys hold a hash only.
//! The format is the engine's, so every language shares it; it is
//! documented in `docs/shared-cache.md`.

mod file;
mod file_io;
mod redis;
mod redis_conn;
mod redis_tls;
mod redis_url;
mod seal;

use std::sync::Arc;
use std::time::Duration;

use crate::process::Mutex;
use futures_util::future::BoxFuture;

use crate::error::{Error, Result};

pub(crate) use seal::{SealedThrottle, SealedToken, Sealer};

/// A shared store of sealed values.
pub(crate) trait SharedStore: Send + Sync {
    /// The value under `key`, if any, with the time the store itself will
    /// keep it (Redis `PTTL`, the file's mtime): readers never grant a value
    /// more life than that, whatever the writer's clock said.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>>>;
    /// Stores `value` under `key` for `ttl` if the current value is still
    /// `expected` (`None`: absent). `false` when another writer got there
    /// first (compare-and-set: a newer value is never overwritten).
    fn put_if<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Duration,
        expected: Option<&'a [u8]>,
    ) -> BoxFuture<'a, Result<bool>>;
    /// Takes the fetch lease for `key` if nobody holds it (a lease without
    /// expiry, or one expiring later than a holder would ever set, is stale
    /// and taken over).
    fn try_lease<'a>(&'a self, key: &'a str, ttl: Duration)
        -> BoxFuture<'a, Result<Option<Lease>>>;
    /// Extends a lease its holder still holds by `ttl`; `false` if it was
    /// lost (expired and taken by another).
    fn renew<'a>(&'a self, lease: &'a Lease, ttl: Duration) -> BoxFuture<'a, Result<bool>>;
    /// Gives a lease back (only its owner can).
    fn release(&self, lease: Lease) -> BoxFuture<'_, Result<()>>;
    /// For logs: which store this is (no credentials).
    fn describe(&self) -> String;
}

/// A value read from a store, and how long the store keeps it.
pub(crate) struct Stored {
    pub(crate) value: Vec<u8>,
    /// Time left before the store drops the value; `None` if it set none
    /// (then only the value's own stamps bound it).
    pub(crate) expires_in: Option<Duration>,
}

/// Proof of holding a key's fetch lease.
pub(crate) enum Lease {
    /// An exclusive lock on a file, released when dropped or when the process
    /// dies.
    File(#[allow(dead_code)] std::fs::File),
    /// A Redis key set with NX, renewed and deleted only while it still
    /// holds `owner`.
    Redis { key: String, owner: String },
}

/// The store a `cache` option names; `None` for `"memory"`. Process-wide:
/// clients with the same spec share one store (one Redis connection), so an
/// app that builds a client per request does not open a connection each time.
/// A TLS Redis (`rediss…`) trusts `ca_certs` too (the client's option), and
/// is shared only by clients that trust the same.
pub(crate) fn open(
    spec: &str,
    op_timeout: Duration,
    ca_certs: &[Vec<u8>],
) -> Result<Option<Arc<dyn SharedStore>>> {
    type Registry = Vec<((String, Duration, Vec<Vec<u8>>), Arc<dyn SharedStore>)>;
    static STORES: Mutex<Registry> = Mutex::new(Vec::new());
    let spec = spec.trim();
    if spec.is_empty() || spec == "memory" {
        return Ok(None);
    }
    let ca_certs = match spec.starts_with("rediss") {
        true => ca_certs.to_vec(),
        false => Vec::new(),
    };
    let key = (spec.to_string(), op_timeout, ca_certs);
    let mut stores = STORES.lock();
    if let Some((_, store)) = stores.iter().find(|(k, _)| *k == key) {
        return Ok(Some(store.clone()));
    }
    let store = new_store(spec, op_timeout, &key.2)?;
    stores.push((key, store.clone()));
    Ok(Some(store))
}

fn new_store(
    spec: &str,
    op_timeout: Duration,
    ca_certs: &[Vec<u8>],
) -> Result<Arc<dyn SharedStore>> {
    if let Some(dir) = spec.strip_prefix("file:") {
        return Ok(Arc::new(file::FileStore::new(dir, op_timeout)?));
    }
    if spec.starts_with("redis://") || spec.starts_with("rediss://") || redis_url::is_multi(spec) {
        return Ok(Arc::new(redis::RedisStore::new(
            spec, op_timeout, ca_certs,
        )?));
    }
    // Error::config masks a URL's user info.
    Err(Error::config(format!(
        "unknown cache {spec:?}: use \"memory\", \"file:/dir\", \"redis://host:port/db\", \
         \"redis+cluster://host:port,host:port\" or \
         \"redis+sentinel://host:port,host:port/master-name\" (or rediss…)"
    )))
}

/// The store key for a cache key digest: namespaced, versioned, a hash only.
pub(crate) fn store_key(digest: &[u8; 32]) -> String {
    let mut key = String::with_capacity(12 + 64);
    key.push_str("m2m-auth:v1:");
    for b in digest {
        key.push_str(&format!("{b:02x}"));
    }
    key
}

/// The store key of a key's shared throttle (docs/design.md §5): sealed
/// like its tokens, under a key of its own.
pub(crate) fn throttle_key(store_key: &str) -> String {
    format!("{store_key}:throttle")
}
