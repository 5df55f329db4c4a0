//! The shared cache's lease protocol (docs/design.md §4, docs/shared-cache.md):
//! a token another process fetched is read from the store; a throttle another
//! process met is met here too; else one process fetches under the key's
//! lease, renewing it while its request runs, while the others wait for it
//! inside their own deadline.

mod values;

use std::time::Duration;

use tokio::time::Instant;
use tracing::{debug, warn};

use crate::client::{Failure, Fetched, Inner};
use crate::dpop::DpopKey;
use crate::error::{Error, ErrorDetail, Result, TransportKind};
use crate::key::CacheKey;
use crate::secret::Secret;
use crate::store::{self, Lease, Sealer, SharedStore};

/// How often a process waiting for another's lease looks at the store.
const POLL: Duration = Duration::from_millis(25);

impl Inner {
    /// A token for `key` from the shared cache if another process has a
    /// fresh one; else fetched under the key's lease (and shared), or, while
    /// another process holds the lease, awaited from the store. A throttle
    /// another process stored fails the call as if met here, without a
    /// request. Waiting and fetching share one deadline (`timeout`).
    /// Without a store: a plain fetch. `rejected`: a token an API refused
    /// (or a forced fetch replaces), never to be taken from the store again.
    /// `dpop`: the DPoP key a request signs its proofs with (`key`'s).
    pub(crate) async fn fetch_shared(
        &self,
        key: &CacheKey,
        dpop: Option<&DpopKey>,
        rejected: Option<&Secret>,
        background: bool,
    ) -> Result<Fetched, Failure> {
        let deadline = Instant::now() + self.settings.timeout;
        match &self.store {
            None => self.counted_request(key, dpop, background, deadline).await,
            // Boxed: inline, the store's futures would make every token
            // request's future (store or not) larger, and it is copied into
            // its box on each request.
            Some(store) => {
                Box::pin(self.fetch_through(&**store, key, dpop, rejected, background, deadline))
                    .await
            }
        }
    }

