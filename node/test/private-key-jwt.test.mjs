// private_key_jwt from Node: a client built from a key file (core's test
// keys) gets tokens from the dev server, which verifies each assertion and
// refuses a reused jti; key material never shows in inspect or an error;
// and the canary: no key or assertion in any inspect, String, JSON, error
// or log record at the most verbose level.
import assert from 'node:assert/strict';
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { format, inspect } from 'node:util';

import { ConfigError, M2MAuthError, OAuthError, TokenClient, setLogger } from '../index.mjs';
import { REPO, startServer } from './support/devserver.mjs';

const KEYS = join(REPO, 'core', 'tests', 'verify_keys');
const BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let server;
before(async () => {
  server = await startServer();
  const jwks = JSON.parse(readFileSync(join(KEYS, 'public_jwks.json'), 'utf8'));
  await server.addClient({
    client_id: 'node-pk-client',
    auth_methods: ['private_key_jwt'],
    jwks: { keys: [{ ...jwks.rsa2048, kid: 'rsa-1' }, { ...jwks.p384, kid: 'ec-384' }] },
  });
});
after(() => server.stop());

for (const [file, kid] of [['rsa2048.pem', 'rsa-1'], ['p384.pem', 'ec-384']]) {
  test(`a key file (${file}) gets tokens, a new assertion each time`, async () => {
    await server.reset();
    const client = new TokenClient({
      tokenUrl: server.urls.token_url, clientId: 'node-pk-client', privateKeyFile: join(KEYS, file), keyId: kid,
      noProxy: true,
    });
    try {
      assert.equal(client.authMethod, 'private_key_jwt');
      for (let i = 0; i < 3; i++) assert.ok((await client.fetchToken()).accessToken);
      const bodies = (await server.requests()).map((r) => new URLSearchParams(r.body));
      assert.equal(bodies.length, 3);
      for (const b of bodies) {
        assert.equal(b.get('client_assertion_type'), BEARER);
        assert.equal(b.get('client_secret'), null);
      }
      assert.equal(new Set(bodies.map((b) => b.get('client_assertion'))).size, 3);
    } finally {
      client.close();
    }
  });
}

test('key text never shows in inspect or an error', () => {
  const pem = readFileSync(join(KEYS, 'p384.pem'), 'utf8');
  const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
  const client = new TokenClient({ tokenUrl: server.urls.token_url, clientId: 'node-pk-client', privateKey: pem });
  try {
    const shown = inspect(client, { depth: 5 }) + JSON.stringify(client);
    assert.ok(!body.some((l) => shown.includes(l)), shown);
  } finally {
    client.close();
  }
  assert.throws(
    () => new TokenClient({ tokenUrl: server.urls.token_url, clientId: 'x', privateKey: pem, signingAlg: 'ES256' }),
    (e) => e instanceof ConfigError && /does not fit/.test(e.message) && !body.some((l) => e.message.includes(l)),
  );
});

// -- the canary (issue #12) ---------------------------------------------------

/** Every way Node shows a value. */
function shows(value) {
  return [inspect(value), inspect(value, { showHidden: true, depth: 10 }), format('%o', value), format('%O', value),
    format('%j', value), JSON.stringify(value), String(value)].join('\n');
}

/** A ready ES256 client assertion signed here (node:crypto), as a platform issues one. */
function es256Assertion(clientId, audience, pem) {
  const b64 = (data) => Buffer.from(data).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: 'ec-256' }))}.${b64(JSON.stringify({
    iss: clientId, sub: clientId, aud: audience, iat: now, exp: now + 120, jti: randomBytes(16).toString('hex'),
  }))}`;
  const signature = sign('sha256', Buffer.from(input), { key: createPrivateKey(pem), dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64(signature)}`;
}

