//! The verifier's options: typed setters, the same options by name
//! ([`crate::surface::VERIFIER_OPTIONS`]), all checked by `build()` before
//! any I/O (docs/design.md §10).

use std::sync::Arc;
use std::time::Duration;

use super::jwks::{Location, RemoteKeys, Timing};
use super::keys::{Alg, KeySet};
use super::{Config, Inner, KeySource, Verifier};
use crate::config::{check_url, user_agent, Settings};
use crate::error::{Error, Result};
use crate::options::OptionValue;
use crate::surface::{self, ValueType};

/// Builds a [`Verifier`]. Setters take raw values; [`VerifierBuilder::build`]
/// checks them all.
#[derive(Debug, Clone)]
pub struct VerifierBuilder {
    issuer: Option<String>,
    jwks_uri: Option<String>,
    jwks: Option<String>,
    audience: Vec<String>,
    algorithms: Vec<String>,
    leeway: Duration,
    strict_typ: bool,
    max_token_bytes: u64,
    jwks_cache_ttl: Duration,
    jwks_refetch_interval: Duration,
    timeout: Duration,
    ca_certs: Vec<String>,
    cache_size: u64,
    language: String,
    pub(super) dpop: super::dpop::DpopSettings,
}

impl Default for VerifierBuilder {
    fn default() -> Self {
        VerifierBuilder {
            issuer: None,
            jwks_uri: None,
            jwks: None,
            audience: Vec::new(),
            algorithms: ["RS256", "PS256", "ES256", "EdDSA"]
                .map(String::from)
                .to_vec(),
            leeway: Duration::from_secs(30),
            strict_typ: true,
            max_token_bytes: 16384,
            jwks_cache_ttl: Duration::from_secs(300),
            jwks_refetch_interval: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
            ca_certs: Vec::new(),
            cache_size: 10_000,
            language: "rust".into(),
            dpop: Default::default(),
        }
    }
}