    /// `fetch_shared` with a store.
    async fn fetch_through(
        &self,
        store: &dyn SharedStore,
        key: &CacheKey,
        dpop: Option<&DpopKey>,
        rejected: Option<&Secret>,
        background: bool,
        deadline: Instant,
    ) -> Result<Fetched, Failure> {
        let names = self.shared_names(key);
        let shared = names.view(store, rejected);
        loop {
            match self.read_shared(&shared).await {
                Ok(Some(f)) => return Ok(f),
                Ok(None) => {}
                Err(e) => return self.degraded(e, key, dpop, background, deadline).await,
            }
            match self.read_throttle(&shared).await {
                Ok(Some(left)) => return Err(throttled(left)),
                Ok(None) => {}
                Err(e) => return self.degraded(e, key, dpop, background, deadline).await,
            }
            match store.try_lease(&names.key, self.settings.lease_ttl).await {
                Ok(Some(lease)) => {
                    return self
                        .fetch_leased(&shared, lease, key, dpop, background, deadline)
                        .await
                }
                Ok(None) => {}
                Err(e) => return self.degraded(e, key, dpop, background, deadline).await,
            }
            // The holder renews its lease while its request runs, and that
            // request ends within its own deadline, which is before ours:
            // waiting beats a second request. A holder that died frees the
            // lease within `lease_ttl`; then the loop takes it.
            if Instant::now() + POLL >= deadline {
                debug!(target: "m2m_auth", store = %store.describe(), "another process held the fetch lease until the deadline");
                return Err(Error::transport(
                    TransportKind::Timeout,
                    format!(
                        "no token within {:?}: another process held the key's fetch lease",
                        self.settings.timeout
                    ),
                )
                .into());
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The store key, throttle key and sealer of `key`'s shared values.
    fn shared_names(&self, key: &CacheKey) -> SharedNames {
        let digest = key.digest();
        let skey = store::store_key(&digest);
        SharedNames {
            throttle_key: store::throttle_key(&skey),
            key: skey,
            sealer: Sealer::new(self.auth.sealing_secret().unwrap_or_default(), &digest),
        }
    }

    /// A fresh token another process put in the shared store for `key`,
    /// read without a lease and without sending anything: the last look of
    /// a key this process holds throttled before it fails the call
    /// (docs/design.md §5). `None` without a store, on a miss, or if the
    /// store fails (counted in `store_errors`).
    pub(crate) async fn read_shared_only(
        &self,
        key: &CacheKey,
        rejected: Option<&Secret>,
    ) -> Option<Fetched> {
        let store = self.store.as_ref()?;
        let names = self.shared_names(key);
        let shared = names.view(&**store, rejected);
        match self.read_shared(&shared).await {
            Ok(found) => found,
            Err(e) => {
                self.store_failed(&e);
                None
            }
        }
    }

    /// Under the key's lease: the token or throttle another process stored
    /// while we looked, else a request (renewing the lease while it runs)
    /// whose outcome is shared. The lease is given back in every case.
    async fn fetch_leased(
        &self,
        shared: &Shared<'_>,
        lease: Lease,
        key: &CacheKey,
        dpop: Option<&DpopKey>,
        background: bool,
        deadline: Instant,
    ) -> Result<Fetched, Failure> {
        let result = match self.read_shared(shared).await {
            Ok(Some(f)) => Ok(f),
            _ => match self.read_throttle(shared).await {
                Ok(Some(left)) => Err(throttled(left)),
                _ => {
                    let r = self
                        .request_renewing(shared, &lease, key, dpop, background, deadline)
                        .await;
                    match &r {
                        Ok(f) => {
                            self.write_shared(shared, f).await;
                            if let Some(d) = f.throttle {
                                self.write_throttle(shared, d).await;
                            }
                        }
                        Err(Failure {
                            throttle: Some(d), ..
                        }) => self.write_throttle(shared, *d).await,
                        Err(_) => {}
                    }
                    r
                }
            },
        };
        if let Err(e) = shared.store.release(lease).await {
            self.store_failed(&e);
        }
        result
    }

    /// The token request, with the lease renewed every third of
    /// `lease_ttl` while it runs: the lease outlives the request it guards
    /// however slow the server, yet expires `lease_ttl` after a holder that
    /// died.
    async fn request_renewing(
        &self,
        shared: &Shared<'_>,
        lease: &Lease,
        key: &CacheKey,
        dpop: Option<&DpopKey>,
        background: bool,
        deadline: Instant,
    ) -> Result<Fetched, Failure> {
        let ttl = self.settings.lease_ttl;
        let period = (ttl / 3).max(Duration::from_millis(1));
        let renewing = async {
            loop {
                tokio::time::sleep(period).await;
                match shared.store.renew(lease, ttl).await {
                    Ok(true) => {}
                    Ok(false) => {
                        // Expired and taken: the result is still stored,
                        // by compare-and-set, so a newer one is kept.
                        debug!(target: "m2m_auth", "fetch lease lost while fetching");
                        break;
                    }
                    // A store hiccup: the next period tries again.
                    Err(e) => self.store_failed(&e),
                }
            }
            std::future::pending().await
        };
        tokio::select! {
            r = self.counted_request(key, dpop, background, deadline) => r,
            r = renewing => r,
        }
    }

    fn store_failed(&self, e: &Error) {
        self.stats.store_error();
        warn!(target: "m2m_auth", error = %e, "shared cache unavailable; using the in-process cache");
    }

    /// A token request of this client's, counted in its stats (a token
    /// read from the shared cache is a shared hit, not a fetch).
    async fn counted_request(
        &self,
        key: &CacheKey,
        dpop: Option<&DpopKey>,
        background: bool,
        deadline: Instant,
    ) -> Result<Fetched, Failure> {
        self.stats.fetch(background);
        // Boxed: inline, each future awaiting this one held it twice over.
        Box::pin(self.request_token(key.request(), dpop, deadline)).await
    }

    /// The store failed: fetch without it (or, in strict mode, fail).
    async fn degraded(
        &self,
        e: Error,
        key: &CacheKey,
        dpop: Option<&DpopKey>,
        background: bool,
        deadline: Instant,
    ) -> Result<Fetched, Failure> {
        self.store_failed(&e);
        if self.settings.cache_strict {
            return Err(e.into());
        }
        self.counted_request(key, dpop, background, deadline).await
    }
}

/// The failure a throttle stored by another process means here: the same
/// as a throttle met here (docs/design.md §5), for the time it has left.
fn throttled(left: Duration) -> Failure {
    Failure {
        error: ErrorDetail::Throttled { retry_after: left }.into(),
        throttle: Some(left),
    }
}

/// One key's places in the shared store.
/// Where `key`'s values live in the store, and the sealer that opens them.
struct SharedNames {
    key: String,
    throttle_key: String,
    sealer: Sealer,
}

impl SharedNames {
    fn view<'a>(&'a self, store: &'a dyn SharedStore, rejected: Option<&'a Secret>) -> Shared<'a> {
        Shared {
            store,
            key: &self.key,
            throttle_key: &self.throttle_key,
            sealer: &self.sealer,
            rejected,
        }
    }
}

struct Shared<'a> {
    store: &'a dyn SharedStore,
    key: &'a str,
    throttle_key: &'a str,
    sealer: &'a Sealer,
    rejected: Option<&'a Secret>,
}
