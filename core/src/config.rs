//! Client options, their validation, and the builder (docs/design.md §1).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

use crate::cache::MemoryCache;
use crate::error::{Error, Result};
use crate::request::TokenRequest;
use crate::response::ResponseRules;
use crate::retry::RetryPolicy;
use crate::secret::Secret;

/// How the client authenticates to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum AuthMethod {
    /// `client_id` and `client_secret` in the form body (the default).
    #[default]
    ClientSecretPost,
    /// HTTP Basic authentication (RFC 6749 §2.3.1).
    ClientSecretBasic,
}

impl AuthMethod {
    /// The registered name (`client_secret_post`, `client_secret_basic`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
        }
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthMethod {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "client_secret_post" => Ok(AuthMethod::ClientSecretPost),
            "client_secret_basic" => Ok(AuthMethod::ClientSecretBasic),
            "private_key_jwt" | "tls_client_auth" | "self_signed_tls_client_auth" => Err(
                Error::config(format!("auth_method {s:?} is not supported yet")),
            ),
            _ => Err(Error::config(format!(
                "unknown auth_method {s:?}: use client_secret_post or client_secret_basic"
            ))),
        }
    }
}

/// Where the token endpoint is.
#[derive(Debug, Clone)]
pub(crate) enum Endpoint {
    /// A token endpoint URL (given, or from an Auth0 domain).
    TokenUrl(Url),
    /// An issuer whose metadata names the token endpoint.
    Issuer(Url),
}

impl Endpoint {
    /// The string that identifies this endpoint in cache keys.
    pub(crate) fn key(&self) -> String {
        match self {
            Endpoint::TokenUrl(u) => u.to_string(),
            Endpoint::Issuer(u) => format!("issuer:{u}"),
        }
    }
}

/// Which proxy to use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum ProxySetting {
    /// reqwest's reading of `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`.
    #[default]
    Environment,
    None,
    Url(String),
}

/// Timing, size and retry settings of one client.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub leeway: Duration,
    pub refresh_ratio: f64,
    pub max_body: usize,
    pub response: ResponseRules,
    pub retry: RetryPolicy,
    pub ca_certs_pem: Vec<Vec<u8>>,
    pub proxy: ProxySetting,
    pub user_agent: String,
    /// Deadline of one shared-cache operation [500 ms].
    pub store_timeout: Duration,
    /// How long a fetch lease lasts, and so how long other processes wait
    /// for its holder before fetching themselves [10 s].
    pub lease_ttl: Duration,
    /// Shared cache failures fail the call instead of degrading [false].
    pub cache_strict: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            leeway: Duration::from_secs(60),
            refresh_ratio: 0.75,
            max_body: 1024 * 1024,
            response: ResponseRules::default(),
            retry: RetryPolicy::default(),
            ca_certs_pem: Vec::new(),
            proxy: ProxySetting::Environment,
            user_agent: user_agent("rust"),
            store_timeout: Duration::from_millis(500),
            lease_ttl: Duration::from_secs(10),
            cache_strict: false,
        }
    }
}

/// `m2m-auth/<version> (<language>)`.
pub(crate) fn user_agent(language: &str) -> String {
    format!("m2m-auth/{} ({language})", env!("CARGO_PKG_VERSION"))
}

