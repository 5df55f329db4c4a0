//! The client: the cached path, single flight, background refresh, retries
//! and throttling (docs/design.md §2–§5).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use futures_util::FutureExt as _;
use tracing::{debug, info, warn};
use url::Url;
use zeroize::Zeroizing;

use crate::auth::ClientAuth;
use crate::cache::{
    next_fetch_id, Cached, Inflight, MemoryCache, Slot, SlotState, DEFAULT_MAX_KEYS,
};
use crate::clock::{self, nanos};
use crate::config::{AuthMethod, Endpoint, Settings, TokenClientBuilder};
use crate::discovery;
use crate::error::{Error, ErrorDetail, Result, TransportKind};
use crate::http::Transport;
use crate::key::{CacheKey, KeyBase};
use crate::redact::Redactor;
use crate::request::{Resolved, TokenRequest};
use crate::response::{parse_retry_after, parse_token_response_scrubbed, TokenResponse};
use crate::retry::{classify, Verdict};
use crate::secret::Secret;
use crate::stats::{Counters, Stats};
use crate::store::{self, SealedToken, Sealer, SharedStore};
use crate::token::Token;

/// An OAuth 2.0 client credentials client with a shared token cache.
///
/// Cheap to clone; clones share everything. Clients built with the same
/// endpoint, credentials and request parameters share cached tokens and
/// in-flight requests process-wide.
#[derive(Clone)]
pub struct TokenClient {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: Endpoint,
    discovered: tokio::sync::OnceCell<Url>,
    client_id: String,
    auth: ClientAuth,
    defaults: Resolved,
    settings: Settings,
    transport: OnceLock<Transport>,
    cache: Arc<MemoryCache>,
    key_base: Arc<KeyBase>,
    default_slot: Arc<Slot>,
    stats: Counters,
    redactor: Redactor,
    /// The shared cache behind the in-process one, if configured.
    store: Option<Arc<dyn SharedStore>>,
}

/// A token request that succeeded, with when it was sent.
struct Fetched {
    response: TokenResponse,
    sent_at: u64,
    sent_wall: SystemTime,
}

/// A token request that failed, and for how long to stop asking.
struct Failure {
    error: Error,
    throttle: Option<Duration>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            throttle: None,
        }
    }
}

impl TokenClient {
    /// Starts building a client.
    pub fn builder() -> TokenClientBuilder {
        TokenClientBuilder::default()
    }

    /// A client configured from the `M2M_AUTH_*` environment variables:
    /// `M2M_AUTH_TOKEN_URL` | `M2M_AUTH_DOMAIN` | `M2M_AUTH_ISSUER`,
    /// `M2M_AUTH_CLIENT_ID`, `M2M_AUTH_CLIENT_SECRET`, `M2M_AUTH_AUTH_METHOD`,
    /// `M2M_AUTH_AUDIENCE`, `M2M_AUTH_SCOPE`, `M2M_AUTH_ORGANIZATION`,
    /// `M2M_AUTH_CACHE`.
    pub fn from_env() -> Result<TokenClient> {
        TokenClientBuilder::default().from_env().build()
    }

    pub(crate) fn from_builder(b: TokenClientBuilder) -> Result<TokenClient> {
        b.check_settings()?;
        let endpoint = b.endpoint()?;
        let client_id = b
            .client_id
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_string();
        if client_id.is_empty() {
            return Err(Error::config(
                "client_id is required (or M2M_AUTH_CLIENT_ID)",
            ));
        }
        let secret = match &b.client_secret {
            Some(s) if !s.is_empty() => s.clone(),
            _ => {
                return Err(Error::config(
                    "client_secret is required (or M2M_AUTH_CLIENT_SECRET)",
                ))
            }
        };
        let method: AuthMethod = match &b.auth_method {
            Some(m) => m.parse()?,
            None => AuthMethod::default(),
        };
        let auth = ClientAuth::new(method, &client_id, secret);
        let defaults = Resolved::from_request(&b.defaults)?;
        Transport::check(&b.settings)?;
        let store = store::open(
            b.cache.as_deref().unwrap_or("memory"),
            b.settings.store_timeout,
        )?;
        let cache = match (&b.memory_cache, b.max_cache_keys) {
            (Some(c), _) => c.clone(),
            (None, Some(n)) if n != DEFAULT_MAX_KEYS => MemoryCache::new(n),
            _ => MemoryCache::global(),
        };
        let key_base = Arc::new(KeyBase {
            endpoint: endpoint.key(),
            client_id: client_id.clone(),
            auth_method: method,
            credentials: auth.fingerprint(&client_id),
        });
        let default_slot = cache.slot(CacheKey::new(key_base.clone(), defaults.clone()));
        let redactor = auth.redactor(&client_id);
        Ok(TokenClient {
            inner: Arc::new(Inner {
                endpoint,
                discovered: tokio::sync::OnceCell::new(),
                client_id,
                auth,
                defaults,
                settings: b.settings,
                transport: OnceLock::new(),
                cache,
                key_base,
                default_slot,
                stats: Counters::default(),
                redactor,
                store,
            }),
        })
    }

