// Calling APIs: client.callApi (the engine's call_api), client.fetch and the
// axios interceptor: the bearer header, the URL rule, one renewal on 401.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import axios from 'axios';

import { ConfigError, TokenClient, attachAxios } from '../index.mjs';
import { DEMO, startServer } from './support/devserver.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(() => server.stop());

let unique = 0;
const fresh = () => new TokenClient({ tokenUrl: server.urls.token_url, ...DEMO, extra: { k: `a${++unique}` } });
const counts = () => server.stats();

test('callApi sends the bearer token and answers status, headers, body, text(), json()', async () => {
  const client = fresh();
  const res = await client.callApi('GET', server.urls.api_url);
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /json/);
  assert.ok(Buffer.isBuffer(res.body));
  assert.equal(res.text(), res.body.toString());
  assert.equal(res.json().ok, true);
  assert.equal(res.json().client_id, DEMO.clientId);
});

test('callApi sends the method, headers and body; request parameters pick the token', async () => {
  const client = fresh();
  const seen = [];
  const api = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push({ method: req.method, auth: req.headers.authorization, type: req.headers['content-type'], x: req.headers['x-a'], body });
    if (req.url === '/big') {
      res.writeHead(200, [['x-r', '1'], ['x-r', '2'], ['x-b', 'y']]).end(Buffer.alloc(100 * 1024, 0x62));
      return;
    }
    res.writeHead(201, { 'x-b': 'y' }).end('created');
  }).listen(0, '127.0.0.1');
  await once(api, 'listening');
  try {
    const url = `http://127.0.0.1:${api.address().port}/x`;
    const res = await client.callApi('PUT', url, {
      headers: { 'content-type': 'application/json', 'x-a': 'b' }, body: JSON.stringify({ a: 1 }), scope: 'read:data',
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers['x-b'], 'y');
    assert.equal(res.text(), 'created');
    assert.deepEqual(seen[0], { method: 'PUT', auth: (await client.getToken({ scope: 'read:data' })).authorizationHeader(),
      type: 'application/json', x: 'b', body: '{"a":1}' });
    await client.callApi('POST', url, { headers: new Headers({ 'x-a': 'c' }), body: Buffer.from([0x41]) });
    assert.equal(seen[1].x, 'c');
    assert.equal(seen[1].body, 'A');
    // Repeated headers joined; a body above the copy threshold lent, not copied.
    const big = await client.callApi('GET', `http://127.0.0.1:${api.address().port}/big`);
    assert.equal(big.headers['x-r'], '1, 2');
    assert.equal(big.headers['x-b'], 'y');
    assert.equal(big.body.length, 100 * 1024);
    assert.ok(big.body.every((b) => b === 0x62));
  } finally {
    api.close();
  }
});

test('callApi renews the token once on a 401, and returns the second 401', async () => {
  const client = fresh();
  const old = await client.getToken();
  let before = await counts();
  await server.faults([{ status: 401, json: { error: 'invalid_token' } }], { target: 'api' });
  assert.equal((await client.callApi('GET', server.urls.api_url)).status, 200);
  let after = await counts();
  assert.equal(after.token_requests - before.token_requests, 1);
  assert.equal(after.api_requests - before.api_requests, 2);
  assert.notEqual((await client.getToken()).accessToken, old.accessToken);
  before = after;
  await server.faults([{ status: 401, json: { error: 'invalid_token' }, count: 2 }], { target: 'api' });
  assert.equal((await client.callApi('GET', server.urls.api_url)).status, 401);
  after = await counts();
  assert.equal(after.token_requests - before.token_requests, 1);
  assert.equal(after.api_requests - before.api_requests, 2);
});

test('callApi: the URL rule, bad arguments, and an AbortSignal', async () => {
  const client = fresh();
  const before = (await counts()).token_requests;
  await assert.rejects(client.callApi('GET', 'http://example.com/api'), (e) => e instanceof ConfigError && /http:\/\//.test(e.message));
  await assert.rejects(client.callApi('GET', server.urls.api_url, { bodyy: 'x' }), /unknown request parameter "bodyy"/);
  await assert.rejects(client.callApi('GET', server.urls.api_url, { body: 42 }), ConfigError);
  await assert.rejects(client.callApi('GET', server.urls.api_url, { signal: AbortSignal.abort() }), (e) => e.name === 'AbortError');
  assert.equal((await counts()).token_requests, before, 'refused before any I/O');
  await server.faults([{ delay_ms: 1000 }], { target: 'api' });
  const start = performance.now();
  await assert.rejects(client.callApi('GET', server.urls.api_url, { signal: AbortSignal.timeout(50) }), (e) => e.name === 'TimeoutError');
  assert.ok(performance.now() - start < 800);
  await server.clearFaults();
  client.close();
  await assert.rejects(client.callApi('GET', server.urls.api_url), ConfigError);
});

test('client.fetch sends the bearer token', async () => {
  const client = fresh();
  const res = await client.fetch(server.urls.api_url);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.ok, true);
  assert.equal(body.client_id, DEMO.clientId);
});

