//! The Node.js binding of m2m-auth: napi-rs glue between the engine
//! (`core/`) and the npm package in `node/`.
//!
//! This crate only translates: JS options into a `TokenClientBuilder`, JS
//! request overrides into a `TokenRequest`, engine `Token`s into plain JS
//! objects, engine `Error`s into a tagged JS error that `node/index.js` turns
//! into `M2MAuthError` subclasses, and engine futures into Promises (napi-rs
//! on a one-worker tokio runtime). It also keeps the generation word that
//! tells the JS hot-path mirror when to stop serving (`GENERATION`).
//! Every decision about tokens (freshness, caching, single flight, retries)
//! is the engine's.
//!
//! The exported functions are internal (`node/index.js` is the public API) and
//! are left out of the generated `index.d.ts`; the `#[napi(object)]` types are
//! public and documented there, generated from the doc comments below.

#![deny(clippy::all)]

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use m2m_auth::{ErrorDetail, RetryPolicy, Token, TokenClient, TokenClientBuilder, TokenRequest};
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

/// Prefix of the message of every error this addon throws for an engine
/// error; the rest is JSON (`code`, `message` and the fields).
const ERROR_TAG: &str = "m2m-auth:";

/// Options of `new TokenClient(options)` (docs/design.md §1). Exactly one of
/// `tokenUrl`, `domain` or `issuer` is required, and `clientId` and
/// `clientSecret`. Every check happens before any I/O: a bad or missing
/// option throws a `ConfigError` (`err.code === 'M2M_CONFIG'`), and so does
/// an option name that is not listed here.
#[napi(object)]
#[derive(Default)]
pub struct TokenClientOptions {
    /// The token endpoint, e.g. `https://tenant.us.auth0.com/oauth/token`.
    /// `https://` only; `http://` only for loopback hosts.
    pub token_url: Option<String>,
    /// An Auth0-style domain: the token endpoint is `https://{domain}/oauth/token`.
    pub domain: Option<String>,
    /// An issuer: the token endpoint is discovered from its metadata
    /// (OpenID Connect Discovery, then RFC 8414), once, on first use.
    pub issuer: Option<String>,
    /// The client id.
    pub client_id: Option<String>,
    /// The client secret. Never printed: `***` in every message and inspection.
    pub client_secret: Option<String>,
    /// `'client_secret_post'` (the default) or `'client_secret_basic'`.
    pub auth_method: Option<String>,
    /// Default audience: the API the tokens are for (Auth0's API identifier).
    pub audience: Option<String>,
    /// Default scopes: a space-separated string or a list.
    pub scope: Option<Either<String, Vec<String>>>,
    /// Default organization (Auth0 organization id or name).
    pub organization: Option<String>,
    /// Default RFC 8707 resource indicators (absolute URIs).
    pub resource: Option<Either<String, Vec<String>>>,
    /// Default extra form parameters sent with every token request.
    pub extra: Option<HashMap<String, String>>,
    /// Overall deadline of one token request, retries included, in ms [30 000].
    pub timeout_ms: Option<f64>,
    /// Connection timeout in ms [10 000].
    pub connect_timeout_ms: Option<f64>,
    /// A token is usable until `expiresAt - leeway`, in ms [60 000]; never
    /// more than half the token's lifetime.
    pub leeway_ms: Option<f64>,
    /// Fraction of a token's lifetime after which it is refreshed in the
    /// background, in (0, 1] [0.75].
    pub refresh_ratio: Option<f64>,
    /// Retry and throttling policy (docs/design.md §5).
    pub retry: Option<RetryOptions>,
    /// Largest token response body read, in bytes [1 MiB].
    pub max_response_bytes: Option<f64>,
    /// Lifetime assumed when a response has no `expires_in`, in ms [600 000].
    pub default_expires_in_ms: Option<f64>,
    /// PEM certificates to trust in addition to the OS trust store.
    pub ca_certs_pem: Option<Either<String, Vec<String>>>,
    /// Sends token requests through this proxy URL instead of the one in
    /// `HTTPS_PROXY` / `HTTP_PROXY`.
    pub proxy: Option<String>,
    /// `true`: ignore the proxy environment variables.
    pub no_proxy: Option<bool>,
    /// The token cache: `'memory'` (the default: process-wide), or a cache
    /// shared by processes in front of it: `'file:/some/dir'` (one host) or
    /// `'redis://host:port/db'` / `'rediss://...'` (a fleet).
    pub cache: Option<String>,
    /// Bound of the in-memory cache, in keys [10 000]. A client with another
    /// bound gets a cache of its own.
    pub max_cache_keys: Option<f64>,
}

