//! The checks of a call's outcome against its `expect`: tokens, API
//! answers, errors and their fields, and the canary.

use std::time::Duration;

use m2m_auth::{Error, ErrorDetail, Token};
use serde_json::{json, Map, Value};

use crate::run::{Outcome, Run};
use crate::vector::{opt_str, opt_u64, range_of};
use crate::Res;

impl Run {
    /// Checks one outcome against `E`; `elapsed` is the caller's wall time.
    pub(crate) fn check(&self, e: &Value, out: &Outcome, elapsed: Option<Duration>) -> Res {
        let e = e.as_object().ok_or("expect: an object")?;
        // The canary, whatever was expected.
        if let Outcome::Err(err) = out {
            canary(err, &self.secret)?;
            key_canary(err, &self.key_parts)?;
        }
        const KNOWN: &[&str] = &[
            "ok",
            "error",
            "token_type",
            "expires_in_between",
            "scope",
            "extra",
            "same_token_as",
            "different_token_from",
            "status",
            "elapsed_ms_at_least",
            "elapsed_ms_at_most",
            "fields",
            "body_max_len",
            "retry_after_between_s",
            "authorization_scheme",
        ];
        if let Some(k) = e.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(format!("expect: unknown field {k:?}"));
        }
        let want_ok = e.get("ok") == Some(&Value::Bool(true));
        let want_err = e.get("error").and_then(Value::as_str);
        if want_ok == want_err.is_some() {
            return Err("expect needs exactly one of \"ok\": true and \"error\"".into());
        }
        if let Some(elapsed) = elapsed {
            let ms = elapsed.as_secs_f64() * 1000.0;
            if let Some(lo) = opt_u64(e, "elapsed_ms_at_least")? {
                if ms < lo as f64 {
                    return Err(format!("took {ms:.0} ms, expected at least {lo} ms"));
                }
            }
            if let Some(hi) = opt_u64(e, "elapsed_ms_at_most")? {
                if ms > hi as f64 {
                    return Err(format!("took {ms:.0} ms, expected at most {hi} ms"));
                }
            }
        }
        match (out, want_err) {
            (Outcome::Err(err), None) => {
                Err(format!("expected success, got {}: {err}", err.code()))
            }
            (Outcome::Built, None) => {
                if let Some(k) = e.keys().find(|k| *k != "ok") {
                    return Err(format!("{k} does not apply to build"));
                }
                Ok(())
            }
            (Outcome::Built, Some(code)) => {
                Err(format!("expected a {code} error, the client built"))
            }
            (Outcome::Token(t), None) => self.check_token(e, t),
            (Outcome::Api(r), None) => {
                if let Some(s) = opt_u64(e, "status")? {
                    if u64::from(r.status) != s {
                        return Err(format!(
                            "the API answered {}, expected {s}: {}",
                            r.status,
                            r.text()
                        ));
                    }
                }
                for k in [
                    "token_type",
                    "expires_in_between",
                    "scope",
                    "extra",
                    "same_token_as",
                    "different_token_from",
                ] {
                    if e.contains_key(k) {
                        return Err(format!("{k} does not apply to call_api"));
                    }
                }
                Ok(())
            }
            (Outcome::Token(_), Some(code)) => Err(format!("expected a {code} error, got a token")),
            (Outcome::Api(r), Some(code)) => Err(format!(
                "expected a {code} error, the API answered {}",
                r.status
            )),
            (Outcome::Err(err), Some(code)) => check_error(e, err, code),
        }
    }

    fn check_token(&self, e: &Map<String, Value>, t: &Token) -> Res {
        if let Some(want) = opt_str(e, "token_type")? {
            if t.token_type() != want {
                return Err(format!(
                    "token_type {:?}, expected {want:?}",
                    t.token_type()
                ));
            }
        }
        if let Some(want) = opt_str(e, "authorization_scheme")? {
            let header = t.authorization_header();
            let got = header.split(' ').next().unwrap_or_default();
            if got != want {
                return Err(format!("authorization scheme {got:?}, expected {want:?}"));
            }
        }
        if let Some(range) = e.get("expires_in_between") {
            let (lo, hi) = range_of(range, "expires_in_between")?;
            let left = t.expires_in().as_secs_f64();
            if left < lo || left > hi {
                return Err(format!("expires in {left:.1} s, expected [{lo}, {hi}]"));
            }
        }
        if let Some(want) = e.get("scope") {
            let got = t
                .scope()
                .map(|s| Value::String(s.to_string()))
                .unwrap_or(Value::Null);
            if &got != want {
                return Err(format!("scope {got}, expected {want}"));
            }
        }
        if let Some(want) = e.get("extra") {
            for (k, v) in want.as_object().ok_or("extra: an object")? {
                if t.extra().get(k) != Some(v) {
                    return Err(format!(
                        "extra field {k:?}: {:?}, expected {v}",
                        t.extra().get(k)
                    ));
                }
            }
        }
        if let Some(label) = opt_str(e, "same_token_as")? {
            let other = self
                .labels
                .get(label)
                .ok_or_else(|| format!("no label {label:?}"))?;
            if t.access_token() != other {
                return Err(format!("a different token than {label:?}"));
            }
        }
        if let Some(label) = opt_str(e, "different_token_from")? {
            let other = self
                .labels
                .get(label)
                .ok_or_else(|| format!("no label {label:?}"))?;
            if t.access_token() == other {
                return Err(format!("the same token as {label:?}"));
            }
        }
        if e.contains_key("status") {
            return Err("status applies to call_api only".into());
        }
        Ok(())
    }
}

