//! Engine errors on their way to JS: a napi error whose message is
//! `m2m-auth:` + JSON of every field of `surface::ERROR_FIELDS` (camelCase,
//! `null` when absent, durations in ms). `node/lib/errors.js` turns it into
//! the `M2MAuthError` subclass of its code.

use m2m_auth::surface::{self, camel_case};
use m2m_auth::FieldValue;
use napi::{Error, Status};
use serde_json::{Map, Value};

/// Prefix of the message of every error this addon throws for an engine
/// error; the rest is JSON.
pub(crate) const ERROR_TAG: &str = "m2m-auth:";

/// The fields of an engine error, by their JS names.
pub(crate) fn fields(e: &m2m_auth::Error) -> Map<String, Value> {
    let mut o = Map::new();
    for item in surface::ERROR_FIELDS {
        let value = match item.name {
            "message" => Value::from(e.to_string()),
            name => match e.field(name) {
                None => Value::Null,
                Some(FieldValue::Text(s)) => Value::from(s),
                Some(FieldValue::Count(n)) => Value::from(n),
                Some(FieldValue::Duration(d)) => Value::from(d.as_secs_f64() * 1000.0),
            },
        };
        o.insert(camel_case(item.name), value);
    }
    o
}

/// An engine error as a JS error (see the module doc). A provider's failure
/// also carries `causeId`, which `node/lib/errors.js` turns into `cause`.
pub(crate) fn js_error(e: &m2m_auth::Error) -> Error {
    let mut fields = fields(e);
    let cause =
        std::error::Error::source(e).and_then(|s| s.downcast_ref::<crate::provider::JsCause>());
    if let Some(cause) = cause {
        fields.insert("causeId".into(), Value::from(cause.0));
    }
    Error::new(
        Status::GenericFailure,
        format!("{ERROR_TAG}{}", Value::Object(fields)),
    )
}

/// A `config` error with this message.
pub(crate) fn config_error(message: impl Into<String>) -> Error {
    js_error(
        &m2m_auth::ErrorDetail::Config {
            message: message.into(),
        }
        .into(),
    )
}

/// The error a cancelled wait settles with (the JS side has already
/// rejected with the signal's reason and ignores it).
pub(crate) fn aborted() -> Error {
    Error::new(
        Status::Cancelled,
        format!("{ERROR_TAG}{{\"code\":\"aborted\",\"message\":\"aborted\"}}"),
    )
}

/// `Result` conversion from the engine's.
pub(crate) trait OrJs<T> {
    /// The engine's error as a JS error.
    fn or_js(self) -> napi::Result<T>;
}

impl<T> OrJs<T> for m2m_auth::Result<T> {
    fn or_js(self) -> napi::Result<T> {
        self.map_err(|e| js_error(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use m2m_auth::ErrorDetail;
    use std::time::Duration;

    pub(crate) fn tagged(e: Error) -> Value {
        let json = e.reason.strip_prefix(ERROR_TAG).expect("tagged");
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn every_error_has_every_field_in_camel_case() {
        let e: m2m_auth::Error = ErrorDetail::OAuth {
            error: "invalid_client".into(),
            error_description: Some("no".into()),
            error_uri: None,
            status: 401,
        }
        .into();
        let j = tagged(js_error(&e));
        assert_eq!(j["code"], "oauth");
        assert_eq!(j["error"], "invalid_client");
        assert_eq!(j["errorDescription"], "no");
        assert_eq!(j["errorUri"], Value::Null);
        assert_eq!(j["status"], 401);
        for item in surface::ERROR_FIELDS {
            assert!(j.get(camel_case(item.name)).is_some(), "{}", item.name);
        }
    }

    #[test]
    fn retry_after_is_in_milliseconds() {
        let t: m2m_auth::Error = ErrorDetail::Throttled {
            retry_after: Duration::from_millis(2500),
        }
        .into();
        let j = tagged(js_error(&t));
        assert_eq!(j["retryAfter"], 2500.0);
        assert_eq!(j["status"], Value::Null);
    }

    #[test]
    fn config_errors_carry_their_message() {
        let j = tagged(config_error("unknown option \"x\""));
        assert_eq!(j["code"], "config");
        assert!(j["message"].as_str().unwrap().contains("unknown option"));
    }
}
