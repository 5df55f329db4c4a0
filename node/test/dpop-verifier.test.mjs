// DPoP on the API side (docs/design.md §11): real Express and Fastify apps
// on 127.0.0.1 whose verifiers have the dev server's JWKS, called by this
// package's clients (client.fetch, attachAxios, callApi) holding DPoP-bound
// tokens from the dev server, by hand with replayed or missing proofs, and
// with proofs made by jose. The answers are verifier.challenge's; every
// request the app receives is counted.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { format, inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';

import axios from 'axios';
import express from 'express';
import Fastify from 'fastify';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { requireToken as expressToken } from 'm2m-auth/express';
import { requireToken as fastifyToken } from 'm2m-auth/fastify';

import { TokenClient, Verifier, attachAxios, setLogger } from '../index.mjs';
import { DEMO, startServer } from './support/devserver.mjs';

const ALGS = 'algs="ES256 ES384 EdDSA RS256 PS256"';

let server;
let verifiers;
before(async () => {
  server = await startServer();
  const base = { issuer: server.urls.issuer, jwksUri: server.urls.jwks_uri, audience: DEMO.audience };
  verifiers = {
    allowed: new Verifier(base),
    required: new Verifier({ ...base, dpop: 'required' }),
    nonce: new Verifier({ ...base, dpopNonce: true }),
  };
});
after(() => server.stop());

let unique = 0;
/** A client of the dev server with the scope read:data; DPoP unless `dpop: false`. */
const client = (options = {}) => new TokenClient({
  tokenUrl: server.urls.token_url, ...DEMO, scope: 'read:data', dpop: true, extra: { k: `dv${++unique}` }, ...options,
});

/** Routes: `/<verifier>` needs read:data; `/admin` (allowed) needs admin:data. */
const ROUTES = [['/allowed', 'allowed', ['read:data']], ['/required', 'required', ['read:data']],
  ['/nonce', 'nonce', ['read:data']], ['/admin', 'allowed', ['admin:data']]];
const body = (auth) => ({ sub: auth.subject, jkt: auth.get('cnf')?.jkt ?? null });

const FRAMEWORKS = {
  express: async () => {
    const app = express();
    // Behind a proxy on loopback: the public URL from X-Forwarded-Proto/Host.
    app.set('trust proxy', 'loopback');
    for (const [path, v, scopes] of ROUTES) {
      app.get(path, expressToken(verifiers[v], { scopes, realm: 'api' }), (req, res) => res.json(body(req.auth)));
    }
    const srv = app.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    return { srv, url: `http://127.0.0.1:${srv.address().port}`, close: () => new Promise((r) => srv.close(r)) };
  },
  fastify: async () => {
    const app = Fastify({ trustProxy: '127.0.0.1' });
    for (const [path, v, scopes] of ROUTES) {
      app.get(path, { onRequest: fastifyToken(verifiers[v], { scopes, realm: 'api' }) }, async (req) => body(req.auth));
    }
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { srv: app.server, url, close: () => app.close() };
  },
};

/** The ways this package's clients call an API: each resolves to the response's status and headers. */
const ADAPTERS = {
  fetch: async (c, url) => {
    const res = await c.fetch(url);
    await res.arrayBuffer();
    return { status: res.status, nonce: res.headers.get('dpop-nonce') };
  },
  axios: async (c, url) => {
    const http = axios.create({ validateStatus: () => true });
    const detach = attachAxios(http, c);
    try {
      const res = await http.get(url);
      return { status: res.status, nonce: res.headers['dpop-nonce'] ?? null };
    } finally {
      detach();
    }
  },
  callApi: async (c, url) => {
    const res = await c.callApi('GET', url);
    return { status: res.status, nonce: res.headers['dpop-nonce'] ?? null };
  },
};

/** A proof made with jose (an independent JOSE library) for `method url` and `token`. */
async function joseProof(key, jwk, method, url, token, { alg = 'ES256', iat } = {}) {
  const ath = createHash('sha256').update(token).digest('base64url');
  return new SignJWT({ htm: method, htu: url, jti: randomUUID(), ath })
    .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk })
    .setIssuedAt(iat)
    .sign(key);
}

