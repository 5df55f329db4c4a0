//! The https listener's TLS (mutual TLS, RFC 8705): a server certificate
//! made at start for `localhost` and `127.0.0.1`, and a client certificate
//! *requested*, never required. Any certificate whose handshake signature
//! verifies is accepted here; which client it authenticates (a chain to the
//! configured client CA with the registered subject DN or DNS name, or a
//! registered SHA-256) is decided per client by the token endpoint.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// What a connection's peer presented.
#[derive(Debug, Clone, Default)]
pub(crate) struct Peer {
    /// The connection came in on the https listener.
    pub(crate) tls: bool,
    /// The client certificate chain, leaf first, if one was presented.
    pub(crate) chain: Option<Arc<Vec<CertificateDer<'static>>>>,
}

impl Peer {
    /// The SHA-256 of the leaf certificate's DER.
    pub(crate) fn leaf_sha256(&self) -> Option<[u8; 32]> {
        let leaf = self.chain.as_ref()?.first()?;
        let digest = ring::digest::digest(&ring::digest::SHA256, leaf.as_ref());
        digest.as_ref().try_into().ok()
    }

    /// [`Peer::leaf_sha256`] in lower-case hex (what the recorded requests
    /// and `/api` show).
    pub(crate) fn leaf_sha256_hex(&self) -> Option<String> {
        self.leaf_sha256().map(|d| hex(&d))
    }
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The listener's TLS setup and the CA a client must trust (the server
/// certificate itself, self-signed, PEM).
pub(crate) struct ServerTls {
    pub(crate) acceptor: tokio_rustls::TlsAcceptor,
    pub(crate) ca_pem: String,
}

/// A fresh server certificate for `localhost` and `127.0.0.1`.
pub(crate) fn server_tls() -> std::io::Result<ServerTls> {
    let err = |e: String| std::io::Error::other(format!("TLS setup: {e}"));
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .map_err(|e| err(e.to_string()))?;
    let key = PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let provider = provider();
    let config = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| err(e.to_string()))?
        .with_client_cert_verifier(Arc::new(AnyClientCert { provider }))
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .map_err(|e| err(e.to_string()))?;
    Ok(ServerTls {
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        ca_pem: cert.cert.pem(),
    })
}

/// A verifier of chains to the configured client CA certificates (PEM),
/// for `tls_client_auth`.
pub(crate) fn client_ca_verifier(pem: &str) -> Result<Arc<dyn ClientCertVerifier>, String> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|e| format!("client_ca: bad PEM: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("client_ca: not a usable CA certificate: {e}"))?;
    }
    if roots.is_empty() {
        return Err("client_ca holds no certificate".into());
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| format!("client_ca: {e}"))
}

/// Asks for a client certificate and accepts any one whose handshake
/// signature verifies (so that self-signed ones get through); the token
/// endpoint decides what it proves.
#[derive(Debug)]
struct AnyClientCert {
    provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for AnyClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
