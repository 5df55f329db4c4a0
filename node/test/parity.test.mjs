// Parity with the surface (tests/surface.json, core's one declaration of the
// public surface): every client option, request parameter, stat, error
// field, token field and client method is reachable from Node under its
// camelCase name, in the units of JS (durations in ms), from the
// environment too, and declared in index.d.ts.
import assert from 'node:assert/strict';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inspect } from 'node:util';

import { ConfigError, M2MAuthError, Token, TokenClient, TransportError, errorClasses } from '../index.mjs';
import { SURFACE, TS_TYPES } from '../scripts/types.mjs';
import { DEMO, REPO, startServer } from './support/devserver.mjs';

const surface = JSON.parse(readFileSync(SURFACE, 'utf8'));
const DTS = readFileSync(join(REPO, 'node', 'index.d.ts'), 'utf8');

let server;
before(async () => {
  server = await startServer();
});
after(() => {
  unlinkSync(ASSERTION_FILE);
  return server.stop();
});

const ENDPOINTS = ['token_url', 'domain', 'issuer'];
const base = () => ({ tokenUrl: server.urls.token_url, clientId: DEMO.clientId, clientSecret: DEMO.clientSecret });

/** private_key_jwt: core's RSA test key, and a ready assertion (only its
 * shape is checked when a client is built) in a file as a projected token. */
const KEY_FILE = join(REPO, 'core', 'tests', 'verify_keys', 'rsa2048.pem');
const JWS = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJkZW1vLWNsaWVudCJ9.c2lnbmF0dXJl';
const ASSERTION_FILE = join(tmpdir(), `m2m-auth-parity-${process.pid}.jwt`);
writeFileSync(ASSERTION_FILE, `${JWS}\n`);
/** The options that only mean something with a private key. */
const KEY_MODIFIERS = ['key_id', 'signing_alg', 'assertion_audience'];
/** Mutual TLS: core's fixture certificate and its key (each needs the other). */
const CERT_FILE = join(REPO, 'core', 'tests', 'mtls_keys', 'client.pem');
const CLIENT_KEY_FILE = join(REPO, 'core', 'tests', 'mtls_keys', 'client.key');
/** DPoP: core's P-256 test key (the DPoP options other than `dpop` need it on). */
const DPOP_KEY_FILE = join(REPO, 'core', 'tests', 'verify_keys', 'p256.pem');

/** A JS value of each surface type. */
const SAMPLE_BY_TYPE = {
  text: 'sample', secret: 's3cret', flag: true, count: 5, duration: 1500, fraction: 0.5,
  list: ['a', 'b'], map: { k: 'v' }, pem: [], instant: 0, callback: () => JWS,
};
/** Options whose value the engine checks beyond its type. */
const SAMPLE_BY_NAME = {
  token_url: 'https://auth.example.com/oauth/token', domain: 'tenant.example.com', issuer: 'https://issuer.example.com',
  auth_method: 'client_secret_basic', audience: 'https://api.example.com', resource: ['https://api.example.com/'],
  proxy: 'http://127.0.0.1:3128', cache: 'memory', max_response_bytes: 4096, scope: 'read:data',
  private_key: readFileSync(KEY_FILE, 'utf8'), private_key_file: KEY_FILE, signing_alg: 'PS256',
  client_assertion: JWS, client_assertion_file: ASSERTION_FILE,
  client_certificate: readFileSync(CERT_FILE, 'utf8'), client_certificate_file: CERT_FILE,
  client_key: readFileSync(CLIENT_KEY_FILE, 'utf8'), client_key_file: CLIENT_KEY_FILE,
  dpop_key: readFileSync(DPOP_KEY_FILE, 'utf8'), dpop_key_file: DPOP_KEY_FILE,
};
const sample = (item) => (item.name in SAMPLE_BY_NAME ? SAMPLE_BY_NAME[item.name] : SAMPLE_BY_TYPE[item.type]);
/** The same as environment text (durations in seconds there). */
const envText = (item) => {
  const v = sample(item);
  if (item.type === 'duration') return String(v / 1000);
  if (Array.isArray(v)) return v.join(' ');
  if (item.type === 'map') return Object.entries(v).map(([k, x]) => `${k}=${x}`).join('&');
  return String(v);
};

