//! The one options extractor (docs/design.md §9): client options, request
//! parameters and verifier options are read from a JS object by a loop over
//! its own keys, each looked up by its camelCase name in
//! `surface::CLIENT_OPTIONS` / `surface::REQUEST_PARAMETERS` /
//! `surface::VERIFIER_OPTIONS` and converted by the item's `ValueType`
//! (durations in milliseconds). No option is named here.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use m2m_auth::surface::{self, camel_case, Item, ValueType};
use m2m_auth::{
    duration_from_millis, OptionValue, Secret, TokenClientBuilder, TokenRequest, VerifierBuilder,
};
use napi::Result;
use serde_json::Value;

use crate::errors::{config_error, OrJs};
use crate::js::JsVal;

/// The items of a surface table by their JS names.
type Table = Vec<(String, &'static Item)>;

fn table(items: &'static [Item]) -> Table {
    items.iter().map(|i| (camel_case(i.name), i)).collect()
}

fn client_table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| table(surface::CLIENT_OPTIONS))
}

fn request_table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| table(surface::REQUEST_PARAMETERS))
}

fn verifier_table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| table(surface::VERIFIER_OPTIONS))
}

fn lookup(table: &'static Table, js: &str) -> Option<&'static Item> {
    table.iter().find(|(name, _)| name == js).map(|(_, i)| *i)
}

/// What a JS value of this type may be, for messages.
fn expected(ty: ValueType) -> &'static str {
    match ty {
        ValueType::Text | ValueType::Secret => "a string",
        ValueType::Flag => "a boolean",
        ValueType::Count => "a non-negative integer",
        ValueType::Duration => "a non-negative number of milliseconds",
        ValueType::Fraction => "a number",
        ValueType::List => "a string or an array of strings",
        ValueType::Map => "an object whose values are strings",
        ValueType::Pem => "a string, an array of strings or a Buffer",
        ValueType::Instant => "a number of milliseconds since the epoch",
        ValueType::Callback => "a function",
    }
}

/// Converts the JS value of option `js` by its type. A value of the wrong
/// type is a config error naming the option, never the value (it may be a
/// secret).
pub(crate) fn convert(v: JsVal, js: &str, ty: ValueType) -> Result<OptionValue> {
    let wrong = || config_error(format!("option {js} must be {}", expected(ty)));
    let string = |v: JsVal| v.string().ok_or_else(wrong)?;
    let number = |v: JsVal| v.number().ok_or_else(wrong);
    let strings = |v: JsVal| -> Result<Vec<String>> {
        (0..v.len()?).map(|i| string(v.element(i)?)).collect()
    };
    Ok(match ty {
        ValueType::Text | ValueType::Instant => OptionValue::Text(string(v)?),
        ValueType::Secret => OptionValue::Secret(Secret::new(string(v)?)),
        ValueType::Flag => OptionValue::Flag(v.boolean().ok_or_else(wrong)?),
        ValueType::Count => {
            let n = number(v)?;
            if !(n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0) {
                return Err(wrong());
            }
            OptionValue::Count(n as u64)
        }
        ValueType::Duration => OptionValue::Duration(duration_from_millis(js, number(v)?).or_js()?),
        ValueType::Fraction => OptionValue::Fraction(number(v)?),
        ValueType::List if v.is_array()? => OptionValue::List(strings(v)?),
        ValueType::List => OptionValue::List(vec![string(v)?]),
        ValueType::Map => {
            if !v.is_object()? {
                return Err(wrong());
            }
            let mut map = BTreeMap::new();
            for key in v.own_keys()? {
                map.insert(key.clone(), string(v.get(&key)?)?);
            }
            OptionValue::Map(map)
        }
        ValueType::Pem if v.is_array()? => OptionValue::List(strings(v)?),
        ValueType::Pem => match v.bytes() {
            Some(b) => OptionValue::Text(String::from_utf8(b).map_err(|_| wrong())?),
            None => OptionValue::Text(string(v)?),
        },
        ValueType::Callback => OptionValue::Provider(crate::provider::provider(v, js)?),
    })
}