fn check_error(e: &Map<String, Value>, err: &Error, code: &str) -> Res {
    if err.code() != code {
        return Err(format!(
            "expected a {code} error, got {}: {err}",
            err.code()
        ));
    }
    if let Some(fields) = e.get("fields") {
        for (name, want) in fields.as_object().ok_or("fields: an object")? {
            let got = error_field(err, name)
                .ok_or_else(|| format!("a {} error has no field {name:?}", err.code()))?;
            if &got != want {
                return Err(format!(
                    "error field {name}: {got}, expected {want} ({err})"
                ));
            }
        }
    }
    if let Some(max) = opt_u64(e, "body_max_len")? {
        match err.detail() {
            ErrorDetail::Http { body, .. } if body.len() as u64 <= max => {}
            ErrorDetail::Http { body, .. } => {
                return Err(format!("http body excerpt of {} bytes > {max}", body.len()))
            }
            _ => return Err("body_max_len applies to http errors".into()),
        }
    }
    if let Some(range) = e.get("retry_after_between_s") {
        let (lo, hi) = range_of(range, "retry_after_between_s")?;
        let ra = err
            .retry_after()
            .ok_or("retry_after_between_s applies to throttled errors")?
            .as_secs_f64();
        if ra < lo || ra > hi {
            return Err(format!("retry_after {ra:.3} s, expected [{lo}, {hi}]"));
        }
    }
    for k in [
        "token_type",
        "expires_in_between",
        "scope",
        "extra",
        "same_token_as",
        "different_token_from",
        "status",
    ] {
        if e.contains_key(k) {
            return Err(format!("{k} does not apply to an error"));
        }
    }
    Ok(())
}

/// An error's field by its FORMAT.md name, as JSON (`null` when absent).
fn error_field(err: &Error, name: &str) -> Option<Value> {
    let s = |o: &Option<String>| o.clone().map(Value::String).unwrap_or(Value::Null);
    match (err.detail(), name) {
        (ErrorDetail::OAuth { error, .. }, "error") => Some(json!(error)),
        (
            ErrorDetail::OAuth {
                error_description, ..
            },
            "error_description",
        ) => Some(s(error_description)),
        (ErrorDetail::OAuth { error_uri, .. }, "error_uri") => Some(s(error_uri)),
        (ErrorDetail::OAuth { status, .. } | ErrorDetail::Http { status, .. }, "status") => {
            Some(json!(status))
        }
        (ErrorDetail::Transport { kind, .. }, "kind") => Some(json!(kind.as_str())),
        _ => None,
    }
}

/// No error shows the client secret, raw or form-encoded.
fn canary(err: &Error, secret: &str) -> Res {
    if secret.is_empty() {
        return Ok(());
    }
    let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    for text in [err.to_string(), format!("{err:?}")] {
        for needle in [secret, form.as_str()] {
            if text.contains(needle) {
                return Err(format!("CANARY: the error shows the client secret: {text}"));
            }
        }
    }
    Ok(())
}

/// No error shows a secret part of the client's `dpop_key`.
fn key_canary(err: &Error, parts: &[String]) -> Res {
    for text in [err.to_string(), format!("{err:?}")] {
        if parts.iter().any(|p| text.contains(p.as_str())) {
            return Err(format!("CANARY: the error shows the DPoP key: {text}"));
        }
    }
    Ok(())
}
