// The Verifier: every case of the cross-language vectors
// (tests/verify/vectors.json, FORMAT.md) against a static `jwks` (the DPoP
// cases' HTTP requests in order on one verifier each), then
// tokens from the dev server verified through its JWKS (by jwksUri and by
// discovery), the engine's fast path and cache, errors and what
// util.inspect shows.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { format, inspect } from 'node:util';

import {
  Claims, ConfigError, InsufficientScopeError, InvalidTokenError, M2MAuthError, TransportError, Verifier,
  challenge, errorClasses,
} from '../index.mjs';
import { SURFACE } from '../scripts/types.mjs';
import { DEMO, REPO, startServer } from './support/devserver.mjs';

const VECTORS = JSON.parse(readFileSync(join(REPO, 'tests', 'verify', 'vectors.json'), 'utf8'));
const surface = JSON.parse(readFileSync(SURFACE, 'utf8'));
const OPTION = Object.fromEntries(surface.verifier_options.map((i) => [i.name, i]));

/** A case's options as Node takes them: camelCase names, durations in ms, the JWKS as JSON text. */
export function nodeOptions(c) {
  const out = {};
  for (const [name, value] of Object.entries(c.options)) {
    const item = OPTION[name];
    assert.ok(item, `vector option ${name} is not a verifier option`);
    out[item.js] = item.type === 'duration' ? value * 1000 : value;
  }
  out.jwks = JSON.stringify(c.jwks ?? VECTORS.jwks);
  return out;
}

const FIELDS = {
  issuer: 'issuer', subject: 'subject', audience: 'audience', client_id: 'clientId', scopes: 'scopes',
  expires_at: 'expiresAt', issued_at: 'issuedAt', not_before: 'notBefore', jwt_id: 'jwtId',
};
const INSTANTS = new Set(['expires_at', 'issued_at', 'not_before']);

function checkClaims(claims, expected, name) {
  assert.ok(claims instanceof Claims, name);
  assert.deepEqual(Object.keys(expected).sort(), Object.keys(FIELDS).sort(), `${name}: the vector's claim fields`);
  for (const [field, want] of Object.entries(expected)) {
    const js = FIELDS[field];
    const value = want !== null && INSTANTS.has(field) ? want * 1000 : want;
    assert.deepEqual(claims[js], value, `${name}: ${js}`);
  }
  for (const s of claims.scopes) assert.ok(claims.hasScope(s), `${name}: hasScope(${s})`);
  assert.equal(claims.hasScope('not-a-granted-scope'), false);
}

function checkError(e, expect, name) {
  assert.ok(e instanceof M2MAuthError, `${name}: ${e && e.stack}`);
  assert.ok(e instanceof errorClasses[expect.code], `${name}: ${e.name} ${e.message}`);
  assert.equal(e.code, `M2M_${expect.code.toUpperCase()}`, name);
  if ('reason' in expect) assert.equal(e.reason, expect.reason, `${name}: ${e.message}`);
  if ('required_scope' in expect) assert.equal(e.requiredScope, expect.required_scope, name);
}

/** Runs a case once against `verifier`. */
async function outcome(verifier, c) {
  if (c.request) return verifier.verifyRequest(c.request.authorization, { scopes: c.request.scopes });
  return verifier.verify(c.token);
}

