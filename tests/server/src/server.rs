//! Request handling: routing, the token endpoint, `/api`, discovery, JWKS,
//! the control API, and applying fault steps.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Method, Request, Response, StatusCode};
use jsonwebtoken::{Algorithm, Header, Validation};
use parking_lot::{Mutex, RwLock};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::body::{Fill, RespBody};
use crate::config::{ClientConfig, ServerConfig, CLIENT_SECRET_BASIC, CLIENT_SECRET_POST};
use crate::faults::{FaultScript, FaultStep, Target};
use crate::keys::{keys, Keys, KID};
use crate::{RecordedRequest, Stats};

/// Token request bodies larger than this get 413.
pub(crate) const MAX_TOKEN_BODY: usize = 1 << 20;
/// Control API bodies larger than this get 413.
const MAX_CONTROL_BODY: usize = 16 << 20;
/// At most this many token requests are kept for `/_control/requests`.
pub(crate) const MAX_RECORDED: usize = 100_000;
/// Prefix of `body_bytes` / `endless` bodies.
const FAKE_BODY_PREFIX: &[u8] = br#"{"access_token":""#;
const BASIC_REALM: &str = r#"Basic realm="m2m-auth-devserver""#;
const BEARER_INVALID: &str = r#"Bearer error="invalid_token""#;

/// The error a service returns to make hyper drop the connection.
#[derive(Debug)]
pub(crate) struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fault step: reset connection")
    }
}
impl std::error::Error for ResetConnection {}

type CacheKey = (String, Vec<String>, Option<String>, Option<String>, u64);

pub(crate) struct Shared {
    pub url: String,
    pub clients: RwLock<HashMap<String, ClientConfig>>,
    token_faults: Mutex<FaultScript>,
    api_faults: Mutex<FaultScript>,
    token_requests: AtomicU64,
    api_requests: AtomicU64,
    discovery_requests: AtomicU64,
    jwks_requests: AtomicU64,
    recorded: Mutex<VecDeque<RecordedRequest>>,
    cheap_tokens: bool,
    token_cache: Mutex<HashMap<CacheKey, (Arc<str>, u64)>>,
    keys: &'static Keys,
    validation: Validation,
    discovery_body: Bytes,
}

impl Shared {
    pub(crate) fn new(url: String, config: &ServerConfig) -> Self {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[url.as_str()]);
        validation.validate_aud = false;
        validation.validate_nbf = true;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iss"]);
        let discovery_body = serde_json::to_vec(&json!({
            "issuer": url,
            "token_endpoint": format!("{url}/oauth/token"),
            "jwks_uri": format!("{url}/.well-known/jwks.json"),
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": [CLIENT_SECRET_POST, CLIENT_SECRET_BASIC],
        }))
        .expect("serialize discovery")
        .into();
        Shared {
            clients: RwLock::new(
                config
                    .clients
                    .iter()
                    .map(|c| (c.client_id.clone(), c.clone()))
                    .collect(),
            ),
            token_faults: Mutex::default(),
            api_faults: Mutex::default(),
            token_requests: AtomicU64::new(0),
            api_requests: AtomicU64::new(0),
            discovery_requests: AtomicU64::new(0),
            jwks_requests: AtomicU64::new(0),
            recorded: Mutex::default(),
            cheap_tokens: config.cheap_tokens,
            token_cache: Mutex::default(),
            keys: keys(),
            validation,
            discovery_body,
            url,
        }
    }

    fn script(&self, target: Target) -> &Mutex<FaultScript> {
        match target {
            Target::Token => &self.token_faults,
            Target::Api => &self.api_faults,
        }
    }

    pub(crate) fn set_faults(&self, target: Target, steps: Vec<FaultStep>, repeat_last: bool) {
        *self.script(target).lock() = FaultScript::new(steps, repeat_last);
    }

    pub(crate) fn clear_faults(&self, target: Target) {
        *self.script(target).lock() = FaultScript::default();
    }

    pub(crate) fn add_client(&self, c: ClientConfig) {
        self.clients.write().insert(c.client_id.clone(), c);
    }

    pub(crate) fn stats(&self) -> Stats {
        Stats {
            token_requests: self.token_requests.load(Ordering::Relaxed),
            api_requests: self.api_requests.load(Ordering::Relaxed),
            discovery_requests: self.discovery_requests.load(Ordering::Relaxed),
            jwks_requests: self.jwks_requests.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.recorded.lock().iter().cloned().collect()
    }

    pub(crate) fn reset(&self) {
        self.clear_faults(Target::Token);
        self.clear_faults(Target::Api);
        self.token_requests.store(0, Ordering::Relaxed);
        self.api_requests.store(0, Ordering::Relaxed);
        self.discovery_requests.store(0, Ordering::Relaxed);
        self.jwks_requests.store(0, Ordering::Relaxed);
        self.recorded.lock().clear();
    }
}