for (const [framework, start] of Object.entries(FRAMEWORKS)) {
  describe(`DPoP at an m2m-auth/${framework} API`, () => {
    let app;
    let seen = 0;
    before(async () => {
      app = await start();
      app.srv.on('request', () => seen++);
    });
    after(() => app.close());

    /** A request by hand: status, WWW-Authenticate, DPoP-Nonce, body. */
    async function call(path, headers) {
      const res = await fetch(app.url + path, { headers });
      return { status: res.status, challenge: res.headers.get('www-authenticate'), nonce: res.headers.get('dpop-nonce'), body: await res.text() };
    }

    for (const [name, send] of Object.entries(ADAPTERS)) {
      test(`${name}: a DPoP token and its proof: 200, one request, the token's key on the claims`, async () => {
        const c = client();
        try {
          await c.getToken();
          for (const path of ['/allowed', '/required']) {
            const before = seen;
            assert.equal((await send(c, app.url + path)).status, 200, path);
            assert.equal(seen - before, 1, path);
          }
          const r = await call('/allowed', {}); // no token: both schemes offered
          assert.equal(r.challenge, `Bearer realm="api", DPoP realm="api", ${ALGS}`);
        } finally {
          c.close();
        }
      });

      test(`${name}: nonce mode: 401 use_dpop_nonce with a DPoP-Nonce, one more request, 200`, async () => {
        const c = client();
        try {
          await c.getToken();
          let before = seen;
          const r = await send(c, `${app.url}/nonce`);
          assert.equal(r.status, 200);
          assert.equal(seen - before, 2, 'refused without the nonce, then sent once more with it');
          assert.equal(r.nonce, verifiers.nonce.dpopNonce(), 'successes carry the nonce too');
          before = seen;
          assert.equal((await send(c, `${app.url}/nonce`)).status, 200);
          assert.equal(seen - before, 1, 'the nonce was remembered');
        } finally {
          c.close();
        }
      });
    }

    test('the nonce challenge, by hand: 401 use_dpop_nonce and the DPoP-Nonce to use', async () => {
      const c = client();
      try {
        const token = await c.getToken();
        const url = `${app.url}/nonce`;
        const r = await call('/nonce', { authorization: token.authorizationHeader(), dpop: c.dpopProof('GET', url, token) });
        assert.equal(r.status, 401);
        assert.equal(r.challenge, `DPoP realm="api", error="use_dpop_nonce", error_description="dpop_nonce", ${ALGS}`);
        assert.equal(r.nonce, verifiers.nonce.dpopNonce());
        assert.equal(r.body, '');
      } finally {
        c.close();
      }
    });

    test('the same proof twice: 200, then 401 invalid_dpop_proof (dpop_replay)', async () => {
      const c = client();
      try {
        const token = await c.getToken();
        const headers = { authorization: token.authorizationHeader(), dpop: c.dpopProof('GET', `${app.url}/allowed?x=1`, token) };
        const first = await call('/allowed?x=1', headers);
        assert.equal(first.status, 200, first.body);
        assert.equal(JSON.parse(first.body).jkt, c.dpopThumbprint);
        const again = await call('/allowed?x=1', headers);
        assert.equal(again.status, 401);
        assert.equal(again.challenge, `DPoP realm="api", error="invalid_dpop_proof", error_description="dpop_replay", ${ALGS}`);
        assert.equal(again.nonce, null, 'no nonce outside nonce mode');
        // A proof of another request, and two DPoP headers, are refused too.
        const other = await call('/allowed', { ...headers, dpop: c.dpopProof('POST', `${app.url}/allowed`, token) });
        assert.match(other.challenge, /^DPoP realm="api", error="invalid_dpop_proof", error_description="dpop_proof"/);
        const two = new Headers({ authorization: headers.authorization });
        two.append('dpop', c.dpopProof('GET', `${app.url}/allowed`, token));
        two.append('dpop', c.dpopProof('GET', `${app.url}/allowed`, token));
        assert.match((await call('/allowed', two)).challenge, /error_description="dpop_proof"/);
      } finally {
        c.close();
      }
    });

    test('behind a trusted proxy the proof is of the public URL (X-Forwarded-Proto and -Host)', async () => {
      const c = client();
      try {
        const token = await c.getToken();
        const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.public.example' };
        const proof = (url) => ({ ...forwarded, authorization: token.authorizationHeader(), dpop: c.dpopProof('GET', url, token) });
        const ok = await call('/allowed?q=1', proof('https://api.public.example/allowed'));
        assert.equal(ok.status, 200, ok.challenge);
        const local = await call('/allowed', proof(`${app.url}/allowed`));
        assert.match(local.challenge, /error_description="dpop_proof"/);
      } finally {
        c.close();
      }
    });

    test('a DPoP-bound token sent as Bearer: 401 invalid_token (dpop_bound) under DPoP', async () => {
      const c = client();
      try {
        const token = await c.getToken();
        for (const path of ['/allowed', '/required']) {
          const r = await call(path, { authorization: `Bearer ${token.accessToken}` });
          assert.equal(r.status, 401, path);
          assert.equal(r.challenge, `DPoP realm="api", error="invalid_token", error_description="dpop_bound", ${ALGS}`);
        }
        // DPoP without its proof.
        const r = await call('/allowed', { authorization: token.authorizationHeader() });
        assert.equal(r.status, 401);
        assert.match(r.challenge, /^DPoP realm="api", error="invalid_dpop_proof", error_description="dpop_proof"/);
      } finally {
        c.close();
      }
    });

    test('dpop: required refuses Bearer tokens; allowed takes them (unchanged)', async () => {
      const bearer = client({ dpop: false });
      try {
        const token = await bearer.getToken();
        assert.equal(token.tokenType, 'Bearer');
        const headers = { authorization: token.authorizationHeader() };
        assert.equal((await call('/allowed', headers)).status, 200);
        const r = await call('/required', headers);
        assert.equal(r.status, 401);
        assert.equal(r.challenge, `DPoP realm="api", error="invalid_token", error_description="dpop_bound", ${ALGS}`);
        assert.equal((await call('/required', {})).challenge, `DPoP realm="api", ${ALGS}`);
        assert.equal((await call('/admin', headers)).challenge,
          'Bearer realm="api", error="insufficient_scope", scope="admin:data"');
      } finally {
        bearer.close();
      }
    });

    test('insufficient scope with a DPoP token: 403 under the DPoP scheme', async () => {
      const c = client();
      try {
        const before = seen;
        const r = await ADAPTERS.fetch(c, `${app.url}/admin`);
        assert.equal(r.status, 403);
        assert.equal(seen - before, 1, 'a 403 is no reason to renew or retry');
        const token = await c.getToken();
        const by = await call('/admin', { authorization: token.authorizationHeader(), dpop: c.dpopProof('GET', `${app.url}/admin`, token) });
        assert.equal(by.challenge, `DPoP realm="api", error="insufficient_scope", scope="admin:data", ${ALGS}`);
      } finally {
        c.close();
      }
    });

    test('proofs made by jose (ES256 and EdDSA keys given to the client) are accepted; jose\'s replay is refused', async () => {
      for (const alg of ['ES256', 'EdDSA']) {
        const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
        const jwk = await exportJWK(publicKey);
        // The client holds the same key: the dev server binds its token to it.
        const c = client({ dpopKey: JSON.stringify({ ...(await exportJWK(privateKey)), alg }) });
        try {
          const token = await c.getToken();
          assert.equal(c.dpopThumbprint, await calculateJwkThumbprint(jwk));
          const url = `${app.url}/allowed`;
          const dpop = await joseProof(privateKey, jwk, 'GET', url, token.accessToken, { alg });
          const headers = { authorization: `DPoP ${token.accessToken}`, dpop };
          const ok = await call('/allowed', headers);
          assert.equal(ok.status, 200, `${alg}: ${ok.challenge}`);
          assert.equal(JSON.parse(ok.body).jkt, c.dpopThumbprint);
          assert.match((await call('/allowed', headers)).challenge, /error_description="dpop_replay"/, alg);
          const old = await joseProof(privateKey, jwk, 'GET', url, token.accessToken, { alg, iat: Math.floor(Date.now() / 1000) - 600 });
          assert.match((await call('/allowed', { ...headers, dpop: old })).challenge, /error_description="dpop_proof"/, alg);
        } finally {
          c.close();
        }
      }
    });
  });
}

