// DPoP (RFC 9449) against a real authorization server: oidc-provider
// (tests/interop/server.mjs, DPoP on as in its v9 default, with a nonce
// secret) and its `dpop_clients` (tests/interop/clients.json), one of
// which is first answered use_dpop_nonce. Each token must be a DPoP token
// bound to the key used: cnf.jkt equal to the key's RFC 7638 thumbprint,
// computed here with node:crypto; then the verifier takes it with the
// client's proof of a request, once. Skipped, saying why, when
// tests/interop has no node_modules (`npm ci` there).
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { InvalidTokenError, TokenClient, Verifier } from '../index.mjs';
import { CONFIG, SKIP, startInteropServer } from './support/interop-server.mjs';

const KEYS = fileURLToPath(new URL('../../core/tests/verify_keys/', import.meta.url));
let server;
let stop;

before(async () => {
  if (SKIP) return;
  ({ info: server, stop } = await startInteropServer());
});

after(async () => {
  if (stop) await stop();
});

/** RFC 7638 §3: the public key's required members in order, SHA-256, base64url. */
const thumbprint = (pem) => {
  const jwk = createPublicKey(createPrivateKey(pem)).export({ format: 'jwk' });
  const members = jwk.kty === 'EC'
    ? { crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y }
    : { crv: jwk.crv, kty: 'OKP', x: jwk.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
};

const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

const dpopClient = (c, dpopKey) => new TokenClient({
  tokenUrl: server.token_endpoint,
  clientId: c.client_id,
  clientSecret: c.client_secret,
  authMethod: c.token_endpoint_auth_method,
  resource: CONFIG.resource,
  dpop: true,
  ...(dpopKey ? { dpopKey } : {}),
  noProxy: true,
});

for (const c of CONFIG.dpop_clients) {
  for (const key of [null, 'p256.pem', 'ed25519.pem']) {
    test(`${c.client_id} (${c.require_nonce ? 'nonce demanded' : 'no nonce'}), key ${key ?? 'generated'}: `
      + 'three DPoP tokens bound to the key', { skip: SKIP }, async () => {
      const pem = key ? readFileSync(`${KEYS}${key}`, 'utf8') : null;
      const client = dpopClient(c, pem);
      if (pem) assert.equal(client.dpopThumbprint, thumbprint(pem));
      const seen = new Set();
      for (let i = 0; i < 3; i += 1) {
        const token = await client.fetchToken();
        assert.equal(token.tokenType, 'DPoP');
        const jwt = claims(token.accessToken);
        assert.equal(jwt.cnf.jkt, client.dpopThumbprint);
        assert.equal(jwt.client_id, c.client_id);
        seen.add(token.accessToken);
      }
      assert.equal(seen.size, 3);
    });
  }
}

test('the verifier takes an oidc-provider DPoP token with its proof, once', { skip: SKIP }, async () => {
  const c = CONFIG.dpop_clients[1];
  assert.ok(c.require_nonce);
  const client = dpopClient(c, null);
  const token = await client.getToken();
  const verifier = new Verifier({ issuer: server.issuer, audience: CONFIG.resource });
  const url = 'https://api.example.com/orders?page=1';
  const request = { method: 'POST', url, authorization: token.authorizationHeader(), dpop: client.dpopProof('POST', url, token) };
  const got = await verifier.verifyHttpRequest(request);
  assert.equal(got.clientId, c.client_id);
  await assert.rejects(verifier.verifyHttpRequest(request), (e) => e instanceof InvalidTokenError && e.reason === 'dpop_replay');
  await assert.rejects(
    verifier.verifyRequest(`Bearer ${token.accessToken}`),
    (e) => e instanceof InvalidTokenError && e.reason === 'dpop_bound',
  );
});
