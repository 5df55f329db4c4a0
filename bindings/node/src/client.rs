//! The client's functions as the addon exports them (internal: the public
//! API is `node/lib/client.js`). Each translates its arguments, calls the
//! engine, and converts the result; engine futures become Promises that a
//! cancellation handle can settle early (an `AbortSignal` on the JS side).

use std::collections::HashMap;
use std::sync::Arc;

use m2m_auth::surface;
use m2m_auth::TokenClient;
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::epoch::{shared_epoch, Raw};
use crate::errors::{aborted, OrJs};
use crate::js::JsVal;
use crate::logs::flush;
use crate::options;
use crate::out::{ApiOut, QuotaOut, StatsOut, TokenOut};
use crate::promise;

/// Native memory one client handle holds, as reported to V8.
const CLIENT_NATIVE_BYTES: usize = 6 * 1024;

/// A client handle (a JS `External`): the engine's client and what
/// `util.inspect` shows of it.
pub struct Client {
    client: TokenClient,
    shown: Vec<(String, serde_json::Value)>,
}

/// A cancellation handle for one wait (a JS `External`).
pub struct Cancel(Arc<tokio::sync::Notify>);

/// An ordered list of name/value pairs, as a JS object.
pub struct Pairs(pub(crate) Vec<(String, serde_json::Value)>);

impl ToNapiValue for Pairs {
    unsafe fn to_napi_value(raw_env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let env = Env::from_raw(raw_env);
        let mut obj = Object::new(&env)?;
        for (k, v) in val.0 {
            obj.set(k, v)?;
        }
        Ok(obj.raw())
    }
}

fn request(options: Option<Unknown<'_>>) -> Result<m2m_auth::TokenRequest> {
    options::request(options.as_ref().map(JsVal::of))
}

/// An engine outcome for JS, once the records it logged are on their way.
fn settle<T>(outcome: m2m_auth::Result<T>) -> Result<T> {
    flush();
    outcome.or_js()
}

/// Builds a client from `options` (a JS object: every key a client option
/// by its camelCase name); `env` (the `M2M_AUTH_*` variables of
/// `process.env`) makes it read those first.
#[napi(skip_typescript)]
pub fn client_new(
    options: Option<Unknown<'_>>,
    env: Option<HashMap<String, String>>,
) -> Result<External<Client>> {
    let (builder, shows) = options::client_builder(options.as_ref().map(JsVal::of), env)?;
    let client = settle(builder.build())?;
    // Where tokens come from, who asks, and what for; never the secret.
    let client_id_at = surface::CLIENT_OPTIONS
        .iter()
        .position(|i| i.name == "client_id")
        .unwrap_or(0);
    let mut shown = Vec::new();
    let (endpoint, request): (Vec<_>, Vec<_>) =
        shows.into_iter().partition(|(at, _)| *at < client_id_at);
    shown.extend(endpoint.into_iter().map(|(_, kv)| kv));
    shown.push(("clientId".into(), client.client_id().into()));
    shown.push(("authMethod".into(), client.auth_method().as_str().into()));
    shown.extend(request.into_iter().map(|(_, kv)| kv));
    shown.push(("clientSecret".into(), "***".into()));
    // Tell V8 what a handle holds natively (the engine's client with its
    // sharded counters), so that dropped clients are collected as readily
    // as their size deserves.
    Ok(External::new_with_size_hint(
        Client { client, shown },
        CLIENT_NATIVE_BYTES,
    ))
}

/// A fresh token for the request without I/O, or `null` (the engine decides).
#[napi(skip_typescript)]
pub fn client_cached_token(
    client: &External<Client>,
    request: Option<Unknown<'_>>,
) -> Result<Option<TokenOut>> {
    let request = self::request(request)?;
    Ok(client.client.cached_token(&request).map(TokenOut))
}

async fn cancellable<T>(
    cancel: Option<Arc<tokio::sync::Notify>>,
    fut: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    match cancel {
        None => fut.await,
        Some(n) => tokio::select! {
            r = fut => r,
            _ = n.notified() => Err(aborted()),
        },
    }
}