test('Verifier: verifyHttpRequest, challenge and dpopNonce directly', async () => {
  const c = client();
  try {
    const token = await c.getToken();
    const url = 'https://api.example/things?page=2';
    const request = () => ({ method: 'GET', url: new URL(url), authorization: token.authorizationHeader(), dpop: c.dpopProof('GET', url, token) });
    const claims = await verifiers.allowed.verifyHttpRequest(request(), { scopes: 'read:data' });
    assert.equal(claims.get('cnf').jkt, c.dpopThumbprint);
    const e = await verifiers.allowed.verifyRequest(token.authorizationHeader()).catch((x) => x);
    assert.equal(e.reason, 'missing', 'verifyRequest takes Bearer only');
    await assert.rejects(verifiers.allowed.verifyHttpRequest({ ...request(), dpop: [request().dpop, request().dpop] }),
      (x) => x.reason === 'dpop_proof');
    await assert.rejects(verifiers.allowed.verifyHttpRequest({ ...request(), headers: {} }), /unknown verifyHttpRequest request field "headers"/);
    await assert.rejects(verifiers.allowed.verifyHttpRequest({ url }), /method must be a string/);
    await assert.rejects(verifiers.allowed.verifyHttpRequest(request(), { scope: 'x' }), /unknown verifyHttpRequest option "scope"/);
    const nonceError = await verifiers.nonce.verifyHttpRequest(request()).catch((x) => x);
    assert.equal(nonceError.reason, 'dpop_nonce');
    const answer = verifiers.nonce.challenge(nonceError, { authorization: token.authorizationHeader() });
    assert.deepEqual(answer, {
      status: 401, wwwAuthenticate: `DPoP error="use_dpop_nonce", error_description="dpop_nonce", ${ALGS}`, dpopNonce: verifiers.nonce.dpopNonce(),
    });
    assert.equal(verifiers.allowed.dpopNonce(), null);
    assert.throws(() => verifiers.allowed.challenge(nonceError, { realm: 1 }), /realm must be a string/);
    assert.throws(() => verifiers.allowed.challenge(nonceError, { auth: 'x' }), /unknown challenge option "auth"/);
    assert.deepEqual(verifiers.allowed.challenge(new Error('x')), { status: 503, wwwAuthenticate: null, dpopNonce: null });
    // A shared nonce secret: every process of an API makes the same nonces.
    const secret = { dpopNonce: true, dpopNonceSecret: 's'.repeat(32), issuer: 'https://i.example/', audience: 'a', jwksUri: 'https://i.example/jwks.json' };
    assert.equal(new Verifier(secret).dpopNonce(), new Verifier(secret).dpopNonce());
    assert.notEqual(new Verifier(secret).dpopNonce(), verifiers.nonce.dpopNonce());
    assert.ok(!inspect(new Verifier(secret), { showHidden: true, depth: 10 }).includes('s'.repeat(32)), 'the nonce secret shows');
  } finally {
    c.close();
  }
});

