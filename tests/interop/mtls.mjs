// Mutual TLS (RFC 8705) for the interop server: the https listener that asks
// for client certificates, oidc-provider's features.mTLS reading them from the
// TLS socket, and the registration of the `mtls_clients` of clients.json
// (tls_client_auth, self_signed_tls_client_auth). Certificates and keys are
// the test fixtures of tests/mtls/ (see its README.md).
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of tests/mtls/, where every certificate and key lives. */
export const CERTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'mtls');
/** The CA that signed the https listener's certificate: clients trust it. */
export const SERVER_CA_FILE = path.join(CERTS_DIR, 'server-ca.pem');

const read = (name) => fs.readFileSync(path.join(CERTS_DIR, name));

/**
 * The https listener: the server certificate for 127.0.0.1 / localhost, and a
 * request for a client certificate that never fails the handshake (the
 * provider decides, so a wrong or missing certificate is an OAuth
 * `invalid_client`, not a TLS alert). Chains to the client CA come out as
 * `socket.authorized`.
 */
export function createMtlsServer() {
  return https.createServer({
    cert: read('server.pem'),
    key: read('server.key'),
    ca: read('client-ca.pem'),
    requestCert: true,
    rejectUnauthorized: false,
  });
}

/** The peer's certificate on this request's TLS socket; none on plain http. */
function peerCertificate(ctx) {
  const { socket } = ctx;
  if (typeof socket?.getPeerCertificate !== 'function') return undefined;
  const peer = socket.getPeerCertificate();
  return peer?.raw ? new crypto.X509Certificate(peer.raw) : undefined;
}

// Node prints a subject one RDN a line, in certificate order; RFC 8705's
// tls_client_auth_subject_dn is the RFC 4514 string: reversed, comma-joined.
function rfc4514(subject) {
  return subject.split('\n').reverse().join(',');
}

/** oidc-provider's `features.mTLS`: both TLS methods, certificate-bound tokens. */
export const mtlsFeature = {
  enabled: true,
  certificateBoundAccessTokens: true,
  tlsClientAuth: true,
  selfSignedTlsClientAuth: true,
  getCertificate: peerCertificate,
  // tls_client_auth: the handshake verified the chain against the client CA.
  certificateAuthorized: (ctx) => ctx.socket?.authorized === true,
  certificateSubjectMatches(ctx, property, expected) {
    const cert = peerCertificate(ctx);
    if (property !== 'tls_client_auth_subject_dn') {
      throw new Error(`${property} matching is not set up in the interop server`);
    }
    return cert !== undefined && rfc4514(cert.subject) === expected;
  },
};

/**
 * The oidc-provider registration of an entry of `mtls_clients`: for
 * self_signed_tls_client_auth, the certificate as `x5c` of a JWK (the
 * provider matches its SHA-256 thumbprint); tokens bound to the certificate.
 */
export function mtlsClientMetadata(c) {
  const metadata = {
    client_id: c.client_id,
    token_endpoint_auth_method: c.token_endpoint_auth_method,
    tls_client_certificate_bound_access_tokens: true,
  };
  if (c.tls_client_auth_subject_dn) metadata.tls_client_auth_subject_dn = c.tls_client_auth_subject_dn;
  if (c.token_endpoint_auth_method === 'self_signed_tls_client_auth') {
    const cert = new crypto.X509Certificate(read(c.certificate_file));
    const jwk = { ...cert.publicKey.export({ format: 'jwk' }), x5c: [cert.raw.toString('base64')] };
    metadata.jwks = { keys: [jwk] };
  }
  return metadata;
}
