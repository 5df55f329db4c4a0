// Mutual TLS (RFC 8705) from Node against the dev server's https listener,
// with core's fixtures (core/tests/mtls_keys, made by
// core/tests/mtls_keys/make-certs.sh): tls_client_auth from files, self-signed from
// PEM text with callApi presenting the certificate its token is bound to, an
// unregistered certificate refused, and no key text in inspect, errors or
// logs at trace.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inspect } from 'node:util';

import { ConfigError, OAuthError, TokenClient, setLogger } from '../index.mjs';
import { REPO, startServer } from './support/devserver.mjs';

const KEYS = join(REPO, 'core', 'tests', 'mtls_keys');
const read = (name) => readFileSync(join(KEYS, name), 'utf8');
const SELF_SHA256 = read('self-signed.sha256').trim();

let server;
before(async () => {
  server = await startServer({
    clients: [
      { client_id: 'node-mtls', auth_methods: ['tls_client_auth'], tls_client_auth_subject_dn: 'CN=mtls-client,O=m2m-auth tests' },
      { client_id: 'node-self', auth_methods: ['self_signed_tls_client_auth'], tls_client_certificate_sha256: [SELF_SHA256] },
    ],
    clientCa: read('client-ca.pem'),
  });
});
after(() => server.stop());

const client = (options) => new TokenClient({
  tokenUrl: server.urls.mtls_token_url, caCerts: server.urls.tls_ca_pem, noProxy: true, ...options,
});

test('tls_client_auth from certificate and key files', async () => {
  await server.reset();
  const c = client({ clientId: 'node-mtls', clientCertificateFile: join(KEYS, 'client.pem'), clientKeyFile: join(KEYS, 'client.key') });
  try {
    assert.equal(c.authMethod, 'tls_client_auth');
    assert.ok((await c.fetchToken()).accessToken);
    const [r] = await server.requests();
    assert.equal(r.tls, true);
    assert.equal(r.client_certificate_sha256.length, 64);
    const body = new URLSearchParams(r.body);
    assert.equal(body.get('client_id'), 'node-mtls');
    assert.equal(body.get('client_secret'), null);
  } finally {
    c.close();
  }
});

test('self_signed_tls_client_auth from PEM text; callApi presents the bound certificate', async () => {
  const key = read('self-signed.key');
  const c = client({
    clientId: 'node-self', authMethod: 'self_signed_tls_client_auth', clientCertificate: read('self-signed.pem'), clientKey: key,
  });
  try {
    const answer = await c.callApi('GET', `${server.urls.https_url}/api`);
    assert.equal(answer.status, 200);
    const body = JSON.parse(Buffer.from(answer.body).toString('utf8'));
    assert.equal(body.client_certificate_sha256, SELF_SHA256);
    assert.ok(body.cnf['x5t#S256']);
    const shown = inspect(c, { depth: 5 });
    for (const line of key.split('\n').filter((l) => l && !l.startsWith('-----'))) assert.ok(!shown.includes(line));
  } finally {
    c.close();
  }
});

test('an unregistered certificate is invalid_client; a mismatched key a ConfigError without key text', async () => {
  const c = client({ clientId: 'node-self', clientCertificateFile: join(KEYS, 'other.pem'), clientKeyFile: join(KEYS, 'other.key') });
  try {
    await assert.rejects(c.fetchToken(), (e) => e instanceof OAuthError && e.error === 'invalid_client'
      && /not registered/.test(e.errorDescription));
  } finally {
    c.close();
  }
  const otherKey = read('other.key');
  assert.throws(() => client({ clientId: 'node-self', clientCertificate: read('client.pem'), clientKey: otherKey }), (e) => {
    assert.ok(e instanceof ConfigError && /does not match/.test(e.message), e.message);
    const text = e.message + inspect(e);
    for (const line of otherKey.split('\n').filter((l) => l && !l.startsWith('-----'))) assert.ok(!text.includes(line));
    return true;
  });
});

test('client keys never show in inspect, errors or logs at trace', async () => {
  // Issue #12's canary for the mutual-TLS client key, served and refused.
  const lines = [];
  const logger = {};
  for (const m of ['error', 'warn', 'info', 'debug']) logger[m] = (text) => lines.push(String(text));
  setLogger(logger, { level: 'trace' });
  const needles = ['client.key', 'client.sec1.key', 'other.key']
    .flatMap((k) => read(k).split('\n').filter((l) => l && !l.startsWith('-----')));
  const shown = [];
  try {
    for (const [n, options] of [
      { clientCertificate: read('client.pem'), clientKey: read('client.key') },
      { clientCertificateFile: join(KEYS, 'client.pem'), clientKeyFile: join(KEYS, 'client.sec1.key') },
    ].entries()) {
      const c = client({ clientId: 'node-mtls', audience: `https://canary/${n}`, ...options });
      try {
        const token = await c.fetchToken();
        shown.push(inspect(c, { depth: 5 }), inspect(token), String(token), JSON.stringify(token));
      } finally {
        c.close();
      }
    }
    const refused = client({ clientId: 'node-mtls', clientCertificateFile: join(KEYS, 'other.pem'), clientKey: read('other.key') });
    try {
      await assert.rejects(refused.fetchToken(), (e) => {
        shown.push(e.message, inspect(e), inspect(refused, { depth: 5 }));
        return e instanceof OAuthError;
      });
    } finally {
      refused.close();
    }
    assert.throws(() => client({ clientId: 'node-mtls', clientCertificate: read('client.pem'), clientKey: read('other.key') }),
      (e) => { shown.push(e.message, inspect(e)); return e instanceof ConfigError; });
  } finally {
    setLogger(null);
  }
  assert.ok(lines.some((l) => /token received/.test(l)), lines.join('\n'));
  for (const text of [...shown, ...lines]) {
    for (const needle of needles) assert.ok(!text.includes(needle), text);
  }
});
