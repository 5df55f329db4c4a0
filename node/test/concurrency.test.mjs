// Single flight across many callers, and AbortSignal ending a wait.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { TokenClient } from '../index.mjs';
import { DEMO, startServer } from './support/devserver.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(() => server.stop());

let unique = 0;
const fresh = () => new TokenClient({ tokenUrl: server.urls.token_url, ...DEMO, extra: { k: `c${++unique}` } });
const tokenRequests = async () => (await server.stats()).token_requests;

test('10,000 concurrent getToken() on a cold cache make 1 token request', async () => {
  const client = fresh();
  await server.faults([{ delay_ms: 200 }]);
  const before = await tokenRequests();
  const tokens = await Promise.all(Array.from({ length: 10_000 }, () => client.getToken()));
  assert.equal(await tokenRequests(), before + 1);
  assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 1);
  const s = client.stats();
  assert.equal(s.fetches, 1);
  assert.equal(s.misses + s.hits, 10_000);
});

test('10,000 concurrent callers over 100 clients of one key: 1 token request', async () => {
  const extra = { k: `c${++unique}` };
  const clients = Array.from({ length: 100 }, () => new TokenClient({ tokenUrl: server.urls.token_url, ...DEMO, extra }));
  await server.faults([{ delay_ms: 100 }]);
  const before = await tokenRequests();
  const tokens = await Promise.all(Array.from({ length: 10_000 }, (_, i) => clients[i % 100].getToken()));
  assert.equal(await tokenRequests(), before + 1);
  assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 1);
});

test('an error is shared by every concurrent caller, and not cached', async () => {
  const client = new TokenClient({ tokenUrl: server.urls.token_url, ...DEMO, extra: { k: `c${++unique}` }, maxAttempts: 1 });
  await server.faults([{ delay_ms: 100, status: 400, json: { error: 'invalid_request' } }]);
  const before = await tokenRequests();
  const outcomes = await Promise.allSettled(Array.from({ length: 500 }, () => client.getToken()));
  assert.ok(outcomes.every((o) => o.status === 'rejected' && o.reason.code === 'M2M_OAUTH'));
  assert.equal(await tokenRequests(), before + 1);
  await client.getToken();
  assert.equal(await tokenRequests(), before + 2);
});

test('AbortSignal ends a wait at once; the request goes on and is cached', async () => {
  const client = fresh();
  await server.faults([{ delay_ms: 1500 }]);
  const before = await tokenRequests();
  const controller = new AbortController();
  const waiting = client.getToken({ signal: controller.signal });
  const other = client.getToken();
  setTimeout(() => controller.abort(), 50);
  const start = performance.now();
  await assert.rejects(waiting, (e) => e.name === 'AbortError');
  assert.ok(performance.now() - start < 500, 'the wait ended when the signal aborted');
  const token = await other;
  assert.equal((await client.getToken()).accessToken, token.accessToken);
  assert.equal(await tokenRequests(), before + 1);
});

test('AbortSignal: the reason is what the promise rejects with; timeouts work', async () => {
  const client = fresh();
  // Every request is slow for the whole test: the aborted fetch below still
  // reaches the server (its request completes for the cache), possibly late,
  // and must not use up a one-shot delay meant for the second part.
  await server.faults([{ delay_ms: 1000 }], { repeatLast: true });
  try {
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const waiting = client.fetchToken({ signal: controller.signal });
    controller.abort(reason);
    await assert.rejects(waiting, (e) => e === reason);
    await assert.rejects(fresh().getToken({ signal: AbortSignal.timeout(30) }), (e) => e.name === 'TimeoutError');
  } finally {
    await server.clearFaults();
  }
});

test('an aborted signal rejects before any I/O', async () => {
  const client = fresh();
  const before = await tokenRequests();
  await assert.rejects(client.getToken({ signal: AbortSignal.abort() }), (e) => e.name === 'AbortError');
  assert.equal(await tokenRequests(), before);
  await assert.rejects(client.getToken({ signal: 'nope' }), (e) => e.code === 'M2M_CONFIG');
});

test('a signal does not get in the way of a cache hit', async () => {
  const client = fresh();
  const token = await client.getToken();
  const controller = new AbortController();
  assert.equal((await client.getToken({ signal: controller.signal })).accessToken, token.accessToken);
});
