// DPoP (RFC 9449) from Node, against the dev server: DPoP-bound tokens whose
// cnf.jkt is the client's dpopThumbprint; proofs from dpopProof checked by
// an independent JOSE library (jose) against the proof's own jwk; the nonce
// at the token endpoint; dpopResponse; dpop off; and the canary: no part of
// a DPoP private key in any inspect, error or log record at trace.
import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { format, inspect } from 'node:util';
import { EmbeddedJWK, calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';

import { ConfigError, M2MAuthError, TokenClient, setLogger } from '../index.mjs';
import { DEMO, REPO, startServer } from './support/devserver.mjs';

const KEYS = join(REPO, 'core', 'tests', 'verify_keys');
const P256_PEM = readFileSync(join(KEYS, 'p256.pem'), 'utf8');
const P256_JWK = readFileSync(join(REPO, 'core', 'tests', 'assertion_keys', 'p256.jwk.json'), 'utf8');

let server;
before(async () => {
  server = await startServer();
});
after(() => server.stop());

let unique = 0;
/** A DPoP client of the demo client, with its own cache key. */
const dpopClient = (options = {}) => new TokenClient({
  tokenUrl: server.urls.token_url, ...DEMO, noProxy: true, dpop: true, extra: { k: `dpop${++unique}` }, ...options,
});
const b64urlSha256 = (text) => createHash('sha256').update(text).digest('base64url');

/**
 * Verifies `proof` with jose against the jwk in its own header and checks
 * RFC 9449 §4.2: typ, a public jwk, htm, htu, a recent iat, a jti; returns
 * { header, claims }.
 */
async function verifyProof(proof, { method, htu, alg }) {
  const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [alg] });
  assert.equal(protectedHeader.alg, alg);
  for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.ok(!(m in protectedHeader.jwk), `jwk has ${m}`);
  assert.equal(payload.htm, method);
  assert.equal(payload.htu, htu);
  assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 10, `iat ${payload.iat}`);
  assert.ok(typeof payload.jti === 'string' && payload.jti.length >= 16, 'jti');
  return { header: protectedHeader, claims: payload };
}

for (const [what, options, alg, publicPem] of [
  ['a generated key', {}, 'ES256', null],
  ['a P-256 PEM (dpopKey)', { dpopKey: P256_PEM }, 'ES256', P256_PEM],
  ['an Ed25519 PEM file (dpopKeyFile)', { dpopKeyFile: join(KEYS, 'ed25519.pem') }, 'EdDSA', readFileSync(join(KEYS, 'ed25519.pem'))],
  ['a P-256 private JWK (dpopKey)', { dpopKey: P256_JWK }, 'ES256', P256_PEM],
]) {
  test(`${what}: a DPoP token bound to dpopThumbprint, proofs jose verifies`, async () => {
    const client = dpopClient(options);
    try {
      const jkt = client.dpopThumbprint;
      assert.match(jkt, /^[\w-]{43}$/);
      if (publicPem) {
        // The thumbprint of the key itself, computed here (RFC 7638).
        assert.equal(jkt, await calculateJwkThumbprint(createPublicKey(publicPem).export({ format: 'jwk' })));
      }
      const token = await client.getToken();
      assert.equal(token.tokenType, 'DPoP');
      assert.equal(token.authorizationHeader(), `DPoP ${token.accessToken}`);
      assert.equal(decodeJwt(token.accessToken).cnf.jkt, jkt);

      const url = `${server.urls.api_url}?q=1#frag`;
      const proofs = [client.dpopProof('GET', url, token), client.dpopProof('GET', new URL(url), token.accessToken)];
      const jtis = new Set();
      for (const proof of proofs) {
        const { header, claims } = await verifyProof(proof, { method: 'GET', htu: server.urls.api_url, alg });
        assert.equal(await calculateJwkThumbprint(header.jwk), jkt);
        assert.equal(claims.ath, b64urlSha256(token.accessToken));
        jtis.add(claims.jti);
      }
      const bare = await verifyProof(client.dpopProof('POST', server.urls.token_url), {
        method: 'POST', htu: server.urls.token_url, alg,
      });
      assert.ok(!('ath' in bare.claims), 'no ath without a token');
      jtis.add(bare.claims.jti);
      assert.equal(jtis.size, 3, 'a new jti each time');
      // The dev server's /api checks the binding.
      const res = await fetch(server.urls.api_url, {
        headers: { authorization: token.authorizationHeader(), dpop: client.dpopProof('GET', server.urls.api_url, token) },
      });
      assert.equal(res.status, 200, await res.text());
    } finally {
      client.close();
    }
  });
}

