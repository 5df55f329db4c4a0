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
mod redact;
mod server;

use std::collections::BTreeMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

pub use config::{
    ClientConfig, ServerConfig, AUTH_METHODS, CLIENT_SECRET_BASIC, CLIENT_SECRET_JWT,
    CLIENT_SECRET_POST, DEFAULT_TOKEN_LIFETIME, JWT_BEARER_ASSERTION_TYPE, PRIVATE_KEY_JWT,
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
}

/// A running dev server bound to `127.0.0.1`.
///
/// Dropping it (or calling [`DevServer::shutdown`]) stops the accept loop and
/// closes every open connection.
pub struct DevServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
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
        let socket = TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, config.port)))?;
        let listener = socket.listen(BACKLOG)?;
        let addr = listener.local_addr()?;
        let url = format!("http://127.0.0.1:{}", addr.port());
        let shared = Arc::new(Shared::new(url, addr.port(), &config));
        let (tx, rx) = watch::channel(false);
        tokio::spawn(accept_loop(listener, shared.clone(), rx));
        Ok(DevServer {
            shared,
            addr,
            shutdown: tx,
        })
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

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    loop {
        let stream = tokio::select! {
            biased;
            _ = stop.changed() => break,
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!("m2m-auth-devserver: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let reset = Arc::new(AtomicBool::new(false));
            let io = TokioIo::new(ConnIo {
                stream,
                reset: reset.clone(),
            });
            let svc = service_fn(move |req| server::handle(shared.clone(), reset.clone(), req));
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .keep_alive(true)
                .serve_connection(io, svc);
            tokio::select! {
                r = conn => {
                    if let Err(e) = r {
                        tracing::debug!("m2m-auth-devserver: connection ended: {e}");
                    }
                }
                _ = stop.changed() => {}
            }
        });
    }
}

/// The connection's socket. When a `reset` fault step fires, the flag is set
/// and the service fails; hyper then drops the connection, and dropping this
/// with `SO_LINGER 0` makes the kernel send a TCP RST instead of a FIN.
struct ConnIo {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for ConnIo {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            // `set_zero_linger` needs tokio 1.50 (workspace asks for 1.47);
            // a zero linger never blocks, which is what the deprecation is about.
            #[allow(deprecated)]
            let _ = self.stream.set_linger(Some(Duration::ZERO));
        }
    }
}

impl AsyncRead for ConnIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
