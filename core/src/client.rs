//! The client: the cached path, single flight, background refresh, retries
//! and throttling (docs/design.md §2–§5).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use tracing::debug;
use url::Url;

use crate::auth::{client_auth, ClientAuth};
use crate::builder::TokenClientBuilder;
use crate::cache::{CacheEpoch, MemoryCache, Slot, DEFAULT_MAX_KEYS};
use crate::config::{AuthMethod, Endpoint, Settings};
use crate::dpop::rotation::{Generation, KeyFileKeys};
use crate::error::{Error, Result};
use crate::http::Transport;
use crate::key::{CacheKey, KeyBase};
use crate::mtls::ClientIdentity;
use crate::process::{self, PerProcess};
use crate::redact::{sha256_parts, Redactor};
use crate::request::{Resolved, TokenRequest};
use crate::response::TokenResponse;
use crate::secret::Secret;
use crate::stats::{Counters, Stats};
use crate::store::{self, SharedStore};
use crate::token::Token;

/// An OAuth 2.0 client credentials client with a shared token cache.
///
/// Cheap to clone; clones share everything. Clients built with the same
/// endpoint, credentials and request parameters share cached tokens and
/// in-flight requests process-wide.
#[derive(Clone)]
pub struct TokenClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) endpoint: Endpoint,
    pub(crate) discovered: tokio::sync::OnceCell<Url>,
    pub(crate) client_id: String,
    pub(crate) auth: ClientAuth,
    pub(crate) defaults: Resolved,
    pub(crate) settings: Settings,
    /// This process's connection pool (a forked child builds its own).
    pub(crate) transport: PerProcess<Transport>,
    pub(crate) cache: Arc<MemoryCache>,
    pub(crate) key_base: Arc<KeyBase>,
    pub(crate) default_slot: Arc<Slot>,
    pub(crate) stats: Counters,
    pub(crate) redactor: Redactor,
    /// The shared cache behind the in-process one, if configured.
    pub(crate) store: Option<Arc<dyn SharedStore>>,
    /// Client certificate and key files, re-read when they change.
    pub(crate) identity_files: Option<crate::mtls::IdentityFiles>,
    /// DPoP (RFC 9449): the key and the servers' nonces, with `dpop` on.
    pub(crate) dpop: Option<crate::dpop::Dpop>,
    /// With `dpop_key_file`: the cache keys of its current key, which
    /// replace `key_base` and `default_slot` once the file holds another.
    pub(crate) dpop_keys: Option<KeyFileKeys>,
    /// The token quota the endpoint last reported (the client's and its
    /// organization's, not a key's).
    pub(crate) quota: crate::quota::QuotaState,
}

/// A token request that succeeded, with when it was sent.
pub(crate) struct Fetched {
    pub(crate) response: TokenResponse,
    pub(crate) sent_at: u64,
    pub(crate) sent_wall: SystemTime,
    /// How long the key is throttled although this request succeeded: a
    /// quota bucket it reported is exhausted (docs/design.md §5).
    pub(crate) throttle: Option<Duration>,
}

