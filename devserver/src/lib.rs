//! The m2m-auth dev/fault server: a small but real OAuth 2.0 authorization
//! server for the client credentials grant (RS256-signed RFC 9068 access
//! tokens, JWKS, discovery, a protected `/api`) plus a *fault script* that
//! makes the token endpoint or `/api` misbehave on demand.
//!
//! `PROTOCOL.md` next to this crate is the specification. Rust tests embed the
//! server directly:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use m2m_auth_devserver::{DevServer, FaultStep, ServerConfig, Target};
//! let server = DevServer::start(ServerConfig::default()).await?;
//! server.set_faults(Target::Token, vec![FaultStep::status(503).header("Retry-After", "1")], false);
//! println!("token endpoint: {}", server.token_url());
//! # Ok(()) }
//! ```
//!
//! The signing key is a **published, dev-only key** (see [`keys`]).
//!
//! The control API answers only clients that send the per-server
//! [`DevServer::control_token`] and name the server in `Host`; recorded
//! requests never hold a secret in clear (see [`secret_fingerprint`]).

#![warn(missing_docs)]

mod body;
mod config;
mod faults;
mod jwks;
pub mod keys;
mod listener;
mod redact;
mod server;
mod tls;

use std::collections::BTreeMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;

pub use config::{
    ClientConfig, ServerConfig, TokenQuota, AUTH_METHODS, CLIENT_SECRET_BASIC, CLIENT_SECRET_JWT,
    CLIENT_SECRET_POST, DEFAULT_TOKEN_LIFETIME, JWT_BEARER_ASSERTION_TYPE, PRIVATE_KEY_JWT,
    SELF_SIGNED_TLS_CLIENT_AUTH, TLS_CLIENT_AUTH,
};
pub use faults::{FaultStep, Target};
pub use keys::KID;
pub use redact::secret_fingerprint;

use server::Shared;

/// Request counters, as returned by `GET /_control/stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Requests that reached `/oauth/token` (faulted or not, any method).
    pub token_requests: u64,
    /// Requests that reached `/api`.
    pub api_requests: u64,
    /// Requests to either discovery document.
    pub discovery_requests: u64,
    /// Requests to `/.well-known/jwks.json`.
    pub jwks_requests: u64,
    /// Token requests that carried a `DPoP` header (valid or not).
    #[serde(default)]
    pub dpop_token_requests: u64,
    /// Token requests whose accepted DPoP proof carried a `nonce`.
    #[serde(default)]
    pub dpop_nonce_token_requests: u64,
    /// `/api` requests that carried a `DPoP` header (valid or not).
    #[serde(default)]
    pub dpop_api_requests: u64,
}

/// One token request as the server saw it (`GET /_control/requests`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Request target: the path plus `?query` if there was one.
    pub path: String,
    /// Headers by lower-case name; repeated headers are joined with `", "`.
    /// `authorization` (and `proxy-authorization`) keep their scheme, the
    /// rest is replaced by its [`secret_fingerprint`]; `cookie` is replaced
    /// whole.
    pub headers: BTreeMap<String, String>,
    /// The raw body (lossy UTF-8; empty if it exceeded 1 MiB), except that the
    /// values of `client_secret`, `client_assertion`, `password` and
    /// `refresh_token` are replaced by the [`secret_fingerprint`] of their
    /// decoded value (the same in the query of `path`).
    pub body: String,
    /// The request came in on the https listener (absent when false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tls: bool,
    /// The SHA-256 (hex) of the client certificate presented on the https
    /// listener, if any; never more of the certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate_sha256: Option<String>,
}

/// A running dev server bound to `127.0.0.1`.
///
/// Dropping it (or calling [`DevServer::shutdown`]) stops the accept loop and
/// closes every open connection.
pub struct DevServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    /// With `tls`: the https listener's address and the PEM that trusts it.
    https: Option<(SocketAddr, String)>,
    shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for DevServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevServer")
            .field("url", &self.shared.url)
            .finish()
    }
}

/// Accept backlog; tests open 2,000+ connections at once.
const BACKLOG: u32 = 4096;

impl DevServer {
    /// Binds `127.0.0.1:config.port` (0 = OS-chosen) and spawns the accept
    /// loop on the current tokio runtime (must be called inside one). Each
    /// connection is served by its own task (HTTP/1.1, keep-alive).
    pub async fn start(config: ServerConfig) -> io::Result<DevServer> {
        for c in &config.clients {
            c.validate()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        }
        let listener = bind(config.port)?;
        let addr = listener.local_addr()?;
        let url = format!("http://127.0.0.1:{}", addr.port());
        let tls = if config.tls || config.client_ca.is_some() {
            let tls_listener = bind(0)?;
            Some((tls_listener, tls::server_tls()?))
        } else {
            None
        };
        let https_url = match &tls {
            Some((l, _)) => Some(format!("https://127.0.0.1:{}", l.local_addr()?.port())),
            None => None,
        };
        let shared = Shared::new(url, addr.port(), https_url, &config)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let shared = Arc::new(shared);
        let (tx, rx) = watch::channel(false);
        let mut https = None;
        if let Some((tls_listener, server_tls)) = tls {
            https = Some((tls_listener.local_addr()?, server_tls.ca_pem));
            tokio::spawn(listener::accept_loop(
                tls_listener,
                shared.clone(),
                rx.clone(),
                Some(server_tls.acceptor),
            ));
        }
        tokio::spawn(listener::accept_loop(listener, shared.clone(), rx, None));
        Ok(DevServer {
            shared,
            addr,
            https,
            shutdown: tx,
        })
    }

