//! Building the client under test from a vector's `client` options.

use std::time::Duration;

use m2m_auth::{Error, RetryPolicy, TokenClient};
use serde_json::{Map, Value};

use crate::run::Run;
use crate::vector::{opt_bool, opt_str, opt_u64, str_list, str_map};
use crate::Res;

impl Run {
    /// Builds the client under test from the vector's options. The outer
    /// error is a broken vector; the inner one is the engine's answer.
    pub(crate) fn build(&mut self, o: &Map<String, Value>) -> Res<Result<TokenClient, Error>> {
        const KNOWN: &[&str] = &[
            "token_url",
            "issuer",
            "domain",
            "client_id",
            "client_secret",
            "auth_method",
            "audience",
            "organization",
            "scope",
            "resource",
            "extra",
            "timeout_ms",
            "connect_timeout_ms",
            "leeway_ms",
            "refresh_ratio",
            "retry",
            "private_key",
            "key_id",
            "signing_alg",
            "client_certificate_file",
            "client_key_file",
            "dpop",
            "dpop_key",
            "dpop_accept_bearer",
        ];
        if let Some(k) = o.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(format!("client: unknown option {k:?}"));
        }
        let server = self.server();
        let fill = |s: &str| {
            let s = s
                .replace("{token_url}", &server.token_url())
                .replace("{issuer}", server.issuer())
                .replace("{url}", server.url());
            match server.mtls_token_url() {
                Some(mtls) => s.replace("{mtls_token_url}", &mtls),
                None => s,
            }
        };
        let first = self.first_client.clone();
        let mut b = TokenClient::builder().no_proxy();
        // A server with TLS: its certificate is trusted (FORMAT.md).
        if let Some(pem) = server.tls_ca_pem() {
            b = b.ca_certs(pem.as_bytes().to_vec());
        }
        // The same vectors with a shared store behind the process cache
        // (scripts/test-shared-stores.sh): docs/design.md §4, the same contract.
        if let Ok(cache) = std::env::var("M2M_AUTH_CONFORMANCE_CACHE") {
            b = b.cache(cache);
        }
        let endpoint_given = ["token_url", "issuer", "domain"]
            .iter()
            .any(|k| o.contains_key(*k));
        if !endpoint_given {
            b = b.token_url(server.token_url());
        }
        if let Some(v) = opt_str(o, "token_url")? {
            b = b.token_url(fill(v));
        }
        if let Some(v) = opt_str(o, "issuer")? {
            b = b.issuer(fill(v));
        }
        if let Some(v) = opt_str(o, "domain")? {
            b = b.domain(fill(v));
        }
        let id = opt_str(o, "client_id")?
            .map(str::to_string)
            .or_else(|| first.as_ref().map(|c| c.client_id.clone()))
            .ok_or("client_id: no default (the server has no client)")?;
        let secret = opt_str(o, "client_secret")?
            .map(str::to_string)
            .or_else(|| first.as_ref().map(|c| c.client_secret.clone()))
            .ok_or("client_secret: no default (the server has no client)")?;
        b = b.client_id(id).client_secret(secret.clone());
        self.secret = secret;
        if let Some(v) = opt_str(o, "auth_method")? {
            b = b.auth_method_name(v);
        }
        if let Some(v) = opt_str(o, "private_key")? {
            b = b.private_key(v);
        }
        if let Some(v) = opt_str(o, "key_id")? {
            b = b.key_id(v);
        }
        if let Some(v) = opt_str(o, "signing_alg")? {
            b = b.signing_alg(v);
        }
        if let Some(v) = opt_str(o, "client_certificate_file")? {
            b = b.client_certificate_file(repo_path(v));
        }
        if let Some(v) = opt_str(o, "client_key_file")? {
            b = b.client_key_file(repo_path(v));
        }
        if let Some(on) = opt_bool(o, "dpop")? {
            b = b.dpop(on);
        }
        self.key_parts = Vec::new();
        if let Some(v) = opt_str(o, "dpop_key")? {
            self.key_parts = secret_parts(v);
            b = b.dpop_key(v);
        }
        if let Some(on) = opt_bool(o, "dpop_accept_bearer")? {
            b = b.dpop_accept_bearer(on);
        }
        if let Some(v) = opt_str(o, "audience")? {
            b = b.audience(v);
        }
        if let Some(v) = opt_str(o, "organization")? {
            b = b.organization(v);
        }
        if let Some(v) = opt_str(o, "scope")? {
            b = b.scope([v]);
        }
        if let Some(v) = o.get("resource") {
            b = b.resource(str_list(v, "resource")?);
        }
        if let Some(v) = o.get("extra") {
            for (k, v) in str_map(v, "extra")? {
                b = b.extra(k, v);
            }
        }
        if let Some(ms) = opt_u64(o, "timeout_ms")? {
            b = b.timeout(Duration::from_millis(ms));
        }
        if let Some(ms) = opt_u64(o, "connect_timeout_ms")? {
            b = b.connect_timeout(Duration::from_millis(ms));
        }
        if let Some(ms) = opt_u64(o, "leeway_ms")? {
            b = b.leeway(Duration::from_millis(ms));
        }
        if let Some(r) = o.get("refresh_ratio") {
            b = b.refresh_ratio(r.as_f64().ok_or("refresh_ratio: a number")?);
        }
        let mut policy = RetryPolicy {
            base_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        };
        if let Some(r) = o.get("retry") {
            let r = r.as_object().ok_or("retry: an object")?;
            for k in r.keys() {
                if ![
                    "max_attempts",
                    "base_delay_ms",
                    "default_throttle_ms",
                    "max_retry_after_s",
                ]
                .contains(&k.as_str())
                {
                    return Err(format!("retry: unknown field {k:?}"));
                }
            }
            if let Some(n) = opt_u64(r, "max_attempts")? {
                policy.max_attempts = n as u32;
            }
            if let Some(ms) = opt_u64(r, "base_delay_ms")? {
                policy.base_delay = Duration::from_millis(ms);
            }
            if let Some(ms) = opt_u64(r, "default_throttle_ms")? {
                policy.default_throttle = Duration::from_millis(ms);
            }
            if let Some(s) = opt_u64(r, "max_retry_after_s")? {
                policy.max_retry_after = Duration::from_secs(s);
            }
        }
        Ok(b.retry_policy(policy).build())
    }
}

/// A path of the repository (vectors name fixtures relative to its root).
pub(crate) fn repo_path(relative: &str) -> String {
    format!("{}/../{relative}", env!("CARGO_MANIFEST_DIR"))
}

/// What must never show of a private key given as text: a JWK's `d` (and
/// the RSA private members), or each line of a PEM body (FORMAT.md, canary).
pub(crate) fn secret_parts(key: &str) -> Vec<String> {
    match serde_json::from_str::<Value>(key) {
        Ok(jwk) => ["d", "p", "q", "dp", "dq", "qi"]
            .iter()
            .filter_map(|m| jwk.get(*m).and_then(Value::as_str))
            .map(str::to_string)
            .collect(),
        Err(_) => key
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("-----"))
            .map(str::to_string)
            .collect(),
    }
}