describe('the cross-language vectors (tests/verify/vectors.json)', () => {
  test('the file is the format this runner knows', () => {
    assert.equal(VECTORS.format, 1);
    assert.ok(VECTORS.cases.length >= 144, `${VECTORS.cases.length} cases`);
    assert.ok(VECTORS.cases.filter((c) => c.http_requests).length >= 50);
  });

  for (const c of VECTORS.cases.filter((x) => x.http_requests)) {
    test(c.name, async () => {
      // One verifier for the requests in order: a replay is refused only
      // by the verifier that took the proof.
      const verifier = new Verifier(nodeOptions(c));
      for (const [i, step] of c.http_requests.entries()) {
        const name = `${c.name} (request ${i})`;
        const request = { method: step.method, url: step.url, authorization: step.authorization, dpop: step.dpop };
        const got = verifier.verifyHttpRequest(request, { scopes: step.scopes });
        if (step.expect.ok) {
          checkClaims(await got, step.expect.claims, name);
          continue;
        }
        const e = await got.then(() => assert.fail(`${name}: expected ${JSON.stringify(step.expect)}`), (x) => x);
        checkError(e, step.expect, name);
        // Neither the token nor the proof (a private jwk member among them) is shown.
        const shown = [e.message, inspect(e), JSON.stringify(e)].join('\n');
        for (const part of `${step.authorization ?? ''} ${step.dpop ?? ''}`.split(/[ .,]+/)) {
          assert.ok(part.length <= 16 || !shown.includes(part), `${name}: the request is in the error`);
        }
      }
      const refused = c.http_requests.filter((s) => s.expect.code === 'invalid_token').length;
      assert.equal(verifier.stats().failures, refused, c.name);
      assert.equal(verifier.stats().jwksFetches, 0, 'a static JWKS is never fetched');
    });
  }

  for (const c of VECTORS.cases.filter((x) => !x.http_requests)) {
    test(c.name, async () => {
      const options = nodeOptions(c);
      if (c.expect.code === 'config') {
        assert.throws(() => new Verifier(options), (e) => e instanceof ConfigError && e.code === 'M2M_CONFIG');
        return;
      }
      const verifier = new Verifier(options);
      // Twice: the second answer may come from the verified-token cache
      // and must be the same.
      for (const round of ['first', 'again']) {
        const name = `${c.name} (${round})`;
        if (c.expect.ok) {
          checkClaims(await outcome(verifier, c), c.expect.claims, name);
        } else {
          const e = await outcome(verifier, c).then(() => assert.fail(`${name}: expected ${JSON.stringify(c.expect)}`), (x) => x);
          checkError(e, c.expect, name);
          const shown = [e.message, inspect(e), JSON.stringify(e)].join('\n');
          if (c.token.length > 20) assert.ok(!shown.includes(c.token.split('.')[1] || c.token), `${name}: the token is in the error`);
        }
      }
      assert.equal(verifier.stats().jwksFetches, 0, 'a static JWKS is never fetched');
    });
  }
});

