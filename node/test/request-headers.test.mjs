// The engine's rule for which headers a token goes with, from Node:
// requestHeaders for a Bearer and a DPoP token, dpopResponse with a Bearer
// token, and redirects: client.fetch refuses `redirect: 'follow'` with a
// DPoP proof (fetch cannot sign a redirected request) and follows with a
// Bearer token; axios (follow-redirects) gets new headers on the first
// origin (the dev server's /api checks the proof) and none across origins
// (a local server records what it got).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import axios from 'axios';
import { EmbeddedJWK, jwtVerify } from 'jose';

import { ConfigError, TokenClient, attachAxios } from '../index.mjs';
import { DEMO, startServer } from './support/devserver.mjs';

const NONCE_CHALLENGE = 'DPoP error="use_dpop_nonce", algs="ES256"';

let server;
before(async () => {
  server = await startServer();
});
after(() => server.stop());

let unique = 0;
const newClient = (dpop) => new TokenClient({
  tokenUrl: server.urls.token_url, ...DEMO, noProxy: true, dpop, extra: { k: `hdr${++unique}` },
});

/** Verifies a proof with jose (its own jwk) for `method url` and `token`; its claims. */
async function proofClaims(proof, method, htu, token) {
  const { payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] });
  assert.equal(payload.htm, method);
  assert.equal(payload.htu, htu);
  assert.equal(payload.ath, createHash('sha256').update(token.accessToken).digest('base64url'));
  return payload;
}

/** A local server (another origin than the dev server's) that records each request's headers. */
async function landing() {
  const seen = [];
  const srv = createServer(async (req, res) => {
    for await (const _ of req);
    seen.push({ auth: req.headers.authorization, dpop: req.headers.dpop });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }).listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return { seen, url: `http://127.0.0.1:${srv.address().port}/landing`, close: () => srv.close() };
}

test('requestHeaders: a Bearer token gets authorization only; dpopResponse reads nothing for it', async () => {
  const client = newClient(false);
  try {
    const token = await client.getToken();
    const h = client.requestHeaders('GET', server.urls.api_url, token);
    assert.deepEqual(h, { authorization: `Bearer ${token.accessToken}` });
    assert.equal('dpop' in h, false);
    const res = await fetch(server.urls.api_url, { headers: h });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal(client.dpopResponse(server.urls.api_url, token, 401, NONCE_CHALLENGE, 'n-1'), false);
  } finally {
    client.close();
  }
});

test('requestHeaders: a DPoP token gets a proof of the request; dpopResponse for it and for a Bearer token', async () => {
  const client = newClient(true);
  const bearerClient = newClient(false);
  try {
    const token = await client.getToken();
    const url = `${server.urls.api_url}?q=1`;
    const h = client.requestHeaders('POST', new URL(url), token);
    assert.deepEqual(Object.keys(h).sort(), ['authorization', 'dpop']);
    assert.equal(h.authorization, `DPoP ${token.accessToken}`);
    assert.equal((await proofClaims(h.dpop, 'POST', server.urls.api_url, token)).nonce, undefined);
    const res = await fetch(url, { method: 'POST', headers: h, body: 'x' });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal(client.dpopResponse(server.urls.api_url, token, 401, NONCE_CHALLENGE, 'n-1'), true);
    const again = client.requestHeaders('GET', server.urls.api_url, token);
    assert.equal((await proofClaims(again.dpop, 'GET', server.urls.api_url, token)).nonce, 'n-1');
    // A Bearer token's answer: false, and its nonce is not remembered.
    const bearer = await bearerClient.getToken();
    assert.equal(client.dpopResponse(server.urls.api_url, bearer, 401, NONCE_CHALLENGE, 'n-2'), false);
    const third = client.requestHeaders('GET', server.urls.api_url, token);
    assert.equal((await proofClaims(third.dpop, 'GET', server.urls.api_url, token)).nonce, 'n-1');
    // The URL rule, a bad method, bad arguments, a DPoP token without DPoP.
    for (const bad of ['http://example.com/api', 'https://u:p@example.com/', 'https://example.com/#f', '/api']) {
      assert.throws(() => client.requestHeaders('GET', bad, token), ConfigError, bad);
    }
    assert.throws(() => client.requestHeaders('GE T', server.urls.api_url, token), /HTTP method/);
    assert.throws(() => client.requestHeaders('GET', server.urls.api_url, token.accessToken), ConfigError);
    assert.throws(() => bearerClient.requestHeaders('GET', server.urls.api_url, token), /dpop on/);
  } finally {
    client.close();
    bearerClient.close();
  }
});

