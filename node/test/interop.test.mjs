// Interop with a real, independent authorization server: oidc-provider,
// found through OpenID discovery (the `issuer` option).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Provider from 'oidc-provider';

import { OAuthError, TokenClient } from '../index.mjs';

const API = 'https://api.example.com';
// Test keys (core/tests/verify_keys): oidc-provider registers their public
// halves for the private_key_jwt clients, which sign with the private ones.
const KEYS = fileURLToPath(new URL('../../core/tests/verify_keys/', import.meta.url));
const PUBLIC_JWKS = JSON.parse(readFileSync(`${KEYS}public_jwks.json`, 'utf8'));
const ASSERTION_CLIENTS = [
  { id: 'op-pkjwt-rs256', key: 'rsa2048', alg: 'RS256' },
  { id: 'op-pkjwt-ps256', key: 'rsa2048', alg: 'PS256' },
  { id: 'op-pkjwt-es256', key: 'p256', alg: 'ES256' },
  { id: 'op-pkjwt-eddsa', key: 'ed25519', alg: 'EdDSA' },
  { id: 'op-csjwt', secret: 'op-client-secret-jwt-0123456789abcdef', alg: 'HS256' },
];
let server;
let issuer;
let tokenRequests = 0;

before(async () => {
  let handler = (req, res) => res.writeHead(503).end();
  server = createServer((req, res) => {
    if (req.url.startsWith('/token')) tokenRequests++;
    handler(req, res);
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  issuer = `http://127.0.0.1:${server.address().port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [
      ...['client_secret_basic', 'client_secret_post'].map((method) => ({
        client_id: `op-${method}`, client_secret: `op-secret-${method}`, grant_types: ['client_credentials'],
        redirect_uris: [], response_types: [], token_endpoint_auth_method: method, scope: 'api:read api:write',
      })),
      ...ASSERTION_CLIENTS.map((c) => ({
        client_id: c.id, grant_types: ['client_credentials'], redirect_uris: [], response_types: [],
        scope: 'api:read api:write', token_endpoint_auth_signing_alg: c.alg,
        ...(c.key
          ? { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [PUBLIC_JWKS[c.key]] } }
          : { token_endpoint_auth_method: 'client_secret_jwt', client_secret: c.secret }),
      })),
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: ['interop-test-cookie-key'] },
    scopes: ['api:read', 'api:write'],
    ttl: { ClientCredentials: () => 600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'api:read api:write', audience: API, accessTokenFormat: 'jwt', accessTokenTTL: 600 }),
      },
    },
  });
  handler = provider.callback();
});
after(() => server.close());

for (const method of ['client_secret_basic', 'client_secret_post']) {
  test(`oidc-provider, ${method}: discovery, a JWT for the resource, cached`, async () => {
    const client = new TokenClient({
      issuer, clientId: `op-${method}`, clientSecret: `op-secret-${method}`, authMethod: method,
      scope: 'api:read', resource: API,
    });
    const before = tokenRequests;
    const token = await client.getToken();
    assert.equal(token.tokenType, 'Bearer');
    assert.equal(token.scope, 'api:read');
    assert.ok(token.expiresIn > 590_000 && token.expiresIn <= 600_000, `${token.expiresIn} ms`);
    const claims = JSON.parse(Buffer.from(token.accessToken.split('.')[1], 'base64url'));
    assert.equal(claims.aud, API);
    assert.equal(claims.iss, issuer);
    assert.equal(claims.client_id, `op-${method}`);
    assert.equal((await client.getToken()).accessToken, token.accessToken);
    assert.equal(tokenRequests - before, 1);
  });
}

test('oidc-provider: a wrong secret is an OAuthError invalid_client', async () => {
  const client = new TokenClient({ issuer, clientId: 'op-client_secret_basic', clientSecret: 'wrong', authMethod: 'client_secret_basic' });
  await assert.rejects(client.getToken(), (e) => {
    assert.ok(e instanceof OAuthError, `${e}`);
    assert.equal(e.error, 'invalid_client');
    assert.equal(e.status, 401);
    return true;
  });
});

for (const c of ASSERTION_CLIENTS) {
  test(`oidc-provider, ${c.key ? 'private_key_jwt' : 'client_secret_jwt'} ${c.alg}: a new assertion per request`, async () => {
    const client = new TokenClient({
      issuer, clientId: c.id, signingAlg: c.alg, scope: 'api:read', resource: API,
      ...(c.key ? { privateKeyFile: `${KEYS}${c.key}.pem` } : { clientSecret: c.secret, authMethod: 'client_secret_jwt' }),
    });
    // oidc-provider refuses a reused jti: three requests need three assertions.
    for (let i = 0; i < 3; i++) {
      const token = await client.fetchToken();
      const claims = JSON.parse(Buffer.from(token.accessToken.split('.')[1], 'base64url'));
      assert.equal(claims.client_id, c.id);
    }
  });
}
