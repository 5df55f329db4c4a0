// Many clients created and dropped: they are collected, and memory stays
// flat. A process exits when its work is done, and not before.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { TokenClient } from '../index.mjs';
import { DEMO, startServer } from './support/devserver.mjs';

const run = promisify(execFile);
const ENTRY = fileURLToPath(new URL('../index.mjs', import.meta.url));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

let server;
before(async () => {
  server = await startServer({ cheapTokens: true });
});
after(() => server.stop());

async function settle() {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

test('20,000 clients created, used and dropped are collected; RSS stays flat', async () => {
  // As in a server that builds a client per request: the event loop turns
  // between requests (napi finalizers run on it, not inside a microtask run).
  const sample = [];
  const opts = { tokenUrl: server.urls.token_url, ...DEMO };
  const round = async (n) => {
    for (let i = 0; i < n; i++) {
      const client = new TokenClient(opts);
      if (i % 100 === 0) sample.push(new WeakRef(client));
      await client.getToken();
      if (i % 3 === 0) client.close();
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
  };
  await round(5_000);
  await settle();
  const rss0 = process.memoryUsage().rss;
  await round(15_000);
  await settle();
  const grown = (process.memoryUsage().rss - rss0) / 2 ** 20;
  const alive = sample.filter((w) => w.deref() !== undefined).length;
  assert.equal(alive, 0, `${alive} of ${sample.length} sampled clients still alive`);
  assert.ok(grown < 16, `RSS grew by ${grown.toFixed(1)} MiB over 15,000 clients (a leaked client is 5+ KiB)`);
  assert.equal((await server.stats()).token_requests, 1, 'they all shared one token');
});

test('clients of 500 distinct keys come and go (the cache is bounded)', async () => {
  const before = (await server.stats()).token_requests;
  for (let i = 0; i < 500; i++) {
    const client = new TokenClient({ tokenUrl: server.urls.token_url, ...DEMO, maxCacheKeys: 100, scope: `read:data write:data`, organization: `org-${i}` });
    await client.getToken();
  }
  await settle();
  assert.equal((await server.stats()).token_requests - before, 500);
});

test('a pending call keeps the process alive until it is answered; then, or with no call, it exits', async () => {
  const opts = JSON.stringify({ tokenUrl: server.urls.token_url, ...DEMO, extra: { k: 'exit' } });
  // No call: loading the package and building a client start nothing that
  // holds the event loop (the addon's runtime starts on the first call).
  const idle = `import { TokenClient } from ${JSON.stringify(ENTRY)}; new TokenClient(${opts}); console.log('built');`;
  // A call whose answer is delayed, and nothing else: the Promise alone
  // keeps the process alive; once it is settled, the running runtime does not.
  const pending = `import { TokenClient } from ${JSON.stringify(ENTRY)};
    new TokenClient(${opts}).fetchToken().then((t) => console.log('answered', t.tokenType));`;
  // The execFile timeout bounds each run: a process held open fails the test.
  assert.equal((await run(process.execPath, ['--input-type=module', '-e', idle], { timeout: 15_000 })).stdout.trim(), 'built');
  await server.faults([{ delay_ms: 300 }]);
  try {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', pending], { timeout: 15_000 });
    assert.equal(stdout.trim(), 'answered Bearer');
  } finally {
    await server.clearFaults();
  }
});