fn words(v: Vec<String>) -> Vec<String> {
    v.iter()
        .flat_map(|s| s.split([' ', ',']))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl VerifierBuilder {
    /// The issuer: `iss` must equal it exactly; its metadata names the
    /// `jwks_uri` when neither `jwks_uri` nor `jwks` is given.
    pub fn issuer(mut self, v: impl Into<String>) -> Self {
        self.issuer = Some(v.into());
        self
    }
    /// The JWKS URL (https, or http to loopback).
    pub fn jwks_uri(mut self, v: impl Into<String>) -> Self {
        self.jwks_uri = Some(v.into());
        self
    }
    /// A static JWKS (JSON text) instead of fetching one.
    pub fn jwks(mut self, v: impl Into<String>) -> Self {
        self.jwks = Some(v.into());
        self
    }
    /// An accepted audience (call again for more; at least one is required).
    pub fn audience(mut self, v: impl Into<String>) -> Self {
        self.audience.push(v.into());
        self
    }
    /// The allowed algorithms (replacing the default list).
    pub fn algorithms<S: Into<String>>(mut self, v: impl IntoIterator<Item = S>) -> Self {
        self.algorithms = v.into_iter().map(Into::into).collect();
        self
    }
    /// Clock leeway for `exp`, `nbf` and `iat` [30 s].
    pub fn leeway(mut self, v: Duration) -> Self {
        self.leeway = v;
        self
    }
    /// Require `typ` `at+jwt` [true]; false also accepts `JWT` or no `typ`.
    pub fn strict_typ(mut self, v: bool) -> Self {
        self.strict_typ = v;
        self
    }
    /// Largest token accepted, checked before any parsing (default: 16384).
    pub fn max_token_bytes(mut self, v: u64) -> Self {
        self.max_token_bytes = v;
        self
    }
    /// How long fetched keys are used before a refetch [300 s]; the server's
    /// `Cache-Control: max-age` shortens it.
    pub fn jwks_cache_ttl(mut self, v: Duration) -> Self {
        self.jwks_cache_ttl = v;
        self
    }
    /// Least time between two refetches on an unknown `kid` [60 s].
    pub fn jwks_refetch_interval(mut self, v: Duration) -> Self {
        self.jwks_refetch_interval = v;
        self
    }
    /// Deadline of one JWKS or discovery fetch [10 s].
    pub fn timeout(mut self, v: Duration) -> Self {
        self.timeout = v;
        self
    }
    /// PEM certificates trusted in addition to the OS trust store.
    pub fn ca_certs(mut self, pem: impl Into<String>) -> Self {
        self.ca_certs.push(pem.into());
        self
    }
    /// Verified-token cache entries (default: 10000); 0 disables the cache.
    pub fn cache_size(mut self, v: u64) -> Self {
        self.cache_size = v;
        self
    }
    /// The language named in the User-Agent of JWKS requests (bindings).
    pub fn user_agent_language(mut self, v: impl Into<String>) -> Self {
        self.language = v.into();
        self
    }

    /// Sets the option `name` (a name of [`surface::VERIFIER_OPTIONS`]). A
    /// `config` error for an unknown name or a value of the wrong type.
    pub fn set(&mut self, name: &str, value: OptionValue) -> Result<()> {
        use OptionValue as V;
        let item = surface::verifier_option(name)
            .ok_or_else(|| Error::config(format!("unknown verifier option {name:?}")))?;
        match (name, value) {
            ("issuer", V::Text(v)) => self.issuer = Some(v),
            ("jwks_uri", V::Text(v)) => self.jwks_uri = Some(v),
            ("jwks", V::Text(v)) => self.jwks = Some(v),
            ("audience", V::Text(v)) => self.audience = words(vec![v]),
            ("audience", V::List(v)) => self.audience = words(v),
            ("algorithms", V::Text(v)) => self.algorithms = words(vec![v]),
            ("algorithms", V::List(v)) => self.algorithms = words(v),
            ("leeway", V::Duration(v)) => self.leeway = v,
            ("strict_typ", V::Flag(v)) => self.strict_typ = v,
            ("max_token_bytes", V::Count(v)) => self.max_token_bytes = v,
            ("jwks_cache_ttl", V::Duration(v)) => self.jwks_cache_ttl = v,
            ("jwks_refetch_interval", V::Duration(v)) => self.jwks_refetch_interval = v,
            ("timeout", V::Duration(v)) => self.timeout = v,
            ("ca_certs", V::Text(v)) => self.ca_certs.push(v),
            ("ca_certs", V::List(v)) => self.ca_certs.extend(v),
            ("cache_size", V::Count(v)) => self.cache_size = v,
            (_, v) => {
                return Err(Error::config(format!(
                    "option {name} takes a {:?} value, not {v:?}",
                    item.ty
                )))
            }
        }
        Ok(())
    }

    /// Sets the option `name` from text parsed by its type (durations in
    /// seconds): for CLI flags.
    pub fn set_text(&mut self, name: &str, text: &str) -> Result<()> {
        let item = surface::verifier_option(name)
            .ok_or_else(|| Error::config(format!("unknown verifier option {name:?}")))?;
        // PEM and JSON text are taken whole, not split.
        let value = match item.ty {
            ValueType::Pem | ValueType::Text => OptionValue::Text(text.to_string()),
            ty => OptionValue::parse(ty, name, text)?,
        };
        self.set(name, value)
    }

    /// Checks every option and builds the verifier; no I/O.
    pub fn build(self) -> Result<Verifier> {
        let issuer = self
            .issuer
            .filter(|i| !i.is_empty())
            .ok_or_else(|| Error::config("a verifier needs an issuer"))?;
        let audience: Vec<String> = self
            .audience
            .into_iter()
            .filter(|a| !a.is_empty())
            .collect();
        if audience.is_empty() {
            return Err(Error::config("a verifier needs at least one audience"));
        }
        let mut algorithms = Vec::new();
        for name in &self.algorithms {
            let lower = name.to_ascii_lowercase();
            if lower == "none" || lower.starts_with("hs") {
                return Err(Error::config(format!(
                    "algorithm {name:?} is refused: never none, never HMAC"
                )));
            }
            let alg = Alg::parse(name)
                .ok_or_else(|| Error::config(format!("unknown algorithm {name:?}")))?;
            if !algorithms.contains(&alg) {
                algorithms.push(alg);
            }
        }
        if algorithms.is_empty() {
            return Err(Error::config("algorithms must name at least one"));
        }
        if self.max_token_bytes == 0 {
            return Err(Error::config("max_token_bytes must be at least 1"));
        }
        if self.jwks_refetch_interval.is_zero() {
            return Err(Error::config("jwks_refetch_interval must be positive"));
        }
        if self.timeout.is_zero() {
            return Err(Error::config("timeout must be positive"));
        }
        let keys = match (self.jwks, self.jwks_uri) {
            (Some(_), Some(_)) => {
                return Err(Error::config("give jwks or jwks_uri, not both"));
            }
            (Some(jwks), None) => {
                let set = KeySet::parse(jwks.as_bytes())
                    .map_err(|e| Error::config(format!("jwks: {e}")))?;
                if set.len() == 0 {
                    return Err(Error::config("jwks holds no usable signing key"));
                }
                KeySource::Static(Arc::new(set))
            }
            (None, uri) => {
                let location = match uri {
                    Some(u) => Location::Uri(check_url(&u, "jwks_uri")?),
                    None => Location::Issuer(check_url(&issuer, "issuer")?),
                };
                let settings = Settings {
                    timeout: self.timeout,
                    ca_certs_pem: self.ca_certs.into_iter().map(String::into_bytes).collect(),
                    user_agent: user_agent(&self.language),
                    ..Settings::default()
                };
                crate::http::Transport::check(&settings)?;
                let timing = Timing {
                    ttl: self.jwks_cache_ttl,
                    refetch_interval: self.jwks_refetch_interval,
                    timeout: self.timeout,
                };
                KeySource::Remote(Box::new(RemoteKeys::new(location, settings, timing)))
            }
        };
        let config = Config {
            issuer,
            audience,
            algorithms,
            leeway: self.leeway.as_secs_f64(),
            strict_typ: self.strict_typ,
            max_token_bytes: usize::try_from(self.max_token_bytes).unwrap_or(usize::MAX),
        };
        let dpop = self.dpop.build()?;
        Ok(Verifier(Arc::new(Inner::new(
            config,
            dpop,
            keys,
            usize::try_from(self.cache_size).unwrap_or(usize::MAX),
        ))))
    }
}
