// Interop with a real, independent authorization server: oidc-provider,
// found through OpenID discovery (the `issuer` option).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import Provider from 'oidc-provider';

import { OAuthError, TokenClient } from '../index.mjs';

const API = 'https://api.example.com';
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
    clients: ['client_secret_basic', 'client_secret_post'].map((method) => ({
      client_id: `op-${method}`, client_secret: `op-secret-${method}`, grant_types: ['client_credentials'],
      redirect_uris: [], response_types: [], token_endpoint_auth_method: method, scope: 'api:read api:write',
    })),
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
