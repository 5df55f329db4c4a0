// m2m-auth/express and m2m-auth/fastify: real Express and Fastify apps
// listening on 127.0.0.1, called over HTTP. The answers are the engine's
// (RFC 6750): 200 with the claims on req.auth / request.auth, 401 with
// WWW-Authenticate for a missing or invalid token, 403 for a missing scope,
// 503 when the JWKS cannot be fetched; the token is never echoed.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import express from 'express';
import Fastify from 'fastify';
import { requireToken as expressToken } from 'm2m-auth/express';
import m2mAuth, { requireToken as fastifyToken } from 'm2m-auth/fastify';

import { ConfigError, Verifier } from '../index.mjs';
import { DEMO, REPO, startServer } from './support/devserver.mjs';

const VECTORS = JSON.parse(readFileSync(join(REPO, 'tests', 'verify', 'vectors.json'), 'utf8'));
const token = (name) => VECTORS.cases.find((c) => c.name === name).token;
const VALID = token('request-bearer'); // scopes read:things write:things
const EXPIRED = token('expired');

let server;
let verifiers;
before(async () => {
  server = await startServer();
  const audience = [VECTORS.audience, DEMO.audience];
  verifiers = {
    // Keys held from the start: the synchronous path.
    static: new Verifier({ issuer: VECTORS.issuer, audience, jwks: JSON.stringify(VECTORS.jwks) }),
    // Bearer tokens only: the RFC 6750 answers alone.
    off: new Verifier({ issuer: VECTORS.issuer, audience, jwks: JSON.stringify(VECTORS.jwks), dpop: 'off' }),
    // The dev server's JWKS: the first request waits for a fetch.
    dev: new Verifier({ issuer: server.urls.issuer, audience, jwksUri: server.urls.jwks_uri }),
    // Nothing listens there.
    down: new Verifier({ issuer: VECTORS.issuer, audience, jwksUri: 'http://127.0.0.1:9/jwks.json', timeout: 2000 }),
  };
});
after(() => server.stop());

async function devToken(scope) {
  const body = new URLSearchParams({
    grant_type: 'client_credentials', client_id: DEMO.clientId, client_secret: DEMO.clientSecret, audience: DEMO.audience, scope,
  });
  const res = await fetch(server.urls.token_url, { method: 'POST', body });
  return (await res.json()).access_token;
}

/** The routes every app has: `/<verifier>/read` needs read:things, `/<verifier>/admin` needs admin:things. */
const ROUTES = [['static', 'read', ['read:things']], ['static', 'admin', ['admin:things']],
  ['off', 'read', ['read:things']], ['dev', 'read', ['read:data']], ['down', 'read', []]];

function expressApp() {
  const app = express();
  for (const [v, path, scopes] of ROUTES) {
    app.get(`/${v}/${path}`, expressToken(verifiers[v], { scopes, realm: 'api' }), (req, res) => {
      res.json({ sub: req.auth.subject, scopes: req.auth.scopes });
    });
  }
  return app;
}

async function fastifyApp() {
  const app = Fastify();
  for (const [v, path, scopes] of ROUTES) {
    if (path === 'read') {
      // The plugin, protecting the routes of its context.
      await app.register(async (scope) => {
        scope.register(m2mAuth, { verifier: verifiers[v], scopes, realm: 'api' });
        scope.get(`/${v}/${path}`, async (request) => ({ sub: request.auth.subject, scopes: request.auth.scopes }));
      });
    } else {
      // A route hook.
      app.get(`/${v}/${path}`, { onRequest: fastifyToken(verifiers[v], { scopes, realm: 'api' }) },
        async (request) => ({ sub: request.auth.subject, scopes: request.auth.scopes }));
    }
  }
  app.get('/open', async (request) => ({ auth: request.auth ?? null }));
  return app;
}