test('client.fetch renews the token once on a 401', async () => {
  const client = fresh();
  const old = await client.getToken();
  const before = await counts();
  await server.faults([{ status: 401, json: { error: 'invalid_token' } }], { target: 'api' });
  const res = await client.fetch(server.urls.api_url, { method: 'POST' });
  assert.equal(res.status, 200);
  const after = await counts();
  assert.equal(after.token_requests - before.token_requests, 1);
  assert.equal(after.api_requests - before.api_requests, 2);
  assert.notEqual((await client.getToken()).accessToken, old.accessToken);
});

test('client.fetch returns the second 401 after exactly one renewal', async () => {
  const client = fresh();
  await client.getToken();
  const before = await counts();
  await server.faults([{ status: 401, json: { error: 'invalid_token' }, count: 2 }], { target: 'api' });
  const res = await client.fetch(server.urls.api_url);
  assert.equal(res.status, 401);
  const after = await counts();
  assert.equal(after.token_requests - before.token_requests, 1);
  assert.equal(after.api_requests - before.api_requests, 2);
});

test('client.fetch replays the body and headers, keeps the caller\'s init, follows no redirect', async () => {
  const client = fresh();
  const seen = [];
  const api = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push({ method: req.method, auth: req.headers.authorization, type: req.headers['content-type'], body });
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/elsewhere' }).end();
    } else {
      res.writeHead(seen.length === 1 ? 401 : 200).end('done');
    }
  }).listen(0, '127.0.0.1');
  await once(api, 'listening');
  const base = `http://127.0.0.1:${api.address().port}`;
  try {
    const res = await client.fetch(`${base}/x`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 1 }),
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'done');
    assert.equal(seen.length, 2);
    for (const s of seen) {
      assert.equal(s.method, 'PUT');
      assert.equal(s.type, 'application/json');
      assert.equal(s.body, '{"a":1}');
      assert.match(s.auth, /^Bearer /);
    }
    assert.notEqual(seen[0].auth, seen[1].auth, 'the renewed token was sent');
    const redirected = await client.fetch(`${base}/redirect`);
    assert.equal(redirected.status, 302);
    assert.equal(seen.length, 3, 'the redirect was not followed');
  } finally {
    api.close();
  }
});

test('attachAxios: bearer header, one renewal on 401, detachable', async () => {
  const client = fresh();
  const http = axios.create({ validateStatus: (s) => s < 400 });
  const detach = attachAxios(http, client);
  const before = await counts();
  const ok = await http.get(server.urls.api_url);
  assert.equal(ok.data.ok, true);
  await server.faults([{ status: 401, json: { error: 'invalid_token' } }], { target: 'api' });
  const renewed = await http.get(server.urls.api_url);
  assert.equal(renewed.status, 200);
  await server.faults([{ status: 401, json: { error: 'invalid_token' }, count: 2 }], { target: 'api' });
  await assert.rejects(http.get(server.urls.api_url), (e) => e.response.status === 401);
  const after = await counts();
  assert.equal(after.token_requests - before.token_requests, 3);
  assert.equal(after.api_requests - before.api_requests, 5);
  detach();
  await assert.rejects(http.get(server.urls.api_url), (e) => e.response.status === 401);
});

test('client.fetch and axios refuse to send a token over http:// to a non-loopback host', async () => {
  const client = fresh();
  const before = (await counts()).token_requests;
  await assert.rejects(client.fetch('http://example.com/api'), (e) => e.code === 'M2M_CONFIG');
  const instance = axios.create();
  const detach = attachAxios(instance, client);
  await assert.rejects(instance.get('http://example.com/api'), (e) => e.code === 'M2M_CONFIG');
  detach();
  assert.equal((await counts()).token_requests, before, 'refused before any I/O');
});

test('a 401 drops only the refused token: concurrent callers renew once', async () => {
  const client = fresh();
  await client.getToken();
  const before = (await counts()).token_requests;
  // Held for a while, so that the five first tries all meet a 401 before any
  // second try reaches the API.
  await server.faults([{ status: 401, count: 5, delay_ms: 300 }], { target: 'api' });
  const answers = await Promise.all(Array.from({ length: 5 }, () => client.fetch(server.urls.api_url)));
  for (const r of answers) assert.equal(r.status, 200);
  assert.equal((await counts()).token_requests - before, 1, 'one renewal for five concurrent 401s');
});