test('nonce mode at the token endpoint: one more request with the nonce, then the nonce is remembered', async () => {
  await server.dpop({ nonce_token: true, rotate: true });
  try {
    const client = dpopClient();
    const before = await server.stats();
    const token = await client.getToken();
    assert.equal(token.tokenType, 'DPoP');
    let after = await server.stats();
    assert.equal(after.dpop_token_requests - before.dpop_token_requests, 2, 'refused without a nonce, then sent with it');
    assert.equal(after.dpop_nonce_token_requests - before.dpop_nonce_token_requests, 1);
    await client.fetchToken();
    const again = await server.stats();
    assert.equal(again.dpop_token_requests - after.dpop_token_requests, 1, 'the remembered nonce went with the next one');
    assert.equal(again.dpop_nonce_token_requests - after.dpop_nonce_token_requests, 1);
    // The next proof for that server carries the nonce it sent.
    const { nonce } = await server.control('GET', '/dpop');
    assert.equal(decodeJwt(client.dpopProof('POST', server.urls.token_url)).nonce, nonce);
    after = again;
    await server.dpop({ rotate: true });
    await client.fetchToken();
    assert.equal((await server.stats()).dpop_token_requests - after.dpop_token_requests, 2, 'a rotated nonce: one retry');
    client.close();
  } finally {
    await server.dpop({ nonce_token: false });
  }
});

test('dpopResponse: true only for a 401 use_dpop_nonce challenge with a nonce; every nonce is remembered', async () => {
  const client = dpopClient();
  const token = await client.getToken();
  const url = `${server.urls.url}/resource`;
  const challenge = 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"';
  const nonceOf = () => decodeJwt(client.dpopProof('GET', url)).nonce;
  assert.equal(nonceOf(), undefined);
  assert.equal(client.dpopResponse(url, token, 401, challenge, 'n-1'), true);
  assert.equal(nonceOf(), 'n-1');
  assert.equal(client.dpopResponse(new URL(url), token, 200, null, 'n-2'), false);
  assert.equal(nonceOf(), 'n-2', 'a 200 nonce is remembered too');
  assert.equal(client.dpopResponse(url, token, 401, 'DPoP error="invalid_token"', 'n-3'), false);
  assert.equal(client.dpopResponse(url, token, 401, challenge, null), false, 'no nonce to retry with');
  assert.equal(client.dpopResponse(url, token, 401, challenge), false);
  assert.equal(client.dpopResponse(url, token, 400, challenge, 'n-4'), false);
  assert.equal(client.dpopResponse(url, token, 401, 'Bearer error="invalid_token"', 'n-5'), false);
  assert.throws(() => client.dpopResponse(url, token, '401', challenge, 'n'), ConfigError);
  assert.throws(() => client.dpopResponse(url, token, 401, 42, 'n'), ConfigError);
  assert.throws(() => client.dpopResponse(url, token.accessToken, 401, challenge, 'n'), ConfigError, 'a Token');
  client.close();
  assert.throws(() => client.dpopResponse(url, token, 401, challenge, 'n'), ConfigError);
});