/** Client options for `item` set to `value`, with whatever else a client needs. */
function withOption(item, value) {
  const o = base();
  if (ENDPOINTS.includes(item.name)) delete o.tokenUrl;
  if (KEY_MODIFIERS.includes(item.name)) o.privateKeyFile = KEY_FILE;
  if (item.name.startsWith('client_certificate')) o.clientKeyFile = CLIENT_KEY_FILE;
  if (item.name.startsWith('client_key')) o.clientCertificateFile = CERT_FILE;
  if (item.name.startsWith('dpop_')) o.dpop = true;
  o[item.js] = value;
  return o;
}

test('the surface is camelCase in JS, with the same words', () => {
  for (const [section, list] of Object.entries(surface)) {
    if (section === 'telemetry') continue; // OpenTelemetry names, not items (telemetry.test.mjs)
    for (const item of list) {
      assert.match(item.js, /^[a-z][a-zA-Z0-9]*$/, item.name);
      assert.equal(item.js.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), item.name);
      assert.ok(!/Ms$|Seconds$/.test(item.js), `${item.js}: no unit in names`);
    }
  }
});

test('new TokenClient takes every client option by its camelCase name', () => {
  for (const item of surface.client_options) {
    const value = sample(item);
    assert.ok(value !== undefined, `no sample value for ${item.name} (${item.type}): add one`);
    try {
      new TokenClient(withOption(item, value)).close();
    } catch (e) {
      assert.fail(`${item.js}: ${e.message}`);
    }
  }
});

test('options of the wrong type, snake_case names, unit suffixes and unknown names are ConfigErrors', () => {
  const rejects = (opts, pattern) => assert.throws(() => new TokenClient(opts),
    (e) => e instanceof ConfigError && pattern.test(e.message), `${JSON.stringify(opts)} should fail with ${pattern}`);
  for (const item of surface.client_options) {
    const wrong = item.type === 'flag' ? 'yes' : item.type === 'map' ? 'k=v' : Symbol('x');
    rejects(withOption(item, wrong), new RegExp(`option ${item.js} must be`));
    if (item.name.includes('_')) rejects({ ...base(), [item.name]: sample(item) }, new RegExp(`unknown option "${item.name}"`));
    if (item.type === 'duration') {
      rejects({ ...base(), [`${item.js}Ms`]: 1 }, new RegExp(`unknown option "${item.js}Ms" \\(use "${item.js}"`));
    }
  }
  rejects({ ...base(), bogusOption: 1 }, /unknown option "bogusOption"/);
});

test('durations are milliseconds: timeout 100 ends a slow token request in well under a second', async () => {
  await server.faults([{ delay_ms: 2000 }]);
  try {
    const client = new TokenClient({ ...base(), timeout: 100, maxAttempts: 1, extra: { k: 'parity-timeout' } });
    const start = performance.now();
    await assert.rejects(client.getToken(), (e) => e instanceof TransportError && e.kind === 'timeout');
    assert.ok(performance.now() - start < 1000, `took ${performance.now() - start} ms`);
  } finally {
    await server.clearFaults();
  }
});