/// Parses a URL and applies the https rule: `https://` always; `http://` only
/// for loopback hosts. Checked before any I/O.
pub(crate) fn check_url(raw: &str, what: &str) -> Result<Url> {
    let url = Url::parse(raw.trim())
        .map_err(|e| Error::config(format!("{what} {raw:?} is not a valid URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(format!("{what} must not carry credentials")));
    }
    if url.fragment().is_some() {
        return Err(Error::config(format!("{what} must not have a fragment")));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(Error::config(format!(
            "{what} {raw:?} uses http:// on a non-loopback host; use https://"
        ))),
        other => Err(Error::config(format!(
            "{what} has unsupported scheme {other:?}"
        ))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

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
    pub(crate) defaults: TokenRequest,
    pub(crate) settings: Settings,
    pub(crate) cache: Option<String>,
    pub(crate) memory_cache: Option<Arc<MemoryCache>>,
    pub(crate) max_cache_keys: Option<usize>,
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
            .field("defaults", &self.defaults)
            .finish_non_exhaustive()
    }
}

impl TokenClientBuilder {
    /// The token endpoint URL, e.g. `https://tenant.auth0.com/oauth/token`.
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// An Auth0-style domain: the token endpoint is `https://{domain}/oauth/token`.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// An issuer: the token endpoint is discovered from its metadata
    /// (OpenID Connect Discovery, then RFC 8414), once, on first use.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
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

    /// The client authentication method [client_secret_post].
    pub fn auth_method(mut self, method: AuthMethod) -> Self {
        self.auth_method = Some(method.as_str().to_string());
        self
    }

    /// The client authentication method by name (`client_secret_post`,
    /// `client_secret_basic`); an unknown name fails at `build()`.
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
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
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
    /// `"redis://host:port/db"` / `"rediss://..."` (a fleet).
    pub fn cache(mut self, spec: impl Into<String>) -> Self {
        self.cache = Some(spec.into());
        self
    }

    /// With a shared cache: fail calls with a `cache` error when the store
    /// is unreachable, instead of degrading to the in-process cache [false].
    pub fn cache_strict(mut self, strict: bool) -> Self {
        self.settings.cache_strict = strict;
        self
    }

    /// With a shared cache: how long one process may hold a key's fetch
    /// lease, and so how long the others wait for it before fetching
    /// themselves [10 s].
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

    /// Like [`TokenClientBuilder::from_env`], reading variables through `get`.
    pub fn from_vars(mut self, get: impl Fn(&str) -> Option<String>) -> Self {
        let var = |n: &str| get(n).filter(|v| !v.trim().is_empty());
        if let Some(v) = var("M2M_AUTH_TOKEN_URL") {
            self.token_url = Some(v);
        }
        if let Some(v) = var("M2M_AUTH_DOMAIN") {
            self.domain = Some(v);
        }
        if let Some(v) = var("M2M_AUTH_ISSUER") {
            self.issuer = Some(v);
        }
        if let Some(v) = var("M2M_AUTH_CLIENT_ID") {
            self.client_id = Some(v);
        }
        if let Some(v) = get("M2M_AUTH_CLIENT_SECRET").filter(|v| !v.is_empty()) {
            self.client_secret = Some(Secret::new(v));
        }
        if let Some(v) = var("M2M_AUTH_AUTH_METHOD") {
            self.auth_method = Some(v);
        }
        if let Some(v) = var("M2M_AUTH_AUDIENCE") {
            self.defaults.audience = Some(v);
        }
        if let Some(v) = var("M2M_AUTH_SCOPE") {
            self.defaults.scope = Some(vec![v]);
        }
        if let Some(v) = var("M2M_AUTH_ORGANIZATION") {
            self.defaults.organization = Some(v);
        }
        if let Some(v) = var("M2M_AUTH_CACHE") {
            self.cache = Some(v);
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
            let d = d.trim().trim_end_matches('/');
            let base = if d.contains("://") {
                d.to_string()
            } else {
                format!("https://{d}")
            };
            let url = check_url(&format!("{base}/oauth/token"), "domain")?;
            if url.path() != "/oauth/token" {
                return Err(Error::config(format!("domain {d:?} must be a host name")));
            }
            return Ok(Endpoint::TokenUrl(url));
        }
        let issuer = self.issuer.as_deref().unwrap_or_default();
        Ok(Endpoint::Issuer(check_url(issuer, "issuer")?))
    }

    pub(crate) fn check_settings(&self) -> Result<()> {
        let s = &self.settings;
        if !(s.refresh_ratio > 0.0 && s.refresh_ratio <= 1.0) {
            return Err(Error::config("refresh_ratio must be in (0, 1]"));
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
        Ok(())
    }
}