const CLIENT_OPTION_NAMES: &[&str] = &[
    "tokenUrl",
    "domain",
    "issuer",
    "clientId",
    "clientSecret",
    "authMethod",
    "audience",
    "scope",
    "organization",
    "resource",
    "extra",
    "timeoutMs",
    "connectTimeoutMs",
    "leewayMs",
    "refreshRatio",
    "retry",
    "maxResponseBytes",
    "defaultExpiresInMs",
    "caCertsPem",
    "proxy",
    "noProxy",
    "cache",
    "maxCacheKeys",
];

/// How token requests are retried and throttled (docs/design.md §5). Unset fields
/// keep the engine's defaults.
#[napi(object)]
#[derive(Default)]
pub struct RetryOptions {
    /// Attempts in all, the first included [3].
    pub max_attempts: Option<f64>,
    /// Backoff before the second attempt, doubled for each later one, in ms [1 000].
    pub base_delay_ms: Option<f64>,
    /// Longest backoff between two attempts, in ms [30 000].
    pub max_delay_ms: Option<f64>,
    /// Random spread of each backoff as a fraction [0.1 = ±10 %].
    pub jitter: Option<f64>,
    /// How long a key is throttled after a 429/5xx without `Retry-After`
    /// once the attempts are spent, in ms [5 000].
    pub default_throttle_ms: Option<f64>,
    /// Cap on any `Retry-After` the server asks for, in ms [3 600 000].
    pub max_retry_after_ms: Option<f64>,
}

const RETRY_OPTION_NAMES: &[&str] = &[
    "maxAttempts",
    "baseDelayMs",
    "maxDelayMs",
    "jitter",
    "defaultThrottleMs",
    "maxRetryAfterMs",
];

/// Per-call overrides of the client's default request parameters. A field
/// left out takes the client's default; an empty string or list clears it.
/// Each distinct request is cached under its own key.
#[napi(object)]
#[derive(Default)]
pub struct TokenRequestOptions {
    /// The API the token is for.
    pub audience: Option<String>,
    /// Scopes: a space-separated string or a list.
    pub scope: Option<Either<String, Vec<String>>>,
    /// Organization id or name.
    pub organization: Option<String>,
    /// RFC 8707 resource indicators (absolute URIs).
    pub resource: Option<Either<String, Vec<String>>>,
    /// Extra form parameters.
    pub extra: Option<HashMap<String, String>>,
}

/// `signal` is the wrapper's; the engine never sees it.
const REQUEST_OPTION_NAMES: &[&str] = &[
    "audience",
    "scope",
    "organization",
    "resource",
    "extra",
    "signal",
];

/// A client's counters (`client.stats()`).
#[napi(object)]
pub struct TokenClientStats {
    /// Calls answered from the cache (fresh, or usable while refreshing).
    pub hits: f64,
    /// Calls that waited for a token request (their own or a shared one).
    pub misses: f64,
    /// Token requests this client made (each may take several attempts).
    pub fetches: f64,
    /// Of those, background refreshes of a still-usable token.
    pub refreshes: f64,
    /// Token requests that ended in an error.
    pub failures: f64,
}

/// Bumped after every `invalidate` and `fetchToken`, in any client and any
/// thread of the process, and at every deadline a mirror was armed with
/// ([`mirror_arm`]). The JS mirror of each client remembers the value it was
/// filled under and serves only while it is unchanged: so no mirror serves a
/// token the engine dropped, or past the refresh point the engine set, and
/// the hot path reads no clock. Static, so it can back an external
/// `Uint32Array` in every JS environment (main thread and workers).
static GENERATION: AtomicU32 = AtomicU32::new(1);