// ---------------------------------------------------------------------------
// Intermediate reply, before fault steps touch it
// ---------------------------------------------------------------------------

enum ReplyBody {
    Json(Value),
    Raw(Bytes),
    Gen(Bytes, Fill),
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: ReplyBody,
}

impl Reply {
    fn json(status: StatusCode, v: Value) -> Self {
        Reply {
            status,
            headers: HeaderMap::new(),
            body: ReplyBody::Json(v),
        }
    }

    fn raw(status: StatusCode, b: impl Into<Bytes>) -> Self {
        Reply {
            status,
            headers: HeaderMap::new(),
            body: ReplyBody::Raw(b.into()),
        }
    }

    fn header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.insert(name, v);
        }
        self
    }

    fn json_content_type(mut self) -> Self {
        self.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        self
    }

    fn into_response(self, stall: Option<(u64, Duration)>) -> Response<RespBody> {
        let mut headers = self.headers;
        let body = match self.body {
            ReplyBody::Json(v) => {
                headers
                    .entry(header::CONTENT_TYPE)
                    .or_insert(HeaderValue::from_static("application/json"));
                RespBody::full(serde_json::to_vec(&v).expect("serialize JSON body"))
            }
            ReplyBody::Raw(b) => RespBody::full(b),
            ReplyBody::Gen(head, fill) => RespBody::new(head, fill),
        };
        let body = match stall {
            Some((at, dur)) => body.with_stall(at, dur),
            None => body,
        };
        let mut resp = Response::new(body);
        *resp.status_mut() = self.status;
        *resp.headers_mut() = headers;
        resp
    }
}

fn oauth_error(status: StatusCode, code: &str, description: impl Into<String>) -> Reply {
    Reply::json(
        status,
        json!({"error": code, "error_description": description.into()}),
    )
    .header(header::CACHE_CONTROL, "no-store")
    .header(header::PRAGMA, "no-cache")
}

fn plain_error(status: StatusCode, msg: impl Into<String>) -> Reply {
    Reply::json(status, json!({"error": msg.into()}))
}

fn method_not_allowed(allow: &str) -> Reply {
    oauth_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "invalid_request",
        format!("method not allowed; use {allow}"),
    )
    .header(header::ALLOW, allow)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------

pub(crate) async fn handle(
    shared: Arc<Shared>,
    reset_flag: Arc<AtomicBool>,
    req: Request<Incoming>,
) -> Result<Response<RespBody>, ResetConnection> {
    let path = req.uri().path().to_owned();
    match path.as_str() {
        "/oauth/token" => {
            shared.token_requests.fetch_add(1, Ordering::Relaxed);
            let (parts, body) = req.into_parts();
            let body = read_body(body, MAX_TOKEN_BODY).await;
            let body = match body {
                Ok(b) => Ok(b),
                Err(BodyError::TooLarge) => Err(()),
                Err(BodyError::Io) => return Err(ResetConnection),
            };
            record(
                &shared,
                &parts,
                body.as_ref().map(|b| &b[..]).unwrap_or(b""),
            );
            let step = shared.token_faults.lock().next();
            apply_step(step, &reset_flag, || match &body {
                Ok(b) => token_endpoint(&shared, &parts, b),
                Err(()) => oauth_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "invalid_request",
                    format!("request body larger than {MAX_TOKEN_BODY} bytes"),
                ),
            })
            .await
        }
        "/api" => {
            shared.api_requests.fetch_add(1, Ordering::Relaxed);
            let (parts, body) = req.into_parts();
            if let Err(BodyError::Io) = read_body(body, MAX_TOKEN_BODY).await {
                return Err(ResetConnection);
            }
            let step = shared.api_faults.lock().next();
            apply_step(step, &reset_flag, || api_endpoint(&shared, &parts)).await
        }
        "/.well-known/openid-configuration" | "/.well-known/oauth-authorization-server" => {
            shared.discovery_requests.fetch_add(1, Ordering::Relaxed);
            Ok(get_only(req.method(), || {
                Reply::raw(StatusCode::OK, shared.discovery_body.clone()).json_content_type()
            })
            .into_response(None))
        }
        "/.well-known/jwks.json" => {
            shared.jwks_requests.fetch_add(1, Ordering::Relaxed);
            Ok(get_only(req.method(), || {
                Reply::raw(StatusCode::OK, shared.keys.jwks_body.clone()).json_content_type()
            })
            .into_response(None))
        }
        p if p == "/_control" || p.starts_with("/_control/") => {
            Ok(control(&shared, req).await.into_response(None))
        }
        _ => Ok(plain_error(StatusCode::NOT_FOUND, "not_found").into_response(None)),
    }
}