/// A token request that failed, and for how long to stop asking.
pub(crate) struct Failure {
    pub(crate) error: Error,
    pub(crate) throttle: Option<Duration>,
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
        process::install_fork_hooks();
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
        let tls_options = b.tls.given();
        let identity = ClientIdentity::load(&tls_options)?;
        let identity_files = crate::mtls::watch(&tls_options, identity.as_ref())?;
        let auth = client_auth(&b, &client_id, identity.as_ref())?;
        let dpop = b.dpop.build()?;
        let method = auth.method();
        let defaults = Resolved::from_request(&b.defaults)?;
        Transport::check(&b.settings)?;
        let store = store::open(
            b.cache.as_deref().unwrap_or("memory"),
            b.settings.store_timeout,
            &b.settings.ca_certs_pem,
        )?;
        if store.is_some() && auth.sealing_secret().is_none() {
            // A path is no secret, and the assertion rotates: sealing with
            // either would be weaker than with a client secret.
            return Err(Error::config(
                "a shared cache seals tokens with a stable secret, and \
                 client_assertion_file and client_assertion_provider have none: use the memory \
                 cache",
            ));
        }
        let cache = match (&b.memory_cache, b.max_cache_keys) {
            (Some(c), _) => c.clone(),
            (None, Some(n)) if n != DEFAULT_MAX_KEYS => MemoryCache::new(n),
            _ => MemoryCache::global(),
        };
        let mut credentials = auth.fingerprint(&client_id);
        if let (Some(id), false) = (&identity, method.is_tls()) {
            // A secret or assertion client with a certificate gets tokens
            // bound to it (RFC 8705 §3): another certificate, another key.
            credentials = sha256_parts([
                b"m2m-auth/credentials/certificate/v1".as_slice(),
                &credentials,
                &id.leaf_sha256,
            ]);
        }
        let before_dpop = credentials;
        if let Some(d) = &dpop {
            // Tokens are bound to the DPoP key: another key, another cache
            // key, here and in a shared store (whose names derive from it).
            credentials = crate::dpop::rotation::credentials(&credentials, d.thumbprint());
        }
        let key_base = Arc::new(KeyBase {
            endpoint: endpoint.key(),
            client_id: client_id.clone(),
            auth_method: method,
            credentials,
        });
        let default_slot = cache.slot(CacheKey::new(key_base.clone(), defaults.clone()));
        let dpop_keys = dpop.as_ref().filter(|d| d.file().is_some()).map(|d| {
            let first = Generation {
                key: d.key(),
                key_base: key_base.clone(),
                default_slot: default_slot.clone(),
            };
            KeyFileKeys::new(before_dpop, first)
        });
        let redactor = auth.redactor(&client_id);
        let mut settings = b.settings;
        settings.client_identity = identity;
        let client = TokenClient {
            inner: Arc::new(Inner {
                endpoint,
                discovered: tokio::sync::OnceCell::new(),
                client_id,
                auth,
                defaults,
                settings,
                transport: PerProcess::new(),
                cache,
                key_base,
                default_slot,
                stats: Counters::default(),
                redactor,
                store,
                identity_files,
                dpop,
                dpop_keys,
                quota: Default::default(),
            }),
        };
        crate::telemetry::register(&client.inner);
        #[cfg(feature = "opentelemetry")]
        crate::telemetry::otel::init();
        Ok(client)
    }

    /// A usable token for `request`: from the cache when it holds one, else
    /// from the token endpoint (one request per key however many callers
    /// wait). A token past its refresh point is returned at once while one
    /// background request renews it.
    ///
    /// The cache is consulted when this is called: a fresh token makes the
    /// returned future ready without any allocation, lock or shared write.
    pub fn get_token(&self, request: &TokenRequest) -> GetToken {
        let inner = &self.inner;
        inner.with_keys(|key_base, default_slot| {
            let slot = if request.is_default() {
                if let Some(t) = default_slot.fresh(&inner.stats) {
                    return GetToken::ready(Ok(t));
                }
                let slot = default_slot.clone();
                inner.cache.touch(&slot);
                slot
            } else {
                match inner.slot_in_keys(key_base, default_slot, request) {
                    Ok(slot) => {
                        if let Some(t) = slot.fresh(&inner.stats) {
                            return GetToken::ready(Ok(t));
                        }
                        slot
                    }
                    Err(e) => return GetToken::ready(Err(e)),
                }
            };
            GetToken(GetTokenState::Slow(Box::pin(Inner::obtain(
                inner.clone(),
                slot,
                false,
            ))))
        })
    }

    /// A fresh token for `request` without I/O, if the cache holds one.
    /// For callers that must not wait (bindings' fast paths).
    pub fn cached_token(&self, request: &TokenRequest) -> Option<Token> {
        if request.is_default() {
            let stats = &self.inner.stats;
            return self.inner.with_keys(|_, slot| slot.fresh(stats));
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

    /// The epoch of `request`'s cache key (see [`CacheEpoch`]): changes
    /// whenever its cached token does.
    pub fn cache_epoch(&self, request: &TokenRequest) -> Result<CacheEpoch> {
        self.inner.epoch_for(request)
    }

    /// This client's counters.
    pub fn stats(&self) -> Stats {
        self.inner.stats_now()
    }

    /// The token quota the token endpoint last reported for this client
    /// (Auth0's `Auth0-Client-Quota-Limit` and
    /// `Auth0-Organization-Quota-Limit` headers): its buckets whose window
    /// has not reset yet, empty if the server sends none.
    pub fn quota(&self) -> Vec<crate::quota::QuotaBucket> {
        self.inner.quota.current(SystemTime::now())
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

    pub(crate) fn transport(&self) -> Result<Transport> {
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
            .field("credentials", &"***")
            .field("defaults", &self.inner.defaults)
            .finish()
    }
}
