// client.fetch and the axios interceptor: the bearer header, one renewal on 401.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import axios from 'axios';

import { TokenClient, attachAxios } from '../index.mjs';
import { DEMO, startServer } from './support/devserver.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(() => server.stop());

let unique = 0;
const fresh = () => new TokenClient({ tokenUrl: server.urls.token_url, ...DEMO, extra: { k: `a${++unique}` } });
const counts = () => server.stats();

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
  await server.faults([{ status: 401, count: 5 }], { target: 'api' });
  const answers = await Promise.all(Array.from({ length: 5 }, () => client.fetch(server.urls.api_url)));
  for (const r of answers) assert.equal(r.status, 200);
  assert.equal((await counts()).token_requests - before, 1, 'one renewal for five concurrent 401s');
});
