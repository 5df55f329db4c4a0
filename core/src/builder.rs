//! The builder: every option by its typed setter (the Rust API), validated
//! all at once by `build()` before any I/O (docs/design.md §1).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::assertion::AssertionOptions;
use crate::cache::MemoryCache;
use crate::config::{
    check_url, domain_base, user_agent, AuthMethod, Endpoint, ProxySetting, Settings,
};
use crate::dpop::DpopOptions;
use crate::error::{Error, Result};
use crate::mtls::TlsOptions;
use crate::request::TokenRequest;
use crate::retry::RetryPolicy;
use crate::secret::Secret;

/// Builds a [`TokenClient`](crate::TokenClient). Every setter takes the raw
/// value; [`TokenClientBuilder::build`] validates them all before any I/O.
#[derive(Clone, Default)]
pub struct TokenClientBuilder {
    pub(crate) token_url: Option<String>,
    pub(crate) domain: Option<String>,
    pub(crate) issuer: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<Secret>,
    pub(crate) auth_method: Option<String>,
    /// private_key_jwt / client_secret_jwt options (`assertion/options.rs`).
    pub(crate) assertion: AssertionOptions,
    /// Mutual-TLS options: the client certificate and key (`mtls/options.rs`).
    pub(crate) tls: TlsOptions,
    /// DPoP options (`dpop/options.rs`).
    pub(crate) dpop: DpopOptions,
    pub(crate) defaults: TokenRequest,
    pub(crate) settings: Settings,
    pub(crate) cache: Option<String>,
    pub(crate) memory_cache: Option<Arc<MemoryCache>>,
    pub(crate) max_cache_keys: Option<usize>,
    /// The first option that could not be set by name (reported by `build()`).
    pub(crate) pending_error: Option<Error>,
    /// The endpoint came from the environment: an explicit one replaces it
    /// whole (token_url, domain and issuer together).
    pub(crate) endpoint_from_env: bool,
}

impl fmt::Debug for TokenClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenClientBuilder")
            .field("token_url", &self.token_url)
            .field("domain", &self.domain)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("auth_method", &self.auth_method)
            .field("assertion", &self.assertion)
            .field("tls", &self.tls)
            .field("dpop", &self.dpop)
            .field("defaults", &self.defaults)
            .field(
                "pending_error",
                &self.pending_error.as_ref().map(Error::code),
            )
            .finish_non_exhaustive()
    }
}

/// Which endpoint option [`TokenClientBuilder::set_endpoint`] sets.
#[derive(Debug, Clone, Copy)]
pub(crate) enum EndpointField {
    TokenUrl,
    Domain,
    Issuer,
}

