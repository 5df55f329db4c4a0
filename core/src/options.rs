//! Options by name (docs/design.md §9): the one entry point the bindings,
//! the CLI and the environment use to set what [`crate::surface`] declares.
//!
//! A binding converts each value from its language by the item's
//! [`ValueType`] (durations from seconds in Python, milliseconds in JS and
//! C) into an [`OptionValue`] and calls [`TokenClientBuilder::set`]; text
//! (environment variables, CLI flags) goes through
//! [`TokenClientBuilder::set_text`], which parses by the same types.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::assertion::provider::AssertionProvider;
use crate::builder::{EndpointField, TokenClientBuilder};
use crate::config::ProxySetting;
use crate::error::{Error, Result};
use crate::request::TokenRequest;
use crate::secret::Secret;
use crate::surface::{self, ValueType};

/// A value for an option, already in the engine's units.
#[derive(Clone)]
pub enum OptionValue {
    /// [`ValueType::Text`], [`ValueType::Pem`].
    Text(String),
    /// [`ValueType::Secret`].
    Secret(Secret),
    /// [`ValueType::Flag`].
    Flag(bool),
    /// [`ValueType::Count`].
    Count(u64),
    /// [`ValueType::Duration`].
    Duration(Duration),
    /// [`ValueType::Fraction`].
    Fraction(f64),
    /// [`ValueType::List`]; each entry may hold several space-separated values.
    List(Vec<String>),
    /// [`ValueType::Map`].
    Map(BTreeMap<String, String>),
    /// [`ValueType::Callback`]: a `client_assertion_provider`.
    Provider(AssertionProvider),
}

impl std::fmt::Debug for OptionValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OptionValue::Secret(_) => f.write_str("Secret(***)"),
            OptionValue::Text(v) => write!(f, "Text({v:?})"),
            OptionValue::Flag(v) => write!(f, "Flag({v})"),
            OptionValue::Count(v) => write!(f, "Count({v})"),
            OptionValue::Duration(v) => write!(f, "Duration({v:?})"),
            OptionValue::Fraction(v) => write!(f, "Fraction({v})"),
            OptionValue::List(v) => write!(f, "List({v:?})"),
            OptionValue::Map(v) => write!(f, "Map({v:?})"),
            OptionValue::Provider(p) => write!(f, "Provider({p:?})"),
        }
    }
}

impl OptionValue {
    /// Parses text by `ty` (environment variables, CLI flags): durations in
    /// seconds (a float), flags `true`/`false`/`1`/`0`/`yes`/`no`, lists
    /// separated by spaces or commas, maps as `name=value` pairs separated by
    /// `&` or commas.
    pub fn parse(ty: ValueType, name: &str, text: &str) -> Result<OptionValue> {
        let bad = |what: &str| Error::config(format!("{name} must be {what}"));
        let t = text.trim();
        Ok(match ty {
            ValueType::Text | ValueType::Pem | ValueType::Instant => OptionValue::Text(t.into()),
            ValueType::Secret => OptionValue::Secret(Secret::new(text)),
            ValueType::Flag => match t.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => OptionValue::Flag(true),
                "0" | "false" | "no" | "off" | "" => OptionValue::Flag(false),
                _ => return Err(bad("true or false")),
            },
            ValueType::Count => OptionValue::Count(t.parse().map_err(|_| bad("an integer"))?),
            ValueType::Duration => {
                let secs: f64 = t.parse().map_err(|_| bad("a number of seconds"))?;
                OptionValue::Duration(duration_from_secs(name, secs)?)
            }
            ValueType::Fraction => OptionValue::Fraction(t.parse().map_err(|_| bad("a number"))?),
            ValueType::List => OptionValue::List(
                t.split([',', ' '])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
            ValueType::Map => {
                let mut map = BTreeMap::new();
                for pair in t.split(['&', ',']).filter(|p| !p.trim().is_empty()) {
                    let (k, v) = pair
                        .split_once('=')
                        .ok_or_else(|| bad("name=value pairs"))?;
                    map.insert(k.trim().to_string(), v.trim().to_string());
                }
                OptionValue::Map(map)
            }
            ValueType::Callback => {
                return Err(Error::config(format!(
                    "{name} is code: it cannot be given as text"
                )))
            }
        })
    }
}

