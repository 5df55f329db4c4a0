//! Shared set-up: a real dev/fault server on 127.0.0.1 per test, with a
//! client id of its own, and a builder pointed at it.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use m2m_auth::{ApiResponse, RetryPolicy, TokenClient, TokenClientBuilder, TokenRequest};
pub use m2m_auth_devserver::{ClientConfig, DevServer, FaultStep, ServerConfig, Target};

mod trace_capture;
use serde_json::Value;
// Not every test binary uses it.
#[allow(unused_imports)]
pub use trace_capture::TraceCapture;

pub struct Env {
    pub server: DevServer,
    pub client_id: String,
    pub secret: String,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A server with one client (any audience, any scope) of the given lifetime.
pub async fn env_with(lifetime: u64, id: Option<&str>, secret: Option<&str>) -> Env {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let client_id = id.map_or_else(
        || format!("client-{}-{n}", std::process::id()),
        str::to_string,
    );
    let secret = secret.unwrap_or("s3cret-value").to_string();
    let mut c = ClientConfig::new(client_id.clone(), secret.clone());
    c.token_lifetime = Some(lifetime);
    let server = DevServer::start(ServerConfig::with_clients(vec![c]))
        .await
        .expect("dev server starts");
    Env {
        server,
        client_id,
        secret,
    }
}

pub async fn env() -> Env {
    env_with(3600, None, None).await
}

/// Retries fast enough for tests; everything else at its default.
/// `call_api` of a `GET url` with the client's default request, no extra
/// header and no body; panics on an error.
pub async fn call_get(client: &TokenClient, url: &str) -> ApiResponse {
    client
        .call_api(&TokenRequest::default(), "GET", url, &[], None)
        .await
        .unwrap()
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

/// A builder for `client_id` at `server`'s token endpoint with no
/// credential yet (the test adds its own), no proxy, fast retries, and a
/// memory cache of its own (each test's keys are its own).
pub fn builder_for(server: &DevServer, client_id: &str) -> TokenClientBuilder {
    TokenClient::builder()
        .token_url(server.token_url())
        .client_id(client_id)
        .no_proxy()
        .retry_policy(fast_retry())
        .max_cache_keys(100)
}

impl Env {
    pub fn builder(&self) -> TokenClientBuilder {
        TokenClient::builder()
            .token_url(self.server.token_url())
            .client_id(self.client_id.clone())
            .client_secret(self.secret.clone())
            .no_proxy()
            .retry_policy(fast_retry())
    }

    pub fn client(&self) -> TokenClient {
        self.builder().build().expect("client builds")
    }

    pub fn requests(&self) -> u64 {
        self.server.stats().token_requests
    }

    /// Sets the token endpoint's fault script from JSON steps.
    pub fn faults(&self, steps: Value, repeat_last: bool) {
        let steps: Vec<FaultStep> = serde_json::from_value(steps).expect("valid fault steps");
        self.server.set_faults(Target::Token, steps, repeat_last);
    }
}

/// Form fields of a recorded request body.
pub fn form(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

pub fn field(body: &str, name: &str) -> Option<String> {
    form(body)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}