/// `getToken`: a Promise of the engine's answer; `cancel` ends the wait.
#[napi(skip_typescript)]
pub fn client_get_token<'env>(
    env: &'env Env,
    client: &External<Client>,
    request: Option<Unknown<'_>>,
    cancel: Option<&External<Cancel>>,
) -> Result<PromiseRaw<'env, TokenOut>> {
    let request = self::request(request)?;
    let wait = client.client.get_token(&request);
    let cancel = cancel.map(|c| c.0.clone());
    promise::spawn(
        env,
        cancellable(cancel, async move { settle(wait.await).map(TokenOut) }),
    )
}

/// `fetchToken`: a new token from the endpoint (the engine updates its cache).
#[napi(skip_typescript)]
pub fn client_fetch_token<'env>(
    env: &'env Env,
    client: &External<Client>,
    request: Option<Unknown<'_>>,
    cancel: Option<&External<Cancel>>,
) -> Result<PromiseRaw<'env, TokenOut>> {
    let request = self::request(request)?;
    let client = client.client.clone();
    let cancel = cancel.map(|c| c.0.clone());
    promise::spawn(
        env,
        cancellable(cancel, async move {
            settle(client.fetch_token(&request).await).map(TokenOut)
        }),
    )
}

/// `callApi`: the engine's `call_api` (one renewal on 401). `headers` is a
/// list of `[name, value]` pairs.
#[napi(skip_typescript)]
#[allow(clippy::too_many_arguments)]
pub fn client_call_api<'env>(
    env: &'env Env,
    client: &External<Client>,
    method: String,
    url: String,
    headers: Option<Vec<Vec<String>>>,
    body: Option<Buffer>,
    request: Option<Unknown<'_>>,
    cancel: Option<&External<Cancel>>,
) -> Result<PromiseRaw<'env, ApiOut>> {
    let request = self::request(request)?;
    let headers: Vec<(String, String)> = headers
        .unwrap_or_default()
        .into_iter()
        .filter_map(|mut pair| {
            let value = pair.pop()?;
            Some((pair.pop()?, value))
        })
        .collect();
    let body = body.map(|b| b.to_vec());
    let client = client.client.clone();
    let cancel = cancel.map(|c| c.0.clone());
    promise::spawn(
        env,
        cancellable(cancel, async move {
            let outcome = client
                .call_api(&request, &method, &url, &headers, body)
                .await;
            settle(outcome).map(ApiOut)
        }),
    )
}

/// `invalidate`: the engine drops the key's token.
#[napi(skip_typescript)]
pub fn client_invalidate(client: &External<Client>, request: Option<Unknown<'_>>) -> Result<()> {
    let request = self::request(request)?;
    settle(client.client.invalidate(&request))
}

/// `invalidateRejected`: drops the key's token only if it is still the one
/// an API refused (a concurrent caller may already have renewed it).
#[napi(skip_typescript)]
pub fn client_invalidate_rejected(
    client: &External<Client>,
    rejected_access_token: String,
    request: Option<Unknown<'_>>,
) -> Result<()> {
    let request = self::request(request)?;
    settle(
        client
            .client
            .invalidate_rejected(&request, &rejected_access_token),
    )
}

/// `dpopProof`: the engine's DPoP proof for `method url` (with `ath` when
/// `access_token` is given); a `config` error with `dpop` off.
#[napi(skip_typescript)]
pub fn client_dpop_proof(
    client: &External<Client>,
    method: String,
    url: String,
    access_token: Option<String>,
) -> Result<String> {
    settle(
        client
            .client
            .dpop_proof(&method, &url, access_token.as_deref()),
    )
}

/// `requestHeaders`: the engine's headers for sending a token (its access
/// token and type, as the JS `Token` holds them) with `method url`:
/// `[authorization, dpop]`, `dpop` null for a Bearer token.
#[napi(skip_typescript)]
pub fn client_request_headers(
    client: &External<Client>,
    method: String,
    url: String,
    access_token: String,
    token_type: String,
) -> Result<Vec<Option<String>>> {
    let token = m2m_auth::Token::from_parts(access_token, token_type);
    let h = settle(client.client.request_headers(&method, &url, &token))?;
    Ok(vec![Some(h.authorization), h.dpop])
}