/// Calls `set(item, value)` for every own key of `obj` that is not
/// `undefined`/`null`, looked up in `table`, in the table's order (as the
/// environment is read, so that the order of keys never matters); keys in
/// `skip` are the caller's. An unknown key is a config error naming it.
fn each(
    obj: JsVal,
    table: &'static Table,
    what: &str,
    skip: &[&str],
    mut set: impl FnMut(&'static Item, OptionValue) -> Result<()>,
) -> Result<()> {
    if !obj.is_object()? {
        return Err(config_error(format!("{what}s must be an object")));
    }
    let mut keys = Vec::new();
    for key in obj.own_keys()? {
        if skip.contains(&key.as_str()) {
            continue;
        }
        match table.iter().position(|(name, _)| *name == key) {
            Some(at) => keys.push((at, key)),
            None => return Err(config_error(unknown(table, what, &key))),
        }
    }
    keys.sort_unstable();
    for (at, key) in keys {
        let item = table[at].1;
        let v = obj.get(&key)?;
        if !v.is_nullish()? {
            set(item, convert(v, &key, item.ty)?)?;
        }
    }
    Ok(())
}

/// `unknown option "timeoutMs"`, with a hint when the name is a known one
/// with a unit suffix.
fn unknown(table: &'static Table, what: &str, key: &str) -> String {
    let mut message = format!("unknown {what} {key:?}");
    if let Some(stem) = key
        .strip_suffix("Ms")
        .or_else(|| key.strip_suffix("Seconds"))
    {
        if lookup(table, stem).is_some() {
            message.push_str(&format!(" (use {stem:?}: durations are in milliseconds)"));
        }
    }
    message
}

/// The client options shown by `util.inspect` (with `clientId` and
/// `authMethod`): where tokens come from and what is asked for. Never a
/// secret, a proxy or a cache URL (either may hold a password).
fn shown(item: &Item) -> bool {
    matches!(item.name, "token_url" | "domain" | "issuer")
        || surface::REQUEST_PARAMETERS
            .iter()
            .any(|p| p.name == item.name)
}

fn display(v: &OptionValue) -> Value {
    match v {
        OptionValue::Text(s) => Value::from(s.as_str()),
        OptionValue::List(l) if l.len() == 1 => Value::from(l[0].as_str()),
        OptionValue::List(l) => Value::from(l.clone()),
        OptionValue::Map(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// What `util.inspect` shows of the options: JS name and value by position
/// in `surface::CLIENT_OPTIONS`.
pub(crate) type Shown = BTreeMap<usize, (String, Value)>;

/// A builder with the options of `vars` (the `M2M_AUTH_*` variables, for
/// `fromEnv`) then of `options`, and what `util.inspect` shows of them.
pub(crate) fn client_builder(
    options: Option<JsVal>,
    vars: Option<HashMap<String, String>>,
) -> Result<(TokenClientBuilder, Shown)> {
    let mut b = TokenClientBuilder::default().binding("node");
    let mut shows = BTreeMap::new();
    let mut record = |item: &'static Item, v: &OptionValue| {
        if shown(item) {
            let at = surface::CLIENT_OPTIONS
                .iter()
                .position(|i| i.name == item.name);
            shows.insert(
                at.unwrap_or(usize::MAX),
                (camel_case(item.name), display(v)),
            );
        }
    };
    if let Some(vars) = vars {
        for item in surface::CLIENT_OPTIONS {
            let text = vars.get(&surface::env_name(item.name));
            if let Some(Ok(v)) = text.map(|t| OptionValue::parse(item.ty, item.name, t)) {
                record(item, &v);
            }
        }
        b = b.from_vars(|name| vars.get(name).cloned());
    }
    if let Some(obj) = options {
        each(obj, client_table(), "option", &[], |item, value| {
            record(item, &value);
            b.set(item.name, value).or_js()
        })?;
    }
    Ok((b, shows))
}

/// The verifier options `util.inspect` shows: where keys come from and what
/// is accepted. Never a static JWKS (long) or CA certificates.
fn verifier_shown(item: &Item) -> bool {
    matches!(item.name, "issuer" | "jwks_uri" | "audience" | "algorithms")
}

/// A verifier builder with the options of `options` (a JS object, every key
/// a verifier option by its camelCase name), and what `util.inspect` shows
/// of them, in the surface's order.
pub(crate) fn verifier_builder(options: JsVal) -> Result<(VerifierBuilder, Vec<(String, Value)>)> {
    let mut b = VerifierBuilder::default().user_agent_language("node");
    let mut shows = Vec::new();
    each(options, verifier_table(), "option", &[], |item, value| {
        if verifier_shown(item) {
            shows.push((camel_case(item.name), display(&value)));
        }
        b.set(item.name, value).or_js()
    })?;
    Ok((b, shows))
}

/// The request parameters of a per-call options object (`signal` is the
/// JS side's).
pub(crate) fn request(options: Option<JsVal>) -> Result<TokenRequest> {
    let mut request = TokenRequest::default();
    if let Some(obj) = options {
        each(
            obj,
            request_table(),
            "request parameter",
            &["signal"],
            |item, value| request.set(item.name, value).or_js(),
        )?;
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_has_a_distinct_js_name() {
        for t in [client_table(), request_table(), verifier_table()] {
            let mut names: Vec<_> = t.iter().map(|(n, _)| n.as_str()).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), t.len());
            assert!(names.iter().all(|n| !n.contains('_')));
        }
        assert_eq!(lookup(client_table(), "timeout").unwrap().name, "timeout");
        assert_eq!(
            lookup(client_table(), "clientSecret").unwrap().ty,
            ValueType::Secret
        );
        assert!(lookup(client_table(), "client_secret").is_none());
    }

    #[test]
    fn unit_suffixes_get_a_hint() {
        let m = unknown(client_table(), "option", "timeoutMs");
        assert!(
            m.starts_with("unknown option \"timeoutMs\" (use \"timeout\""),
            "{m}"
        );
        assert_eq!(
            unknown(client_table(), "option", "nope"),
            "unknown option \"nope\""
        );
    }

    #[test]
    fn only_endpoint_and_request_options_are_shown() {
        let names: Vec<_> = surface::CLIENT_OPTIONS
            .iter()
            .filter(|i| shown(i))
            .map(|i| i.name)
            .collect();
        assert!(names.contains(&"token_url") && names.contains(&"audience"));
        for hidden in ["client_secret", "proxy", "cache", "ca_certs"] {
            assert!(!names.contains(&hidden), "{hidden}");
        }
    }

    #[test]
    fn displayed_values_are_js_shaped() {
        assert_eq!(display(&OptionValue::List(vec!["a b".into()])), "a b");
        assert_eq!(
            display(&OptionValue::List(vec!["a".into(), "b".into()])),
            serde_json::json!(["a", "b"])
        );
        assert_eq!(display(&OptionValue::Flag(true)), Value::Null);
    }
}
