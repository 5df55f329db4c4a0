// Engine logs through setLogger: records reach a console-compatible logger,
// carry no secret, follow the level, and never keep a process or worker alive.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { after, afterEach, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';

import { ConfigError, TokenClient, setLogger } from '../index.mjs';
import { DEMO, startServer } from './support/devserver.mjs';

const run = promisify(execFile);
const ENTRY = new URL('../index.mjs', import.meta.url).href;
const CANARY = 'canary-L0G-S3CRET';

let server;
before(async () => {
  server = await startServer();
});
after(() => server.stop());
afterEach(() => setLogger(null));

let unique = 0;
/** A client whose token requests fail (wrong secret), with a key of its own. */
const failing = () => new TokenClient({ tokenUrl: server.urls.token_url, clientId: DEMO.clientId, clientSecret: CANARY,
  maxAttempts: 1, extra: { k: `log${++unique}` } });

/** A logger that keeps what it is given. */
function collector() {
  const lines = [];
  const logger = {};
  for (const m of ['error', 'warn', 'info', 'debug']) logger[m] = (text) => lines.push([m, text]);
  return { logger, lines };
}

async function until(cond, ms = 3000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(10);
  }
  return true;
}

test('a failing token request logs a warning through the logger, without the secret', async () => {
  const { logger, lines } = collector();
  setLogger(logger);
  await assert.rejects(failing().getToken(), (e) => e.code === 'M2M_OAUTH');
  assert.ok(await until(() => lines.some(([m, t]) => m === 'warn' && /token request failed/.test(t))),
    `no warning: ${JSON.stringify(lines)}`);
  for (const [, text] of lines) {
    assert.match(text, /^\[m2m_auth[\w:]*\] /);
    assert.ok(!text.includes(CANARY), text);
  }
  assert.ok(lines.every(([m]) => m === 'warn' || m === 'error'), 'the default level is warn');
});

test('the level option filters; trace goes to debug; null stops the records', async () => {
  const { logger, lines } = collector();
  setLogger(logger, { level: 'debug' });
  await failing().getToken().catch(() => {});
  assert.ok(await until(() => lines.some(([m]) => m === 'debug')), 'debug records at level debug');
  setLogger(logger, { level: 'error' });
  lines.length = 0;
  await failing().getToken().catch(() => {});
  await sleep(300);
  assert.ok(lines.every(([m]) => m === 'error'), JSON.stringify(lines));
  setLogger(null);
  lines.length = 0;
  await failing().getToken().catch(() => {});
  await sleep(300);
  assert.deepEqual(lines, []);
});

test('a logger that throws is ignored; bad arguments are ConfigErrors', async () => {
  const boom = () => {
    throw new Error('logger down');
  };
  setLogger({ error: boom, warn: boom, info: boom, debug: boom });
  await failing().getToken().catch(() => {});
  await sleep(200);
  assert.throws(() => setLogger({ warn() {} }), ConfigError);
  assert.throws(() => setLogger(console, { level: 'loud' }), (e) => e instanceof ConfigError && /unknown log level/.test(e.message));
});

test('with a logger set, a process exits when its work is done (the delivery is unref\'d)', async () => {
  const script = `
    import { TokenClient, setLogger } from ${JSON.stringify(ENTRY)};
    setLogger(console);
    const client = new TokenClient({ tokenUrl: ${JSON.stringify(server.urls.token_url)}, clientId: 'nobody',
      clientSecret: 'nothing', maxAttempts: 1 });
    await client.getToken().catch((e) => console.log(e.code));`;
  const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 15_000 });
  assert.match(stdout, /M2M_OAUTH/);
  assert.match(stderr, /\[m2m_auth\] token request failed/);
});

test('a worker that set the logger exits, and the others keep working', async () => {
  const source = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(ENTRY)}).then(({ setLogger }) => {
      setLogger({ error() {}, warn() {}, info() {}, debug() {} }, { level: 'debug' });
      parentPort.postMessage('set');
    });`;
  const worker = new Worker(source, { eval: true });
  // Both listeners before the first wait: a worker that ends right after
  // posting has its message drained and 'exit' emitted in one go.
  const exited = once(worker, 'exit');
  await once(worker, 'message');
  const [code] = await exited;
  assert.equal(code, 0);
  // The worker's logger is gone: records for it are dropped, nothing breaks.
  await failing().getToken().catch(() => {});
  await sleep(100);
  const { logger, lines } = collector();
  setLogger(logger);
  await failing().getToken().catch(() => {});
  assert.ok(await until(() => lines.length > 0));
});