/** Proof that fromEnv read the variable of `item` (set to `text`): a client or an error. */
function envProof(item) {
  const numeric = ['count', 'duration', 'fraction', 'flag'].includes(item.type);
  if (numeric) return { bad: item.type === 'flag' ? 'maybe' : 'not-a-number' };
  const shown = ENDPOINTS.includes(item.name) || surface.request_parameters.some((p) => p.name === item.name);
  if (shown) {
    // Shown by util.inspect only when set: here, by the variable alone.
    return { check: (c) => assert.match(inspect(c, { depth: 5 }), new RegExp(`\\b${item.js}: .*${envText(item).split(/[ &=]/)[0]}`)) };
  }
  const checks = {
    client_id: (c) => assert.equal(c.clientId, envText(item)),
    auth_method: (c) => assert.equal(c.authMethod, envText(item)),
    client_secret: () => {}, // the client builds: the secret was read (it is required)
    // Refused with a ready assertion: so it was read.
    key_id: refusedWithAssertion(item),
    assertion_audience: refusedWithAssertion(item),
  };
  if (checks[item.name]) return { check: checks[item.name] };
  const bad = {
    proxy: 'not a url', cache: 'memcached://x', ca_certs: 'not a certificate', private_key: 'not a key',
    private_key_file: '/nonexistent/key.pem', signing_alg: 'none', client_assertion: 'not a jwt',
    client_assertion_file: '/nonexistent/token', client_certificate: 'not a certificate',
    client_certificate_file: '/nonexistent/cert.pem', client_key: 'not a key', client_key_file: '/nonexistent/key.pem',
    dpop_key: 'not a key', dpop_key_file: '/nonexistent/key.pem',
  }[item.name];
  assert.ok(bad !== undefined, `no fromEnv proof for ${item.name}: add one`);
  return { bad };
}

/** A check that `item`'s variable was read: with a ready assertion instead of
 * the key, the option is a ConfigError naming it. */
function refusedWithAssertion(item) {
  return () => {
    delete process.env.M2M_AUTH_PRIVATE_KEY_FILE;
    process.env.M2M_AUTH_CLIENT_ASSERTION = JWS;
    assert.throws(() => TokenClient.fromEnv(), (e) => e instanceof ConfigError && e.message.includes(item.name));
  };
}

test('TokenClient.fromEnv reads every option from its M2M_AUTH_<NAME> variable', () => {
  const saved = { ...process.env };
  const reset = () => {
    for (const k of Object.keys(process.env)) if (k.startsWith('M2M_AUTH_')) delete process.env[k];
    Object.assign(process.env, saved);
  };
  try {
    // A callback is code: it has no variable.
    for (const item of surface.client_options.filter((i) => i.type !== 'callback')) {
      assert.ok(item.env, item.name);
      reset();
      for (const k of Object.keys(process.env)) if (k.startsWith('M2M_AUTH_')) delete process.env[k];
      // What a client needs besides the option under test.
      const needed = withOption(item, undefined);
      process.env.M2M_AUTH_CLIENT_ID = needed.clientId;
      process.env.M2M_AUTH_CLIENT_SECRET = needed.clientSecret;
      if (needed.tokenUrl) process.env.M2M_AUTH_TOKEN_URL = needed.tokenUrl;
      if (needed.privateKeyFile) process.env.M2M_AUTH_PRIVATE_KEY_FILE = needed.privateKeyFile;
      if (needed.clientKeyFile) process.env.M2M_AUTH_CLIENT_KEY_FILE = needed.clientKeyFile;
      if (needed.clientCertificateFile) process.env.M2M_AUTH_CLIENT_CERTIFICATE_FILE = needed.clientCertificateFile;
      if (needed.dpop) process.env.M2M_AUTH_DPOP = 'true';
      const proof = envProof(item);
      process.env[item.env] = proof.bad ?? envText(item);
      if (proof.bad !== undefined) {
        assert.throws(() => TokenClient.fromEnv(), (e) => e instanceof ConfigError, `${item.env}=${proof.bad} was not read`);
        process.env[item.env] = envText(item);
        TokenClient.fromEnv().close();
      } else {
        proof.check(TokenClient.fromEnv());
      }
    }
  } finally {
    reset();
  }
});

