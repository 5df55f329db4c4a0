// A TLS Redis as the shared cache (docs/design.md §4, issue #16): a TLS-only
// redis-server with a CA made for this run (tests/cross/redis_topology.py),
// reached through rediss:// and trusted through caCerts. Two clients with
// memory caches of their own make one token request; without caCerts the
// store fails (a CacheError when strict) and callers still get tokens.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';

import { CacheError, TokenClient } from '../index.mjs';
import { DEMO, REPO, startServer } from './support/devserver.mjs';

let server, redis, url, caPem;
before(async () => {
  server = await startServer();
  redis = spawn('python3', [join(REPO, 'tests', 'cross', 'redis_topology.py'), 'tls', '--exit-on-stdin-eof'],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = await once(createInterface({ input: redis.stdout }), 'line');
  let caFile;
  [url, caFile] = line.split(' ');
  caPem = readFileSync(caFile, 'utf8');
});
after(async () => {
  await server.stop();
  const exited = once(redis, 'exit');
  redis.stdin.end();
  await exited;
});

// maxCacheKeys: each client gets a memory cache of its own, as another process would.
const client = (extra = {}) => new TokenClient({
  tokenUrl: server.urls.token_url, ...DEMO, noProxy: true, cache: url, maxCacheKeys: 16, ...extra,
});

test('rediss:// with caCerts: two clients share one token', async () => {
  await server.reset();
  const [a, b] = [client({ caCerts: caPem, storeTimeout: 5000 }), client({ caCerts: caPem, storeTimeout: 5000 })];
  assert.equal((await a.getToken()).accessToken, (await b.getToken()).accessToken);
  const requests = (await server.stats()).token_requests;
  console.log(`node rediss://: 2 clients -> ${requests} token request(s)`);
  assert.equal(requests, 1);
  assert.equal(b.stats().sharedHits, 1);
  assert.equal(a.stats().storeErrors + b.stats().storeErrors, 0);
});

test('rediss:// without caCerts: a store error, and tokens still', async () => {
  await assert.rejects(client({ cacheStrict: true, storeTimeout: 5000 }).getToken(), (e) => e instanceof CacheError && /certificate/.test(e.message));
  const c = client();
  assert.ok((await c.getToken()).accessToken);
  assert.ok(c.stats().storeErrors > 0);
});
