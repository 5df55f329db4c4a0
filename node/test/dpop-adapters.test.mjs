// DPoP through callApi, client.fetch and attachAxios: `Authorization: DPoP`
// with a proof of each request (checked by jose), one more try for a
// `use_dpop_nonce` challenge at the dev server's /api (its counters prove
// the retries, and that they are not renewals), and the renewal on 401 as
// for bearer tokens.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import axios from 'axios';
import { EmbeddedJWK, calculateJwkThumbprint, jwtVerify } from 'jose';

import { TokenClient, attachAxios } from '../index.mjs';
import { DEMO, startServer } from './support/devserver.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(() => server.stop());

let unique = 0;
const dpopClient = () => new TokenClient({
  tokenUrl: server.urls.token_url, ...DEMO, noProxy: true, dpop: true, extra: { k: `dpop-a${++unique}` },
});

/** The three ways to call an API with a client: each resolves to the status. */
const ADAPTERS = {
  callApi: async (client, url) => (await client.callApi('GET', url)).status,
  fetch: async (client, url) => {
    const res = await client.fetch(url);
    await res.arrayBuffer();
    return res.status;
  },
  axios: async (client, url) => {
    const http = axios.create({ validateStatus: (s) => s < 400 });
    const detach = attachAxios(http, client);
    try {
      return (await http.get(url).catch((e) => e.response ?? Promise.reject(e))).status;
    } finally {
      detach();
    }
  },
  'axios (every status valid)': async (client, url) => {
    const http = axios.create({ validateStatus: () => true });
    const detach = attachAxios(http, client);
    try {
      return (await http.get(url)).status;
    } finally {
      detach();
    }
  },
};

/** Counter differences since `before`. */
async function delta(before) {
  const now = await server.stats();
  return Object.fromEntries(['token_requests', 'api_requests', 'dpop_api_requests'].map((k) => [k, now[k] - before[k]]));
}

for (const [name, call] of Object.entries(ADAPTERS)) {
  test(`${name}: a DPoP token with a proof; a nonce challenge at /api gets one more try, not a renewal`, async () => {
    const client = dpopClient();
    try {
      await client.getToken();
      let before = await server.stats();
      assert.equal(await call(client, server.urls.api_url), 200);
      assert.deepEqual(await delta(before), { token_requests: 0, api_requests: 1, dpop_api_requests: 1 });

      await server.dpop({ nonce_api: true, rotate: true });
      before = await server.stats();
      assert.equal(await call(client, server.urls.api_url), 200);
      assert.deepEqual(await delta(before), { token_requests: 0, api_requests: 2, dpop_api_requests: 2 },
        'refused without the nonce, then sent once more with it');
      before = await server.stats();
      assert.equal(await call(client, server.urls.api_url), 200);
      assert.deepEqual(await delta(before), { token_requests: 0, api_requests: 1, dpop_api_requests: 1 },
        'the nonce was remembered');
      await server.dpop({ rotate: true });
      before = await server.stats();
      assert.equal(await call(client, server.urls.api_url), 200);
      assert.deepEqual(await delta(before), { token_requests: 0, api_requests: 2, dpop_api_requests: 2 }, 'rotated');

      // A 401 that is no nonce challenge: the usual one renewal, a new proof
      // (axios renews on the 401s its validateStatus rejects).
      if (name.startsWith('axios (every')) return;
      const old = await client.getToken();
      await server.faults([{ status: 401, json: { error: 'invalid_token' } }], { target: 'api' });
      before = await server.stats();
      assert.equal(await call(client, server.urls.api_url), 200);
      assert.deepEqual(await delta(before), { token_requests: 1, api_requests: 2, dpop_api_requests: 2 });
      assert.notEqual((await client.getToken()).accessToken, old.accessToken);
    } finally {
      await server.dpop({ nonce_api: false });
      await server.clearFaults();
      client.close();
    }
  });
}