    /// A usable token for `request`: from the cache when it holds one, else
    /// from the token endpoint (one request per key however many callers
    /// wait). A token past its refresh point is returned at once while one
    /// background request renews it.
    ///
    /// The cache is consulted when this is called: a fresh token makes the
    /// returned future ready without any allocation, lock or shared write.
    pub fn get_token(&self, request: &TokenRequest) -> GetToken {
        let slot = if request.is_default() {
            if let Some(t) = self.inner.default_slot.fresh(&self.inner.stats) {
                return GetToken::ready(Ok(t));
            }
            let slot = self.inner.default_slot.clone();
            self.inner.cache.touch(&slot);
            slot
        } else {
            match self.inner.slot_for(request) {
                Ok(slot) => {
                    if let Some(t) = slot.fresh(&self.inner.stats) {
                        return GetToken::ready(Ok(t));
                    }
                    slot
                }
                Err(e) => return GetToken::ready(Err(e)),
            }
        };
        GetToken(GetTokenState::Slow(Box::pin(Inner::obtain(
            self.inner.clone(),
            slot,
            false,
        ))))
    }

    /// A fresh token for `request` without I/O, if the cache holds one.
    /// For callers that must not wait (bindings' fast paths).
    pub fn cached_token(&self, request: &TokenRequest) -> Option<Token> {
        if request.is_default() {
            return self.inner.default_slot.fresh(&self.inner.stats);
        }
        self.inner.slot_for(request).ok()?.fresh(&self.inner.stats)
    }

    /// A new token from the token endpoint, bypassing (and then updating)
    /// the cache. Joins a request for the same key already in flight.
    pub async fn fetch_token(&self, request: &TokenRequest) -> Result<Token> {
        let slot = self.inner.slot_for(request)?;
        Inner::obtain(self.inner.clone(), slot, true).await
    }

    /// Drops the cached token for `request`, e.g. after an API answered 401
    /// with it. The next call fetches a new one.
    pub fn invalidate(&self, request: &TokenRequest) -> Result<()> {
        let slot = self.inner.slot_for(request)?;
        let mut st = slot.state.lock();
        st.rejected = st
            .cached
            .as_ref()
            .map(|c| Secret::new(c.token.access_token()));
        slot.set_cached(&mut st, None);
        debug!(target: "m2m_auth", client_id = %self.inner.client_id, "cached token invalidated");
        Ok(())
    }

