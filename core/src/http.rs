//! The HTTP transport: reqwest over rustls with the OS trust store, no
//! redirects, a capped body, and errors mapped to the taxonomy.

use std::error::Error as StdError;
use std::sync::{Arc, OnceLock};

use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};

use crate::config::{ProxySetting, Settings};
use crate::error::{Error, Result, TransportKind};
use crate::process::{Mutex, PerProcess};

mod proxy;

/// A response, its body read up to the cap.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub status: u16,
    pub retry_after: Option<String>,
    /// The `Cache-Control` header (JWKS caching).
    pub cache_control: Option<String>,
    /// The `DPoP-Nonce` header (RFC 9449 §8).
    pub dpop_nonce: Option<String>,
    /// Auth0's token quota headers (docs/design.md §5).
    pub quota: crate::quota::QuotaHeaders,
    pub body: Vec<u8>,
    /// False when the body went past the cap and was cut.
    pub complete: bool,
}

/// One HTTP client, shared by every `TokenClient` with the same settings.
#[derive(Clone)]
pub(crate) struct Transport {
    client: reqwest::Client,
    max_body: usize,
}

impl Transport {
    /// The transport for these settings. Clients with default transport
    /// settings share one connection pool, so an app that builds a client per
    /// request still reuses connections.
    pub(crate) fn new(s: &Settings) -> Result<Transport> {
        Ok(Transport {
            client: shared_client(s)?,
            max_body: s.max_body,
        })
    }

    /// Checks the options a transport is built from, without building it
    /// (building loads the OS trust store, which is left to the first fetch).
    pub(crate) fn check(s: &Settings) -> Result<()> {
        extra_roots(&s.ca_certs_pem)?;
        if let ProxySetting::Url(u) = &s.proxy {
            proxy::check(u)?;
        }
        Ok(())
    }

    /// POSTs a form. `authorization` is a header value marked sensitive;
    /// it and `body` are handed over as they are (reference-counted `Bytes`
    /// that wipe themselves), not copied. `dpop` is a DPoP proof header.
    pub(crate) async fn post_form(
        &self,
        url: &url::Url,
        authorization: Option<&HeaderValue>,
        dpop: Option<&str>,
        body: bytes::Bytes,
    ) -> Result<RawResponse> {
        let mut req = self
            .client
            .post(url.clone())
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            )
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .body(body);
        if let Some(auth) = authorization {
            req = req.header(AUTHORIZATION, auth.clone());
        }
        if let Some(proof) = dpop {
            let value = HeaderValue::from_str(proof)
                .map_err(|_| Error::config("a DPoP proof is not valid in a header"))?;
            req = req.header("dpop", value);
        }
        self.read(req).await
    }

    /// Sends an API request with a bearer header (marked sensitive); reads at
    /// most `max_body` bytes of the answer.
    pub(crate) async fn send_api(
        &self,
        method: &str,
        url: &url::Url,
        authorization: &str,
        headers: &[(String, String)],
        body: Option<Vec<u8>>,
        max_body: usize,
    ) -> Result<crate::api::ApiResponse> {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| Error::config(format!("invalid HTTP method {method:?}")))?;
        let mut value = HeaderValue::from_str(authorization)
            .map_err(|_| Error::invalid_response("access token is not valid in a header"))?;
        value.set_sensitive(true);
        let mut req = self
            .client
            .request(method, url.clone())
            .header(AUTHORIZATION, value);
        for (k, v) in headers {
            req = req.header(k.as_str(), v.as_str());
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let mut resp = req.send().await.map_err(map_error)?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let mut out = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(map_error)? {
            if out.len() + chunk.len() > max_body {
                return Err(Error::transport(
                    TransportKind::Io,
                    format!("API response body exceeds {max_body} bytes"),
                ));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(crate::api::ApiResponse {
            status,
            headers,
            body: out,
        })
    }

    /// GETs a JSON document (discovery, JWKS).
    pub(crate) async fn get(&self, url: &url::Url) -> Result<RawResponse> {
        self.read(
            self.client
                .get(url.clone())
                .header(ACCEPT, "application/json"),
        )
        .await
    }

    async fn read(&self, req: reqwest::RequestBuilder) -> Result<RawResponse> {
        let mut resp = req.send().await.map_err(map_error)?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let cache_control = resp
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let dpop_nonce = resp
            .headers()
            .get("dpop-nonce")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let quota = crate::quota::QuotaHeaders {
            client: header(crate::quota::CLIENT_HEADER),
            organization: header(crate::quota::ORGANIZATION_HEADER),
        };
        let declared = resp.content_length().unwrap_or(0) as usize;
        let mut body = Vec::with_capacity(declared.min(self.max_body).min(64 * 1024));
        let mut complete = true;
        while let Some(chunk) = resp.chunk().await.map_err(map_error)? {
            let room = self.max_body - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                complete = false;
                break; // dropping `resp` closes the connection
            }
            body.extend_from_slice(&chunk);
        }
        Ok(RawResponse {
            status,
            retry_after,
            cache_control,
            dpop_nonce,
            quota,
            body,
            complete,
        })
    }
}

/// What a connection pool is built from.
#[derive(PartialEq)]
struct PoolKey {
    connect_timeout: std::time::Duration,
    ca_certs_pem: Vec<Vec<u8>>,
    proxy: ProxySetting,
    user_agent: String,
    /// The client certificate chain's digest: clients presenting the same
    /// certificate (and so the same key) may share a pool.
    client_chain: Option<[u8; 32]>,
    /// The runtime the transport is first used on: a pooled connection is
    /// served by a task of the runtime that opened it and dies with it, so a
    /// client on another runtime (each `#[tokio::test]` has its own) must
    /// not be handed it ("dispatch task is gone").
    runtime: Option<tokio::runtime::Id>,
}