test('nonce mode on both endpoints from the start: the token endpoint\'s nonce goes with the first API call', async () => {
  const both = await startServer({ dpopNonce: true });
  try {
    for (const [name, call] of Object.entries(ADAPTERS)) {
      const client = new TokenClient({ tokenUrl: both.urls.token_url, ...DEMO, noProxy: true, dpop: true });
      const before = await both.stats();
      assert.equal(await call(client, both.urls.api_url), 200, name);
      const after = await both.stats();
      assert.equal(after.dpop_token_requests - before.dpop_token_requests, 2, `${name}: refused, then with the nonce`);
      assert.equal(after.dpop_nonce_token_requests - before.dpop_nonce_token_requests, 1, name);
      assert.equal(after.dpop_api_requests - before.dpop_api_requests, 1, `${name}: the same server's nonce, remembered`);
      client.close();
    }
  } finally {
    await both.stop();
  }
});

test('a nonce challenge answered with another: sent once more only, and the answer returned', async () => {
  const client = dpopClient();
  await client.getToken();
  const api = createServer((req, res) => {
    res.writeHead(401, { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': `n${Math.random()}` }).end();
  }).listen(0, '127.0.0.1');
  await once(api, 'listening');
  let seen = 0;
  api.on('request', () => seen++);
  const url = `http://127.0.0.1:${api.address().port}/x`;
  try {
    // One nonce retry, then the 401 renews the token once (its answer is
    // a nonce challenge again: returned, as call_api does).
    for (const [name, call] of Object.entries(ADAPTERS)) {
      seen = 0;
      assert.equal(await call(client, url), 401, name);
      assert.equal(seen, name.startsWith('axios (every') ? 2 : 3, name);
    }
  } finally {
    api.close();
    client.close();
  }
});

/** A server that records each request's method, URL, Authorization and DPoP headers. */
async function recorder() {
  const seen = [];
  const api = createServer(async (req, res) => {
    for await (const _ of req);
    seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, dpop: req.headers.dpop });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }).listen(0, '127.0.0.1');
  await once(api, 'listening');
  return { seen, base: `http://127.0.0.1:${api.address().port}`, close: () => api.close() };
}

test('client.fetch and axios send DPoP <token> and a proof of the method and URL they send (jose verifies)', async () => {
  const client = dpopClient();
  const api = await recorder();
  try {
    const token = await client.getToken();
    await (await client.fetch(`${api.base}/f?q=1`, { method: 'PUT', body: 'x' })).text();
    const http = axios.create({ baseURL: `${api.base}/base/` });
    const detach = attachAxios(http, client);
    await http.post('/x', { a: 1 }, { params: { q: 2 } });
    detach();
    assert.deepEqual(api.seen.map((s) => [s.method, s.url]), [['PUT', '/f?q=1'], ['POST', '/base/x?q=2']]);
    const htus = [`${api.base}/f`, `${api.base}/base/x`];
    for (const [i, s] of api.seen.entries()) {
      assert.equal(s.auth, `DPoP ${token.accessToken}`);
      const { payload, protectedHeader } = await jwtVerify(s.dpop, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] });
      assert.equal(payload.htm, s.method);
      assert.equal(payload.htu, htus[i]);
      assert.equal(payload.ath, createHash('sha256').update(token.accessToken).digest('base64url'));
      assert.equal(await calculateJwkThumbprint(protectedHeader.jwk), client.dpopThumbprint);
    }
  } finally {
    api.close();
    client.close();
  }
});

test('bearer tokens: no DPoP header from fetch or axios', async () => {
  const client = new TokenClient({ tokenUrl: server.urls.token_url, ...DEMO, extra: { k: 'dpop-bearer' } });
  const api = await recorder();
  try {
    await (await client.fetch(`${api.base}/b`)).text();
    const http = axios.create();
    attachAxios(http, client);
    await http.get(`${api.base}/b`);
    for (const s of api.seen) {
      assert.match(s.auth, /^Bearer /);
      assert.equal(s.dpop, undefined);
    }
  } finally {
    api.close();
    client.close();
  }
});