test('canary: no token or proof text in any error, inspect output, answer or log line', async () => {
  const lines = [];
  const logger = Object.fromEntries(['error', 'warn', 'info', 'debug'].map((m) => [m, (line) => lines.push(line)]));
  setLogger(logger, { level: 'trace' });
  const c = client();
  try {
    const token = await c.getToken();
    const url = 'https://api.example/things';
    const dpop = c.dpopProof('GET', url, token);
    const ok = { method: 'GET', url, authorization: token.authorizationHeader(), dpop };
    const requests = [
      [verifiers.allowed, ok], [verifiers.allowed, ok], // the second is a replay
      [verifiers.allowed, { ...ok, dpop: c.dpopProof('PUT', url, token) }],
      [verifiers.allowed, { ...ok, authorization: `Bearer ${token.accessToken}` }],
      [verifiers.allowed, { ...ok, dpop: `${dpop}x` }], [verifiers.allowed, { ...ok, dpop: [dpop, dpop] }],
      [verifiers.nonce, { ...ok, dpop: c.dpopProof('GET', url, token) }],
      [verifiers.required, { ...ok, authorization: `Bearer ${token.accessToken.slice(0, -4)}AAAA` }],
    ];
    const texts = [inspect(verifiers.nonce, { showHidden: true, depth: 10 })];
    const reasons = [];
    for (const [v, request] of requests) {
      const e = await v.verifyHttpRequest(request).catch((x) => x);
      if (e.reason === undefined) continue; // the first: accepted
      reasons.push(e.reason);
      texts.push(e.message, e.stack, inspect(e, { showHidden: true, depth: 10 }), format('%O', e), JSON.stringify(e),
        JSON.stringify(v.challenge(e, { authorization: request.authorization, realm: 'api' })));
    }
    assert.deepEqual(reasons, ['dpop_replay', 'dpop_proof', 'dpop_bound', 'dpop_proof', 'dpop_proof', 'dpop_nonce', 'bad_signature']);
    await sleep(200); // log delivery is asynchronous
    const all = [...texts, ...lines].join('\n');
    assert.ok(texts.length > 40);
    const secrets = [...token.accessToken.split('.'), ...dpop.split('.')];
    for (const part of secrets) assert.ok(!all.includes(part), `a token or proof part shows in:\n${all}`);
  } finally {
    setLogger(null);
    c.close();
  }
});