fn get_only(method: &Method, f: impl FnOnce() -> Reply) -> Reply {
    if method == Method::GET || method == Method::HEAD {
        f()
    } else {
        method_not_allowed("GET")
    }
}

enum BodyError {
    TooLarge,
    Io,
}

async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, BodyError> {
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Io),
    }
}

fn record(shared: &Shared, parts: &Parts, body: &[u8]) {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &parts.headers {
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|e| {
                e.push_str(", ");
                e.push_str(&v)
            })
            .or_insert(v);
    }
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_owned();
    let r = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path,
        headers,
        body: String::from_utf8_lossy(body).into_owned(),
    };
    let mut rec = shared.recorded.lock();
    if rec.len() >= MAX_RECORDED {
        rec.pop_front();
    }
    rec.push_back(r);
}

// ---------------------------------------------------------------------------
// Fault steps
// ---------------------------------------------------------------------------

async fn apply_step(
    step: Option<Arc<FaultStep>>,
    reset_flag: &AtomicBool,
    normal: impl FnOnce() -> Reply,
) -> Result<Response<RespBody>, ResetConnection> {
    let Some(step) = step else {
        return Ok(normal().into_response(None));
    };
    if let Some(ms) = step.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if step.reset {
        reset_flag.store(true, Ordering::SeqCst);
        return Err(ResetConnection);
    }
    let custom_status = step.status.and_then(|s| StatusCode::from_u16(s).ok());
    let mut reply = if let Some(location) = &step.redirect {
        let status = custom_status
            .filter(|s| s.is_redirection())
            .unwrap_or(StatusCode::FOUND);
        Reply::raw(status, Bytes::new()).header(header::LOCATION, location)
    } else if step.endless {
        Reply {
            status: custom_status.unwrap_or(StatusCode::OK),
            headers: HeaderMap::new(),
            body: ReplyBody::Gen(Bytes::from_static(FAKE_BODY_PREFIX), Fill::Endless),
        }
        .json_content_type()
    } else if let Some(n) = step.body_bytes {
        let head_len = (FAKE_BODY_PREFIX.len() as u64).min(n) as usize;
        Reply {
            status: custom_status.unwrap_or(StatusCode::OK),
            headers: HeaderMap::new(),
            body: ReplyBody::Gen(
                Bytes::from_static(&FAKE_BODY_PREFIX[..head_len]),
                Fill::Count(n - head_len as u64),
            ),
        }
        .json_content_type()
    } else if step.status.is_some() || step.body.is_some() || step.json.is_some() {
        let status = custom_status.unwrap_or(StatusCode::OK);
        match (&step.json, &step.body) {
            (Some(j), _) => Reply::json(status, j.clone()),
            (None, Some(b)) => Reply::raw(status, b.clone()),
            (None, None) => Reply::raw(status, Bytes::new()),
        }
    } else {
        let mut reply = normal();
        if reply.status == StatusCode::OK && (step.token.is_some() || step.remove.is_some()) {
            if let ReplyBody::Json(Value::Object(obj)) = &mut reply.body {
                if let Some(t) = &step.token {
                    for (k, v) in t {
                        obj.insert(k.clone(), v.clone());
                    }
                }
                if let Some(r) = &step.remove {
                    for k in r {
                        obj.remove(k);
                    }
                }
            }
        }
        reply
    };
    if let Some(h) = &step.headers {
        for (k, v) in h {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) {
                reply.headers.insert(name, value);
            }
        }
    }
    let stall = step.stall_ms.map(|ms| {
        (
            step.stall_after_bytes.unwrap_or(0),
            Duration::from_millis(ms),
        )
    });
    Ok(reply.into_response(stall))
}