test('getToken takes every request parameter; stats has every stat', async () => {
  const client = new TokenClient({ ...base(), audience: DEMO.audience });
  for (const item of surface.request_parameters) {
    const outcome = await client.getToken({ [item.js]: sample(item) }).catch((e) => e);
    assert.ok(!(outcome instanceof ConfigError), `${item.js}: ${outcome.message}`);
    assert.ok(outcome instanceof Token || outcome instanceof M2MAuthError, `${item.js}: ${outcome}`);
  }
  await assert.rejects(client.getToken({ bogus: 1 }), /unknown request parameter "bogus"/);
  assert.deepEqual(Object.keys(client.stats()).sort(), surface.stats.map((s) => s.js).sort());
  for (const [k, v] of Object.entries(client.stats())) {
    // quotaRemaining is null until a server reports a quota.
    if (!(k === 'quotaRemaining' && v === null)) assert.equal(typeof v, 'number', k);
  }
});

test('every error class has every error field', async () => {
  const engine = await new TokenClient({ ...base(), clientSecret: 'wrong', maxAttempts: 1, extra: { k: 'parity-err' } })
    .getToken().catch((e) => e);
  for (const e of [engine, ...[M2MAuthError, ...Object.values(errorClasses)].map((C) => new C('x'))]) {
    for (const f of surface.error_fields) assert.ok(f.js in e, `${e.constructor.name} has no ${f.js}`);
  }
  assert.equal(engine.code, 'M2M_OAUTH');
  assert.equal(engine.status, 401);
  assert.equal(engine.retryAfter, null);
});

test('tokens have every token field, in JS units', async () => {
  const token = await new TokenClient(base()).getToken();
  const types = { secret: 'string', text: 'string', duration: 'number', instant: 'number', map: 'object' };
  for (const f of surface.token_fields) {
    assert.ok(f.js in token, `token has no ${f.js}`);
    const v = typeof token[f.js] === 'function' ? token[f.js]() : token[f.js];
    assert.equal(typeof v, types[f.type], f.js);
  }
  assert.ok(token.expiresAt > Date.now() && token.expiresAt < Date.now() + 2 * 86_400_000, 'expiresAt in ms');
  assert.ok(token.expiresIn > 60_000, 'expiresIn in ms');
});

test('the client has every method, in camelCase', () => {
  // With DPoP on, so that dpopThumbprint is a string (null with it off).
  const client = new TokenClient({ ...base(), dpop: true });
  for (const m of surface.client_methods) {
    assert.ok(m.js in client, `no ${m.js}`);
    assert.ok(['function', 'string'].includes(typeof client[m.js]), m.js);
  }
});

/** The members of `export interface <name> { ... }` in index.d.ts: name → type. */
function members(kind, name) {
  const m = DTS.match(new RegExp(`export (?:declare )?${kind} ${name}\\b[^{]*\\{([\\s\\S]*?)\\n\\}`));
  assert.ok(m, `index.d.ts has no ${kind} ${name}`);
  const out = {};
  for (const line of m[1].split('\n')) {
    const d = line.match(/^ {2}(?:readonly |static )?(\w+)(\?)?(?:\([^)]*\))?: (.+)$/);
    if (d) out[d[1]] = d[3];
  }
  return out;
}

test('index.d.ts declares every option, parameter, stat, field and method', () => {
  const check = (items, declared, what) => {
    assert.deepEqual(Object.keys(declared).sort(), items.map((i) => i.js).sort(), what);
    for (const i of items) assert.equal(declared[i.js].replace(/ \| null$/, ''), TS_TYPES[i.type], `${what}.${i.js}`);
  };
  check(surface.client_options, members('interface', 'TokenClientOptions'), 'TokenClientOptions');
  check(surface.request_parameters, members('interface', 'TokenRequestOptions'), 'TokenRequestOptions');
  check(surface.stats, members('interface', 'TokenClientStats'), 'TokenClientStats');
  check(surface.verifier_stats, members('interface', 'VerifierStats'), 'VerifierStats');
  check(surface.error_fields, members('interface', 'M2MAuthErrorFields'), 'M2MAuthErrorFields');
  const token = members('class', 'Token');
  for (const f of surface.token_fields) assert.ok(f.js in token, `Token.${f.js}`);
  const client = members('class', 'TokenClient');
  for (const m of surface.client_methods) assert.ok(m.js in client, `TokenClient.${m.js}`);
});
