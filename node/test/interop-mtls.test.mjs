// Mutual TLS (RFC 8705) against a real authorization server: oidc-provider's
// https listener, from tests/interop/server.mjs run as a child process (its
// clients under `mtls_clients` of tests/interop/clients.json, their
// certificates in tests/mtls/). Every client is configured with the http
// issuer alone: the engine reads discovery and sends its token requests to
// mtls_endpoint_aliases.token_endpoint (it has a certificate), trusting the
// server's CA (caCerts). Each token must be bound to the certificate
// presented: cnf.x5t#S256 is the SHA-256 of the leaf's DER, computed here
// with node:crypto. Skipped, saying why, when tests/interop has no
// node_modules (`npm ci` there).
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inspect } from 'node:util';

import { OAuthError, TokenClient } from '../index.mjs';
import { CONFIG, SKIP, startInteropServer } from './support/interop-server.mjs';

const [TLS, SELF_SIGNED] = CONFIG.mtls_clients;
// Every key format and the chain file of clients.json, by the names of its fields.
const ACCEPTED = [
  [TLS, 'certificate_file', 'key_file'],
  [TLS, 'certificate_file', 'legacy_key_file'],
  [TLS, 'chain_file', 'key_file'],
  [SELF_SIGNED, 'certificate_file', 'key_file'],
  [SELF_SIGNED, 'certificate_file', 'legacy_key_file'],
];
let server; // the start line: issuer, mtls_token_endpoint, ca_file, certs_dir, ...
let stop;

before(async () => {
  if (SKIP) return;
  ({ info: server, stop } = await startInteropServer());
});

after(async () => {
  if (stop) await stop();
});

const file = (name) => join(server.certs_dir, name);

const tlsClient = (c, certificate, key) => new TokenClient({
  issuer: server.issuer,
  clientId: c.client_id,
  authMethod: c.token_endpoint_auth_method,
  clientCertificateFile: certificate,
  clientKeyFile: key,
  caCerts: readFileSync(server.ca_file, 'utf8'),
  resource: CONFIG.resource,
  noProxy: true,
});

/** x5t#S256 (RFC 8705 §3.1) of the first (leaf) certificate of a PEM file. */
const thumbprint = (path) => {
  const pem = readFileSync(path, 'utf8');
  const end = '-----END CERTIFICATE-----';
  const leaf = new X509Certificate(pem.slice(0, pem.indexOf(end) + end.length));
  return createHash('sha256').update(leaf.raw).digest('base64url');
};

const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url'));

for (const [c, certField, keyField] of ACCEPTED) {
  test(`oidc-provider, ${c.token_endpoint_auth_method} with ${c[certField]} + ${c[keyField]}: `
    + 'three certificate-bound tokens through discovery', { skip: SKIP }, async () => {
    const certificate = file(c[certField]);
    const want = thumbprint(certificate);
    const client = tlsClient(c, certificate, file(c[keyField]));
    try {
      // Three fetches on one client: its TLS connection is reused (or resumed).
      const seen = new Set();
      for (let i = 0; i < 3; i++) {
        const token = await client.fetchToken();
        const jwt = claims(token.accessToken);
        assert.equal(jwt.cnf?.['x5t#S256'], want);
        assert.equal(jwt.client_id, c.client_id);
        assert.equal(jwt.aud, CONFIG.resource);
        assert.equal(jwt.iss, server.issuer);
        seen.add(token.accessToken);
      }
      assert.equal(seen.size, 3);
    } finally {
      client.close();
    }
  });
}

for (const c of CONFIG.mtls_clients) {
  for (const refused of CONFIG.mtls_refused_certificates) {
    test(`oidc-provider, ${c.token_endpoint_auth_method}: ${refused.certificate_file} is an OAuthError invalid_client`,
      { skip: SKIP }, async () => {
        const key = file(refused.key_file);
        const client = tlsClient(c, file(refused.certificate_file), key);
        try {
          // A 401 from oidc-provider (the handshake itself never fails), without the key's text.
          await assert.rejects(client.fetchToken(), (e) => {
            assert.ok(e instanceof OAuthError, `${e}`);
            assert.equal(e.code, 'M2M_OAUTH');
            assert.equal(e.error, 'invalid_client');
            assert.equal(e.status, 401);
            const shown = e.message + inspect(e, { depth: 5 }) + inspect(client, { depth: 5 });
            for (const l of readFileSync(key, 'utf8').split('\n').filter((x) => x && !x.startsWith('-----'))) {
              assert.ok(!shown.includes(l));
            }
            return true;
          });
        } finally {
          client.close();
        }
      });
  }
}
