//! What every handler shares: the clients, both fault scripts, the request
//! counters, the recorded token requests, the cheap-token cache, the
//! client-assertion replay memory, the key.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use jsonwebtoken::{Algorithm, Validation};
use parking_lot::{Mutex, RwLock};
use serde_json::json;

use super::dpop::Nonces;
use super::replay::ReplayMemory;
use crate::config::{ClientConfig, ServerConfig, AUTH_METHODS};
use crate::faults::{FaultScript, FaultStep, Target};
use crate::jwks::{parse_jwks, Alg, Jwk};
use crate::keys::{keys, Keys};
use crate::{RecordedRequest, Stats};

/// At most this many token requests are kept for `/_control/requests`.
pub(crate) const MAX_RECORDED: usize = 100_000;

/// Client, audiences, scope, organization, lifetime, bound certificate,
/// bound DPoP key thumbprint.
pub(super) type CacheKey = (
    String,
    Vec<String>,
    Option<String>,
    Option<String>,
    u64,
    Option<[u8; 32]>,
    Option<String>,
);

/// A registered client: its configuration and its `jwks`, parsed once.
pub(crate) struct Client {
    pub(crate) config: ClientConfig,
    pub(crate) keys: Vec<Jwk>,
}

impl Client {
    /// `c` must have passed [`ClientConfig::validate`].
    fn new(c: ClientConfig) -> Arc<Client> {
        let keys = c
            .jwks
            .as_ref()
            .and_then(|j| parse_jwks(j).ok())
            .unwrap_or_default();
        Arc::new(Client { config: c, keys })
    }
}

pub(crate) struct Shared {
    pub url: String,
    /// The https listener's URL, with `tls` (DPoP `htu` of requests there).
    pub(super) https_url: Option<String>,
    /// The bound port: the only one the control API accepts in `Host`.
    pub(crate) port: u16,
    /// The secret the control API requires (`Authorization: Bearer ...`).
    pub(crate) control_token: String,
    pub clients: RwLock<HashMap<String, Arc<Client>>>,
    pub(super) token_faults: Mutex<FaultScript>,
    /// Tokens counted against clients' `token_quota`.
    pub(super) quotas: Mutex<super::quota::Quotas>,
    pub(super) api_faults: Mutex<FaultScript>,
    pub(super) token_requests: AtomicU64,
    pub(super) api_requests: AtomicU64,
    pub(super) discovery_requests: AtomicU64,
    pub(super) jwks_requests: AtomicU64,
    /// Token requests with a `DPoP` header, and those whose proof had a nonce.
    pub(super) dpop_token_requests: AtomicU64,
    pub(super) dpop_nonce_token_requests: AtomicU64,
    /// `/api` requests with a `DPoP` header.
    pub(super) dpop_api_requests: AtomicU64,
    /// The `jti`s of accepted DPoP proofs, for [`super::dpop::IAT_WINDOW`].
    pub(super) dpop_replay: Mutex<ReplayMemory>,
    /// Whether the token endpoint and `/api` demand a DPoP nonce, and which.
    pub(crate) dpop_nonces: Mutex<Nonces>,
    pub(super) recorded: Mutex<VecDeque<RecordedRequest>>,
    pub(super) cheap_tokens: bool,
    pub(super) token_cache: Mutex<HashMap<CacheKey, (Arc<str>, u64)>>,
    pub(super) keys: &'static Keys,
    pub(super) validation: Validation,
    pub(super) discovery_body: Bytes,
    /// The `jti`s of accepted client assertions, until they expire.
    pub(super) replay: Mutex<ReplayMemory>,
    /// Checks `tls_client_auth` certificate chains (from `client_ca`).
    pub(super) client_ca: Option<Arc<dyn rustls::server::danger::ClientCertVerifier>>,
}

impl Shared {
    /// The state of a server at `url` (and `https_url` with TLS). An error
    /// for an unusable `client_ca`.
    pub(crate) fn new(
        url: String,
        port: u16,
        https_url: Option<String>,
        config: &ServerConfig,
    ) -> Result<Self, String> {
        let client_ca = config
            .client_ca
            .as_deref()
            .map(crate::tls::client_ca_verifier)
            .transpose()?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[url.as_str()]);
        validation.validate_aud = false;
        validation.validate_nbf = true;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iss"]);
        let mut discovery = json!({
            "issuer": url,
            "token_endpoint": format!("{url}/oauth/token"),
            "jwks_uri": format!("{url}/.well-known/jwks.json"),
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": AUTH_METHODS,
            "token_endpoint_auth_signing_alg_values_supported":
                Alg::ALL.iter().map(|a| a.name()).collect::<Vec<_>>(),
            "dpop_signing_alg_values_supported":
                super::dpop::ALGS.iter().map(|a| a.name()).collect::<Vec<_>>(),
        });
        if let Some(https) = &https_url {
            // RFC 8705 §5: where a client doing mutual TLS sends requests.
            discovery["mtls_endpoint_aliases"] = json!({
                "token_endpoint": format!("{https}/oauth/token"),
            });
            discovery["tls_client_certificate_bound_access_tokens"] = json!(true);
        }
        let discovery_body = serde_json::to_vec(&discovery)
            .expect("serialize discovery")
            .into();
        Ok(Shared {
            port,
            control_token: super::guard::new_control_token(),
            clients: RwLock::new(
                config
                    .clients
                    .iter()
                    .map(|c| (c.client_id.clone(), Client::new(c.clone())))
                    .collect(),
            ),
            token_faults: Mutex::default(),
            quotas: Mutex::default(),
            api_faults: Mutex::default(),
            token_requests: AtomicU64::new(0),
            api_requests: AtomicU64::new(0),
            discovery_requests: AtomicU64::new(0),
            jwks_requests: AtomicU64::new(0),
            dpop_token_requests: AtomicU64::new(0),
            dpop_nonce_token_requests: AtomicU64::new(0),
            dpop_api_requests: AtomicU64::new(0),
            dpop_replay: Mutex::default(),
            dpop_nonces: Mutex::new(Nonces::new(config.dpop_nonce)),
            recorded: Mutex::default(),
            cheap_tokens: config.cheap_tokens,
            token_cache: Mutex::default(),
            keys: keys(),
            validation,
            discovery_body,
            replay: Mutex::default(),
            client_ca,
            https_url,
            url,
        })
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
        self.clients
            .write()
            .insert(c.client_id.clone(), Client::new(c));
    }

    pub(crate) fn stats(&self) -> Stats {
        Stats {
            token_requests: self.token_requests.load(Ordering::Relaxed),
            api_requests: self.api_requests.load(Ordering::Relaxed),
            discovery_requests: self.discovery_requests.load(Ordering::Relaxed),
            jwks_requests: self.jwks_requests.load(Ordering::Relaxed),
            dpop_token_requests: self.dpop_token_requests.load(Ordering::Relaxed),
            dpop_nonce_token_requests: self.dpop_nonce_token_requests.load(Ordering::Relaxed),
            dpop_api_requests: self.dpop_api_requests.load(Ordering::Relaxed),
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
        self.dpop_token_requests.store(0, Ordering::Relaxed);
        self.dpop_nonce_token_requests.store(0, Ordering::Relaxed);
        self.dpop_api_requests.store(0, Ordering::Relaxed);
        self.recorded.lock().clear();
    }
}
