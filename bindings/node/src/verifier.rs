//! The verifier's functions as the addon exports them (internal: the public
//! API is `node/lib/verifier.js`). Verification goes through the engine's
//! synchronous `verify_now` first (keys held or a verified-token cache hit:
//! no Promise, no thread hop) and through its async `verify` only when the
//! engine says a JWKS fetch is due. Claims stay in the engine (a JS
//! `External`); JS reads their fields once, on first use.

use m2m_auth::surface::{self, camel_case};
use m2m_auth::{Claims, ErrorDetail, HttpRequest, Verifier};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::client::Pairs;
use crate::errors::OrJs;
use crate::js::JsVal;
use crate::options;
use crate::out::epoch_ms;
use crate::promise;

/// A verifier handle (a JS `External`): the engine's verifier and what
/// `util.inspect` shows of it.
pub struct VerifierHandle {
    verifier: Verifier,
    shown: Vec<(String, Value)>,
}

/// Builds a verifier from `options` (a JS object: every key a verifier
/// option by its camelCase name, durations in ms). No I/O.
#[napi(skip_typescript)]
pub fn verifier_new(options: Unknown<'_>) -> Result<External<VerifierHandle>> {
    let (builder, shown) = options::verifier_builder(JsVal::of(&options))?;
    let verifier = builder.build().or_js()?;
    Ok(External::new(VerifierHandle { verifier, shown }))
}

/// The scopes a request requires, as the engine takes them.
fn scope_refs(scopes: &[String]) -> Vec<&str> {
    scopes.iter().map(String::as_str).collect()
}

/// `verify` without I/O: the claims, or `null` when a JWKS fetch is due
/// (then call `verifierVerify`); a failed verification throws.
#[napi(skip_typescript)]
pub fn verifier_verify_now(
    verifier: &External<VerifierHandle>,
    token: String,
) -> Result<Option<External<Claims>>> {
    match verifier.verifier.verify_now(&token) {
        None => Ok(None),
        Some(r) => r.map(|c| Some(External::new(c))).or_js(),
    }
}

/// `verify`, fetching the JWKS when due: a Promise of the claims.
#[napi(skip_typescript)]
pub fn verifier_verify<'env>(
    env: &'env Env,
    verifier: &External<VerifierHandle>,
    token: String,
) -> Result<PromiseRaw<'env, External<Claims>>> {
    let verifier = verifier.verifier.clone();
    promise::spawn(env, async move {
        verifier.verify(&token).await.map(External::new).or_js()
    })
}

/// `verifyRequest` without I/O (`authorization` the header as it arrived,
/// `null` when absent): the claims, or `null` when a JWKS fetch is due.
#[napi(skip_typescript)]
pub fn verifier_verify_request_now(
    verifier: &External<VerifierHandle>,
    authorization: Option<String>,
    scopes: Vec<String>,
) -> Result<Option<External<Claims>>> {
    let outcome = verifier
        .verifier
        .verify_request_now(authorization.as_deref(), &scope_refs(&scopes));
    match outcome {
        None => Ok(None),
        Some(r) => r.map(|c| Some(External::new(c))).or_js(),
    }
}

/// `verifyRequest`, fetching the JWKS when due: a Promise of the claims.
#[napi(skip_typescript)]
pub fn verifier_verify_request<'env>(
    env: &'env Env,
    verifier: &External<VerifierHandle>,
    authorization: Option<String>,
    scopes: Vec<String>,
) -> Result<PromiseRaw<'env, External<Claims>>> {
    let verifier = verifier.verifier.clone();
    promise::spawn(env, async move {
        let outcome = verifier
            .verify_request(authorization.as_deref(), &scope_refs(&scopes))
            .await;
        outcome.map(External::new).or_js()
    })
}

/// A request as it arrived, owned (the async path moves it to a task):
/// what the engine's `HttpRequest` borrows.
struct OwnedRequest {
    method: String,
    url: String,
    authorization: Option<String>,
    /// Several `DPoP` headers joined by `, ` (the engine refuses them).
    dpop: Option<String>,
}

impl OwnedRequest {
    fn engine(&self) -> HttpRequest<'_> {
        HttpRequest {
            method: &self.method,
            url: &self.url,
            authorization: self.authorization.as_deref(),
            dpop: self.dpop.as_deref(),
        }
    }
}

/// `verifyHttpRequest` without I/O: the claims, or `null` when a JWKS
/// fetch is due (then call `verifierVerifyHttpRequest`).
#[napi(skip_typescript)]
pub fn verifier_verify_http_request_now(
    verifier: &External<VerifierHandle>,
    method: String,
    url: String,
    authorization: Option<String>,
    dpop: Option<String>,
    scopes: Vec<String>,
) -> Result<Option<External<Claims>>> {
    let request = OwnedRequest {
        method,
        url,
        authorization,
        dpop,
    };
    let outcome = verifier
        .verifier
        .verify_http_request_now(&request.engine(), &scope_refs(&scopes));
    match outcome {
        None => Ok(None),
        Some(r) => r.map(|c| Some(External::new(c))).or_js(),
    }
}