test('keys and assertions never show in inspect, errors or logs at trace', async () => {
  const lines = [];
  const logger = {};
  for (const m of ['error', 'warn', 'info', 'debug']) logger[m] = (text) => lines.push(text);
  setLogger(logger, { level: 'trace' });
  const dir = mkdtempSync(join(tmpdir(), 'm2m-node-canary-'));
  try {
    const jwks = JSON.parse(readFileSync(join(KEYS, 'public_jwks.json'), 'utf8'));
    await server.addClient({ client_id: 'node-canary-client', auth_methods: ['private_key_jwt'],
      jwks: { keys: [{ ...jwks.p256, kid: 'ec-256' }, { ...jwks.rsa2048, kid: 'rsa-1' }] } });
    await server.addClient({ client_id: 'node-refusing-client', auth_methods: ['private_key_jwt'],
      jwks: { keys: [{ ...jwks.ed25519, kid: 'ed-1' }] } });
    const pem = readFileSync(join(KEYS, 'p256.pem'), 'utf8');
    const rsaPem = readFileSync(join(KEYS, 'rsa2048.pem'), 'utf8');
    const jwkText = readFileSync(join(REPO, 'core', 'tests', 'assertion_keys', 'rsa2048.jwk.json'), 'utf8');
    const jwk = JSON.parse(jwkText);
    const ready = es256Assertion('node-canary-client', server.urls.token_url, pem);
    const filed = es256Assertion('node-canary-client', server.urls.token_url, pem);
    const assertionFile = join(dir, 'assertion.jwt');
    writeFileSync(assertionFile, filed);
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, rsaPem);
    const needles = [pem, rsaPem].flatMap((p) => p.split('\n').filter((l) => l && !l.startsWith('-----')));
    needles.push(jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi, ready, ready.split('.')[2], filed, filed.split('.')[2]);
    // The mutual-TLS client key's canary is in mtls.test.mjs (its server).

    let n = 0;
    const client = (options) => new TokenClient({ tokenUrl: server.urls.token_url, noProxy: true,
      retryBaseDelay: 20, audience: `https://canary/${n++}`, clientId: 'node-canary-client', ...options });
    // Each source with the assertion it sends when the test can know it (the
    // engine signs its own inside it).
    const sources = [
      [{ privateKey: pem, keyId: 'ec-256' }, 'nothing'],
      [{ privateKey: jwkText, keyId: 'rsa-1' }, 'nothing'],
      [{ privateKeyFile: keyFile, keyId: 'rsa-1' }, 'nothing'],
      [{ clientAssertion: ready }, ready],
      [{ clientAssertionFile: assertionFile }, filed],
    ];
    const shown = [];
    const messages = [];
    for (const [options, sent] of sources) {
      const c = client(options);
      const token = await c.getToken();
      shown.push(shows(c), shows(token));
      // Failing fetches: a server echoing the assertion it got, then 503s.
      await server.faults([
        { status: 400, json: { error: 'invalid_client', error_description: `bad ${sent}` } },
        { status: 500, body: `echo: ${sent}` },
        { status: 503 },
      ], { repeatLast: true });
      for (let i = 0; i < 3; i++) {
        const err = await c.fetchToken().then(() => assert.fail('no error'), (e) => e);
        assert.ok(err instanceof M2MAuthError, shows(err));
        shown.push(shows(err), err.stack);
        messages.push(err.message);
      }
      await server.clearFaults();
      c.close();
    }
    // A key the server refuses, keys that do not parse or fit, a file that vanishes.
    const refused = await client({ clientId: 'node-refusing-client', privateKey: rsaPem }).getToken()
      .then(() => assert.fail('no error'), (e) => e);
    assert.ok(refused instanceof OAuthError, shows(refused));
    shown.push(shows(refused), refused.stack);
    const broken = pem.split('\n').filter((_, i) => i !== 2).join('\n');
    for (const bad of [{ privateKey: broken }, { privateKey: jwkText.replace('"kty"', '"kty_"') },
      { privateKey: pem, signingAlg: 'RS256' }, { privateKey: pem, clientAssertion: ready }]) {
      const err = (() => {
        try {
          client(bad);
        } catch (e) {
          return e;
        }
        return assert.fail(`no error for ${Object.keys(bad)}`);
      })();
      assert.ok(err instanceof ConfigError, shows(err));
      shown.push(shows(err), err.stack);
    }
    const vanishing = client({ privateKeyFile: keyFile, keyId: 'rsa-1' });
    unlinkSync(keyFile);
    const gone = await vanishing.fetchToken().then(() => assert.fail('no error'), (e) => e);
    assert.ok(gone instanceof ConfigError, shows(gone));
    shown.push(shows(gone), shows(vanishing));
    vanishing.close();

    await sleep(300); // the records of background delivery
    const logs = lines.join('\n');
    assert.match(logs, /token received/);
    assert.match(logs, /attempt failed/, 'the most verbose records (debug: the engine has none at trace) arrived');
    assert.equal(messages.filter((m) => m.includes('bad ***')).length, 2, 'both echoes were scrubbed, not missed');
    for (const [what, text] of [['an inspect or error', shown.join('\n')], ['a log record', logs]]) {
      for (const needle of needles) assert.ok(!text.includes(needle), `${what} shows ${needle}`);
      // Shaped like a JWS (`eyJ` is the base64url of `{"`): also the
      // assertions the engine signs, which no test can know.
      assert.doesNotMatch(text, /eyJ[\w-]{16,}\./, `${what} shows a JWT`);
    }
  } finally {
    setLogger(null);
    rmSync(dir, { recursive: true, force: true });
  }
});