fn bump_generation() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// Mirror deadlines (ms since the epoch) with a bump scheduled.
static ARMED: Mutex<BTreeSet<u64>> = Mutex::new(BTreeSet::new());

/// A mirror stops serving at least this long before the engine's refresh
/// point (the timer's latency is not the engine's problem).
const MIRROR_MARGIN_MS: u64 = 25;

/// Mirror deadlines are rounded down to this step, so that however many
/// tokens come and go, the bumps scheduled at once stay few (at most one per
/// step of the longest lifetime). Between a rounded deadline and the refresh
/// point, calls are answered by the engine itself.
const MIRROR_STEP_MS: u64 = 1000;

/// Arms a generation bump for a mirror of a token whose refresh point (ms
/// since the epoch) is `refresh_at_ms`: at that point less a margin, rounded
/// down to a step. Every mirror filled with that token then stops serving by
/// its refresh point without reading a clock on the hot path. `false`: not
/// armed (the deadline has passed, or no runtime); the caller must not mirror.
#[napi(skip_typescript)]
pub fn mirror_arm(refresh_at_ms: f64) -> bool {
    let now = epoch_ms(SystemTime::now()) as u64;
    if !refresh_at_ms.is_finite() || refresh_at_ms < 0.0 {
        return false;
    }
    let deadline = (refresh_at_ms as u64).saturating_sub(MIRROR_MARGIN_MS);
    let key = deadline - deadline % MIRROR_STEP_MS;
    if key <= now {
        return false;
    }
    if !ARMED.lock().unwrap_or_else(|e| e.into_inner()).insert(key) {
        return true;
    }
    let wait = Duration::from_millis(key - now);
    let spawned = std::panic::catch_unwind(|| {
        napi::bindgen_prelude::spawn(async move {
            tokio::time::sleep(wait).await;
            // Forget the deadline first: a mirror armed for it from now on
            // schedules a bump of its own.
            ARMED.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
            bump_generation();
        })
    });
    if spawned.is_err() {
        ARMED.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
        return false;
    }
    true
}

/// The runtime napi-rs runs the engine's futures on: one worker thread.
/// Token requests are few and I/O-bound, and with one worker a request's
/// tasks (the caller's wait, the engine's fetch, the socket) never hand off
/// between threads: a cold token request costs two thread wake-ups (JS to
/// the worker and back), not more.
#[napi_derive::module_init]
fn init() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("m2m-auth")
        .enable_all()
        .build();
    if let Ok(rt) = runtime {
        napi::bindgen_prelude::create_custom_tokio_runtime(rt);
    }
}

/// Native memory one client handle holds, as reported to V8.
const CLIENT_NATIVE_BYTES: usize = 6 * 1024;

/// A client handle (a JS `External`).
pub struct Client(TokenClient);

/// A cancellation handle for one wait (a JS `External`).
pub struct Cancel(Arc<tokio::sync::Notify>);

/// An engine token on its way to JS: converted on the JS thread, without an
/// intermediate copy of the secret strings.
pub struct TokenOut(Token);

impl ToNapiValue for TokenOut {
    unsafe fn to_napi_value(raw_env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let env = Env::from_raw(raw_env);
        let t = &val.0;
        let mut obj = Object::new(&env)?;
        obj.set("accessToken", t.access_token())?;
        obj.set("authorizationHeader", t.authorization_header())?;
        obj.set("tokenType", t.token_type())?;
        obj.set("expiresAtMs", epoch_ms(t.expires_at()))?;
        obj.set("refreshAtMs", epoch_ms(t.refresh_at()))?;
        obj.set("scope", t.scope())?;
        obj.set("extra", serde_json::Value::Object(t.extra().clone()))?;
        obj.set("fingerprint", t.fingerprint())?;
        Ok(obj.raw())
    }
}

/// Milliseconds since the epoch, rounded down (so a deadline compared with
/// `Date.now()` is never passed late).
fn epoch_ms(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as f64)
        .unwrap_or(0.0)
}