/// A duration from a number of seconds; a config error if negative or not
/// finite. For bindings converting a language's number.
pub fn duration_from_secs(name: &str, secs: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(secs)
        .map_err(|_| Error::config(format!("{name} must be a non-negative number of seconds")))
}

/// A duration from milliseconds (JS, C); a config error if negative or not
/// finite.
pub fn duration_from_millis(name: &str, ms: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(ms / 1000.0).map_err(|_| {
        Error::config(format!(
            "{name} must be a non-negative number of milliseconds"
        ))
    })
}

fn mismatch(name: &str, ty: ValueType, v: &OptionValue) -> Error {
    Error::config(format!("option {name} takes a {ty:?} value, not {v:?}"))
}

fn unknown(name: &str) -> Error {
    Error::config(format!("unknown option {name:?}"))
}

impl TokenClientBuilder {
    /// Sets the option `name` (a name of [`surface::CLIENT_OPTIONS`]). A
    /// `config` error for an unknown name or a value of the wrong type;
    /// values themselves are checked by `build()`.
    pub fn set(&mut self, name: &str, value: OptionValue) -> Result<()> {
        use OptionValue as V;
        let item = surface::client_option(name).ok_or_else(|| unknown(name))?;
        let wrong = |v: &OptionValue| mismatch(name, item.ty, v);
        let s = &mut self.settings;
        match (name, value) {
            ("token_url", V::Text(v)) => self.set_endpoint(EndpointField::TokenUrl, v),
            ("domain", V::Text(v)) => self.set_endpoint(EndpointField::Domain, v),
            ("issuer", V::Text(v)) => self.set_endpoint(EndpointField::Issuer, v),
            ("client_id", V::Text(v)) => self.client_id = Some(v),
            ("client_secret", V::Secret(v)) => self.client_secret = Some(v),
            ("client_secret", V::Text(v)) => self.client_secret = Some(Secret::new(v)),
            ("auth_method", V::Text(v)) => self.auth_method = Some(v),
            ("private_key", V::Secret(v)) => self.assertion.private_key = Some(v),
            ("private_key", V::Text(v)) => self.assertion.private_key = Some(Secret::new(v)),
            ("private_key_file", V::Text(v)) => self.assertion.private_key_file = Some(v),
            ("key_id", V::Text(v)) => self.assertion.key_id = Some(v),
            ("signing_alg", V::Text(v)) => self.assertion.signing_alg = Some(v),
            ("client_assertion", V::Secret(v)) => self.assertion.client_assertion = Some(v),
            ("client_assertion", V::Text(v)) => {
                self.assertion.client_assertion = Some(Secret::new(v))
            }
            ("client_assertion_file", V::Text(v)) => self.assertion.client_assertion_file = Some(v),
            ("assertion_audience", V::Text(v)) => self.assertion.assertion_audience = Some(v),
            ("client_assertion_provider", V::Provider(p)) => {
                self.assertion.client_assertion_provider = Some(p)
            }
            ("client_certificate", V::Text(v)) => self.tls.client_certificate = Some(v),
            ("client_certificate", V::List(v)) => self.tls.client_certificate = Some(v.join("\n")),
            ("client_certificate_file", V::Text(v)) => self.tls.client_certificate_file = Some(v),
            ("client_key", V::Secret(v)) => self.tls.client_key = Some(v),
            ("client_key", V::Text(v)) => self.tls.client_key = Some(Secret::new(v)),
            ("client_key_file", V::Text(v)) => self.tls.client_key_file = Some(v),
            ("dpop", V::Flag(v)) => self.dpop.dpop = v,
            ("dpop_key", V::Secret(v)) => self.dpop.dpop_key = Some(v),
            ("dpop_key", V::Text(v)) => self.dpop.dpop_key = Some(Secret::new(v)),
            ("dpop_key_file", V::Text(v)) => self.dpop.dpop_key_file = Some(v),
            ("dpop_accept_bearer", V::Flag(v)) => self.dpop.dpop_accept_bearer = v,
            ("cache", V::Text(v)) => self.cache = Some(v),
            ("proxy", V::Text(v)) => s.proxy = ProxySetting::Url(v),
            ("no_proxy", V::Flag(true)) => s.proxy = ProxySetting::None,
            ("no_proxy", V::Flag(false)) => {
                if s.proxy == ProxySetting::None {
                    s.proxy = ProxySetting::Environment;
                }
            }
            ("ca_certs", V::Text(v)) => s.ca_certs_pem.push(v.into_bytes()),
            ("ca_certs", V::List(v)) => {
                s.ca_certs_pem.extend(v.into_iter().map(String::into_bytes))
            }
            ("cache_strict", V::Flag(v)) => s.cache_strict = v,
            ("max_response_bytes", V::Count(v)) => {
                s.max_body = usize::try_from(v).unwrap_or(usize::MAX)
            }
            ("max_cache_keys", V::Count(v)) => {
                self.max_cache_keys = Some(usize::try_from(v).unwrap_or(usize::MAX))
            }
            ("max_attempts", V::Count(v)) => {
                s.retry.max_attempts = u32::try_from(v).unwrap_or(u32::MAX)
            }
            ("timeout", V::Duration(v)) => s.timeout = v,
            ("connect_timeout", V::Duration(v)) => s.connect_timeout = v,
            ("leeway", V::Duration(v)) => s.leeway = v,
            ("default_expires_in", V::Duration(v)) => s.response.default_expires_in = v,
            ("retry_base_delay", V::Duration(v)) => s.retry.base_delay = v,
            ("retry_max_delay", V::Duration(v)) => s.retry.max_delay = v,
            ("default_throttle", V::Duration(v)) => s.retry.default_throttle = v,
            ("max_retry_after", V::Duration(v)) => s.retry.max_retry_after = v,
            ("lease_ttl", V::Duration(v)) => s.lease_ttl = v,
            ("store_timeout", V::Duration(v)) => s.store_timeout = v,
            ("refresh_ratio", V::Fraction(v)) => s.refresh_ratio = v,
            ("refresh_jitter", V::Fraction(v)) => s.refresh_jitter = v,
            ("retry_jitter", V::Fraction(v)) => s.retry.jitter = v,
            (_, v) => {
                // The request parameters' defaults.
                if surface::REQUEST_PARAMETERS.iter().any(|p| p.name == name) {
                    self.defaults.set(name, v)?;
                } else {
                    return Err(wrong(&v));
                }
            }
        }
        Ok(())
    }