const FRAMEWORKS = {
  express: async () => {
    const srv = expressApp().listen(0, '127.0.0.1');
    await once(srv, 'listening');
    return { url: `http://127.0.0.1:${srv.address().port}`, close: () => new Promise((r) => srv.close(r)) };
  },
  fastify: async () => {
    const app = await fastifyApp();
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  },
};

for (const [framework, start] of Object.entries(FRAMEWORKS)) {
  describe(`m2m-auth/${framework}`, () => {
    let app;
    before(async () => {
      app = await start();
    });
    after(() => app.close());

    async function call(path, authorization) {
      const res = await fetch(app.url + path, { headers: authorization === undefined ? {} : { authorization } });
      const body = await res.text();
      for (const part of [VALID, EXPIRED].flatMap((t) => t.split('.'))) {
        assert.ok(!body.includes(part) && !String(res.headers.get('www-authenticate')).includes(part), 'the token is echoed');
      }
      return { status: res.status, challenge: res.headers.get('www-authenticate'), body };
    }

    test('a valid token with the scope: 200, claims on the request', async () => {
      const r = await call('/static/read', `Bearer ${VALID}`);
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(JSON.parse(r.body), { sub: 'client-123', scopes: ['read:things', 'write:things'] });
      // Again: from the verified-token cache.
      assert.equal((await call('/static/read', `bearer   ${VALID}`)).status, 200);
    });

    test('no token: 401 offering both schemes (Bearer alone with dpop off), no error code', async () => {
      for (const auth of [undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer ']) {
        const r = await call('/static/read', auth);
        assert.equal(r.status, 401, `${auth}`);
        assert.equal(r.challenge, 'Bearer realm="api", DPoP realm="api", algs="ES256 ES384 EdDSA RS256 PS256"');
        const off = await call('/off/read', auth);
        assert.equal(off.status, 401, `${auth}`);
        assert.equal(off.challenge, 'Bearer realm="api"');
      }
    });

    test('an invalid token: 401 invalid_token with the reason, never the token', async () => {
      const r = await call('/static/read', `Bearer ${EXPIRED}`);
      assert.equal(r.status, 401);
      assert.equal(r.challenge, 'Bearer realm="api", error="invalid_token", error_description="expired"');
      const bad = await call('/static/read', `Bearer ${VALID.slice(0, -4)}AAAA`);
      assert.equal(bad.status, 401);
      assert.match(bad.challenge, /error_description="bad_signature"/);
    });

    test('a missing scope: 403 insufficient_scope with the required scope', async () => {
      const r = await call('/static/admin', `Bearer ${VALID}`);
      assert.equal(r.status, 403);
      assert.equal(r.challenge, 'Bearer realm="api", error="insufficient_scope", scope="admin:things"');
    });

    test('a dev server token through its JWKS (the async path)', async () => {
      const r = await call('/dev/read', `Bearer ${await devToken('read:data')}`);
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(JSON.parse(r.body), { sub: DEMO.clientId, scopes: ['read:data'] });
      assert.equal((await call('/dev/read', `Bearer ${await devToken('write:data')}`)).status, 403);
    });

    test('the JWKS unreachable: 503 without a challenge', async () => {
      const r = await call('/down/read', `Bearer ${VALID}`);
      assert.equal(r.status, 503);
      assert.equal(r.challenge, null);
    });
  });
}

test('fastify: routes outside the plugin\'s context stay open', async () => {
  const app = await fastifyApp();
  const res = await app.inject({ method: 'GET', url: '/open' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { auth: null });
  await app.close();
});

test('the adapters check their arguments at once', () => {
  for (const requireToken of [expressToken, fastifyToken]) {
    assert.throws(() => requireToken({}), ConfigError);
    assert.throws(() => requireToken(verifiers.static, { scope: 'x' }), /unknown requireToken option "scope"/);
    assert.throws(() => requireToken(verifiers.static, { scopes: 3 }), ConfigError);
  }
});
