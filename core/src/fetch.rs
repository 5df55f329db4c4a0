//! Single flight and background refresh (docs/design.md §4): one token
//! request per key however many callers wait, its outcome recorded in the
//! key's slot.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use futures_util::FutureExt as _;
use tracing::{info, warn};

use crate::cache::{next_fetch_id, Inflight, InflightRecord, Slot, SlotState};
use crate::client::{Failure, Inner};
use crate::clock::{self, nanos};
use crate::dpop::rotation::RequestKey;
use crate::error::{Error, ErrorDetail, Result, TransportKind};
use crate::secret::Secret;
use crate::telemetry::{self, TokenRequestRecord, Trace};
use crate::token::Token;

/// How often a key this process holds throttled looks in the shared store
/// for a token another process fetched (the lease wait's poll interval).
const STORE_LOOK: Duration = Duration::from_millis(25);

/// What the slow path does once the slot's lock is released.
enum Next {
    /// Waits for the key's token request (in flight, or just started).
    Wait(Inflight),
    /// Looks in the shared store for a throttled key (the token a request
    /// there might have rejected, and the throttle's time left).
    Look(Option<Secret>, Duration),
}

impl Inner {
    /// The slow path: a usable cached token, a shared in-flight request, or a
    /// new one. `force` skips the cached token.
    pub(crate) async fn obtain(inner: Arc<Inner>, slot: Arc<Slot>, force: bool) -> Result<Token> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::config(
                "m2m-auth must be called from within a Tokio runtime",
            ));
        }
        // With dpop_key_file: the key file is looked at here, and a new key
        // means another slot (docs/design.md §11).
        let (slot, key) = inner.follow_key_file(slot);
        let next = {
            let mut st = slot.state.lock();
            let now = clock::precise();
            if force {
                // A forced fetch replaces the current token everywhere.
                let current = st
                    .cached
                    .as_ref()
                    .map(|c| Secret::new(c.token.access_token()));
                st.rejected = current.or(st.rejected.take());
            }
            if !force {
                if let Some(c) = &st.cached {
                    if now < c.usable_until {
                        let token = c.token.clone();
                        if now >= c.fresh_until {
                            Inner::maybe_refresh(&inner, &slot, &mut st, now, key);
                        }
                        inner.stats.hit_shared();
                        return Ok(token);
                    }
                }
            }
            if st.throttled_until > now {
                let left = Duration::from_nanos(st.throttled_until - now);
                // Another process may have put a token in the shared store
                // while this one holds the key throttled (its throttle was
                // not shared: the store was down when the answer came, or
                // has lost it since): look there before failing, at most
                // once per STORE_LOOK per key.
                if inner.store.is_some() && now >= st.next_store_look {
                    st.next_store_look = now.saturating_add(nanos(STORE_LOOK));
                    Next::Look(st.rejected.clone(), left)
                } else {
                    inner.stats.throttled();
                    return Err(ErrorDetail::Throttled { retry_after: left }.into());
                }
            } else {
                inner.stats.miss();
                Next::Wait(match st.inflight() {
                    Some(f) => f,
                    None => Inner::start_fetch(&inner, &slot, &mut st, false, key),
                })
            }
        };
        match next {
            Next::Wait(wait) => Waiter(Some(wait)).await,
            Next::Look(rejected, left) => {
                Inner::look_while_throttled(&inner, &slot, rejected, left).await
            }
        }
    }

    /// A throttled key's last look (docs/design.md §5): a fresh token in the
    /// shared store is cached and served; else the call fails `throttled`.
    /// Nothing is sent to the token endpoint either way, and the throttle
    /// stays: this process sends no request for the key until it ends.
    async fn look_while_throttled(
        inner: &Arc<Inner>,
        slot: &Arc<Slot>,
        rejected: Option<Secret>,
        left: Duration,
    ) -> Result<Token> {
        if let Some(fetched) = inner.read_shared_only(&slot.key, rejected.as_ref()).await {
            let cached = inner.to_cached(fetched, slot.key.request());
            let now = clock::precise();
            let mut st = slot.state.lock();
            if let Some(c) = st.cached.as_ref().filter(|c| now < c.usable_until) {
                // Another caller got here first.
                inner.stats.hit_shared();
                return Ok(c.token.clone());
            }
            if now < cached.usable_until {
                let token = cached.token.clone();
                inner.stats.miss();
                slot.set_cached(&mut st, Some(cached));
                return Ok(token);
            }
        }
        inner.stats.throttled();
        Err(ErrorDetail::Throttled { retry_after: left }.into())
    }

    /// Starts a background refresh unless one is running, backing off, or
    /// throttled.
    fn maybe_refresh(
        inner: &Arc<Inner>,
        slot: &Arc<Slot>,
        st: &mut SlotState,
        now: u64,
        key: RequestKey,
    ) {
        if !st.is_inflight() && now >= st.next_refresh_at && now >= st.throttled_until {
            // The task runs on its own; nobody waits for a background refresh.
            drop(Inner::start_fetch(inner, slot, st, true, key));
        }
    }

    /// Spawns the token request so that it completes (and is cached) even if
    /// every caller gives up waiting. `key` is the DPoP key it signs with.
    fn start_fetch(
        inner: &Arc<Inner>,
        slot: &Arc<Slot>,
        st: &mut SlotState,
        background: bool,
        key: RequestKey,
    ) -> Inflight {
        let rejected = st.rejected.take();
        // The fetch ends its own record (and no other) by this id.
        let id = next_fetch_id();
        // The guard is owned by the future from its creation: a task
        // cancelled before its first poll (its runtime shut down) still
        // ends its record, so the key is never "in flight" for ever.
        let guard = InflightGuard(Some((slot.clone(), id)));
        // Boxed where it is made: the request's future is large (every
        // step of the exchange and the shared-store path inline), and
        // moving it into the wrapper below, then the wrapper into its box,
        // copied it twice per token request (~12k instructions of memcpy,
        // a tenth of the engine's cold path, by callgrind).
        let run = Box::pin(Inner::run_fetch(
            inner.clone(),
            slot.clone(),
            background,
            rejected,
            id,
            key,
        ));
        let token = Arc::new(());
        let alive = Arc::downgrade(&token);
        let fetch = async move {
            let _alive = token;
            let mut guard = guard;
            let result = run.await;
            guard.0 = None; // run_fetch ended the record itself
            result
        }
        .boxed();
        // Nobody waits for a background refresh: it runs as its own task.
        // Nor does a request whose caller is no task (`block_on` from a
        // thread outside the runtime): driven there, every exchange with
        // its connection's task would cross threads (2.6x wrk's time vs 1.8x
        // as a task, scripts/cold-instructions.sh and the hot_path bench).
        if background || tokio::task::try_id().is_none() {
            let task = tokio::spawn(fetch);
            let shared = async move {
                task.await.unwrap_or_else(|e| {
                    Err(Error::transport(
                        TransportKind::Io,
                        format!("token request task ended: {e}"),
                    ))
                })
            }
            .boxed()
            .shared();
            st.start_inflight(id, InflightRecord::Task(shared.clone()));
            shared
        } else {
            // Driven by its waiters, in their own tasks (no spawn, no
            // cross-task wake-up); `Waiter` hands it to a task of its own if
            // a waiter gives up before it completes.
            let shared = fetch.shared();
            if let Some(weak) = shared.downgrade() {
                st.start_inflight(id, InflightRecord::Driven { fetch: weak, alive });
            }
            shared
        }
    }

    /// One token request, its outcome recorded in the slot.
    async fn run_fetch(
        inner: Arc<Inner>,
        slot: Arc<Slot>,
        background: bool,
        rejected: Option<Secret>,
        id: u64,
        key: RequestKey,
    ) -> Result<Token> {
        let started_at = SystemTime::now();
        let started = Instant::now();
        let request = async {
            match key {
                // Boxed: moved into the trace scope below, then that into
                // this function's future, it was copied twice more into
                // that future, which the caller copies into its box on each
                // request (~17 KB; scripts/cold-instructions.sh).
                Ok(key) => {
                    Box::pin(inner.fetch_shared(
                        &slot.key,
                        key.as_deref(),
                        rejected.as_ref(),
                        background,
                    ))
                    .await
                }
                // The DPoP key file cannot be used now: no request is sent.
                Err(e) => Err(e.into()),
            }
        };
        let (outcome, trace) = Trace::scope(request).await;
        let result = Inner::settle(&inner, &slot, id, background, outcome);
        // After the slot's lock is released (docs/design.md §12).
        telemetry::emit(TokenRequestRecord {
            endpoint: trace
                .endpoint()
                .map_or_else(|| inner.endpoint_for_telemetry(), str::to_owned),
            client_id: inner.client_id.clone(),
            key_fingerprint: slot.key_fingerprint(),
            attempts: trace.attempts(),
            outcome: result.as_ref().map_or_else(|e| e.code(), |_| "ok"),
            status: trace.last_status(),
            started_at,
            duration: started.elapsed(),
            background,
        });
        result
    }

    /// Records a token request's outcome in its slot, and returns what its
    /// waiters get.
    fn settle(
        inner: &Arc<Inner>,
        slot: &Arc<Slot>,
        id: u64,
        background: bool,
        outcome: std::result::Result<crate::client::Fetched, Failure>,
    ) -> Result<Token> {
        let now = clock::precise();
        let mut st = slot.state.lock();
        st.end_inflight(id);
        match outcome {
            Ok(fetched) => {
                let throttle = fetched.throttle;
                let cached = inner.to_cached(fetched, slot.key.request());
                if cached.usable_until <= now {
                    // docs/design.md §4: an unusable token is never handed out.
                    inner.stats.failure();
                    let error = Error::invalid_response(
                        "the token's lifetime (expires_in) leaves it unusable on arrival",
                    );
                    warn!(target: "m2m_auth", client_id = %inner.client_id, error = %error, "token request failed");
                    return Err(error);
                }
                let token = cached.token.clone();
                info!(
                    target: "m2m_auth",
                    client_id = %inner.client_id,
                    token = %token.fingerprint(),
                    expires_in_s = token.expires_in().as_secs(),
                    background,
                    "token received"
                );
                // An exhausted quota throttles the key although this
                // token came (docs/design.md §5): it is served meanwhile.
                st.throttled_until = throttle.map_or(0, |d| now.saturating_add(nanos(d)));
                st.refresh_failures = 0;
                st.next_refresh_at = 0;
                slot.set_cached(&mut st, Some(cached));
                Ok(token)
            }
            Err(Failure { error, throttle }) => {
                inner.stats.failure();
                if let Some(d) = throttle {
                    st.throttled_until = now.saturating_add(nanos(d));
                }
                let serving = st.cached.as_ref().is_some_and(|c| now < c.usable_until);
                if serving {
                    st.refresh_failures += 1;
                    let delay = inner.settings.retry.backoff(st.refresh_failures);
                    st.next_refresh_at = now.saturating_add(nanos(delay));
                    warn!(
                        target: "m2m_auth",
                        client_id = %inner.client_id,
                        code = error.code(),
                        error = %error,
                        retry_in_ms = delay.as_millis() as u64,
                        "token refresh failed; serving the cached token"
                    );
                } else {
                    warn!(target: "m2m_auth", client_id = %inner.client_id, code = error.code(), error = %error, "token request failed");
                }
                Err(error)
            }
        }
    }
}