// ---------------------------------------------------------------------------
// Token endpoint
// ---------------------------------------------------------------------------

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space).
fn form_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

enum BasicCreds {
    None,
    Malformed,
    Some(String, String),
}

fn basic_credentials(headers: &HeaderMap) -> BasicCreds {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return BasicCreds::None;
    };
    let Ok(value) = value.to_str() else {
        return BasicCreds::None;
    };
    let value = value.trim();
    let Some((scheme, rest)) = value.split_once(' ') else {
        return BasicCreds::None;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return BasicCreds::None;
    }
    let rest = rest.trim();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(rest));
    let Ok(decoded) = decoded else {
        return BasicCreds::Malformed;
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return BasicCreds::Malformed;
    };
    let Some((id, secret)) = decoded.split_once(':') else {
        return BasicCreds::Malformed;
    };
    match (form_decode(id), form_decode(secret)) {
        (Some(id), Some(secret)) => BasicCreds::Some(id, secret),
        _ => BasicCreds::Malformed,
    }
}

fn token_endpoint(shared: &Shared, parts: &Parts, body: &[u8]) -> Reply {
    if parts.method != Method::POST {
        return method_not_allowed("POST");
    }
    let content_type_ok = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
        .unwrap_or(false);
    if !content_type_ok {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded",
        );
    }

    // Parameters; empty values count as absent (RFC 6749 §3.1), only
    // `resource` may repeat.
    let mut params: HashMap<String, String> = HashMap::new();
    let mut resources: Vec<String> = Vec::new();
    for (k, v) in form_urlencoded::parse(body) {
        if v.is_empty() {
            continue;
        }
        if k == "resource" {
            if !resources.iter().any(|r| *r == v) {
                resources.push(v.into_owned());
            }
            continue;
        }
        if params
            .insert(k.clone().into_owned(), v.into_owned())
            .is_some()
        {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("parameter {k:?} repeated"),
            );
        }
    }

    match params.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "missing grant_type",
            )
        }
        Some(other) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("grant_type {other:?} is not supported; use client_credentials"),
            )
        }
    }

    // Client authentication.
    let basic = basic_credentials(&parts.headers);
    let used_basic = !matches!(basic, BasicCreds::None);
    let invalid_client = |desc: &str| {
        let r = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", desc);
        if used_basic {
            r.header(header::WWW_AUTHENTICATE, BASIC_REALM)
        } else {
            r
        }
    };
    let (client_id, secret, method) = match basic {
        BasicCreds::Malformed => return invalid_client("malformed Basic credentials"),
        BasicCreds::Some(id, secret) => {
            if params.contains_key("client_secret") {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "client authenticated with both Basic and client_secret in the body",
                );
            }
            if let Some(body_id) = params.get("client_id") {
                if *body_id != id {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        "client_id in the body differs from the Basic credentials",
                    );
                }
            }
            (id, secret, CLIENT_SECRET_BASIC)
        }
        BasicCreds::None => match (params.get("client_id"), params.get("client_secret")) {
            (Some(id), Some(secret)) => (id.clone(), secret.clone(), CLIENT_SECRET_POST),
            _ => return invalid_client("client authentication required"),
        },
    };
    let client = match shared.clients.read().get(&client_id) {
        Some(c) => c.clone(),
        None => return invalid_client("unknown client or wrong secret"),
    };
    if client.client_secret != secret {
        return invalid_client("unknown client or wrong secret");
    }
    if !client.allows_method(method) {
        return invalid_client(&format!("client may not use {method}"));
    }

    // Scope.
    let requested: Vec<&str> = params
        .get("scope")
        .map(|s| s.split(' ').filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let (scope_claim, scope_response) = match &client.scopes {
        None => (
            if requested.is_empty() {
                None
            } else {
                Some(requested.join(" "))
            },
            None,
        ),
        Some(allowed) => {
            let mut granted: Vec<&str> = Vec::new();
            if requested.is_empty() {
                for a in allowed {
                    if !granted.contains(&a.as_str()) {
                        granted.push(a);
                    }
                }
            } else {
                for r in &requested {
                    if allowed.iter().any(|a| a == r) && !granted.contains(r) {
                        granted.push(r);
                    }
                }
                if granted.is_empty() {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_scope",
                        "none of the requested scopes is allowed for this client",
                    );
                }
            }
            if granted.is_empty() {
                (None, None)
            } else {
                let s = granted.join(" ");
                (Some(s.clone()), Some(s))
            }
        }
    };

    // Audience.
    let mut auds: Vec<String> = Vec::new();
    if let Some(a) = params.get("audience") {
        auds.push(a.clone());
    }
    for r in resources {
        if !auds.contains(&r) {
            auds.push(r);
        }
    }
    if let Some(allowed) = &client.audiences {
        if let Some(bad) = auds.iter().find(|a| !allowed.contains(a)) {
            return oauth_error(
                StatusCode::FORBIDDEN,
                "access_denied",
                format!("audience {bad:?} is not allowed for this client"),
            );
        }
    }
    if auds.is_empty() {
        auds.push(match &client.audiences {
            Some(allowed) if !allowed.is_empty() => allowed[0].clone(),
            _ => shared.url.clone(),
        });
    }
    let org = params.get("organization").cloned();

    let lifetime = client.lifetime();
    let (jwt, expires_in) = issue(shared, &client, auds, scope_claim, org, lifetime);
    let mut body = Map::new();
    body.insert("access_token".into(), Value::String(jwt.to_string()));
    body.insert("token_type".into(), "Bearer".into());
    body.insert("expires_in".into(), expires_in.into());
    if let Some(s) = scope_response {
        body.insert("scope".into(), s.into());
    }
    Reply::json(StatusCode::OK, Value::Object(body))
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::PRAGMA, "no-cache")
}