    /// With `tls`: the https listener's URL, `https://127.0.0.1:PORT` (it
    /// serves the same paths, and asks for a client certificate).
    pub fn https_url(&self) -> Option<String> {
        self.https
            .as_ref()
            .map(|(a, _)| format!("https://127.0.0.1:{}", a.port()))
    }

    /// With `tls`: the https listener's token endpoint (the discovery
    /// document's `mtls_endpoint_aliases.token_endpoint`).
    pub fn mtls_token_url(&self) -> Option<String> {
        self.https_url().map(|u| format!("{u}/oauth/token"))
    }

    /// With `tls`: the PEM a client trusts the https listener with (its
    /// self-signed certificate, made at start; the `ca_certs` option).
    pub fn tls_ca_pem(&self) -> Option<&str> {
        self.https.as_ref().map(|(_, pem)| pem.as_str())
    }

    /// The server URL, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.shared.url
    }

    /// The issuer (`iss` of every token): the same as [`DevServer::url`].
    pub fn issuer(&self) -> &str {
        &self.shared.url
    }

    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `URL/oauth/token`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.shared.url)
    }

    /// `URL/.well-known/jwks.json`.
    pub fn jwks_uri(&self) -> String {
        format!("{}/.well-known/jwks.json", self.shared.url)
    }

    /// `URL/.well-known/openid-configuration`.
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.shared.url)
    }

    /// `URL/api`.
    pub fn api_url(&self) -> String {
        format!("{}/api", self.shared.url)
    }

    /// `URL/_control`.
    pub fn control_url(&self) -> String {
        format!("{}/_control", self.shared.url)
    }

    /// The control token: clients of the control API send it as
    /// `Authorization: Bearer <token>`. Random per server (32 bytes from the
    /// system CSPRNG, 64 hex digits); it is in [`DevServer::startup_line`]
    /// and nowhere else the server writes.
    pub fn control_token(&self) -> &str {
        &self.shared.control_token
    }

    /// The one-line JSON object the binary prints on stdout (no newline).
    pub fn startup_line(&self) -> String {
        // Built by hand to keep PROTOCOL.md's key order.
        let fields = [
            ("url", self.url().to_owned()),
            ("issuer", self.issuer().to_owned()),
            ("token_url", self.token_url()),
            ("jwks_uri", self.jwks_uri()),
            ("api_url", self.api_url()),
            ("control_url", self.control_url()),
            ("control_token", self.control_token().to_owned()),
        ];
        let mut fields = fields.to_vec();
        if let (Some(url), Some(pem)) = (self.https_url(), self.tls_ca_pem()) {
            let mtls = format!("{url}/oauth/token");
            fields.push(("https_url", url));
            fields.push(("mtls_token_url", mtls));
            fields.push(("tls_ca_pem", pem.to_owned()));
        }
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("\"{k}\":{}", serde_json::Value::String(v.clone())))
            .collect();
        format!("{{{}}}", body.join(","))
    }

    /// Replaces the fault script of `target` (like `POST /_control/faults`).
    ///
    /// # Panics
    /// If a step is invalid (bad status, header name or value); see
    /// [`FaultStep::validate`].
    pub fn set_faults(&self, target: Target, steps: Vec<FaultStep>, repeat_last: bool) {
        for (i, s) in steps.iter().enumerate() {
            if let Err(e) = s.validate() {
                panic!("fault step {i}: {e}");
            }
        }
        self.shared.set_faults(target, steps, repeat_last);
    }

    /// Clears the fault script of `target` (like `DELETE /_control/faults`).
    pub fn clear_faults(&self, target: Target) {
        self.shared.clear_faults(target);
    }

    /// Adds or replaces a client (like `POST /_control/clients`).
    ///
    /// # Panics
    /// If the client is invalid; see [`ClientConfig::validate`].
    pub fn add_client(&self, c: ClientConfig) {
        if let Err(e) = c.validate() {
            panic!("add_client: {e}");
        }
        self.shared.add_client(c);
    }

    /// The request counters (like `GET /_control/stats`).
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Every token request seen since start or the last reset, oldest first
    /// (like `GET /_control/requests`; at most the latest 100,000 are kept).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// Clears both fault scripts, the counters and the recorded requests;
    /// clients stay (like `POST /_control/reset`).
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Sets whether the token endpoint and `/api` demand a DPoP nonce
    /// (like `POST /_control/dpop`).
    pub fn set_dpop_nonce(&self, token: bool, api: bool) {
        let mut n = self.shared.dpop_nonces.lock();
        n.token = token;
        n.api = api;
    }

    /// Replaces the current DPoP nonce with a fresh one and returns it.
    pub fn rotate_dpop_nonce(&self) -> String {
        let mut n = self.shared.dpop_nonces.lock();
        n.rotate();
        n.current.clone()
    }

    /// The current DPoP nonce (demanded only in nonce mode).
    pub fn dpop_nonce(&self) -> String {
        self.shared.dpop_nonces.lock().current.clone()
    }

    /// Stops accepting connections and closes open ones. Idempotent; also
    /// done on drop.
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A listening socket on `127.0.0.1:port` (0 = OS-chosen).
fn bind(port: u16) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
    socket.listen(BACKLOG)
}
