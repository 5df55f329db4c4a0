// clientAssertionProvider from Node: a function (sync or async) signs a
// fresh ES256 assertion (node:crypto, with a key the dev server has
// registered) for every attempt, retries included; the dev server verifies
// each and refuses a reused jti. A throw or rejection gives a ConfigError
// whose cause is what was thrown, and no token request is sent; the
// assertion never shows in inspect or an error.
import assert from 'node:assert/strict';
import { createPrivateKey, randomBytes, sign as cryptoSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { inspect } from 'node:util';

import { ConfigError, TokenClient, TransportError } from '../index.mjs';
import { REPO, startServer } from './support/devserver.mjs';

const KEYS = join(REPO, 'core', 'tests', 'verify_keys');
const KEY = createPrivateKey(readFileSync(join(KEYS, 'p256.pem'), 'utf8'));
const CLIENT_ID = 'node-provider';

const b64 = (x) => Buffer.from(x).toString('base64url');

/** A fresh ES256 assertion for `request` (a new jti each time). */
function signFor(request) {
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: 'ec-256' }))}.${b64(JSON.stringify({
    iss: request.clientId, sub: request.clientId, aud: request.audience, iat: now, exp: now + 60,
    jti: randomBytes(16).toString('hex'),
  }))}`;
  return `${head}.${b64(cryptoSign('sha256', Buffer.from(head), { key: KEY, dsaEncoding: 'ieee-p1363' }))}`;
}

let server;
before(async () => {
  server = await startServer();
});
beforeEach(async () => {
  await server.reset();
  const jwks = JSON.parse(readFileSync(join(KEYS, 'public_jwks.json'), 'utf8'));
  await server.addClient({ client_id: CLIENT_ID, auth_methods: ['private_key_jwt'], jwks: { keys: [{ ...jwks.p256, kid: 'ec-256' }] } });
});
after(() => server.stop());

const clientFor = (provider, extra = {}) => new TokenClient({
  tokenUrl: server.urls.token_url, clientId: CLIENT_ID, clientAssertionProvider: provider, noProxy: true,
  maxCacheKeys: 50, retryBaseDelay: 10, ...extra,
});
const tokenRequests = async () => (await server.stats()).token_requests;

test('a sync provider is asked for every request and every attempt', async () => {
  const calls = [];
  const client = clientFor((request) => {
    const jws = signFor(request);
    calls.push([request, jws]);
    return jws;
  });
  try {
    assert.equal(client.authMethod, 'private_key_jwt');
    for (let i = 0; i < 3; i++) {
      await client.getToken();
      client.invalidate();
    }
    assert.equal(calls.length, 3);
    for (const [request] of calls) {
      assert.deepEqual({ ...request }, { clientId: CLIENT_ID, audience: server.urls.token_url, tokenEndpoint: server.urls.token_url });
      assert.ok(Object.isFrozen(request));
    }
    assert.equal(await tokenRequests(), 3);
    // A 503, then a token: two attempts, two calls, two assertions.
    await server.faults([{ status: 503 }]);
    await client.fetchToken();
    assert.equal(calls.length, 5);
    assert.notEqual(calls[3][1], calls[4][1]);
    assert.equal(await tokenRequests(), 5);
  } finally {
    client.close();
    await server.clearFaults();
  }
});

test('an async provider (a Promise) works, and concurrent callers share one call', async () => {
  let calls = 0;
  const client = clientFor(async (request) => {
    calls += 1;
    await new Promise((r) => setTimeout(r, 5));
    return signFor(request);
  });
  try {
    const tokens = await Promise.all(Array.from({ length: 20 }, () => client.getToken()));
    assert.equal(new Set(tokens.map((t) => t.fingerprint)).size, 1);
    client.invalidate();
    await client.getToken();
    assert.equal(calls, 2);
    assert.equal(await tokenRequests(), 2);
  } finally {
    client.close();
  }
});

class VaultDown extends Error {}

test('a throw or a rejection is a ConfigError with the cause, and no token request', async () => {
  const thrown = new VaultDown('vault unreachable; token was eyJCANARY');
  for (const provider of [() => { throw thrown; }, async () => { throw thrown; }, () => Promise.reject(thrown)]) {
    const client = clientFor(provider);
    try {
      await assert.rejects(client.getToken(), (e) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.equal(e.code, 'M2M_CONFIG');
        assert.match(e.message, /client_assertion_provider failed: VaultDown/);
        assert.equal(e.cause, thrown);
        assert.ok(!e.message.includes('CANARY'));
        return true;
      });
    } finally {
      client.close();
    }
  }
  assert.equal(await tokenRequests(), 0);
});

test('what is not an assertion is a ConfigError that never quotes it', async () => {
  for (const value of [42, null, undefined, '', 'not-a-jws-CANARY', `eyJh.${'A'.repeat(20000)}.c2ln`]) {
    const client = clientFor(() => value);
    try {
      await assert.rejects(client.getToken(), (e) => {
        assert.ok(e instanceof ConfigError, String(e));
        const shown = e.message + inspect(e, { depth: 5 });
        assert.match(shown, /client_assertion_provider/);
        assert.ok(!shown.includes('CANARY') && !shown.includes('AAAAAAAA'), shown);
        if (typeof value !== 'string') assert.ok(e.cause instanceof TypeError);
        return true;
      });
    } finally {
      client.close();
    }
  }
  assert.equal(await tokenRequests(), 0);
});

test('a provider that never settles is cut off by the timeout', async () => {
  const client = clientFor(() => new Promise(() => {}), { timeout: 200 });
  try {
    await assert.rejects(client.getToken(), (e) => e instanceof TransportError && e.kind === 'timeout');
  } finally {
    client.close();
  }
  assert.equal(await tokenRequests(), 0);
});

test('the assertion never shows; bad options are ConfigErrors', async () => {
  let last;
  const client = clientFor((request) => (last = signFor(request)));
  try {
    const token = await client.getToken();
    const shown = inspect(client, { depth: 5 }) + JSON.stringify(client) + inspect(token) + JSON.stringify(client.stats());
    assert.ok(!last.split('.').some((part) => shown.includes(part)), shown);
  } finally {
    client.close();
  }
  assert.throws(() => clientFor('not a function'), (e) => e instanceof ConfigError && /clientAssertionProvider must be/.test(e.message));
  assert.throws(() => clientFor(() => 'a.b.c', { authMethod: 'client_secret_post', clientSecret: 's' }), ConfigError);
  assert.throws(() => clientFor(() => 'a.b.c', { clientAssertion: 'a.b.c' }), ConfigError);
});
