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
import { inspect } from 'node:util';

import { TokenClient, errorClasses } from '../../index.mjs';
import { REPO, startServer } from './devserver.mjs';

const LANGUAGE = 'node';
const VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url))).version;
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

function known(obj, keys, what) {
  for (const k of Object.keys(obj ?? {})) {
    if (!keys.includes(k)) throw new Error(`unsupported ${what} field ${JSON.stringify(k)}`);
  }
}

function placeholders(value, urls) {
  const v = value.replaceAll('{token_url}', urls.token_url).replaceAll('{issuer}', urls.issuer).replaceAll('{url}', urls.url);
  return urls.mtls_token_url ? v.replaceAll('{mtls_token_url}', urls.mtls_token_url) : v;
}

/** The vector's client options in this package's spelling. */
export function clientOptions(spec, urls, serverClients) {
  known(spec, ['token_url', 'issuer', 'domain', 'client_id', 'client_secret', 'auth_method', 'audience',
    'organization', 'scope', 'resource', 'extra', 'timeout_ms', 'connect_timeout_ms', 'leeway_ms',
    'refresh_ratio', 'retry', 'private_key', 'key_id', 'signing_alg', 'client_certificate_file', 'client_key_file'],
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
    signing_alg: 'signingAlg' };
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

function secretSpellings(secret) {
  if (typeof secret !== 'string' || secret.length === 0) return [];
  const encoded = new URLSearchParams({ s: secret }).toString().slice(2);
  return [...new Set([secret, encoded, encodeURIComponent(secret)])];
}

/** No spelling of the secret in anything an error shows. */
export function assertNoSecret(err, secret) {
  const shown = [String(err && err.message), String(err), inspect(err, { depth: 5 }), JSON.stringify(err),
    String(err && err.stack)].join('\n');
  for (const s of secretSpellings(secret)) {
    assert.ok(!shown.includes(s), `the client secret appears in an error: ${shown.replaceAll(s, '<SECRET>')}`);
  }
}

function within([lo, hi], value, what) {
  assert.ok(value >= lo && value <= hi, `${what} ${value} not in [${lo}, ${hi}]`);
}

const OK_KEYS = ['ok', 'token_type', 'expires_in_between', 'scope', 'extra', 'same_token_as', 'different_token_from',
  'status', 'elapsed_ms_at_least', 'elapsed_ms_at_most'];
const ERROR_KEYS = ['error', 'fields', 'body_max_len', 'retry_after_between_s', 'elapsed_ms_at_least', 'elapsed_ms_at_most'];
const FIELD_NAMES = { error: 'error', error_description: 'errorDescription', error_uri: 'errorUri', status: 'status', kind: 'kind' };

function checkElapsed(expect, elapsed) {
  if (expect.elapsed_ms_at_least !== undefined) {
    assert.ok(elapsed >= expect.elapsed_ms_at_least, `took ${elapsed} ms, expected at least ${expect.elapsed_ms_at_least}`);
  }
  if (expect.elapsed_ms_at_most !== undefined) {
    assert.ok(elapsed <= expect.elapsed_ms_at_most, `took ${elapsed} ms, expected at most ${expect.elapsed_ms_at_most}`);
  }
}

/** Checks one outcome ({value} or {error}) against E. */
function checkOutcome(expect, outcome, ctx) {
  if (expect === undefined) return;
  if (expect.ok === true) {
    known(expect, OK_KEYS, 'expect');
    if (outcome.error !== undefined) {
      assertNoSecret(outcome.error, ctx.secret);
      assert.fail(`expected success, got ${outcome.error.code}: ${outcome.error.message}`);
    }
    const v = outcome.value;
    if (outcome.kind === 'call_api') {
      if (expect.status !== undefined) assert.equal(v.status, expect.status, 'API status');
      for (const k of ['token_type', 'expires_in_between', 'scope', 'extra', 'same_token_as', 'different_token_from']) {
        if (expect[k] !== undefined) throw new Error(`unsupported expectation ${k} for call_api`);
      }
    } else {
      if (expect.status !== undefined) throw new Error('unsupported expectation status for a token call');
      if (expect.token_type !== undefined) assert.equal(v.tokenType, expect.token_type, 'token_type');
      if (expect.expires_in_between !== undefined) within(expect.expires_in_between, v.expiresIn / 1000, 'expires_in (s)');
      if (expect.scope !== undefined) assert.equal(v.scope, expect.scope, 'scope');
      if (expect.extra !== undefined) {
        for (const [k, want] of Object.entries(expect.extra)) assert.deepEqual(v.extra[k], want, `extra.${k}`);
      }
      for (const [k, same] of [['same_token_as', true], ['different_token_from', false]]) {
        if (expect[k] === undefined) continue;
        const other = ctx.labels.get(expect[k]);
        assert.ok(other, `no token labelled ${JSON.stringify(expect[k])}`);
        assert.equal(v.accessToken === other.accessToken, same,
          `${k} ${expect[k]}: ${v.fingerprint} vs ${other.fingerprint}`);
      }
    }
    checkElapsed(expect, outcome.elapsed);
    return;
  }
  if (typeof expect.error === 'string') {
    known(expect, ERROR_KEYS, 'expect');
    const err = outcome.error;
    assert.ok(err !== undefined, `expected a ${expect.error} error, got success`);
    assertNoSecret(err, ctx.secret);
    const Class = errorClasses[expect.error];
    assert.ok(Class, `unknown error code ${expect.error}`);
    assert.equal(err.code, `M2M_${expect.error.toUpperCase()}`, `error code (${err.message})`);
    assert.ok(err instanceof Class, `error class ${err.constructor.name}, expected ${Class.name}`);
    for (const [k, want] of Object.entries(expect.fields ?? {})) {
      const name = FIELD_NAMES[k];
      if (!name) throw new Error(`unsupported error field ${k}`);
      assert.deepEqual(err[name], want, `error field ${k}`);
    }
    if (expect.body_max_len !== undefined) {
      assert.ok(Buffer.byteLength(err.body ?? '') <= expect.body_max_len, `body excerpt of ${Buffer.byteLength(err.body)} bytes`);
    }
    if (expect.retry_after_between_s !== undefined) within(expect.retry_after_between_s, err.retryAfter / 1000, 'retry_after (s)');
    checkElapsed(expect, outcome.elapsed);
    return;
  }
  throw new Error(`unsupported expectation ${JSON.stringify(expect)}`);
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
  'expect_api_requests', 'expect_request'];

/** Runs one vector against a fresh dev server. */
export async function runVector(vector) {
  known(vector, [...TOP_KEYS], 'vector');
  if (vector.server !== undefined) known(vector.server, ['clients', 'tls', 'client_ca_file'], 'server');
  const serverClients = vector.server?.clients ?? DEFAULT_CLIENTS;
  const caFile = vector.server?.client_ca_file;
  const server = await startServer({
    clients: serverClients, tls: vector.server?.tls ?? false,
    clientCa: caFile === undefined ? undefined : readFileSync(join(REPO, caFile), 'utf8'),
  });
  const ctx = { labels: new Map(), secret: undefined };
  let client = null;
  const build = (override) => {
    const opts = clientOptions({ ...vector.client, ...override }, server.urls, serverClients);
    ctx.secret = opts.clientSecret;
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

function expand(value) {
  return typeof value === 'string' ? value.replaceAll('{version}', VERSION).replaceAll('{language}', LANGUAGE) : value;
}

function checkRecorded(spec, requests) {
  known(spec, ['index', 'form', 'form_absent', 'headers', 'headers_absent'], 'expect_request');
  const index = spec.index ?? 0;
  const req = requests[index < 0 ? requests.length + index : index];
  assert.ok(req, `no recorded token request at index ${index} (${requests.length} recorded)`);
  const form = new URLSearchParams(req.body);
  const sorted = (xs) => [...xs].sort();
  for (const [k, v] of Object.entries(spec.form ?? {})) {
    // A list: the field occurs exactly that many times with those values, in any order.
    if (Array.isArray(v)) assert.deepEqual(sorted(form.getAll(k)), sorted(v.map(expand)), `form ${k}`);
    else assert.deepEqual(form.getAll(k), [expand(v)], `form ${k}`);
  }
  for (const k of spec.form_absent ?? []) assert.ok(!form.has(k), `form has ${k}`);
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));
  for (const [k, v] of Object.entries(spec.headers ?? {})) assert.equal(headers[k.toLowerCase()], expand(v), `header ${k}`);
  for (const k of spec.headers_absent ?? []) assert.ok(!(k.toLowerCase() in headers), `header ${k} present`);
}