/// Distinct pools kept for sharing; clients with settings beyond these get
/// pools of their own.
const MAX_SHARED_POOLS: usize = 16;

/// The process's pool for these settings: clients built with the same
/// transport settings share one (an app that builds a client per request
/// still reuses connections), on the runtime they first run on. Per
/// process: a forked child builds its own.
fn shared_client(s: &Settings) -> Result<reqwest::Client> {
    type Pools = Arc<Mutex<Vec<(PoolKey, reqwest::Client)>>>;
    static POOLS: PerProcess<Pools> = PerProcess::new();
    let pools = POOLS.get_or_try_init(|| Ok(Pools::default()))?;
    let key = PoolKey {
        connect_timeout: s.connect_timeout,
        ca_certs_pem: s.ca_certs_pem.clone(),
        proxy: s.proxy.clone(),
        user_agent: s.user_agent.clone(),
        client_chain: s.client_identity.as_ref().map(|i| i.chain_sha256),
        runtime: tokio::runtime::Handle::try_current().ok().map(|h| h.id()),
    };
    let mut pools = pools.lock();
    if let Some((_, client)) = pools.iter().find(|(k, _)| *k == key) {
        return Ok(client.clone());
    }
    let client = build_client(s)?;
    if pools.len() < MAX_SHARED_POOLS {
        pools.push((key, client.clone()));
    }
    Ok(client)
}

fn build_client(s: &Settings) -> Result<reqwest::Client> {
    let tls = tls_config(&s.ca_certs_pem, s.client_identity.as_deref())?;
    let b = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        // Retries are the engine's (retry.rs: counted, backed off, within
        // the deadline). reqwest's own layer retries nothing over HTTP/1,
        // yet clones every request's headers in case it might; with no
        // retry allowed it clones nothing.
        .retry(reqwest::retry::never().max_retries_per_request(0))
        .connect_timeout(s.connect_timeout)
        .http1_only()
        .user_agent(s.user_agent.clone())
        .pool_idle_timeout(std::time::Duration::from_secs(60));
    proxy::configure(b, &s.proxy)?
        .build()
        .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))
}

/// rustls with the ring provider and the platform verifier (the OS trust
/// store), plus any extra roots the user gave. Verification cannot be turned
/// off. With a client identity, its certificate is presented whenever a
/// server asks for one (mutual TLS).
fn tls_config(
    extra_pem: &[Vec<u8>],
    identity: Option<&crate::mtls::ClientIdentity>,
) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let extra = extra_roots(extra_pem)?;
    let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> = if extra.is_empty() {
        // Loading the OS store takes milliseconds: do it once per process.
        static OS: OnceLock<Arc<dyn rustls::client::danger::ServerCertVerifier>> = OnceLock::new();
        OS.get_or_init(|| platform_verifier(Vec::new(), provider.clone()))
            .clone()
    } else {
        platform_verifier(extra, provider.clone())
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(format!("TLS setup failed: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    Ok(match identity {
        // The key parsed once at build, shared by every handshake.
        Some(id) => builder.with_client_cert_resolver(Arc::new(
            rustls::sign::SingleCertAndKey::from(id.certified.clone()),
        )),
        None => builder.with_no_client_auth(),
    })
}

/// The certificates of `ca_certs` (each entry a PEM with one or more):
/// a `config` error for a malformed PEM or one without a certificate. The
/// token transport and the Redis store's TLS (`store/redis_tls.rs`) read
/// them here.
pub(crate) fn extra_roots(
    pems: &[Vec<u8>],
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject;
    let mut out = Vec::new();
    for pem in pems {
        let before = out.len();
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pem) {
            out.push(cert.map_err(|e| Error::config(format!("bad CA certificate PEM: {e}")))?);
        }
        if out.len() == before {
            return Err(Error::config("CA certificate PEM holds no certificate"));
        }
    }
    Ok(out)
}

fn platform_verifier(
    extra: Vec<rustls::pki_types::CertificateDer<'static>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Arc<dyn rustls::client::danger::ServerCertVerifier> {
    match rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone()) {
        Ok(v) => Arc::new(v),
        // No usable trust store: every https handshake fails with this
        // reason (http:// to loopback keeps working).
        Err(e) => Arc::new(NoTrust {
            reason: e.to_string(),
            provider,
        }),
    }
}

/// A verifier that refuses every certificate, naming why.
#[derive(Debug)]
struct NoTrust {
    reason: String,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl NoTrust {
    fn refuse<T>(&self) -> std::result::Result<T, rustls::Error> {
        Err(rustls::Error::General(format!(
            "no trusted CA certificates: {}",
            self.reason
        )))
    }
}

impl rustls::client::danger::ServerCertVerifier for NoTrust {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        self.refuse()
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.refuse()
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.refuse()
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// True if `e` is a rustls error, possibly inside (nested) io::Errors, whose
/// `source()` skips the error they wrap.
fn is_rustls(e: &(dyn StdError + 'static)) -> bool {
    if e.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    match e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        Some(inner) => is_rustls(inner),
        None => false,
    }
}

/// Maps a reqwest failure to a transport error, naming the root cause.
fn map_error(e: reqwest::Error) -> Error {
    let mut message = e.to_string();
    let mut source = e.source();
    let mut tls = false;
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        tls |= is_rustls(s);
        source = s.source();
    }
    let kind = if e.is_timeout() {
        TransportKind::Timeout
    } else if tls {
        TransportKind::Tls
    } else if e.is_connect() {
        TransportKind::Connect
    } else if e.is_body() || e.is_decode() || e.is_request() {
        TransportKind::Reset
    } else {
        TransportKind::Io
    };
    Error::transport(kind, message)
}
