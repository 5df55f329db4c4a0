// What the Node conformance runner checks of an outcome, a recorded token
// request, or an error (the secret canary): tests/conformance/FORMAT.md's
// expectations. Anything a vector expects that is not known here fails it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';

import { errorClasses } from '../../index.mjs';

export const LANGUAGE = 'node';
const VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url))).version;

/** Fails on a field of `obj` that is not in `keys`. */
export function known(obj, keys, what) {
  for (const k of Object.keys(obj ?? {})) {
    if (!keys.includes(k)) throw new Error(`unsupported ${what} field ${JSON.stringify(k)}`);
  }
}

function secretSpellings(secret) {
  if (typeof secret !== 'string' || secret.length === 0) return [];
  const encoded = new URLSearchParams({ s: secret }).toString().slice(2);
  return [...new Set([secret, encoded, encodeURIComponent(secret)])];
}

/**
 * The secret parts of a DPoP key given as text (FORMAT.md's canary): a JWK's
 * private members, or each line of a PEM body.
 */
export function keyParts(key) {
  if (typeof key !== 'string' || key.trim() === '') return [];
  if (key.trim().startsWith('{')) {
    let jwk;
    try {
      jwk = JSON.parse(key);
    } catch {
      return [key];
    }
    return ['d', 'p', 'q', 'dp', 'dq', 'qi'].map((m) => jwk[m]).filter((v) => typeof v === 'string' && v);
  }
  return key.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('-----'));
}

/** No spelling of the secret, and no secret part of the DPoP key, in anything an error shows. */
export function assertNoSecret(err, secret, parts = []) {
  const shown = [String(err && err.message), String(err), inspect(err, { depth: 5 }), JSON.stringify(err),
    String(err && err.stack)].join('\n');
  for (const s of secretSpellings(secret)) {
    assert.ok(!shown.includes(s), `the client secret appears in an error: ${shown.replaceAll(s, '<SECRET>')}`);
  }
  for (const p of parts) {
    assert.ok(!shown.includes(p), `a secret part of the DPoP key appears in an error: ${shown.replaceAll(p, '<KEY>')}`);
  }
}

function within([lo, hi], value, what) {
  assert.ok(value >= lo && value <= hi, `${what} ${value} not in [${lo}, ${hi}]`);
}

const OK_KEYS = ['ok', 'token_type', 'expires_in_between', 'scope', 'extra', 'same_token_as', 'different_token_from',
  'status', 'elapsed_ms_at_least', 'elapsed_ms_at_most', 'authorization_scheme'];
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
export function checkOutcome(expect, outcome, ctx) {
  if (expect === undefined) return;
  if (expect.ok === true) {
    known(expect, OK_KEYS, 'expect');
    if (outcome.error !== undefined) {
      assertNoSecret(outcome.error, ctx.secret, ctx.keyParts);
      assert.fail(`expected success, got ${outcome.error.code}: ${outcome.error.message}`);
    }
    const v = outcome.value;
    if (outcome.kind === 'call_api') {
      if (expect.status !== undefined) assert.equal(v.status, expect.status, 'API status');
      for (const k of ['token_type', 'expires_in_between', 'scope', 'extra', 'same_token_as', 'different_token_from',
        'authorization_scheme']) {
        if (expect[k] !== undefined) throw new Error(`unsupported expectation ${k} for call_api`);
      }
    } else {
      if (expect.status !== undefined) throw new Error('unsupported expectation status for a token call');
      if (expect.token_type !== undefined) assert.equal(v.tokenType, expect.token_type, 'token_type');
      if (expect.authorization_scheme !== undefined) {
        assert.equal(v.authorizationHeader().split(' ')[0], expect.authorization_scheme, 'authorization_scheme');
      }
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
    assertNoSecret(err, ctx.secret, ctx.keyParts);
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

function expand(value) {
  return typeof value === 'string' ? value.replaceAll('{version}', VERSION).replaceAll('{language}', LANGUAGE) : value;
}

export function checkRecorded(spec, requests) {
  known(spec, ['index', 'form', 'form_absent', 'headers', 'headers_absent', 'headers_present'], 'expect_request');
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
  for (const k of spec.headers_present ?? []) assert.ok(k.toLowerCase() in headers, `header ${k} absent`);
}