describe('Verifier', () => {
  const valid = VECTORS.cases.find((c) => c.name === 'valid-rs256');
  const base = () => nodeOptions(valid);

  test('a cached token is a cache hit; stats count it', async () => {
    const v = new Verifier(base());
    await v.verify(valid.token);
    await v.verify(valid.token);
    await v.verify('x.y').catch(() => {});
    assert.deepEqual(v.stats(), { verified: 2, cacheHits: 1, jwksFetches: 0, failures: 1 });
  });

  test('Claims: get(), toJSON(), frozen values, no token shown', async () => {
    const v = new Verifier(base());
    const claims = await v.verify(valid.token);
    const payload = JSON.parse(Buffer.from(valid.token.split('.')[1], 'base64url'));
    assert.deepEqual(claims.toJSON(), payload);
    assert.equal(claims.get('iss'), payload.iss);
    assert.equal(claims.get('no-such-claim'), undefined);
    assert.deepEqual(JSON.parse(JSON.stringify(claims)), payload);
    assert.ok(Object.isFrozen(claims.scopes) && Object.isFrozen(claims.audience) && Object.isFrozen(claims.toJSON()));
    assert.throws(() => new Claims(Symbol('x'), null), TypeError);
    for (const value of [claims, v]) {
      const text = [inspect(value), inspect(value, { showHidden: true, depth: 10 }), format('%o', value),
        format('%O', value), JSON.stringify(value), String(value)].join('\n');
      for (const part of valid.token.split('.')) assert.ok(!text.includes(part), text);
    }
    assert.match(inspect(claims), /^Claims \{.*issuer: 'https:\/\/issuer\.example\/'/s);
    assert.match(inspect(v), /^Verifier \{.*issuer: 'https:\/\/issuer\.example\/'.*audience:/s);
    assert.ok(!inspect(v).includes('"keys"'), 'the JWKS is not shown');
  });

  test('options: camelCase names, ms, unknown names and wrong types are ConfigErrors', () => {
    const rejects = (opts, pattern) => assert.throws(() => new Verifier(opts),
      (e) => e instanceof ConfigError && pattern.test(e.message), `${JSON.stringify(opts)} should fail with ${pattern}`);
    rejects({ ...base(), leewayMs: 5 }, /unknown option "leewayMs" \(use "leeway"/);
    rejects({ ...base(), max_token_bytes: 5 }, /unknown option "max_token_bytes"/);
    rejects({ ...base(), strictTyp: 'yes' }, /option strictTyp must be a boolean/);
    rejects({ ...base(), audience: undefined }, /audience/);
    rejects(undefined, /options object/);
    for (const item of surface.verifier_options) {
      assert.ok(!item.js.includes('_'), item.js);
    }
    // A duration in ms: 1e3 ms of leeway is one second.
    assert.ok(new Verifier({ ...base(), leeway: 1000, cacheSize: 0, strictTyp: false, maxTokenBytes: 20000 }));
  });

  test('verify takes a string; verifyRequest takes a string header and scopes', async () => {
    const v = new Verifier(base());
    await assert.rejects(v.verify(undefined), ConfigError);
    await assert.rejects(v.verifyRequest(42), ConfigError);
    await assert.rejects(v.verifyRequest(`Bearer ${valid.token}`, { scopes: [1] }), ConfigError);
    await assert.rejects(v.verifyRequest(`Bearer ${valid.token}`, { scope: 'x' }), /unknown verifyRequest option "scope"/);
    const c = await v.verifyRequest(`Bearer ${valid.token}`, { scopes: 'read:things' });
    assert.ok(c.hasScope('read:things'));
    await assert.rejects(v.verifyRequest(undefined), (e) => e instanceof InvalidTokenError && e.reason === 'missing');
    await assert.rejects(v.verifyRequest(`Bearer ${valid.token}`, { scopes: ['nope'] }),
      (e) => e instanceof InsufficientScopeError && e.requiredScope === 'nope');
  });

  test('challenge: the engine\'s RFC 6750 answer for each error', async () => {
    const v = new Verifier(base());
    const err = async (p) => p.then(() => assert.fail('expected an error'), (e) => e);
    assert.deepEqual(challenge(await err(v.verifyRequest(undefined))), { status: 401, wwwAuthenticate: 'Bearer' });
    assert.deepEqual(challenge(await err(v.verify('a.b.c'))),
      { status: 401, wwwAuthenticate: 'Bearer error="invalid_token", error_description="malformed"' });
    assert.deepEqual(challenge(await err(v.verifyRequest(`Bearer ${valid.token}`, { scopes: ['a', 'b'] })), { realm: 'api' }),
      { status: 403, wwwAuthenticate: 'Bearer realm="api", error="insufficient_scope", scope="a b"' });
    assert.deepEqual(challenge(new TransportError('down', { code: 'transport' })), { status: 503, wwwAuthenticate: null });
    assert.deepEqual(challenge(new Error('x')), { status: 503, wwwAuthenticate: null });
  });
});

describe('parity with the surface (tests/surface.json)', () => {
  const base = () => ({ issuer: VECTORS.issuer, audience: VECTORS.audience });
  const jwks = JSON.stringify(VECTORS.jwks);
  /** A JS value of each verifier option (the key source added where the option is not one). */
  const SAMPLE = {
    issuer: { issuer: 'https://other.example/', jwks }, jwks_uri: { jwksUri: 'https://issuer.example/jwks.json' },
    jwks: { jwks }, audience: { audience: ['a', 'b'], jwks }, algorithms: { algorithms: ['ES256', 'ES384'], jwks },
    dpop: { dpop: 'required', jwks }, dpop_algorithms: { dpopAlgorithms: ['ES256', 'EdDSA'], jwks },
    dpop_nonce_secret: { dpopNonce: true, dpopNonceSecret: 'n'.repeat(32), jwks },
  };
  const BY_TYPE = { duration: 1500, flag: false, count: 20000, pem: [], list: ['x'], text: 'x' };

  test('new Verifier takes every verifier option by its camelCase name', () => {
    for (const item of surface.verifier_options) {
      const opts = { ...base(), ...(SAMPLE[item.name] ?? { [item.js]: BY_TYPE[item.type], jwks }) };
      assert.ok(item.js in opts, item.name);
      try {
        new Verifier(opts);
      } catch (e) {
        assert.fail(`${item.js}: ${e.message}`);
      }
      if (item.type !== 'pem') {
        const wrong = item.type === 'flag' ? 'yes' : Symbol('x');
        assert.throws(() => new Verifier({ ...opts, [item.js]: wrong }), new RegExp(`option ${item.js} must be`));
      }
    }
  });

  test('Claims has every claims field, Verifier every method, index.d.ts declares them', () => {
    const dts = readFileSync(join(REPO, 'node', 'index.d.ts'), 'utf8');
    for (const item of surface.claims_fields) {
      assert.ok(Object.getOwnPropertyDescriptor(Claims.prototype, item.js)?.get, `Claims.${item.js}`);
      assert.match(dts, new RegExp(`readonly ${item.js}: `), item.js);
    }
    const stats = new Verifier(base()).stats();
    assert.deepEqual(Object.keys(stats), surface.verifier_stats.map((i) => i.js));
    for (const v of Object.values(stats)) assert.equal(typeof v, 'number');
    for (const item of surface.verifier_methods) {
      assert.equal(typeof Verifier.prototype[item.js], 'function', `Verifier.${item.js}`);
      assert.match(dts, new RegExp(`\\n  ${item.js}\\(`), item.js);
    }
    for (const item of surface.verifier_options) assert.match(dts, new RegExp(`\\n  ${item.js}\\??: `), item.js);
  });
});

describe('tokens from the dev server, verified through its JWKS', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  async function devToken(scope) {
    const body = new URLSearchParams({
      grant_type: 'client_credentials', client_id: DEMO.clientId, client_secret: DEMO.clientSecret, audience: DEMO.audience,
    });
    if (scope) body.set('scope', scope);
    const res = await fetch(server.urls.token_url, { method: 'POST', body });
    assert.equal(res.status, 200);
    return (await res.json()).access_token;
  }

  test('by jwksUri: one JWKS fetch, then the engine\'s fast path', async () => {
    const token = await devToken('read:data');
    const before = (await server.stats()).jwks_requests;
    const v = new Verifier({ issuer: server.urls.issuer, jwksUri: server.urls.jwks_uri, audience: DEMO.audience });
    const claims = await v.verify(token);
    assert.equal(claims.clientId, DEMO.clientId);
    assert.deepEqual(claims.audience, [DEMO.audience]);
    assert.ok(claims.hasScope('read:data'));
    assert.ok(Math.abs(claims.expiresAt - Date.now()) < 24 * 3600 * 1000);
    const other = await devToken('write:data');
    assert.ok((await v.verifyRequest(`Bearer ${other}`, { scopes: ['write:data'] })).hasScope('write:data'));
    assert.equal((await server.stats()).jwks_requests - before, 1);
    assert.equal(v.stats().jwksFetches, 1);
  });

  test('by discovery (issuer only)', async () => {
    const token = await devToken();
    const v = new Verifier({ issuer: server.urls.issuer, audience: DEMO.audience });
    assert.equal((await v.verify(token)).subject, DEMO.clientId);
  });

  test('the JWKS unreachable: the fetch\'s error, answered 503', async () => {
    const token = await devToken();
    const v = new Verifier({ issuer: server.urls.issuer, jwksUri: 'http://127.0.0.1:9/jwks.json', audience: DEMO.audience, timeout: 2000 });
    const e = await v.verify(token).then(() => assert.fail('expected an error'), (x) => x);
    assert.ok(e instanceof M2MAuthError && !(e instanceof InvalidTokenError), `${e.name}: ${e.message}`);
    assert.equal(challenge(e).status, 503);
    assert.ok(!e.message.includes(token.split('.')[1]));
  });
});
