// The Node runner of the shared conformance vectors (tests/conformance/FORMAT.md).
// Every *.json file in a directory becomes one node:test test; a vector is
// skipped only when it says why under "skip": {"node": "reason"}. Anything
// in a vector this runner does not know fails the vector: nothing is
// skipped or ignored silently.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { TokenClient } from '../../index.mjs';
import { LANGUAGE, checkOutcome, checkRecorded, keyParts, known } from './conformance-expect.mjs';
import { REPO, startServer } from './devserver.mjs';

const DEFAULT_CLIENTS = [{ client_id: 'conf-client', client_secret: 'conf-secret', token_lifetime: 3600 }];

/** Registers one test per vector file in `dir`; returns how many. */
export function registerVectors(dir, { prefix = '' } = {}) {
  let files = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  if (files.length === 0) {
    test(`${prefix}no conformance vectors in ${dir} yet`, { skip: `no *.json in ${dir}` }, () => {});
    return 0;
  }
  for (const file of files) {
    const path = join(dir, file);
    let vector;
    try {
      vector = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      test(`${prefix}${file}`, () => assert.fail(`${file} is not valid JSON: ${e.message}`));
      continue;
    }
    const reason = vector && vector.skip && vector.skip[LANGUAGE];
    const name = `${prefix}${vector.name ?? file} (${file})`;
    if (reason) {
      test(name, { skip: String(reason) }, () => {});
      continue;
    }
    test(name, { timeout: 120_000 }, () => {
      assert.equal(vector.name, file.replace(/\.json$/, ''), 'a vector\'s name is its file name');
      assert.equal(typeof vector.design, 'string', 'design');
      assert.equal(typeof vector.description, 'string', 'description');
      return runVector(vector);
    });
  }
  return files.length;
}

const TOP_KEYS = new Set(['name', 'design', 'description', 'server', 'client', 'steps', 'skip']);

function placeholders(value, urls) {
  const v = value.replaceAll('{token_url}', urls.token_url).replaceAll('{issuer}', urls.issuer).replaceAll('{url}', urls.url);
  return urls.mtls_token_url ? v.replaceAll('{mtls_token_url}', urls.mtls_token_url) : v;
}

