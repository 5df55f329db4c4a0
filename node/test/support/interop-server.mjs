// tests/interop/server.mjs (oidc-provider) as a child process, for the
// interop tests that need its clients.json set-up (mutual TLS, DPoP): its
// start line (issuer, token_endpoint, mtls_token_endpoint, ca_file,
// certs_dir), awaited at most START_TIMEOUT_MS, and its stop. SKIP says
// why the tests are skipped when tests/interop has no node_modules.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { REPO } from './devserver.mjs';

export const INTEROP = join(REPO, 'tests', 'interop');
/** tests/interop/clients.json. */
export const CONFIG = JSON.parse(readFileSync(join(INTEROP, 'clients.json'), 'utf8'));
export const SKIP = existsSync(join(INTEROP, 'node_modules', 'oidc-provider'))
  ? false : 'oidc-provider is not installed (run `npm ci` in tests/interop)';
const START_TIMEOUT_MS = 30_000;

/**
 * Starts the server; resolves to `{ info, stop }` once it printed its start
 * line. A start that prints none in START_TIMEOUT_MS is asked for node's
 * report (its JS and native stacks, on SIGUSR2), which is printed, then
 * stopped and made once more (seen rarely in CI; the report says where).
 */
export async function startInteropServer() {
  try {
    return await startOnce();
  } catch (e) {
    process.stderr.write(`interop server: ${e.message}; starting it once more\n`);
    return startOnce();
  }
}

async function startOnce() {
  const reports = mkdtempSync(join(tmpdir(), 'm2m-node-report-'));
  // --exit-on-stdin-eof: the server exits with this process even if stop() never runs.
  const child = spawn(process.execPath, [
    '--report-on-signal', `--report-directory=${reports}`,
    join(INTEROP, 'server.mjs'), '--exit-on-stdin-eof',
  ], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = once(createInterface({ input: child.stdout }), 'line').then(([l]) => l);
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`server.mjs printed no start line in ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
  });
  const exited = once(child, 'exit').then(([code]) => { throw new Error(`server.mjs exited with ${code} before its start line`); });
  const failed = once(child, 'error').then(([e]) => { throw new Error(`cannot start server.mjs: ${e.message}`); });
  // Handled here so that the exit in stop() is not an unhandled rejection.
  for (const p of [exited, failed]) p.catch(() => {});
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = once(child, 'exit');
    child.stdin.end();
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(kill);
  };
  let info;
  try {
    info = JSON.parse(await Promise.race([line, timeout, exited, failed]));
  } catch (e) {
    if (child.exitCode === null) {
      child.kill('SIGUSR2');
      await new Promise((r) => { setTimeout(r, 3000); });
      for (const f of readdirSync(reports)) {
        const report = JSON.parse(readFileSync(join(reports, f), 'utf8'));
        const shown = { javascriptStack: report.javascriptStack, nativeStack: report.nativeStack, libuv: report.libuv };
        process.stderr.write(`interop server report: ${JSON.stringify(shown).slice(0, 20000)}\n`);
      }
      child.kill('SIGKILL');
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return { info, stop };
}