    /// Sets the option `name` from text, parsed by its type (see
    /// [`OptionValue::parse`]): for environment variables and CLI flags.
    pub fn set_text(&mut self, name: &str, text: &str) -> Result<()> {
        let item = surface::client_option(name).ok_or_else(|| unknown(name))?;
        let value = OptionValue::parse(item.ty, name, text)?;
        self.set(name, value)
    }
}

impl TokenRequest {
    /// Sets the request parameter `name` (a name of
    /// [`surface::REQUEST_PARAMETERS`]).
    pub fn set(&mut self, name: &str, value: OptionValue) -> Result<()> {
        use OptionValue as V;
        let split = |v: Vec<String>| v.into_iter().map(|s| s.trim().to_string()).collect();
        match (name, value) {
            ("audience", V::Text(v)) => self.audience = Some(v),
            ("organization", V::Text(v)) => self.organization = Some(v),
            ("scope", V::Text(v)) => self.scope = Some(vec![v]),
            ("scope", V::List(v)) => self.scope = Some(split(v)),
            ("resource", V::Text(v)) => self.resource = Some(vec![v]),
            ("resource", V::List(v)) => self.resource = Some(split(v)),
            ("extra", V::Map(v)) => self.extra = Some(v),
            (_, v) => {
                return Err(
                    match surface::REQUEST_PARAMETERS.iter().find(|p| p.name == name) {
                        Some(p) => mismatch(name, p.ty, &v),
                        None => Error::config(format!("unknown request parameter {name:?}")),
                    },
                )
            }
        }
        Ok(())
    }
}