    /// This client's counters.
    pub fn stats(&self) -> Stats {
        self.inner.stats.snapshot()
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The authentication method.
    pub fn auth_method(&self) -> AuthMethod {
        self.inner.auth.method()
    }

    /// Drops the cached token for `request` only if it is still `rejected`
    /// (the token an API just refused): a concurrent caller may already have
    /// renewed it, and that renewal is kept. Like [`TokenClient::invalidate`],
    /// the refused token is never taken back from a shared cache. This is
    /// what API helpers call on a 401.
    pub fn invalidate_rejected(&self, request: &TokenRequest, rejected: &str) -> Result<()> {
        let slot = self.inner.slot_for(request)?;
        let mut st = slot.state.lock();
        if st
            .cached
            .as_ref()
            .is_some_and(|c| c.token.access_token() == rejected)
        {
            slot.set_cached(&mut st, None);
        }
        st.rejected = Some(Secret::new(rejected));
        Ok(())
    }

    pub(crate) fn transport(&self) -> Result<&Transport> {
        self.inner.transport()
    }
}

/// The future returned by [`TokenClient::get_token`]: ready at once on a
/// cache hit, else the shared token request.
#[must_use = "futures do nothing unless awaited"]
pub struct GetToken(GetTokenState);

enum GetTokenState {
    Ready(Option<Result<Token>>),
    Slow(Pin<Box<dyn Future<Output = Result<Token>> + Send>>),
}

impl GetToken {
    fn ready(result: Result<Token>) -> GetToken {
        GetToken(GetTokenState::Ready(Some(result)))
    }
}

impl Future for GetToken {
    type Output = Result<Token>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Token>> {
        match &mut self.0 {
            GetTokenState::Ready(r) => {
                Poll::Ready(r.take().expect("GetToken polled after completion"))
            }
            GetTokenState::Slow(f) => f.as_mut().poll(cx),
        }
    }
}

impl fmt::Debug for GetToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            GetTokenState::Ready(_) => "GetToken(ready)",
            GetTokenState::Slow(_) => "GetToken(pending)",
        })
    }
}

impl fmt::Debug for TokenClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenClient")
            .field("endpoint", &self.inner.key_base.endpoint)
            .field("client_id", &self.inner.client_id)
            .field("auth_method", &self.inner.auth.method())
            .field("client_secret", &"***")
            .field("defaults", &self.inner.defaults)
            .finish()
    }
}

impl Inner {
    fn slot_for(&self, request: &TokenRequest) -> Result<Arc<Slot>> {
        if request.is_default() {
            return Ok(self.default_slot.clone());
        }
        let resolved = self.defaults.merge(request)?;
        if resolved == self.defaults {
            return Ok(self.default_slot.clone());
        }
        Ok(self
            .cache
            .slot(CacheKey::new(self.key_base.clone(), resolved)))
    }

