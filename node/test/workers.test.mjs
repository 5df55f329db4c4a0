// worker_threads: the addon loads in every thread, the process-wide cache is
// shared by all of them, and a worker's exit leaves the others working.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { Worker } from 'node:worker_threads';

import { TokenClient } from '../index.mjs';
import { DEMO, startServer } from './support/devserver.mjs';

const ENTRY = new URL('../index.mjs', import.meta.url).href;

let server;
before(async () => {
  server = await startServer();
});
after(() => server.stop());

const tokenRequests = async () => (await server.stats()).token_requests;

/** Runs `body` (an async function's source, given `m2m` and `data`) in a worker. */
async function inWorker(body, data, options = {}) {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(${JSON.stringify(ENTRY)}).then(async (m2m) => {
      const result = await (${body})(m2m, workerData);
      parentPort.postMessage({ result });
    }).catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));`;
  const worker = new Worker(source, { eval: true, workerData: data, ...options });
  // Both listeners before the first wait: when a worker ends right after
  // posting, Node drains its message and emits 'exit' in the same turn, and
  // an 'exit' listener added after the message would wait forever.
  const exited = once(worker, 'exit');
  const [msg] = await once(worker, 'message');
  await exited;
  if (msg.error) throw new Error(`worker: ${msg.error}`);
  return msg.result;
}

test('clients in 4 workers and the main thread share one token', async () => {
  const opts = { tokenUrl: server.urls.token_url, ...DEMO, extra: { k: 'workers' } };
  await server.faults([{ delay_ms: 200 }]);
  const before = await tokenRequests();
  const body = `async ({ TokenClient }, opts) => {
    const client = new TokenClient(opts);
    const tokens = await Promise.all(Array.from({ length: 500 }, () => client.getToken()));
    for (let i = 0; i < 500; i++) tokens.push(await client.getToken());
    return { tokens: [...new Set(tokens.map((t) => t.accessToken))], hits: client.stats().hits };
  }`;
  const [main, ...workers] = await Promise.all([
    new TokenClient(opts).getToken(),
    ...Array.from({ length: 4 }, () => inWorker(body, opts)),
  ]);
  for (const w of workers) {
    assert.deepEqual(w.tokens, [main.accessToken]);
    assert.ok(w.hits >= 500);
  }
  assert.equal(await tokenRequests(), before + 1);
});

test('an invalidate in a worker drops the main thread\'s JS copy', async () => {
  const opts = { tokenUrl: server.urls.token_url, ...DEMO, extra: { k: 'workers-invalidate' } };
  const client = new TokenClient(opts);
  const old = await client.getToken();
  await client.getToken();
  await inWorker(`async ({ TokenClient }, opts) => { new TokenClient(opts).invalidate(); }`, opts);
  assert.notEqual((await client.getToken()).accessToken, old.accessToken);
});

test('fromEnv in a worker reads that worker\'s environment', async () => {
  const env = {
    M2M_AUTH_TOKEN_URL: server.urls.token_url, M2M_AUTH_CLIENT_ID: DEMO.clientId,
    M2M_AUTH_CLIENT_SECRET: DEMO.clientSecret, M2M_AUTH_SCOPE: 'write:data',
  };
  const scope = await inWorker(`async ({ TokenClient }) => (await TokenClient.fromEnv().getToken()).scope`, null, { env });
  assert.equal(scope, 'write:data');
});

test('a worker terminated while waiting leaves the others working', async () => {
  const opts = { tokenUrl: server.urls.token_url, ...DEMO, extra: { k: 'workers-terminate' } };
  await server.faults([{ delay_ms: 500 }]);
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(${JSON.stringify(ENTRY)}).then(({ TokenClient }) => {
      const client = new TokenClient(workerData);
      client.getToken();
      parentPort.postMessage('waiting');
    });`;
  for (let i = 0; i < 3; i++) {
    const worker = new Worker(source, { eval: true, workerData: opts });
    await once(worker, 'message');
    await worker.terminate();
  }
  const token = await new TokenClient(opts).getToken();
  assert.equal(token.tokenType, 'Bearer');
  const again = await inWorker(`async ({ TokenClient }, opts) => (await new TokenClient(opts).getToken()).accessToken`, opts);
  assert.equal(again, token.accessToken);
});