/// Waits for an in-flight token request. If dropped before it completes (the
/// caller gave up), the request is finished by a task of its own, so that it
/// is still cached and the other waiters still get its outcome.
struct Waiter(Option<Inflight>);

impl Future for Waiter {
    type Output = Result<Token>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Token>> {
        let fut = self.0.as_mut().expect("Waiter polled after completion");
        let out = std::task::ready!(fut.poll_unpin(cx));
        self.0 = None;
        Poll::Ready(out)
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        if let Some(fut) = self.0.take() {
            if fut.peek().is_none() {
                if let Ok(rt) = tokio::runtime::Handle::try_current() {
                    rt.spawn(async move {
                        let _ = fut.await;
                    });
                }
            }
        }
    }
}

/// Clears a key's in-flight request if its fetch is dropped before it ends.
struct InflightGuard(Option<(Arc<Slot>, u64)>);

impl Drop for InflightGuard {
    fn drop(&mut self) {
        if let Some((slot, id)) = self.0.take() {
            // The drop can happen under the slot's own lock (a forked child
            // discarding an inherited request): then its holder is already
            // clearing it, and waiting would deadlock.
            if let Some(mut st) = slot.state.try_lock_for(Duration::from_millis(50)) {
                st.end_inflight(id);
            }
        }
    }
}