/// An engine error as a JS error: `m2m-auth:` + JSON of its code and fields.
fn js_error(e: &m2m_auth::Error) -> Error {
    use serde_json::{json, Value};
    let mut o = serde_json::Map::new();
    o.insert("code".into(), json!(e.code()));
    o.insert("message".into(), json!(e.to_string()));
    match e.detail() {
        ErrorDetail::OAuth {
            error,
            error_description,
            error_uri,
            status,
        } => {
            o.insert("error".into(), json!(error));
            o.insert("errorDescription".into(), json!(error_description));
            o.insert("errorUri".into(), json!(error_uri));
            o.insert("status".into(), json!(status));
        }
        ErrorDetail::Http { status, body } => {
            o.insert("status".into(), json!(status));
            o.insert("body".into(), json!(body));
        }
        ErrorDetail::Transport { kind, .. } => {
            o.insert("kind".into(), json!(kind.as_str()));
        }
        ErrorDetail::InvalidResponse { reason } | ErrorDetail::InvalidToken { reason } => {
            o.insert("reason".into(), json!(reason));
        }
        ErrorDetail::Throttled { retry_after } => {
            o.insert("retryAfter".into(), json!(retry_after.as_secs_f64()));
        }
        _ => {}
    }
    Error::new(
        Status::GenericFailure,
        format!("{ERROR_TAG}{}", Value::Object(o)),
    )
}

fn config_error(message: impl Into<String>) -> Error {
    js_error(
        &ErrorDetail::Config {
            message: message.into(),
        }
        .into(),
    )
}

/// The error a cancelled wait settles with (the JS side has already rejected
/// with the signal's reason and ignores it).
fn aborted() -> Error {
    Error::new(
        Status::Cancelled,
        format!("{ERROR_TAG}{{\"code\":\"aborted\",\"message\":\"aborted\"}}"),
    )
}