    /// The slow path: a usable cached token, a shared in-flight request, or a
    /// new one. `force` skips the cached token.
    async fn obtain(inner: Arc<Inner>, slot: Arc<Slot>, force: bool) -> Result<Token> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::config(
                "m2m-auth must be called from within a Tokio runtime",
            ));
        }
        let wait = {
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
                            Inner::maybe_refresh(&inner, &slot, &mut st, now);
                        }
                        inner.stats.hit_shared();
                        return Ok(token);
                    }
                }
            }
            if st.throttled_until > now {
                return Err(ErrorDetail::Throttled {
                    retry_after: Duration::from_nanos(st.throttled_until - now),
                }
                .into());
            }
            inner.stats.miss();
            match st.inflight() {
                Some(f) => f.clone(),
                None => Inner::start_fetch(&inner, &slot, &mut st, false),
            }
        };
        Waiter(Some(wait)).await
    }

    /// Starts a background refresh unless one is running, backing off, or
    /// throttled.
    fn maybe_refresh(inner: &Arc<Inner>, slot: &Arc<Slot>, st: &mut SlotState, now: u64) {
        if st.inflight().is_none() && now >= st.next_refresh_at && now >= st.throttled_until {
            // The task runs on its own; nobody waits for a background refresh.
            drop(Inner::start_fetch(inner, slot, st, true));
        }
    }

    /// Spawns the token request so that it completes (and is cached) even if
    /// every caller gives up waiting.
    fn start_fetch(
        inner: &Arc<Inner>,
        slot: &Arc<Slot>,
        st: &mut SlotState,
        background: bool,
    ) -> Inflight {
        let rejected = st.rejected.take();
        // The fetch ends its own record (and no other) by this id.
        let id = next_fetch_id();
        // The guard is owned by the future from its creation: a task
        // cancelled before its first poll (its runtime shut down) still
        // ends its record, so the key is never "in flight" for ever.
        let guard = InflightGuard(Some((slot.clone(), id)));
        let run = Inner::run_fetch(inner.clone(), slot.clone(), background, rejected, id);
        let fetch = async move {
            let mut guard = guard;
            let result = run.await;
            guard.0 = None; // run_fetch ended the record itself
            result
        }
        .boxed();
        let shared = if background {
            // Nobody waits for a background refresh: it runs as its own task.
            let task = tokio::spawn(fetch);
            async move {
                task.await.unwrap_or_else(|e| {
                    Err(Error::transport(
                        TransportKind::Io,
                        format!("token request task ended: {e}"),
                    ))
                })
            }
            .boxed()
            .shared()
        } else {
            // Driven by its waiters, in their own tasks (no spawn, no
            // cross-task wake-up); `Waiter` hands it to a task of its own if
            // a waiter gives up before it completes.
            fetch.shared()
        };
        st.start_inflight(id, shared.clone());
        shared
    }

    /// One token request, its outcome recorded in the slot.
    async fn run_fetch(
        inner: Arc<Inner>,
        slot: Arc<Slot>,
        background: bool,
        rejected: Option<Secret>,
        id: u64,
    ) -> Result<Token> {
        inner.stats.fetch(background);
        let outcome = inner.fetch_shared(&slot.key, rejected.as_ref()).await;
        let now = clock::precise();
        let mut st = slot.state.lock();
        st.end_inflight(id);
        match outcome {
            Ok(fetched) => {
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
                st.throttled_until = 0;
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

    /// A token for `key` from the shared cache if another process has a
    /// fresh one; else fetched under the key's lease (and shared), or, while
    /// another process holds the lease, awaited from the store (bounded by
    /// the lease time, then fetched here). Without a store: a plain fetch.
    /// `rejected`: a token an API refused (or a forced fetch replaces), never
    /// to be taken from the store again.
    async fn fetch_shared(
        &self,
        key: &CacheKey,
        rejected: Option<&Secret>,
    ) -> Result<Fetched, Failure> {
        let Some(store) = &self.store else {
            return self.request_token(key.request()).await;
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
                Err(e) => return self.degraded(e, key).await,
            }
            match store.try_lease(&skey, self.settings.lease_ttl).await {
                Ok(Some(lease)) => {
                    // Another process may have stored one while we looked.
                    let result = match self.read_shared(&shared).await {
                        Ok(Some(f)) => Ok(f),
                        _ => {
                            let r = self.request_token(key.request()).await;
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
                Err(e) => return self.degraded(e, key).await,
            }
            if tokio::time::Instant::now() >= wait_until {
                debug!(target: "m2m_auth", store = %store.describe(), "lease holder is slow or gone; fetching here");
                return self.request_token(key.request()).await;
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
        let leeway = (self.settings.leeway.as_millis() as u64).min(lifetime / 2);
        let fresh = (lifetime as f64 * self.settings.refresh_ratio) as u64;
        let fresh_until = t.sent_at_ms.saturating_add(fresh.min(lifetime - leeway));
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
        let usable = lifetime.saturating_sub(self.settings.leeway.min(lifetime / 2));
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

    /// The store failed: fetch without it (or, in strict mode, fail).
    async fn degraded(&self, e: Error, key: &CacheKey) -> Result<Fetched, Failure> {
        self.store_failed(&e);
        if self.settings.cache_strict {
            return Err(e.into());
        }
        self.request_token(key.request()).await
    }

    /// The cache entry for a fresh response: usable until `expires - leeway`
    /// (leeway at most half the lifetime), fresh until the refresh point,
    /// both counted from when the request was sent.
    fn to_cached(&self, f: Fetched, request: &Resolved) -> Cached {
        let lifetime = nanos(f.response.expires_in);
        let leeway = nanos(self.settings.leeway).min(lifetime / 2);
        let usable_until = f.sent_at.saturating_add(lifetime - leeway);
        let refresh = (lifetime as f64 * self.settings.refresh_ratio) as u64;
        let fresh_until = f.sent_at.saturating_add(refresh).min(usable_until);
        let r = f.response;
        let scope = r.scope.or_else(|| request.scope_string());
        let refresh_at = f.sent_wall + Duration::from_nanos(fresh_until - f.sent_at);
        let expires_at = f.sent_wall + r.expires_in;
        let token = Token::new(
            r.access_token,
            r.token_type,
            expires_at,
            refresh_at,
            scope,
            r.extra,
        );
        Cached {
            token,
            usable_until,
            fresh_until,
        }
    }

    fn transport(&self) -> Result<&Transport> {
        if let Some(t) = self.transport.get() {
            return Ok(t);
        }
        let t = Transport::new(&self.settings)?;
        Ok(self.transport.get_or_init(|| t))
    }

    async fn token_endpoint(&self, transport: &Transport) -> Result<&Url> {
        match &self.endpoint {
            Endpoint::TokenUrl(u) => Ok(u),
            Endpoint::Issuer(issuer) => {
                self.discovered
                    .get_or_try_init(|| discovery::token_endpoint(transport, issuer))
                    .await
            }
        }
    }

    /// The form body (zeroized after use) and the Basic header, if any.
    fn form(&self, request: &Resolved) -> (Zeroizing<String>, Option<&Secret>) {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials");
        let authorization = self.auth.apply(&self.client_id, &mut form);
        request.append_form(&mut form);
        (Zeroizing::new(form.finish()), authorization)
    }

    /// Requests a token: attempts with backoff inside the overall deadline.
    /// Every error leaving here is scrubbed of the credentials.
    async fn request_token(&self, request: &Resolved) -> Result<Fetched, Failure> {
        let deadline = tokio::time::Instant::now() + self.settings.timeout;
        let scrub = |e: Error| e.map_text(|t| self.redactor.scrub(t));
        let within = |fut| within_deadline(deadline, self.settings.timeout, fut);
        let transport = self.transport().map_err(scrub)?;
        let url = within_deadline(
            deadline,
            self.settings.timeout,
            self.token_endpoint(transport),
        )
        .await
        .map_err(scrub)?
        .clone();
        let (body, authorization) = self.form(request);
        let retry = &self.settings.retry;
        debug!(
            target: "m2m_auth",
            endpoint = %url,
            client_id = %self.client_id,
            audience = ?request.audience,
            scope = ?request.scope_string(),
            "requesting token"
        );
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent_at = clock::precise();
            let sent_wall = SystemTime::now();
            let post = transport.post_form(&url, authorization, body.as_bytes().to_vec());
            let (error, retry_after) = match within(post).await {
                Ok(raw) => {
                    let scrub_body = |t| self.redactor.scrub_body(t, raw.complete);
                    let rules = &self.settings.response;
                    match parse_token_response_scrubbed(
                        raw.status,
                        &raw.body,
                        raw.complete,
                        rules,
                        &scrub_body,
                    ) {
                        Ok(response) => {
                            return Ok(Fetched {
                                response,
                                sent_at,
                                sent_wall,
                            })
                        }
                        Err(e) => {
                            let ra = raw.retry_after.as_deref().and_then(|v| {
                                parse_retry_after(v, SystemTime::now(), retry.max_retry_after)
                            });
                            (scrub(e), ra)
                        }
                    }
                }
                Err(e) => (scrub(e), None),
            };
            let verdict = classify(&error);
            debug!(target: "m2m_auth", attempt, code = error.code(), error = %error, ?verdict, "token request attempt failed");
            if verdict == Verdict::Fatal {
                return Err(error.into());
            }
            let backoff = retry.backoff(attempt);
            let delay = retry_after.map_or(backoff, |ra| ra.max(backoff));
            let out_of_time = tokio::time::Instant::now() + delay >= deadline;
            if attempt >= retry.max_attempts || out_of_time {
                let throttle = match verdict {
                    Verdict::RetryThenThrottle => {
                        Some(retry_after.unwrap_or(retry.default_throttle))
                    }
                    _ => retry_after,
                };
                return Err(Failure { error, throttle });
            }
            tokio::time::sleep(delay).await;
        }
    }
}

/// `fut`, or a timeout error once `deadline` passes.
async fn within_deadline<T>(
    deadline: tokio::time::Instant,
    timeout: Duration,
    fut: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout_at(deadline, fut)
        .await
        .unwrap_or_else(|_| {
            Err(Error::transport(
                TransportKind::Timeout,
                format!("no complete response within {timeout:?}"),
            ))
        })
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