/// Signs (or, with cheap tokens, reuses) an access token. Returns the JWT and
/// its remaining lifetime in seconds.
fn issue(
    shared: &Shared,
    client: &ClientConfig,
    auds: Vec<String>,
    scope: Option<String>,
    org: Option<String>,
    lifetime: u64,
) -> (Arc<str>, u64) {
    let now = unix_now();
    let key: Option<CacheKey> = shared.cheap_tokens.then(|| {
        (
            client.client_id.clone(),
            auds.clone(),
            scope.clone(),
            org.clone(),
            lifetime,
        )
    });
    if let Some(key) = &key {
        if let Some((jwt, iat)) = shared.token_cache.lock().get(key) {
            if now < iat + lifetime / 2 {
                return (jwt.clone(), iat + lifetime - now);
            }
        }
    }
    let aud = if auds.len() == 1 {
        Value::String(auds[0].clone())
    } else {
        json!(auds)
    };
    let mut claims = Map::new();
    claims.insert("iss".into(), shared.url.clone().into());
    claims.insert("sub".into(), client.client_id.clone().into());
    claims.insert("client_id".into(), client.client_id.clone().into());
    claims.insert("aud".into(), aud);
    claims.insert("iat".into(), now.into());
    claims.insert("nbf".into(), now.into());
    claims.insert("exp".into(), (now + lifetime).into());
    claims.insert("jti".into(), format!("{:032x}", fastrand::u128(..)).into());
    claims.insert("gty".into(), "client-credentials".into());
    if let Some(s) = scope {
        claims.insert("scope".into(), s.into());
    }
    if let Some(o) = org {
        claims.insert("org_id".into(), o.into());
    }
    let mut h = Header::new(Algorithm::RS256);
    h.typ = Some("at+jwt".into());
    h.kid = Some(KID.into());
    let jwt: Arc<str> = jsonwebtoken::encode(&h, &Value::Object(claims), &shared.keys.encoding)
        .expect("RS256 signing with the embedded key")
        .into();
    if let Some(key) = key {
        let mut cache = shared.token_cache.lock();
        if cache.len() > 10_000 {
            cache.retain(|k, (_, iat)| now < *iat + k.4 / 2);
        }
        cache.insert(key, (jwt.clone(), now));
    }
    (jwt, lifetime)
}

// ---------------------------------------------------------------------------
// /api
// ---------------------------------------------------------------------------

