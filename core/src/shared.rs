//! The shared cache's lease protocol (docs/design.md §4, docs/shared-cache.md):
//! a token another process fetched is read from the store; else one process
//! fetches under the key's lease while the others wait for it.

use std::time::{Duration, SystemTime};

use tracing::{debug, warn};

use crate::client::{Failure, Fetched, Inner};
use crate::clock::{self, nanos};
use crate::error::{Error, Result};
use crate::key::CacheKey;
use crate::lifetime;
use crate::response::TokenResponse;
use crate::secret::Secret;
use crate::store::{self, SealedToken, Sealer, SharedStore};

impl Inner {
    /// A token for `key` from the shared cache if another process has a
    /// fresh one; else fetched under the key's lease (and shared), or, while
    /// another process holds the lease, awaited from the store (bounded by
    /// the lease time, then fetched here). Without a store: a plain fetch.
    /// `rejected`: a token an API refused (or a forced fetch replaces), never
    /// to be taken from the store again.
    pub(crate) async fn fetch_shared(
        &self,
        key: &CacheKey,
        rejected: Option<&Secret>,
        background: bool,
    ) -> Result<Fetched, Failure> {
        let Some(store) = &self.store else {
            return self.counted_request(key, background).await;
        };
        let digest = key.digest();
        let skey = store::store_key(&digest);
        let sealer = Sealer::new(self.auth.sealing_secret(), &digest);
        let shared = Shared {
            store: &**store,
            key: &skey,
            sealer: &sealer,
            rejected,
        };
        let wait_until = tokio::time::Instant::now() + self.settings.lease_ttl;
        loop {
            match self.read_shared(&shared).await {
                Ok(Some(f)) => return Ok(f),
                Ok(None) => {}
                Err(e) => return self.degraded(e, key, background).await,
            }
            match store.try_lease(&skey, self.settings.lease_ttl).await {
                Ok(Some(lease)) => {
                    // Another process may have stored one while we looked.
                    let result = match self.read_shared(&shared).await {
                        Ok(Some(f)) => Ok(f),
                        _ => {
                            let r = self.counted_request(key, background).await;
                            if let Ok(f) = &r {
                                self.write_shared(&shared, f).await;
                            }
                            r
                        }
                    };
                    if let Err(e) = store.release(lease).await {
                        self.store_failed(&e);
                    }
                    return result;
                }
                Ok(None) => {}
                Err(e) => return self.degraded(e, key, background).await,
            }
            if tokio::time::Instant::now() >= wait_until {
                debug!(target: "m2m_auth", store = %store.describe(), "lease holder is slow or gone; fetching here");
                return self.counted_request(key, background).await;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// A fresh token from the store, or `None` (absent, unopenable, stale).
    async fn read_shared(&self, shared: &Shared<'_>) -> Result<Option<Fetched>> {
        let Some(value) = shared.store.get(shared.key).await? else {
            return Ok(None);
        };
        let Some(t) = shared.sealer.open(shared.key, &value) else {
            debug!(target: "m2m_auth", "shared cache value does not open: a miss");
            return Ok(None);
        };
        if shared
            .rejected
            .is_some_and(|r| r.expose() == t.access_token)
        {
            return Ok(None);
        }
        let now_wall = unix_ms(SystemTime::now());
        let lifetime = t.lifetime_ms;
        let w = lifetime::windows(Duration::from_millis(lifetime), &self.settings);
        let fresh_until = t.sent_at_ms.saturating_add(w.fresh.as_millis() as u64);
        if now_wall >= fresh_until {
            return Ok(None);
        }
        self.stats.shared_hit();
        let age = Duration::from_millis(now_wall.saturating_sub(t.sent_at_ms));
        let sent_wall = SystemTime::UNIX_EPOCH + Duration::from_millis(t.sent_at_ms);
        let response = TokenResponse {
            access_token: t.access_token.clone(),
            token_type: t.token_type.clone(),
            expires_in: Duration::from_millis(lifetime),
            scope: t.scope.clone(),
            extra: t.extra.clone(),
        };
        Ok(Some(Fetched {
            response,
            sent_at: clock::precise().saturating_sub(nanos(age)),
            sent_wall,
        }))
    }

    /// Shares a token this process fetched, for its usable lifetime.
    async fn write_shared(&self, shared: &Shared<'_>, f: &Fetched) {
        let r = &f.response;
        let lifetime = r.expires_in;
        let usable = lifetime::windows(lifetime, &self.settings).usable;
        let ttl = (f.sent_wall + usable)
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        if ttl.is_zero() {
            return;
        }
        let sealed = SealedToken {
            access_token: r.access_token.clone(),
            token_type: r.token_type.clone(),
            sent_at_ms: unix_ms(f.sent_wall),
            lifetime_ms: lifetime.as_millis() as u64,
            scope: r.scope.clone(),
            extra: r.extra.clone(),
        };
        let Some(value) = shared.sealer.seal(shared.key, &sealed) else {
            return;
        };
        if let Err(e) = shared.store.put(shared.key, value, ttl).await {
            self.store_failed(&e);
        }
    }

    fn store_failed(&self, e: &Error) {
        self.stats.store_error();
        warn!(target: "m2m_auth", error = %e, "shared cache unavailable; using the in-process cache");
    }

    /// A token request of this client's, counted in its stats (a token
    /// read from the shared cache is a shared hit, not a fetch).
    async fn counted_request(&self, key: &CacheKey, background: bool) -> Result<Fetched, Failure> {
        self.stats.fetch(background);
        self.request_token(key.request()).await
    }

    /// The store failed: fetch without it (or, in strict mode, fail).
    async fn degraded(
        &self,
        e: Error,
        key: &CacheKey,
        background: bool,
    ) -> Result<Fetched, Failure> {
        self.store_failed(&e);
        if self.settings.cache_strict {
            return Err(e.into());
        }
        self.counted_request(key, background).await
    }
}

/// One key's place in the shared store.
struct Shared<'a> {
    store: &'a dyn SharedStore,
    key: &'a str,
    sealer: &'a Sealer,
    rejected: Option<&'a Secret>,
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
