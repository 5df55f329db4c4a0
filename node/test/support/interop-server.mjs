// tests/interop/server.mjs (oidc-provider) as a child process, for the
// interop tests that need its clients.json set-up (mutual TLS, DPoP): its
// start line (issuer, token_endpoint, mtls_token_endpoint, ca_file,
// certs_dir), awaited at most START_TIMEOUT_MS, and its stop. SKIP says
// why the tests are skipped when tests/interop has no node_modules.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { REPO } from './devserver.mjs';

export const INTEROP = join(REPO, 'tests', 'interop');
/** tests/interop/clients.json. */
export const CONFIG = JSON.parse(readFileSync(join(INTEROP, 'clients.json'), 'utf8'));
export const SKIP = existsSync(join(INTEROP, 'node_modules', 'oidc-provider'))
  ? false : 'oidc-provider is not installed (run `npm ci` in tests/interop)';
const START_TIMEOUT_MS = 30_000;

/** Starts the server; resolves to `{ info, stop }` once it printed its start line. */
export async function startInteropServer() {
  // --exit-on-stdin-eof: the server exits with this process even if stop() never runs.
  const child = spawn(process.execPath, [join(INTEROP, 'server.mjs'), '--exit-on-stdin-eof'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = once(createInterface({ input: child.stdout }), 'line').then(([l]) => l);
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`server.mjs printed no start line in ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
  });
  const exited = once(child, 'exit').then(([code]) => { throw new Error(`server.mjs exited with ${code} before its start line`); });
  const failed = once(child, 'error').then(([e]) => { throw new Error(`cannot start server.mjs: ${e.message}`); });
  // Handled here so that the exit in stop() is not an unhandled rejection.
  for (const p of [exited, failed]) p.catch(() => {});
  let info;
  try {
    info = JSON.parse(await Promise.race([line, timeout, exited, failed]));
  } finally {
    clearTimeout(timer);
  }
  const stop = async () => {
    if (child.exitCode !== null) return;
    const gone = once(child, 'exit');
    child.stdin.end();
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(kill);
  };
  return { info, stop };
}