/// `verifyHttpRequest`, fetching the JWKS when due: a Promise of the claims.
#[napi(skip_typescript)]
pub fn verifier_verify_http_request<'env>(
    env: &'env Env,
    verifier: &External<VerifierHandle>,
    method: String,
    url: String,
    authorization: Option<String>,
    dpop: Option<String>,
    scopes: Vec<String>,
) -> Result<PromiseRaw<'env, External<Claims>>> {
    let request = OwnedRequest {
        method,
        url,
        authorization,
        dpop,
    };
    let verifier = verifier.verifier.clone();
    promise::spawn(env, async move {
        let outcome = verifier
            .verify_http_request(&request.engine(), &scope_refs(&scopes))
            .await;
        outcome.map(External::new).or_js()
    })
}

/// The verifier's answer (core's `Verifier::challenge`) to an error the JS
/// side holds, for the request's `authorization` header:
/// `{ status, wwwAuthenticate, dpopNonce }`.
#[napi(skip_typescript)]
pub fn verifier_challenge(
    verifier: &External<VerifierHandle>,
    code: String,
    reason: Option<String>,
    required_scope: Option<String>,
    authorization: Option<String>,
    realm: Option<String>,
) -> Pairs {
    let error = held_error(code, reason, required_scope);
    let c = verifier
        .verifier
        .challenge(&error, authorization.as_deref(), realm.as_deref());
    answer(c, true)
}

/// The DPoP nonce to send now (nonce mode), or `null`.
#[napi(skip_typescript)]
pub fn verifier_dpop_nonce(verifier: &External<VerifierHandle>) -> Option<String> {
    verifier.verifier.dpop_nonce()
}

/// The verifier's counters: `{ verified, cacheHits, jwksFetches, failures }`.
#[napi(skip_typescript)]
pub fn verifier_stats(verifier: &External<VerifierHandle>) -> Pairs {
    let s = verifier.verifier.stats();
    Pairs(vec![
        ("verified".into(), s.verified.into()),
        ("cacheHits".into(), s.cache_hits.into()),
        ("jwksFetches".into(), s.jwks_fetches.into()),
        ("failures".into(), s.failures.into()),
    ])
}

/// What `util.inspect` shows of the verifier: `issuer`, `jwksUri`,
/// `audience`, `algorithms` as given. Never a token.
#[napi(skip_typescript)]
pub fn verifier_describe(verifier: &External<VerifierHandle>) -> Pairs {
    Pairs(verifier.shown.clone())
}

/// The value of one field of `surface::CLAIMS_FIELDS` (instants in ms since
/// the epoch; absent ones `null`).
fn claims_field(c: &Claims, name: &str) -> Value {
    let text = |s: Option<&str>| s.map_or(Value::Null, Value::from);
    let instant = |t: Option<std::time::SystemTime>| t.map_or(Value::Null, |t| epoch_ms(t).into());
    match name {
        "issuer" => c.issuer().into(),
        "subject" => text(c.subject()),
        "audience" => c.audience().into(),
        "client_id" => text(c.client_id()),
        "scopes" => c.scopes().into(),
        "expires_at" => epoch_ms(c.expires_at()).into(),
        "issued_at" => instant(c.issued_at()),
        "not_before" => instant(c.not_before()),
        "jwt_id" => text(c.jwt_id()),
        _ => Value::Null,
    }
}

/// Every field of `surface::CLAIMS_FIELDS` by its JS name, as JSON text:
/// `JSON.parse` builds the object several times faster than setting its
/// properties one N-API call at a time.
#[napi(skip_typescript)]
pub fn claims_fields(claims: &External<Claims>) -> String {
    let fields: serde_json::Map<String, Value> = surface::CLAIMS_FIELDS
        .iter()
        .map(|i| (camel_case(i.name), claims_field(claims, i.name)))
        .collect();
    Value::Object(fields).to_string()
}

/// Every claim, as JSON text.
#[napi(skip_typescript)]
pub fn claims_json(claims: &External<Claims>) -> String {
    claims.to_json()
}

/// An error the JS side holds, rebuilt from its code and fields for the
/// engine's answer: only the code, `reason` and `requiredScope` matter to
/// it; any other code answers as an error that is not the token's (503).
fn held_error(
    code: String,
    reason: Option<String>,
    required_scope: Option<String>,
) -> m2m_auth::Error {
    match code.as_str() {
        "invalid_token" => ErrorDetail::InvalidToken {
            reason: reason.unwrap_or_default(),
            message: String::new(),
        },
        "insufficient_scope" => ErrorDetail::InsufficientScope {
            required_scope: required_scope.unwrap_or_default(),
        },
        _ => ErrorDetail::Config { message: code },
    }
    .into()
}

/// `{ status, wwwAuthenticate }` of an answer, and `dpopNonce` when asked.
fn answer(c: m2m_auth::Challenge, with_nonce: bool) -> Pairs {
    let text = |v: Option<String>| v.map_or(Value::Null, Value::from);
    let mut pairs = vec![
        ("status".into(), c.status.into()),
        ("wwwAuthenticate".into(), text(c.www_authenticate)),
    ];
    if with_nonce {
        pairs.push(("dpopNonce".into(), text(c.dpop_nonce)));
    }
    Pairs(pairs)
}

/// The RFC 6750 answer (core's free `challenge`, Bearer only) for an error
/// the JS side holds: `{ status, wwwAuthenticate }`.
#[napi(skip_typescript)]
pub fn challenge(
    code: String,
    reason: Option<String>,
    required_scope: Option<String>,
    realm: Option<String>,
) -> Pairs {
    let error = held_error(code, reason, required_scope);
    answer(m2m_auth::challenge(&error, realm.as_deref()), false)
}