/// `dpopResponse`: the engine reads an API's answer to a request sent with
/// a token (for a DPoP token: remembers its nonce) and says whether to send
/// it once more; false for a Bearer token.
#[napi(skip_typescript)]
pub fn client_dpop_response(
    client: &External<Client>,
    url: String,
    access_token: String,
    token_type: String,
    status: u32,
    www_authenticate: Option<String>,
    dpop_nonce: Option<String>,
) -> bool {
    // Not an HTTP status: nothing to follow (the nonce is still remembered).
    let status = u16::try_from(status).unwrap_or(0);
    let token = m2m_auth::Token::from_parts(access_token, token_type);
    client.client.dpop_response(
        &url,
        &token,
        status,
        www_authenticate.as_deref(),
        dpop_nonce.as_deref(),
    )
}

/// `dpopThumbprint`: the DPoP key's RFC 7638 thumbprint, or `null` with
/// `dpop` off.
#[napi(skip_typescript)]
pub fn client_dpop_thumbprint(client: &External<Client>) -> Option<String> {
    client.client.dpop_thumbprint().map(str::to_string)
}

/// The engine's rule for URLs that carry a token (https, or http to loopback).
#[napi(skip_typescript)]
pub fn check_url(url: String) -> Result<()> {
    m2m_auth::check_url(&url).or_js()
}

/// The engine's rule for redirects: the token's headers follow a redirect
/// to the first request's origin only.
#[napi(skip_typescript)]
pub fn same_origin(first: String, next: String) -> bool {
    m2m_auth::same_origin(&first, &next)
}

/// The engine's counters of this client.
#[napi(skip_typescript)]
pub fn client_stats(client: &External<Client>) -> StatsOut {
    StatsOut(client.client.stats())
}

/// The token quota the endpoint last reported for this client.
#[napi(skip_typescript)]
pub fn client_quota(client: &External<Client>) -> QuotaOut {
    QuotaOut(client.client.quota())
}

/// What `util.inspect` shows of the client: the endpoint option, `clientId`,
/// `authMethod`, the default request parameters, `clientSecret: '***'`.
#[napi(skip_typescript)]
pub fn client_describe(client: &External<Client>) -> Pairs {
    Pairs(client.shown.clone())
}

/// `[clientId, authMethod]`.
#[napi(skip_typescript)]
pub fn client_identity(client: &External<Client>) -> Vec<String> {
    vec![
        client.client.client_id().to_string(),
        client.client.auth_method().as_str().to_string(),
    ]
}

/// The cache epoch of the client's default request as a `Uint32Array`
/// (see `epoch.rs`), or `null`.
#[napi(skip_typescript)]
pub fn client_epoch(env: &Env, client: &External<Client>) -> Result<Option<Raw>> {
    let epoch = client
        .client
        .cache_epoch(&m2m_auth::TokenRequest::default())
        .or_js()?;
    Ok(shared_epoch(env, epoch))
}

/// A new cancellation handle.
#[napi(skip_typescript)]
pub fn cancel_new() -> External<Cancel> {
    External::new(Cancel(Arc::new(tokio::sync::Notify::new())))
}

/// Ends the wait the handle was given to (now, or as soon as it starts).
#[napi(skip_typescript)]
pub fn cancel_fire(cancel: &External<Cancel>) {
    cancel.0.notify_one();
}

/// The JS names of the surface's lists, for the JS side's classes:
/// `{ errorFields, stats, tokenFields }`.
#[napi(skip_typescript)]
pub fn surface_names() -> HashMap<String, Vec<String>> {
    let names =
        |items: &[surface::Item]| items.iter().map(|i| surface::camel_case(i.name)).collect();
    HashMap::from([
        ("errorFields".to_string(), names(surface::ERROR_FIELDS)),
        ("stats".to_string(), names(surface::STATS)),
        ("tokenFields".to_string(), names(surface::TOKEN_FIELDS)),
    ])
}