/// Rejects option names this binding does not know (a typo would otherwise
/// be silently ignored).
fn check_names(obj: &Object, allowed: &[&str], what: &str) -> Result<()> {
    for key in Object::keys(obj)? {
        if !allowed.contains(&key.as_str()) {
            return Err(config_error(format!(
                "unknown {what} option {key:?} (known: {})",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}

/// An object argument converted to `T`; a value of the wrong type is a
/// config error naming the option, not the value (which may be a secret).
fn convert<T: FromNapiValue>(obj: &Object, what: &str) -> Result<T> {
    // SAFETY: `obj` is a live value of the current call's environment.
    unsafe { T::from_napi_value(obj.env(), obj.raw()) }.map_err(|e| {
        let field = e
            .reason
            .rsplit_once(" on ")
            .map(|(_, f)| f.to_string())
            .unwrap_or_else(|| what.to_string());
        config_error(format!("{what}: {field} has the wrong type"))
    })
}

fn list(v: Either<String, Vec<String>>) -> Vec<String> {
    match v {
        Either::A(s) => vec![s],
        Either::B(l) => l,
    }
}

fn millis(name: &str, ms: f64) -> Result<Duration> {
    if !ms.is_finite() || ms < 0.0 {
        return Err(config_error(format!(
            "{name} must be a non-negative number of milliseconds"
        )));
    }
    Duration::try_from_secs_f64(ms / 1000.0)
        .map_err(|_| config_error(format!("{name} is out of range")))
}

fn count(name: &str, n: f64) -> Result<usize> {
    if !n.is_finite() || n < 0.0 || n.fract() != 0.0 || n > u32::MAX as f64 {
        return Err(config_error(format!(
            "{name} must be a non-negative integer"
        )));
    }
    Ok(n as usize)
}

fn apply_retry(r: RetryOptions) -> Result<RetryPolicy> {
    let mut p = RetryPolicy::default();
    if let Some(n) = r.max_attempts {
        p.max_attempts = count("retry.maxAttempts", n)? as u32;
    }
    if let Some(ms) = r.base_delay_ms {
        p.base_delay = millis("retry.baseDelayMs", ms)?;
    }
    if let Some(ms) = r.max_delay_ms {
        p.max_delay = millis("retry.maxDelayMs", ms)?;
    }
    if let Some(j) = r.jitter {
        p.jitter = j;
    }
    if let Some(ms) = r.default_throttle_ms {
        p.default_throttle = millis("retry.defaultThrottleMs", ms)?;
    }
    if let Some(ms) = r.max_retry_after_ms {
        p.max_retry_after = millis("retry.maxRetryAfterMs", ms)?;
    }
    Ok(p)
}

/// Maps each option onto its builder setter; the engine validates values.
fn apply_options(mut b: TokenClientBuilder, o: TokenClientOptions) -> Result<TokenClientBuilder> {
    if let Some(v) = o.token_url {
        b = b.token_url(v);
    }
    if let Some(v) = o.domain {
        b = b.domain(v);
    }
    if let Some(v) = o.issuer {
        b = b.issuer(v);
    }
    if let Some(v) = o.client_id {
        b = b.client_id(v);
    }
    if let Some(v) = o.client_secret {
        b = b.client_secret(v);
    }
    if let Some(v) = o.auth_method {
        b = b.auth_method_name(v);
    }
    if let Some(v) = o.audience {
        b = b.audience(v);
    }
    if let Some(v) = o.scope {
        b = b.scope(list(v));
    }
    if let Some(v) = o.organization {
        b = b.organization(v);
    }
    if let Some(v) = o.resource {
        b = b.resource(list(v));
    }
    if let Some(extra) = o.extra {
        let mut extra: Vec<_> = extra.into_iter().collect();
        extra.sort();
        for (k, v) in extra {
            b = b.extra(k, v);
        }
    }
    if let Some(ms) = o.timeout_ms {
        b = b.timeout(millis("timeoutMs", ms)?);
    }
    if let Some(ms) = o.connect_timeout_ms {
        b = b.connect_timeout(millis("connectTimeoutMs", ms)?);
    }
    if let Some(ms) = o.leeway_ms {
        b = b.leeway(millis("leewayMs", ms)?);
    }
    if let Some(r) = o.refresh_ratio {
        b = b.refresh_ratio(r);
    }
    if let Some(r) = o.retry {
        b = b.retry_policy(apply_retry(r)?);
    }
    if let Some(n) = o.max_response_bytes {
        b = b.max_response_bytes(count("maxResponseBytes", n)?);
    }
    if let Some(ms) = o.default_expires_in_ms {
        b = b.default_expires_in(millis("defaultExpiresInMs", ms)?);
    }
    if let Some(pems) = o.ca_certs_pem {
        for pem in list(pems) {
            b = b.add_root_certificate_pem(pem.into_bytes());
        }
    }
    if let Some(p) = o.proxy {
        b = b.proxy(p);
    }
    if o.no_proxy == Some(true) {
        b = b.no_proxy();
    }
    if let Some(c) = o.cache {
        b = b.cache(c);
    }
    if let Some(n) = o.max_cache_keys {
        b = b.max_cache_keys(count("maxCacheKeys", n)?);
    }
    Ok(b)
}

fn to_request(o: TokenRequestOptions) -> TokenRequest {
    TokenRequest {
        audience: o.audience,
        scope: o.scope.map(list),
        organization: o.organization,
        resource: o.resource.map(list),
        extra: o.extra.map(|e| e.into_iter().collect()),
    }
}

fn request_from(options: Option<Object>) -> Result<TokenRequest> {
    match options {
        None => Ok(TokenRequest::default()),
        Some(obj) => {
            check_names(&obj, REQUEST_OPTION_NAMES, "request")?;
            Ok(to_request(convert(&obj, "request")?))
        }
    }
}

/// Builds a client. `env` (a copy of `process.env`) makes it read the
/// `M2M_AUTH_*` variables first; `options` then override them.
#[napi(skip_typescript)]
pub fn client_new(
    options: Option<Object>,
    env: Option<HashMap<String, String>>,
) -> Result<External<Client>> {
    let mut b = TokenClient::builder().binding("node");
    if let Some(vars) = env {
        b = b.from_vars(|name| vars.get(name).cloned());
    }
    if let Some(obj) = options {
        check_names(&obj, CLIENT_OPTION_NAMES, "client")?;
        if let Some(retry) = obj.get::<Object>("retry").ok().flatten() {
            check_names(&retry, RETRY_OPTION_NAMES, "retry")?;
        }
        b = apply_options(b, convert(&obj, "client")?)?;
    }
    let client = b.build().map_err(|e| js_error(&e))?;
    // Tell V8 what a handle holds natively (the engine's client with its
    // sharded counters, about 5 KiB), so that dropped clients are collected
    // as readily as their size deserves.
    Ok(External::new_with_size_hint(
        Client(client),
        CLIENT_NATIVE_BYTES,
    ))
}

/// A fresh token for the request without I/O, or `null` (the engine decides).
#[napi(skip_typescript)]
pub fn client_cached_token(
    client: &External<Client>,
    request: Option<Object>,
) -> Result<Option<TokenOut>> {
    let request = request_from(request)?;
    Ok(client.0.cached_token(&request).map(TokenOut))
}

/// `getToken`: a Promise of the engine's answer; `cancel` ends the wait.
#[napi(skip_typescript)]
pub fn client_get_token<'env>(
    env: &'env Env,
    client: &External<Client>,
    request: Option<Object>,
    cancel: Option<&External<Cancel>>,
) -> Result<PromiseRaw<'env, TokenOut>> {
    let request = request_from(request)?;
    let wait = client.0.get_token(&request);
    let cancel = cancel.map(|c| c.0.clone());
    env.spawn_future(cancellable(cancel, async move {
        wait.await.map(TokenOut).map_err(|e| js_error(&e))
    }))
}

/// `fetchToken`: a new token from the endpoint (the engine updates its
/// cache); mirrors are dropped once it settles.
#[napi(skip_typescript)]
pub fn client_fetch_token<'env>(
    env: &'env Env,
    client: &External<Client>,
    request: Option<Object>,
    cancel: Option<&External<Cancel>>,
) -> Result<PromiseRaw<'env, TokenOut>> {
    let request = request_from(request)?;
    let client = client.0.clone();
    let cancel = cancel.map(|c| c.0.clone());
    env.spawn_future(cancellable(cancel, async move {
        let outcome = client.fetch_token(&request).await;
        bump_generation();
        outcome.map(TokenOut).map_err(|e| js_error(&e))
    }))
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

/// `invalidate`: the engine drops the key's token; mirrors are dropped.
#[napi(skip_typescript)]
pub fn client_invalidate(client: &External<Client>, request: Option<Object>) -> Result<()> {
    let request = request_from(request)?;
    let outcome = client.0.invalidate(&request);
    bump_generation();
    outcome.map_err(|e| js_error(&e))
}

/// `invalidateRejected`: drops the key's token only if it is still the one
/// an API refused (a concurrent caller may already have renewed it).
#[napi(skip_typescript)]
pub fn client_invalidate_rejected(
    client: &External<Client>,
    request: Option<Object>,
    rejected_access_token: String,
) -> Result<()> {
    let request = request_from(request)?;
    let outcome = client
        .0
        .invalidate_rejected(&request, &rejected_access_token);
    bump_generation();
    outcome.map_err(|e| js_error(&e))
}

/// The engine's rule for URLs that carry a token (https, or http to loopback).
#[napi(skip_typescript)]
pub fn check_url(url: String) -> Result<()> {
    m2m_auth::check_url(&url).map_err(|e| js_error(&e))
}

/// The engine's counters of this client.
#[napi(skip_typescript)]
pub fn client_stats(client: &External<Client>) -> TokenClientStats {
    let s = client.0.stats();
    TokenClientStats {
        hits: s.hits as f64,
        misses: s.misses as f64,
        fetches: s.fetches as f64,
        refreshes: s.refreshes as f64,
        failures: s.failures as f64,
    }
}

/// The engine's `Debug` of the client (secret as `***`), for `util.inspect`.
#[napi(skip_typescript)]
pub fn client_describe(client: &External<Client>) -> String {
    format!("{:?}", client.0)
}

/// `[clientId, authMethod]`, for `toJSON`.
#[napi(skip_typescript)]
pub fn client_identity(client: &External<Client>) -> Vec<String> {
    vec![
        client.0.client_id().to_string(),
        client.0.auth_method().as_str().to_string(),
    ]
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

/// A raw JS value.
pub struct Raw(sys::napi_value);

impl ToNapiValue for Raw {
    unsafe fn to_napi_value(_: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        Ok(val.0)
    }
}

/// A `Uint32Array` of length 1 over the process-wide generation word, or
/// `null` where the runtime allows no external buffers (the JS side then
/// keeps no mirror).
#[napi(skip_typescript)]
pub fn mirror_generation(env: &Env) -> Result<Option<Raw>> {
    let mut buffer = std::ptr::null_mut();
    // SAFETY: GENERATION is a static that outlives every JS environment, 4
    // bytes long and 4-aligned; no finalizer is needed. JS only reads it.
    let status = unsafe {
        sys::napi_create_external_arraybuffer(
            env.raw(),
            GENERATION.as_ptr().cast(),
            std::mem::size_of::<AtomicU32>(),
            None,
            std::ptr::null_mut(),
            &mut buffer,
        )
    };
    if status != sys::Status::napi_ok {
        return Ok(None);
    }
    let mut array = std::ptr::null_mut();
    // SAFETY: `buffer` is the array buffer just created, 4 bytes long.
    let status = unsafe {
        sys::napi_create_typedarray(
            env.raw(),
            sys::TypedarrayType::uint32_array,
            1,
            buffer,
            0,
            &mut array,
        )
    };
    if status != sys::Status::napi_ok {
        return Ok(None);
    }
    Ok(Some(Raw(array)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tagged(e: Error) -> serde_json::Value {
        let json = e.reason.strip_prefix(ERROR_TAG).expect("tagged");
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn durations_are_non_negative_milliseconds() {
        assert_eq!(millis("t", 1500.0).unwrap(), Duration::from_millis(1500));
        assert_eq!(millis("t", 0.5).unwrap(), Duration::from_micros(500));
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let e = tagged(millis("timeoutMs", bad).unwrap_err());
            assert_eq!(e["code"], "config");
            assert!(e["message"].as_str().unwrap().contains("timeoutMs"));
        }
    }

    #[test]
    fn counts_are_non_negative_integers() {
        assert_eq!(count("n", 3.0).unwrap(), 3);
        for bad in [-1.0, 1.5, f64::NAN, 1e12] {
            assert_eq!(tagged(count("n", bad).unwrap_err())["code"], "config");
        }
    }

    #[test]
    fn retry_options_override_only_what_they_set() {
        let p = apply_retry(RetryOptions {
            max_attempts: Some(5.0),
            max_retry_after_ms: Some(2000.0),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(p.max_attempts, 5);
        assert_eq!(p.max_retry_after, Duration::from_secs(2));
        assert_eq!(p.base_delay, RetryPolicy::default().base_delay);
    }

    #[test]
    fn errors_carry_code_and_fields() {
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
        assert_eq!(j["errorUri"], serde_json::Value::Null);
        assert_eq!(j["status"], 401);
        let t: m2m_auth::Error = ErrorDetail::Throttled {
            retry_after: Duration::from_millis(2500),
        }
        .into();
        assert_eq!(tagged(js_error(&t))["retryAfter"], 2.5);
    }

    #[test]
    fn request_lists_accept_a_string_or_a_list() {
        let r = to_request(TokenRequestOptions {
            scope: Some(Either::A("a b".into())),
            resource: Some(Either::B(vec!["https://x/".into()])),
            ..Default::default()
        });
        assert_eq!(r.scope, Some(vec!["a b".to_string()]));
        assert_eq!(r.resource, Some(vec!["https://x/".to_string()]));
        assert!(to_request(TokenRequestOptions::default()).is_default());
    }
}