test('dpopProof refuses a bad method, URL or token; dpop off: a ConfigError, no thumbprint, nothing to retry', async () => {
  const client = dpopClient();
  for (const args of [[42, server.urls.api_url], ['GET', 42], ['GET', 'not a url'], ['G ET', server.urls.api_url],
    ['', server.urls.api_url], ['GET', server.urls.api_url, 42]]) {
    assert.throws(() => client.dpopProof(...args), (e) => e instanceof ConfigError, JSON.stringify(args));
  }
  client.close();
  assert.throws(() => client.dpopProof('GET', server.urls.api_url), ConfigError, 'a closed client');
  const off = new TokenClient({ tokenUrl: server.urls.token_url, ...DEMO });
  assert.throws(() => off.dpopProof('GET', server.urls.api_url), (e) => e instanceof ConfigError && /dpop/.test(e.message));
  assert.equal(off.dpopThumbprint, null);
  const bearer = await off.getToken();
  assert.equal(off.dpopResponse(server.urls.api_url, bearer, 401, 'DPoP error="use_dpop_nonce"', 'n'), false);
  off.close();
});

// -- the canary (issue #14) ---------------------------------------------------

/** Every way Node shows a value. */
function shows(value) {
  return [inspect(value), inspect(value, { showHidden: true, depth: 10 }), format('%o', value), format('%O', value),
    format('%j', value), JSON.stringify(value), String(value), String(value && value.stack)].join('\n');
}

test('a DPoP key (PEM or JWK) never shows in inspect, errors or logs at trace', async () => {
  const lines = [];
  const logger = {};
  for (const m of ['error', 'warn', 'info', 'debug']) logger[m] = (text) => lines.push(text);
  setLogger(logger, { level: 'trace' });
  try {
    const needles = P256_PEM.split('\n').filter((l) => l && !l.startsWith('-----'));
    needles.push(JSON.parse(P256_JWK).d);
    const shown = [];
    const caught = (f) => {
      try {
        f();
      } catch (e) {
        shown.push(shows(e));
        return e;
      }
      return assert.fail('no error');
    };
    await server.dpop({ nonce_token: true, nonce_api: true, rotate: true });
    for (const dpopKey of [P256_PEM, P256_JWK]) {
      const c = dpopClient({ dpopKey, retryBaseDelay: 20 });
      const token = await c.getToken();
      shown.push(shows(c), shows(token), c.dpopProof('GET', server.urls.api_url, token));
      assert.equal((await c.callApi('GET', server.urls.api_url)).status, 200);
      // Failing fetches: a refusal, a 500, then 503s.
      await server.faults([{ status: 400, json: { error: 'invalid_dpop_proof', error_description: 'bad proof' } },
        { status: 500, body: 'oops' }, { status: 503 }], { repeatLast: true });
      for (let i = 0; i < 2; i++) {
        const err = await c.fetchToken().then(() => assert.fail('no error'), (e) => e);
        assert.ok(err instanceof M2MAuthError, shows(err));
        shown.push(shows(err));
      }
      await server.clearFaults();
      caught(() => c.dpopProof('GET', 'nowhere'));
      c.close();
    }
    // Keys that do not parse or fit, both key options, a key without dpop.
    const broken = P256_PEM.split('\n').filter((_, i) => i !== 2).join('\n');
    for (const bad of [{ dpopKey: broken }, { dpopKey: P256_JWK.replace('"kty"', '"kty_"') },
      { dpopKey: P256_JWK.replace('"P-256"', '"P-999"') }, { dpopKey: P256_PEM, dpopKeyFile: join(KEYS, 'p256.pem') },
      { dpopKey: P256_JWK, dpop: false }]) {
      const err = caught(() => dpopClient(bad));
      assert.ok(err instanceof ConfigError, shows(err));
    }
    await sleep(300); // the records of background delivery
    const logs = lines.join('\n');
    assert.match(logs, /token received/);
    assert.match(logs, /nonce/i, 'the nonce retries were logged');
    for (const [what, text] of [['an inspect or error', shown.join('\n')], ['a log record', logs]]) {
      for (const needle of needles) assert.ok(!text.includes(needle), `${what} shows a part of the key`);
    }
  } finally {
    setLogger(null);
    await server.dpop({ nonce_token: false, nonce_api: false });
  }
});
