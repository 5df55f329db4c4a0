// private_key_jwt from Node: a client built from a key file (core's test
// keys) gets tokens from the dev server, which verifies each assertion and
// refuses a reused jti; key material never shows in inspect or an error.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inspect } from 'node:util';

import { ConfigError, TokenClient } from '../index.mjs';
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