test("client.fetch: redirect 'follow' with a DPoP proof is a ConfigError before anything is sent", async () => {
  const client = newClient(true);
  try {
    await client.getToken();
    const before = (await server.stats()).api_requests;
    await assert.rejects(client.fetch(server.urls.api_url, { redirect: 'follow' }),
      (e) => e instanceof ConfigError && /redirect 'follow'/.test(e.message));
    assert.equal((await server.stats()).api_requests, before);
    // The default (manual) hands the redirect back.
    await server.faults([{ redirect: `${server.urls.api_url}?hop=1` }], { target: 'api' });
    const res = await client.fetch(server.urls.api_url);
    assert.equal(res.status, 302);
    await res.arrayBuffer();
  } finally {
    await server.clearFaults();
    client.close();
  }
});

test("client.fetch: redirect 'follow' with a Bearer token: fetch follows (the token to the same origin only)", async () => {
  const client = newClient(false);
  const away = await landing();
  try {
    await server.faults([{ redirect: `${server.urls.api_url}?hop=1` }, { redirect: away.url }], { target: 'api' });
    const same = await client.fetch(server.urls.api_url, { redirect: 'follow' });
    assert.equal(same.status, 200);
    await same.arrayBuffer();
    const other = await client.fetch(server.urls.api_url, { redirect: 'follow' });
    assert.equal(other.status, 200);
    await other.arrayBuffer();
    assert.deepEqual(away.seen, [{ auth: undefined, dpop: undefined }]);
  } finally {
    await server.clearFaults();
    away.close();
    client.close();
  }
});

for (const status of [302, 307]) {
  test(`axios follows a ${status} on the same origin with new headers for the new URL`, async () => {
    const client = newClient(true);
    const http = axios.create();
    const detach = attachAxios(http, client);
    try {
      const token = await client.getToken();
      const before = (await server.stats()).api_requests;
      await server.faults([{ redirect: `${server.urls.api_url}?hop=1`, status }], { target: 'api' });
      const res = await http.post(server.urls.api_url, { a: 1 });
      assert.equal(res.status, 200);
      assert.equal((await server.stats()).api_requests - before, 2, 'the redirect, then the new URL once');
      assert.equal(res.request.path, '/api?hop=1');
      const sent = res.request.getHeader('dpop');
      await proofClaims(sent, status === 307 ? 'POST' : 'GET', server.urls.api_url, token);
    } finally {
      detach();
      await server.clearFaults();
      client.close();
    }
  });
}

test('axios follows a redirect to another origin with no Authorization and no DPoP', async () => {
  for (const dpop of [true, false]) {
    const client = newClient(dpop);
    const away = await landing();
    const theirs = [];
    const http = axios.create({ beforeRedirect: (options) => theirs.push(options.href) });
    const detach = attachAxios(http, client);
    try {
      await server.faults([{ redirect: away.url }], { target: 'api' });
      const res = await http.get(server.urls.api_url);
      assert.equal(res.status, 200);
      assert.deepEqual(away.seen, [{ auth: undefined, dpop: undefined }], `dpop: ${dpop}`);
      assert.deepEqual(theirs, [away.url], "the caller's beforeRedirect still runs");
    } finally {
      detach();
      await server.clearFaults();
      away.close();
      client.close();
    }
  }
});
