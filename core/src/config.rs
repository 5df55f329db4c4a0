//! Client settings, the authentication method, the endpoint and its URL
//! rule (docs/design.md §1).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

use crate::error::{Error, Result};
use crate::mtls::ClientIdentity;
use crate::response::ResponseRules;
use crate::retry::RetryPolicy;

/// How the client authenticates to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum AuthMethod {
    /// `client_id` and `client_secret` in the form body (the default).
    #[default]
    ClientSecretPost,
    /// HTTP Basic authentication (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// A JWT client assertion signed with the client secret (HMAC;
    /// RFC 7523, OpenID Connect Core §9).
    ClientSecretJwt,
    /// A JWT client assertion signed with a private key, or a ready one
    /// (RFC 7523, OpenID Connect Core §9).
    PrivateKeyJwt,
    /// Mutual TLS with a certificate issued by a CA the server trusts
    /// (RFC 8705 §2.1): `client_id` in the body, the certificate in the TLS
    /// handshake.
    TlsClientAuth,
    /// Mutual TLS with a self-signed certificate registered with the server
    /// (RFC 8705 §2.2).
    SelfSignedTlsClientAuth,
}

impl AuthMethod {
    /// The registered name (`client_secret_post`, `client_secret_basic`,
    /// `client_secret_jwt`, `private_key_jwt`, `tls_client_auth`,
    /// `self_signed_tls_client_auth`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretJwt => "client_secret_jwt",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::TlsClientAuth => "tls_client_auth",
            AuthMethod::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
        }
    }

    /// True for the methods that send a JWT client assertion.
    pub fn is_assertion(self) -> bool {
        matches!(
            self,
            AuthMethod::ClientSecretJwt | AuthMethod::PrivateKeyJwt
        )
    }

    /// True for the mutual-TLS methods (the certificate is the credential).
    pub fn is_tls(self) -> bool {
        matches!(
            self,
            AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth
        )
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
            "client_secret_jwt" => Ok(AuthMethod::ClientSecretJwt),
            "private_key_jwt" => Ok(AuthMethod::PrivateKeyJwt),
            "tls_client_auth" => Ok(AuthMethod::TlsClientAuth),
            "self_signed_tls_client_auth" => Ok(AuthMethod::SelfSignedTlsClientAuth),
            _ => Err(Error::config(format!(
                "unknown auth_method {s:?}: use client_secret_post, client_secret_basic, \
                 client_secret_jwt, private_key_jwt, tls_client_auth or \
                 self_signed_tls_client_auth"
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

/// The base URL of an Auth0-style domain: `https://{domain}` (or the
/// domain as given when it names a scheme, for loopback tests), without a
/// trailing slash.
pub(crate) fn domain_base(domain: &str) -> String {
    let d = domain.trim().trim_end_matches('/');
    if d.contains("://") {
        d.to_string()
    } else {
        format!("https://{d}")
    }
}

/// Which proxy to use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum ProxySetting {
    /// `HTTPS_PROXY` (else `ALL_PROXY`) with `NO_PROXY`, for https requests
    /// to non-loopback hosts only (`http/proxy.rs`).
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
    /// Up to this fraction of a token's lifetime, chosen at random per
    /// token, is taken off its refresh point [0: none].
    pub refresh_jitter: f64,
    pub max_body: usize,
    pub response: ResponseRules,
    pub retry: RetryPolicy,
    pub ca_certs_pem: Vec<Vec<u8>>,
    pub proxy: ProxySetting,
    pub user_agent: String,
    /// Deadline of one shared-cache operation [500 ms].
    pub store_timeout: Duration,
    /// How long a fetch lease outlives a holder that died; a live holder
    /// renews it every third of this while its request runs [10 s].
    pub lease_ttl: Duration,
    /// Shared cache failures fail the call instead of degrading (default: false).
    pub cache_strict: bool,
    /// The client certificate and key presented in TLS handshakes (mutual
    /// TLS, RFC 8705), checked by `build()`.
    pub client_identity: Option<Arc<ClientIdentity>>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            leeway: Duration::from_secs(60),
            refresh_ratio: 0.75,
            refresh_jitter: 0.0,
            max_body: 1024 * 1024,
            response: ResponseRules::default(),
            retry: RetryPolicy::default(),
            ca_certs_pem: Vec::new(),
            proxy: ProxySetting::Environment,
            user_agent: user_agent("rust"),
            store_timeout: Duration::from_millis(500),
            lease_ttl: Duration::from_secs(10),
            cache_strict: false,
            client_identity: None,
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

/// True when `raw` is certainly allowed by [`check_url`]: `https://`, or
/// `http://` to `127.0.0.1`, `localhost` or `[::1]`, in lower case, printable
/// ASCII only, with no user info (`@`), backslash or fragment (`#`). A false
/// answer decides nothing: the caller runs the full check.
pub(crate) fn plainly_allowed(raw: &str) -> bool {
    let (rest, https) = match (raw.strip_prefix("https://"), raw.strip_prefix("http://")) {
        (Some(rest), _) => (rest, true),
        (None, Some(rest)) => (rest, false),
        _ => return false,
    };
    if !raw
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'#' && b != b'\\')
    {
        return false;
    }
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return false;
    }
    let (host, port) = match authority.strip_prefix("[::1]") {
        Some(rest) => ("[::1]", rest),
        None => match authority.find(':') {
            Some(i) => authority.split_at(i),
            None => (authority, ""),
        },
    };
    let port_ok = port.is_empty()
        || port.strip_prefix(':').is_some_and(|p| {
            (1..=5).contains(&p.len())
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok()
        });
    let name_ok = |h: &str| {
        let labels_ok = h.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.starts_with("xn--") // punycode: the full check decodes it
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
        // A name whose last label looks numeric is read as an IPv4 address
        // (WHATWG URL): the full check decides.
        let last = h.rsplit('.').next().unwrap_or_default();
        labels_ok && last.starts_with(|c: char| c.is_ascii_lowercase()) && !last.starts_with("0x")
    };
    port_ok
        && if https {
            host == "127.0.0.1" || host == "[::1]" || name_ok(host)
        } else {
            matches!(host, "127.0.0.1" | "localhost" | "[::1]")
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

/// One day: the upper bound of most duration options.
const DAY: Duration = Duration::from_secs(24 * 3600);

/// The upper bound of each duration option, and which must be above zero
/// (docs/design.md §1). Bounded so that no deadline or expiry computed from
/// them can overflow on the fetch path, whatever a caller passes.
pub(crate) fn check_ranges(s: &Settings) -> Result<()> {
    let durations = [
        ("timeout", s.timeout, DAY, true),
        ("connect_timeout", s.connect_timeout, DAY, true),
        ("leeway", s.leeway, DAY, false),
        (
            "default_expires_in",
            s.response.default_expires_in,
            365 * DAY,
            true,
        ),
        ("retry_base_delay", s.retry.base_delay, DAY, false),
        ("retry_max_delay", s.retry.max_delay, DAY, false),
        ("default_throttle", s.retry.default_throttle, DAY, false),
        ("max_retry_after", s.retry.max_retry_after, DAY, false),
        ("lease_ttl", s.lease_ttl, DAY, true),
        (
            "store_timeout",
            s.store_timeout,
            Duration::from_secs(3600),
            true,
        ),
    ];
    for (name, value, max, positive) in durations {
        if value > max || (positive && value.is_zero()) {
            let low = if positive { "above 0" } else { "at least 0" };
            return Err(Error::config(format!(
                "{name} must be {low} and at most {} s",
                max.as_secs()
            )));
        }
    }
    if !(0.0..=1.0).contains(&s.retry.jitter) {
        return Err(Error::config("retry_jitter must be in [0, 1]"));
    }
    Ok(())
}
