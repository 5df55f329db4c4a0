// `client.quota()`: the token quota buckets the dev server reports
// (docs/design.md §5, "Token quotas"), and a spent one throttling the key.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ThrottledError, TokenClient } from '../index.mjs';
import { DEMO, startServer } from './support/devserver.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(() => server.stop());

const client = (extra = {}) => new TokenClient({ tokenUrl: server.urls.token_url, ...DEMO, noProxy: true, ...extra });

test('quota() returns the buckets the server sent', async () => {
  const c = client({ extra: { test_key: 'quota-headers' } });
  assert.deepEqual(c.quota(), []);
  await server.faults([{
    headers: {
      'Auth0-Client-Quota-Limit': 'b=per_hour;q=100;r=99;t=3000,b=per_day;q=1000;r=999;t=80000',
      'Auth0-Organization-Quota-Limit': 'b=per_hour;q=500;r=400;t=1200',
    },
  }]);
  const start = Date.now();
  await c.getToken();
  const buckets = c.quota();
  assert.deepEqual(buckets.map(({ scope, bucket, quota, remaining }) => [scope, bucket, quota, remaining]), [
    ['client', 'per_hour', 100, 99],
    ['client', 'per_day', 1000, 999],
    ['organization', 'per_hour', 500, 400],
  ]);
  assert.ok(Math.abs(buckets[0].resetAt - (start + 3_000_000)) < 2000, `${buckets[0].resetAt - start}`);
  c.close();
});

test("the dev server's spent quota throttles the key", async () => {
  await server.addClient({ client_id: 'quota-node', client_secret: 'quota-secret', token_quota: { per_hour: 1 } });
  const c = client({ clientId: 'quota-node', clientSecret: 'quota-secret' });
  const first = await c.getToken();
  assert.deepEqual(c.quota().map(({ scope, bucket, quota, remaining }) => [scope, bucket, quota, remaining]),
    [['client', 'per_hour', 1, 0]]);
  assert.equal((await c.getToken()).accessToken, first.accessToken);
  const before = (await server.stats()).token_requests;
  await assert.rejects(c.fetchToken(), (e) => e instanceof ThrottledError && e.retryAfter > 0);
  assert.equal((await server.stats()).token_requests, before);
  c.close();
});