/** The vector's client options in this package's spelling. */
export function clientOptions(spec, urls, serverClients) {
  known(spec, ['token_url', 'issuer', 'domain', 'client_id', 'client_secret', 'auth_method', 'audience',
    'organization', 'scope', 'resource', 'extra', 'timeout_ms', 'connect_timeout_ms', 'leeway_ms',
    'refresh_ratio', 'retry', 'private_key', 'key_id', 'signing_alg', 'client_certificate_file', 'client_key_file',
    'dpop', 'dpop_key', 'dpop_accept_bearer'],
  'client');
  const first = serverClients[0] ?? {};
  const o = { noProxy: true };
  // A server with TLS is trusted; fixture paths are the repository's (FORMAT.md).
  if (urls.tls_ca_pem) o.caCerts = urls.tls_ca_pem;
  if (spec.client_certificate_file !== undefined) o.clientCertificateFile = join(REPO, spec.client_certificate_file);
  if (spec.client_key_file !== undefined) o.clientKeyFile = join(REPO, spec.client_key_file);
  // The same vectors with a shared store behind the process cache.
  if (process.env.M2M_AUTH_CONFORMANCE_CACHE) o.cache = process.env.M2M_AUTH_CONFORMANCE_CACHE;
  const endpoint = ['token_url', 'issuer', 'domain'].filter((k) => spec[k] !== undefined);
  if (endpoint.length === 0) o.tokenUrl = urls.token_url;
  if (spec.token_url !== undefined) o.tokenUrl = placeholders(spec.token_url, urls);
  if (spec.issuer !== undefined) o.issuer = placeholders(spec.issuer, urls);
  if (spec.domain !== undefined) o.domain = placeholders(spec.domain, urls);
  o.clientId = spec.client_id ?? first.client_id;
  o.clientSecret = spec.client_secret ?? first.client_secret;
  // Vector names to this package's (durations in ms here).
  const direct = { auth_method: 'authMethod', audience: 'audience', organization: 'organization', scope: 'scope',
    resource: 'resource', extra: 'extra', timeout_ms: 'timeout', connect_timeout_ms: 'connectTimeout',
    leeway_ms: 'leeway', refresh_ratio: 'refreshRatio', private_key: 'privateKey', key_id: 'keyId',
    signing_alg: 'signingAlg', dpop: 'dpop', dpop_key: 'dpopKey', dpop_accept_bearer: 'dpopAcceptBearer' };
  for (const [from, to] of Object.entries(direct)) if (spec[from] !== undefined) o[to] = spec[from];
  const r = spec.retry ?? {};
  known(r, ['max_attempts', 'base_delay_ms', 'default_throttle_ms', 'max_retry_after_s'], 'retry');
  o.retryBaseDelay = r.base_delay_ms ?? 20;
  if (r.max_attempts !== undefined) o.maxAttempts = r.max_attempts;
  if (r.default_throttle_ms !== undefined) o.defaultThrottle = r.default_throttle_ms;
  if (r.max_retry_after_s !== undefined) o.maxRetryAfter = r.max_retry_after_s * 1000;
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

function requestOptions(r) {
  if (r === undefined) return undefined;
  known(r, ['audience', 'scope', 'organization', 'resource', 'extra'], 'request');
  return { ...r };
}

async function timed(kind, f) {
  const start = performance.now();
  try {
    const value = await f();
    return { kind, value, elapsed: performance.now() - start };
  } catch (error) {
    return { kind, error, elapsed: performance.now() - start };
  }
}

const STEP_KEYS = {
  faults: ['faults', 'repeat_last'],
  api_faults: ['api_faults', 'repeat_last'],
  clear_faults: ['clear_faults'],
  sleep_ms: ['sleep_ms'],
  shutdown_server: ['shutdown_server'],
  expect_requests: ['expect_requests'],
  expect_api_requests: ['expect_api_requests'],
  expect_request: ['expect_request'],
  dpop_control: ['dpop_control'],
  expect_stats: ['expect_stats'],
  build: ['call', 'expect', 'client_override'],
  get_token: ['call', 'request', 'concurrency', 'expect', 'label'],
  fetch_token: ['call', 'request', 'concurrency', 'expect', 'label'],
  invalidate: ['call', 'request'],
  call_api: ['call', 'method', 'path', 'request', 'expect', 'label'],
};

/**
 * Keeps a finished vector's port bound until this process ends: the port is
 * part of the token endpoint URL, hence of every cache key, and the cache is
 * process-wide, so no later vector may get a server on it.
 */
async function reservePort(url) {
  const { port } = new URL(url);
  const holder = createServer((socket) => socket.destroy());
  await new Promise((resolve) => {
    holder.once('error', resolve); // taken already: then not by a server of ours
    holder.listen(Number(port), '127.0.0.1', resolve);
  });
  holder.unref();
}

/** Steps without "call", named by their key. */
const PLAIN_STEPS = ['faults', 'api_faults', 'clear_faults', 'sleep_ms', 'shutdown_server', 'expect_requests',
  'expect_api_requests', 'expect_request', 'dpop_control', 'expect_stats'];

/** Runs one vector against a fresh dev server. */
export async function runVector(vector) {
  known(vector, [...TOP_KEYS], 'vector');
  if (vector.server !== undefined) known(vector.server, ['clients', 'tls', 'client_ca_file', 'dpop_nonce'], 'server');
  const serverClients = vector.server?.clients ?? DEFAULT_CLIENTS;
  const caFile = vector.server?.client_ca_file;
  const server = await startServer({
    clients: serverClients, tls: vector.server?.tls ?? false,
    clientCa: caFile === undefined ? undefined : readFileSync(join(REPO, caFile), 'utf8'),
    dpopNonce: vector.server?.dpop_nonce ?? false,
  });
  const ctx = { labels: new Map(), secret: undefined, keyParts: [] };
  let client = null;
  const build = (override) => {
    const opts = clientOptions({ ...vector.client, ...override }, server.urls, serverClients);
    ctx.secret = opts.clientSecret;
    ctx.keyParts = keyParts(opts.dpopKey);
    return new TokenClient(opts);
  };
  const ensureClient = () => {
    if (client === null) client = build();
    return client;
  };
  try {
    for (const [i, step] of (vector.steps ?? []).entries()) {
      const kind = step.call ?? PLAIN_STEPS.find((k) => k in step);
      const keys = STEP_KEYS[kind];
      try {
        if (!keys) throw new Error(`unsupported step ${JSON.stringify(step)}`);
        known(step, keys, `${kind} step`);
        await runStep(kind, step);
      } catch (e) {
        e.message = `step ${i} ${JSON.stringify(step)}: ${e.message}`;
        throw e;
      }
    }
  } finally {
    if (client) client.close();
    await server.stop();
    await reservePort(server.urls.url);
  }

  async function stats() {
    return ctx.final ? ctx.final.stats : server.stats();
  }

  async function runStep(kind, step) {
    switch (kind) {
      case 'faults':
        return server.faults(step.faults, { repeatLast: step.repeat_last ?? false });
      case 'api_faults':
        return server.faults(step.api_faults, { repeatLast: step.repeat_last ?? false, target: 'api' });
      case 'clear_faults':
        return server.clearFaults();
      case 'sleep_ms':
        return sleep(step.sleep_ms);
      case 'shutdown_server':
        // What it saw stays what it saw: later expectations read this.
        ctx.final = { stats: await server.stats(), requests: await server.requests() };
        return server.stop();
      case 'expect_requests':
        return assert.equal((await stats()).token_requests, step.expect_requests, 'token requests seen');
      case 'expect_api_requests':
        return assert.equal((await stats()).api_requests, step.expect_api_requests, 'API requests seen');
      case 'expect_request':
        return checkRecorded(step.expect_request, ctx.final ? ctx.final.requests : await server.requests());
      case 'dpop_control':
        known(step.dpop_control, ['nonce_token', 'nonce_api', 'rotate'], 'dpop_control');
        return server.dpop(step.dpop_control);
      case 'expect_stats': {
        const seen = await stats();
        for (const [name, n] of Object.entries(step.expect_stats)) {
          assert.ok(name in seen, `the dev server has no counter ${name}`);
          assert.equal(seen[name], n, `stats ${name}`);
        }
        return undefined;
      }
      case 'build': {
        const outcome = await timed('build', async () => build(step.client_override));
        if (outcome.value) {
          if (client) client.close();
          client = outcome.value;
        }
        return checkOutcome(step.expect, outcome, ctx);
      }
      case 'get_token':
      case 'fetch_token': {
        const c = ensureClient();
        const opts = requestOptions(step.request);
        const call = kind === 'get_token' ? () => c.getToken(opts) : () => c.fetchToken(opts);
        const n = step.concurrency ?? 1;
        const outcomes = await Promise.all(Array.from({ length: n }, () => timed(kind, call)));
        outcomes.forEach((o, j) => {
          try {
            checkOutcome(step.expect, o, ctx);
          } catch (e) {
            e.message = `caller ${j} of ${n}: ${e.message}`;
            throw e;
          }
        });
        if (step.label !== undefined && outcomes[0].value) ctx.labels.set(step.label, outcomes[0].value);
        return undefined;
      }
      case 'invalidate':
        return ensureClient().invalidate(requestOptions(step.request));
      case 'call_api': {
        const c = ensureClient();
        const url = new URL(step.path ?? '/api', server.urls.url).href;
        const outcome = await timed('call_api', () => c.callApi(step.method ?? 'GET', url, requestOptions(step.request)));
        return checkOutcome(step.expect, outcome, ctx);
      }
      default:
        throw new Error(`unsupported step ${kind}`);
    }
  }
}