fn api_endpoint(shared: &Shared, parts: &Parts) -> Reply {
    if parts.method != Method::GET && parts.method != Method::POST {
        return method_not_allowed("GET, POST");
    }
    let invalid = |desc: String| {
        Reply::json(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_token", "error_description": desc}),
        )
        .header(header::WWW_AUTHENTICATE, BEARER_INVALID)
    };
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    let Some(token) = token else {
        return invalid("missing Bearer token".into());
    };
    let data = match jsonwebtoken::decode::<Value>(token, &shared.keys.decoding, &shared.validation)
    {
        Ok(d) => d,
        Err(e) => return invalid(format!("token rejected: {e}")),
    };
    let typ_ok = data
        .header
        .typ
        .as_deref()
        .map(|t| t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt"))
        .unwrap_or(false);
    if !typ_ok {
        return invalid("token typ is not at+jwt".into());
    }
    let c = &data.claims;
    let mut body = json!({
        "ok": true,
        "sub": c.get("sub").cloned().unwrap_or(Value::Null),
        "aud": c.get("aud").cloned().unwrap_or(Value::Null),
        "scope": c.get("scope").cloned().unwrap_or(Value::Null),
        "client_id": c.get("client_id").cloned().unwrap_or(Value::Null),
    });
    if let Some(org) = c.get("org_id") {
        body["org_id"] = org.clone();
    }
    Reply::json(StatusCode::OK, body)
}

// ---------------------------------------------------------------------------
// Control API
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsBody {
    #[serde(default)]
    steps: Vec<FaultStep>,
    #[serde(default)]
    repeat_last: bool,
}

async fn control(shared: &Shared, req: Request<Incoming>) -> Reply {
    let (parts, body) = req.into_parts();
    let body = match read_body(body, MAX_CONTROL_BODY).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return plain_error(StatusCode::PAYLOAD_TOO_LARGE, "body too large")
        }
        Err(BodyError::Io) => return plain_error(StatusCode::BAD_REQUEST, "could not read body"),
    };
    let ok = || Reply::json(StatusCode::OK, json!({"ok": true}));
    let mut target = Target::Token;
    for (k, v) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
        if k == "target" {
            match Target::parse(&v) {
                Some(t) => target = t,
                None => {
                    return plain_error(
                        StatusCode::BAD_REQUEST,
                        format!("unknown target {v:?} (token or api)"),
                    )
                }
            }
        }
    }
    match (parts.uri.path(), &parts.method) {
        ("/_control/faults", &Method::POST) => {
            let fb: FaultsBody = match serde_json::from_slice(&body) {
                Ok(f) => f,
                Err(e) => return plain_error(StatusCode::BAD_REQUEST, format!("faults JSON: {e}")),
            };
            for (i, s) in fb.steps.iter().enumerate() {
                if let Err(e) = s.validate() {
                    return plain_error(StatusCode::BAD_REQUEST, format!("step {i}: {e}"));
                }
            }
            shared.set_faults(target, fb.steps, fb.repeat_last);
            ok()
        }
        ("/_control/faults", &Method::DELETE) => {
            shared.clear_faults(target);
            ok()
        }
        ("/_control/clients", &Method::POST) => {
            let c: ClientConfig = match serde_json::from_slice(&body) {
                Ok(c) => c,
                Err(e) => return plain_error(StatusCode::BAD_REQUEST, format!("client JSON: {e}")),
            };
            if let Err(e) = c.validate() {
                return plain_error(StatusCode::BAD_REQUEST, e);
            }
            shared.add_client(c);
            ok()
        }
        ("/_control/stats", &Method::GET) => Reply::json(
            StatusCode::OK,
            serde_json::to_value(shared.stats()).expect("stats"),
        ),
        ("/_control/requests", &Method::GET) => Reply::json(
            StatusCode::OK,
            serde_json::to_value(shared.requests()).expect("requests"),
        ),
        ("/_control/reset", &Method::POST) => {
            shared.reset();
            ok()
        }
        ("/_control/faults", _) => {
            plain_error(StatusCode::METHOD_NOT_ALLOWED, "use POST or DELETE")
        }
        ("/_control/clients" | "/_control/reset", _) => {
            plain_error(StatusCode::METHOD_NOT_ALLOWED, "use POST")
        }
        ("/_control/stats" | "/_control/requests", _) => {
            plain_error(StatusCode::METHOD_NOT_ALLOWED, "use GET")
        }
        _ => plain_error(StatusCode::NOT_FOUND, "not_found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decode_works() {
        assert_eq!(form_decode("a+b%3Ac").as_deref(), Some("a b:c"));
        assert_eq!(
            form_decode("p%2B%25%2F%3D%3A%C3%A9").as_deref(),
            Some("p+%/=:é")
        );
        assert_eq!(form_decode("100%").as_deref(), Some("100%"));
        assert_eq!(form_decode("%4").as_deref(), Some("%4"));
        assert_eq!(form_decode("%zz").as_deref(), Some("%zz"));
        assert_eq!(form_decode("%FF"), None);
    }
}