impl TokenClientBuilder {
    /// The token endpoint URL, e.g. `https://tenant.auth0.com/oauth/token`.
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.set_endpoint(EndpointField::TokenUrl, url.into());
        self
    }

    /// An Auth0-style domain: the token endpoint is `https://{domain}/oauth/token`.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.set_endpoint(EndpointField::Domain, domain.into());
        self
    }

    /// An issuer: the token endpoint is discovered from its metadata
    /// (OpenID Connect Discovery, then RFC 8414), once, on first use.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.set_endpoint(EndpointField::Issuer, issuer.into());
        self
    }

    /// The client id.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// The client secret (held in zeroizing memory).
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// The client authentication method (default: `client_secret_post`).
    pub fn auth_method(mut self, method: AuthMethod) -> Self {
        self.auth_method = Some(method.as_str().to_string());
        self
    }

    /// The client authentication method by name (`client_secret_post`,
    /// `client_secret_basic`, `client_secret_jwt`, `private_key_jwt`,
    /// `tls_client_auth`, `self_signed_tls_client_auth`); an unknown name
    /// fails at `build()`.
    pub fn auth_method_name(mut self, method: impl Into<String>) -> Self {
        self.auth_method = Some(method.into());
        self
    }

    /// Default audience.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.defaults.audience = Some(audience.into());
        self
    }

    /// Default scopes (a space-separated string or several).
    pub fn scope<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.defaults.scope = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// Default organization.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.defaults.organization = Some(organization.into());
        self
    }

    /// Default RFC 8707 resource indicators.
    pub fn resource<I, S>(mut self, resources: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.defaults.resource = Some(resources.into_iter().map(Into::into).collect());
        self
    }

    /// A default extra form parameter.
    pub fn extra(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.defaults = self.defaults.extra(name, value);
        self
    }

    /// Connection timeout [10 s].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = timeout;
        self
    }

    /// Overall deadline of one token request, retries included [30 s].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// A token is usable until `expires_at - leeway` [60 s]; the leeway is
    /// never more than half the token's lifetime.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.settings.leeway = leeway;
        self
    }

    /// The fraction of a token's lifetime after which it is refreshed in the
    /// background [0.75]. Between 0 (exclusive) and 1.
    pub fn refresh_ratio(mut self, ratio: f64) -> Self {
        self.settings.refresh_ratio = ratio;
        self
    }

    /// Spreads refreshes across a fleet: each token's refresh point is moved
    /// earlier by a random part of this fraction of its lifetime, chosen
    /// anew for every token [0: none]. Between 0 and 1.
    pub fn refresh_jitter(mut self, jitter: f64) -> Self {
        self.settings.refresh_jitter = jitter;
        self
    }

    /// Retry and throttling policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.settings.retry = policy;
        self
    }

    /// Largest response body read [1 MiB].
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.settings.max_body = bytes;
        self
    }

    /// Lifetime assumed when a response has no `expires_in` [600 s].
    pub fn default_expires_in(mut self, lifetime: Duration) -> Self {
        self.settings.response.default_expires_in = lifetime;
        self
    }

    /// Trusts these PEM certificates in addition to the OS trust store.
    pub fn ca_certs(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.settings.ca_certs_pem.push(pem.into());
        self
    }

    /// Sends token requests through this proxy (instead of the environment's).
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.settings.proxy = ProxySetting::Url(url.into());
        self
    }

    /// Ignores proxy environment variables.
    pub fn no_proxy(mut self) -> Self {
        self.settings.proxy = ProxySetting::None;
        self
    }

    /// The token cache: `"memory"` (the default: process-wide), or a cache
    /// shared by processes in front of it: `"file:/some/dir"` (one host) or
    /// `"redis://host:port/db"` / `"rediss://..."`, Redis Cluster
    /// `"redis+cluster://h1:p1,h2:p2"` or Sentinel
    /// `"redis+sentinel://h1:p1,h2:p2/master-name[/db]"` (`rediss+…` for
    /// TLS) (a fleet; docs/design.md §4).
    pub fn cache(mut self, spec: impl Into<String>) -> Self {
        self.cache = Some(spec.into());
        self
    }

    /// With a shared cache: fail calls with a `cache` error when the store
    /// is unreachable, instead of degrading to the in-process cache (default: false).
    pub fn cache_strict(mut self, strict: bool) -> Self {
        self.settings.cache_strict = strict;
        self
    }

    /// With a shared cache: how long a key's fetch lease outlives a holder
    /// that died [10 s]. A live holder renews it every third of this while
    /// its request runs, so the lease outlives the request however slow;
    /// the others wait for it within their own `timeout`.
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.settings.lease_ttl = ttl;
        self
    }

    /// With a shared cache: the deadline of one store operation [500 ms].
    pub fn store_timeout(mut self, timeout: Duration) -> Self {
        self.settings.store_timeout = timeout;
        self
    }

    /// Bound of the in-memory cache [10 000 keys]. A client with a bound
    /// other than the default gets a cache of its own.
    pub fn max_cache_keys(mut self, keys: usize) -> Self {
        self.max_cache_keys = Some(keys);
        self
    }

    /// Uses this in-memory cache instead of the process-wide one.
    pub fn memory_cache(mut self, cache: Arc<MemoryCache>) -> Self {
        self.memory_cache = Some(cache);
        self
    }

    /// The language named in the User-Agent (`python`, `node`, `c`). For the
    /// bindings.
    #[doc(hidden)]
    pub fn binding(mut self, language: &str) -> Self {
        self.settings.user_agent = user_agent(language);
        self
    }

    /// Fills every option the `M2M_AUTH_*` environment variables set
    /// (see [`TokenClient::from_env`](crate::TokenClient::from_env)).
    pub fn from_env(self) -> Self {
        self.from_vars(|name| std::env::var(name).ok())
    }

    /// Sets one of token_url, domain, issuer. Over an endpoint that came
    /// from the environment, the explicit one replaces it whole.
    pub(crate) fn set_endpoint(&mut self, field: EndpointField, value: String) {
        if std::mem::take(&mut self.endpoint_from_env) {
            self.token_url = None;
            self.domain = None;
            self.issuer = None;
        }
        match field {
            EndpointField::TokenUrl => self.token_url = Some(value),
            EndpointField::Domain => self.domain = Some(value),
            EndpointField::Issuer => self.issuer = Some(value),
        }
    }

    /// Like [`TokenClientBuilder::from_env`], reading variables through `get`.
    /// Every client option has one (`M2M_AUTH_` + its name in upper case,
    /// see [`crate::surface::env_name`]); a value that does not parse is a
    /// `config` error from `build()`.
    pub fn from_vars(mut self, get: impl Fn(&str) -> Option<String>) -> Self {
        for item in crate::surface::CLIENT_OPTIONS {
            if !crate::surface::is_text(item) {
                continue;
            }
            let Some(v) = get(&crate::surface::env_name(item.name)) else {
                continue;
            };
            if v.trim().is_empty() {
                continue;
            }
            if let Err(e) = self.set_text(item.name, &v) {
                let var = crate::surface::env_name(item.name);
                let message = match e.detail() {
                    crate::ErrorDetail::Config { message } => message.clone(),
                    _ => e.to_string(),
                };
                self.pending_error
                    .get_or_insert(Error::config(format!("{var}: {message}")));
            }
        }
        if ["M2M_AUTH_TOKEN_URL", "M2M_AUTH_DOMAIN", "M2M_AUTH_ISSUER"]
            .iter()
            .any(|n| get(n).is_some_and(|v| !v.trim().is_empty()))
        {
            self.endpoint_from_env = true;
        }
        self
    }

    /// Validates everything and builds the client. Fails with a `config`
    /// error, before any I/O, on a missing or bad option.
    pub fn build(self) -> Result<crate::TokenClient> {
        crate::client::TokenClient::from_builder(self)
    }

    /// The endpoint, from exactly one of token_url, domain, issuer.
    pub(crate) fn endpoint(&self) -> Result<Endpoint> {
        let given = [&self.token_url, &self.domain, &self.issuer]
            .iter()
            .filter(|o| o.as_deref().is_some_and(|s| !s.trim().is_empty()))
            .count();
        if given != 1 {
            return Err(Error::config(
                "set exactly one of token_url, domain or issuer (or M2M_AUTH_TOKEN_URL, \
                 M2M_AUTH_DOMAIN, M2M_AUTH_ISSUER)",
            ));
        }
        if let Some(u) = &self.token_url {
            return Ok(Endpoint::TokenUrl(check_url(u, "token_url")?));
        }
        if let Some(d) = &self.domain {
            let base = domain_base(d);
            let url = check_url(&format!("{base}/oauth/token"), "domain")?;
            if url.path() != "/oauth/token" {
                return Err(Error::config(format!("domain {d:?} must be a host name")));
            }
            return Ok(Endpoint::TokenUrl(url));
        }
        let issuer = self.issuer.as_deref().unwrap_or_default();
        Ok(Endpoint::Issuer(check_url(issuer, "issuer")?))
    }

    /// The issuer identifier an Auth0 `domain` stands for:
    /// `https://{domain}/`, with Auth0's trailing slash (the `aud` Auth0
    /// requires of client assertions).
    pub(crate) fn domain_issuer(&self) -> Option<String> {
        self.domain
            .as_deref()
            .map(|d| format!("{}/", domain_base(d)))
    }

    pub(crate) fn check_settings(&self) -> Result<()> {
        if let Some(e) = &self.pending_error {
            return Err(e.clone());
        }
        let s = &self.settings;
        if !(s.refresh_ratio > 0.0 && s.refresh_ratio <= 1.0) {
            return Err(Error::config("refresh_ratio must be in (0, 1]"));
        }
        if !(0.0..=1.0).contains(&s.refresh_jitter) {
            return Err(Error::config("refresh_jitter must be in [0, 1]"));
        }
        if s.timeout.is_zero() || s.connect_timeout.is_zero() {
            return Err(Error::config("timeouts must be greater than zero"));
        }
        if s.retry.max_attempts == 0 {
            return Err(Error::config("retry max_attempts must be at least 1"));
        }
        if s.max_body < 1024 {
            return Err(Error::config("max_response_bytes must be at least 1024"));
        }
        if let Some(0) = self.max_cache_keys {
            return Err(Error::config("max_cache_keys must be at least 1"));
        }
        crate::config::check_ranges(s)
    }
}
