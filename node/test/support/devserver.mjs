// Starts the dev/fault authorization server (devserver/PROTOCOL.md) and
// speaks its control API.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The server binary: $M2M_AUTH_DEVSERVER, else the workspace's debug build. */
export const DEVSERVER = process.env.M2M_AUTH_DEVSERVER
  || join(process.env.CARGO_TARGET_DIR || join(REPO, 'target'), 'debug', 'm2m-auth-devserver');

export const DEMO = { clientId: 'demo-client', clientSecret: 'demo-secret', audience: 'https://api.example.com' };

/**
 * Starts a server. `clients`: its clients (PROTOCOL.md format), default the
 * demo client; `tls`, or `clientCa` (PEM): also an https listener with
 * mutual TLS (urls.https_url, urls.mtls_token_url, urls.tls_ca_pem);
 * `dpopNonce`: DPoP nonce mode on both endpoints from the start.
 * Resolves to { urls, control helpers, stop() }.
 */
export async function startServer({ clients, cheapTokens = false, clientCa, tls = false, dpopNonce = false } = {}) {
  const args = ['--exit-on-stdin-eof'];
  if (clients || clientCa || tls) {
    const dir = mkdtempSync(join(tmpdir(), 'm2m-node-'));
    const file = join(dir, 'clients.json');
    const config = { clients: clients ?? [] };
    if (tls) config.tls = true;
    if (clientCa) config.client_ca = clientCa;
    writeFileSync(file, JSON.stringify(config));
    args.push('--clients', file);
  }
  if (cheapTokens) args.push('--cheap-tokens');
  if (dpopNonce) args.push('--dpop-nonce');
  const child = spawn(DEVSERVER, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const spawnError = once(child, 'error').then(([e]) => { throw new Error(`cannot start ${DEVSERVER}: ${e.message}`); });
  const line = once(createInterface({ input: child.stdout }), 'line').then(([l]) => l);
  const first = await Promise.race([line, spawnError,
    exited.then(([code]) => { throw new Error(`${DEVSERVER} exited with ${code} before printing its URLs`); })]);
  const urls = JSON.parse(first);
  let stopped = false;
  // The control API needs the token from the startup line (PROTOCOL.md).
  const auth = { authorization: `Bearer ${urls.control_token}` };
  const control = async (method, path, body) => {
    const res = await fetch(urls.control_url + path, {
      method,
      headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`control ${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    urls,
    child,
    control,
    faults: (steps, { repeatLast = false, target } = {}) =>
      control('POST', `/faults${target ? `?target=${target}` : ''}`, { steps, repeat_last: repeatLast }),
    clearFaults: async () => {
      await control('DELETE', '/faults');
      await control('DELETE', '/faults?target=api');
    },
    addClient: (client) => control('POST', '/clients', client),
    /** DPoP nonce mode: `{ nonce_token, nonce_api, rotate }` (each optional). */
    dpop: (body) => control('POST', '/dpop', body),
    stats: () => control('GET', '/stats'),
    requests: () => control('GET', '/requests'),
    reset: () => control('POST', '/reset'),
    get stopped() {
      return stopped;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      child.stdin.end();
      child.kill('SIGTERM');
      await exited;
    },
  };
}
