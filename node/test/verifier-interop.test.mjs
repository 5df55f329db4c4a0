// The Verifier on tokens of a real, independent authorization server:
// oidc-provider issuing RFC 9068 JWT access tokens (typ at+jwt) signed
// ES256, keys found through its OpenID discovery document (the `issuer`
// option alone), and the same tokens refused for another audience.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import Provider from 'oidc-provider';

import { InsufficientScopeError, InvalidTokenError, TokenClient, Verifier } from '../index.mjs';

const API = 'https://api.example.com';
let server;
let issuer;

before(async () => {
  let handler = (req, res) => res.writeHead(503).end();
  server = createServer((req, res) => handler(req, res)).listen(0, '127.0.0.1');
  await once(server, 'listening');
  issuer = `http://127.0.0.1:${server.address().port}`;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'op-verify', client_secret: 'op-verify-secret', grant_types: ['client_credentials'],
      redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_post', scope: 'api:read api:write',
      id_token_signed_response_alg: 'ES256',
    }],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'ec-1', use: 'sig', alg: 'ES256' }] },
    cookies: { keys: ['verifier-interop-cookie-key'] },
    scopes: ['api:read', 'api:write'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api:read api:write', audience: API, accessTokenFormat: 'jwt', accessTokenTTL: 600,
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  });
  handler = provider.callback();
});
after(() => server.close());

async function token(scope) {
  const client = new TokenClient({ issuer, clientId: 'op-verify', clientSecret: 'op-verify-secret', scope, resource: API });
  return (await client.getToken()).accessToken;
}

test('oidc-provider ES256 at+jwt tokens verify through discovery', async () => {
  const access = await token('api:read');
  const header = JSON.parse(Buffer.from(access.split('.')[0], 'base64url'));
  assert.equal(header.alg, 'ES256');
  assert.equal(header.typ, 'at+jwt');
  const verifier = new Verifier({ issuer, audience: API });
  const claims = await verifier.verifyRequest(`Bearer ${access}`, { scopes: ['api:read'] });
  assert.equal(claims.issuer, issuer);
  assert.equal(claims.clientId, 'op-verify');
  assert.deepEqual(claims.audience, [API]);
  assert.deepEqual(claims.scopes, ['api:read']);
  assert.ok(claims.expiresAt > Date.now() && claims.expiresAt <= Date.now() + 601_000);
  await assert.rejects(verifier.verifyRequest(`Bearer ${access}`, { scopes: ['api:write'] }),
    (e) => e instanceof InsufficientScopeError && e.requiredScope === 'api:write');
  assert.equal(verifier.stats().jwksFetches, 1);
});

test('oidc-provider tokens: another audience or issuer is refused', async () => {
  const access = await token('api:write');
  await assert.rejects(new Verifier({ issuer, audience: 'https://other.example.com' }).verify(access),
    (e) => e instanceof InvalidTokenError && e.reason === 'wrong_audience');
  await assert.rejects(new Verifier({ issuer: `${issuer}/`, audience: API, jwksUri: `${issuer}/jwks` }).verify(access),
    (e) => e instanceof InvalidTokenError && e.reason === 'wrong_issuer');
});
