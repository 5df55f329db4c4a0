// The TokenClient API: tokens, caching, the JS fast path, errors, secrets.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { format, inspect } from 'node:util';

import {
  CacheError, ConfigError, HttpError, InsufficientScopeError, InvalidResponseError, InvalidTokenError, M2MAuthError, OAuthError,
  ThrottledError, Token, TokenClient, TransportError, errorClasses,
} from '../index.mjs';
import { DEMO, startServer } from './support/devserver.mjs';

const CANARY = 'canary-S3CRET-7f1d+/=&x';

let server;
before(async () => {
  server = await startServer();
  await server.addClient({ client_id: 'canary-client', client_secret: CANARY, token_lifetime: 3600 });
});
after(() => server.stop());

const demo = (extra = {}) => new TokenClient({ tokenUrl: server.urls.token_url, ...DEMO, noProxy: true, ...extra });
const tokenRequests = async () => (await server.stats()).token_requests;
/** A client whose key no other test shares (a fresh cache entry). */
let unique = 0;
const fresh = (extra = {}) => demo({ extra: { test_key: `k${++unique}` }, ...extra });

function shows(value) {
  return [inspect(value), inspect(value, { showHidden: true, depth: 10 }), format('%o', value), format('%O', value),
    format('%j', value), JSON.stringify(value), String(value), `${value}`].join('\n');
}

describe('getToken', () => {
  test('returns a bearer token with its metadata', async () => {
    const client = fresh();
    const token = await client.getToken();
    assert.ok(token instanceof Token);
    assert.match(token.accessToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal(token.tokenType, 'Bearer');
    assert.equal(token.authorizationHeader(), `Bearer ${token.accessToken}`);
    assert.ok(token.expiresIn > 86_000_000 && token.expiresIn <= 86_400_000, `expiresIn ${token.expiresIn} ms`);
    assert.equal(typeof token.expiresAt, 'number');
    assert.ok(Math.abs(token.expiresAt - Date.now() - token.expiresIn) < 1000);
    assert.ok(token.refreshAt < token.expiresAt && token.refreshAt > Date.now());
    assert.equal(token.scope, 'read:data write:data');
    assert.deepEqual({ ...token.extra }, {});
    assert.ok(Object.isFrozen(token.extra));
    assert.match(token.fingerprint, /^[0-9a-f]{8,}$/);
    assert.throws(() => new Token(), TypeError);
  });

  test('a cached token is served without I/O, from the JS copy and from the engine', async () => {
    const client = fresh();
    const before = await tokenRequests();
    const first = await client.getToken(); // fetched: the epoch moved while it was
    const kept = await client.getToken(); // from the engine's cache, kept in JS
    assert.equal(kept.accessToken, first.accessToken);
    assert.equal(await client.getToken(), kept, 'the JS copy serves the same Token object');
    const viaEngine = await client.getToken({});
    assert.equal(viaEngine.accessToken, first.accessToken);
    assert.equal(await tokenRequests(), before + 1);
    const s = client.stats();
    assert.deepEqual({ ...s, hits: 0 }, { hits: 0, misses: 1, fetches: 1, refreshes: 0, failures: 0, sharedHits: 0, storeErrors: 0, throttles: 0, quotaRemaining: null });
    assert.equal(s.hits, 3);
  });

  test('clients with the same options share the token (process-wide cache)', async () => {
    const opts = { extra: { shared: `s${++unique}` } };
    const before = await tokenRequests();
    const a = await demo(opts).getToken();
    const b = await demo(opts).getToken();
    assert.equal(a.accessToken, b.accessToken);
    assert.equal(await tokenRequests(), before + 1);
  });

  test('per-call overrides are their own cache key', async () => {
    const client = fresh({ scope: 'read:data' });
    const a = await client.getToken();
    const b = await client.getToken({ scope: ['write:data'] });
    assert.notEqual(a.accessToken, b.accessToken);
    assert.equal(a.scope, 'read:data');
    assert.equal(b.scope, 'write:data');
    assert.equal((await client.getToken({ scope: 'write:data' })).accessToken, b.accessToken);
  });

  test('invalidate drops the token in every client sharing it, JS copies included', async () => {
    const opts = { extra: { shared: `s${++unique}` } };
    const a = demo(opts);
    const b = demo(opts);
    const old = await a.getToken();
    assert.equal((await b.getToken()).accessToken, old.accessToken);
    await a.getToken(); // a's copy is filled
    assert.equal(await a.getToken(), await a.getToken(), 'served from the copy');
    b.invalidate();
    const renewed = await a.getToken();
    assert.notEqual(renewed.accessToken, old.accessToken, 'a copy served a token the engine dropped');
    assert.equal((await b.getToken()).accessToken, renewed.accessToken);
    await a.getToken();
    assert.equal(await a.getToken(), await a.getToken(), 'served from the copy again');
    b.invalidateRejected(old); // no longer the cached token: nothing to drop
    assert.equal((await a.getToken()).accessToken, renewed.accessToken);
    b.invalidateRejected(renewed);
    assert.notEqual((await a.getToken()).accessToken, renewed.accessToken, 'a copy served a refused token');
    assert.throws(() => a.invalidateRejected(42), ConfigError);
  });

  test('fetchToken bypasses the cache, then updates it (in every client\'s copy)', async () => {
    const opts = { extra: { shared: `s${++unique}` } };
    const client = demo(opts);
    await client.getToken();
    const old = await client.getToken();
    assert.equal(await client.getToken(), old, 'served from the copy');
    const before = await tokenRequests();
    const fetched = await demo(opts).fetchToken();
    assert.notEqual(fetched.accessToken, old.accessToken);
    assert.equal(await tokenRequests(), before + 1);
    assert.equal((await client.getToken()).accessToken, fetched.accessToken);
    assert.equal((await client.fetchToken()).accessToken === fetched.accessToken, false);
  });

  test('the JS copy never outlives the refresh point the engine handed it', async () => {
    // 2 s tokens refreshed at half their life: calls made past the refresh
    // point reach the engine, which starts exactly one background refresh.
    await server.addClient({ client_id: 'short-client', client_secret: 'short-secret', token_lifetime: 2 });
    const client = new TokenClient({
      tokenUrl: server.urls.token_url, clientId: 'short-client', clientSecret: 'short-secret',
      refreshRatio: 0.5, leeway: 200, extra: { k: `short${++unique}` },
    });
    const before = await tokenRequests();
    const first = await client.getToken();
    assert.equal(first.refreshAt - first.expiresAt, -1000);
    let renewedAt = null;
    const start = Date.now();
    while (Date.now() - start < 1700) {
      const t = await client.getToken();
      if (t.accessToken !== first.accessToken && renewedAt === null) renewedAt = Date.now();
      if (Date.now() < first.refreshAt - 30) {
        assert.equal(t.accessToken, first.accessToken);
      }
      await sleep(5);
    }
    assert.equal(await tokenRequests(), before + 2, 'one request, then one background refresh');
    assert.ok(renewedAt !== null, 'the refreshed token was served');
    assert.ok(renewedAt - first.refreshAt < 400, `renewed ${renewedAt - first.refreshAt} ms after the refresh point`);
    assert.equal(client.stats().refreshes, 1);
  });

  test('fromEnv reads M2M_AUTH_* and options override it', async () => {
    const saved = { ...process.env };
    try {
      process.env.M2M_AUTH_TOKEN_URL = server.urls.token_url;
      process.env.M2M_AUTH_CLIENT_ID = DEMO.clientId;
      process.env.M2M_AUTH_CLIENT_SECRET = DEMO.clientSecret;
      process.env.M2M_AUTH_AUDIENCE = DEMO.audience;
      process.env.M2M_AUTH_SCOPE = 'read:data';
      const token = await TokenClient.fromEnv().getToken();
      assert.equal(token.scope, 'read:data');
      const overridden = await TokenClient.fromEnv({ scope: 'write:data' }).getToken();
      assert.equal(overridden.scope, 'write:data');
      delete process.env.M2M_AUTH_CLIENT_SECRET;
      assert.throws(() => TokenClient.fromEnv(), (e) => e instanceof ConfigError && /client_secret/.test(e.message));
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  test('close() releases the client; later calls throw ConfigError', async () => {
    const client = fresh();
    await client.getToken();
    client.close();
    await assert.rejects(client.getToken(), ConfigError);
    assert.throws(() => client.invalidate(), ConfigError);
    assert.throws(() => client.stats(), ConfigError);
    assert.equal(inspect(client), 'TokenClient { closed: true }');
  });
});

describe('the client object', () => {
  test('clientId, authMethod, and a JS-shaped util.inspect', () => {
    const client = demo({ authMethod: 'client_secret_basic', scope: ['read:data', 'write:data'], extra: { tenant: 't1' } });
    assert.equal(client.clientId, DEMO.clientId);
    assert.equal(client.authMethod, 'client_secret_basic');
    assert.equal(inspect(client, { breakLength: Infinity }), `TokenClient { tokenUrl: '${server.urls.token_url}', `
      + `clientId: '${DEMO.clientId}', authMethod: 'client_secret_basic', audience: '${DEMO.audience}', `
      + "scope: [ 'read:data', 'write:data' ], extra: { tenant: 't1' }, clientSecret: '***' }");
    assert.equal(String(client), '[object TokenClient]');
  });

  test('fromEnv options show too, overrides win', () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { M2M_AUTH_DOMAIN: 'tenant.example.com', M2M_AUTH_CLIENT_ID: 'env-id',
        M2M_AUTH_CLIENT_SECRET: 'env-secret', M2M_AUTH_AUDIENCE: 'https://env.example.com', M2M_AUTH_SCOPE: 'a b' });
      const client = TokenClient.fromEnv({ audience: 'https://override.example.com' });
      const shown = inspect(client, { breakLength: Infinity });
      assert.equal(shown, "TokenClient { domain: 'tenant.example.com', clientId: 'env-id', authMethod: 'client_secret_post', "
        + "audience: 'https://override.example.com', scope: [ 'a', 'b' ], clientSecret: '***' }");
      assert.ok(!shown.includes('env-secret'));
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});

describe('secrets', () => {
  test('inspect, JSON and String of a client show no secret', () => {
    const client = new TokenClient({ tokenUrl: server.urls.token_url, clientId: 'canary-client', clientSecret: CANARY });
    const text = shows(client);
    assert.ok(!text.includes(CANARY), text);
    assert.ok(!text.includes(encodeURIComponent(CANARY)), text);
    assert.match(inspect(client), /clientSecret: '\*\*\*'/);
    for (const rust of ['Some(', 'None', 'ClientSecretPost', 'Resolved {', 'client_secret:', 'client_id:']) {
      assert.ok(!inspect(client).includes(rust), `Rust Debug syntax in ${inspect(client)}`);
    }
    assert.deepEqual(JSON.parse(JSON.stringify(client)), { clientId: 'canary-client', authMethod: 'client_secret_post' });
    assert.deepEqual(Object.keys(client), []);
  });

  test('inspect, JSON and String of a token show no token', async () => {
    const client = new TokenClient({ tokenUrl: server.urls.token_url, clientId: 'canary-client', clientSecret: CANARY });
    const token = await client.getToken();
    const text = shows(token) + shows({ nested: { token } }) + shows([token]);
    assert.ok(!text.includes(token.accessToken), text);
    assert.ok(!text.includes(token.accessToken.split('.')[1]), 'no part of the JWT');
    assert.ok(text.includes(token.fingerprint));
    assert.deepEqual(Object.keys(token), []);
    assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(token))).sort(), ['expiresAt', 'fingerprint', 'refreshAt', 'scope', 'tokenType']);
  });

  test('errors show no secret, even when the server echoes it', async () => {
    const client = new TokenClient({ tokenUrl: server.urls.token_url, clientId: 'canary-client', clientSecret: CANARY,
      maxAttempts: 1, extra: { k: `echo${++unique}` } });
    const encoded = new URLSearchParams({ s: CANARY }).toString().slice(2);
    await server.faults([{ status: 400, json: { error: 'invalid_request', error_description: `bad secret ${CANARY} / ${encoded}` } }]);
    const err = await client.getToken().then(() => assert.fail('no error'), (e) => e);
    assert.ok(err instanceof OAuthError);
    const text = shows(err) + err.stack;
    for (const s of [CANARY, encoded]) assert.ok(!text.includes(s), text);
    assert.match(err.errorDescription, /\*\*\*/);
  });
});

describe('errors', () => {
  const fail = (p) => p.then(() => assert.fail('expected an error'), (e) => e);

  test('every docs/design.md §6 code has a class and an M2M_ code', () => {
    const expected = {
      config: [ConfigError, 'M2M_CONFIG'], oauth: [OAuthError, 'M2M_OAUTH'], http: [HttpError, 'M2M_HTTP'],
      transport: [TransportError, 'M2M_TRANSPORT'], invalid_response: [InvalidResponseError, 'M2M_INVALID_RESPONSE'],
      throttled: [ThrottledError, 'M2M_THROTTLED'], cache: [CacheError, 'M2M_CACHE'],
      invalid_token: [InvalidTokenError, 'M2M_INVALID_TOKEN'],
      insufficient_scope: [InsufficientScopeError, 'M2M_INSUFFICIENT_SCOPE'],
    };
    assert.deepEqual(Object.keys(errorClasses).sort(), Object.keys(expected).sort());
    for (const [code, [C, jsCode]] of Object.entries(expected)) {
      assert.equal(errorClasses[code], C);
      const e = new C('x');
      assert.ok(e instanceof M2MAuthError && e instanceof Error);
      assert.equal(e.code, jsCode);
      assert.equal(e.name, C.name);
    }
  });

  test('config: bad options throw before any I/O', async () => {
    const before = await tokenRequests();
    const cases = [
      [{ ...DEMO }, /exactly one of token_url, domain or issuer/],
      [{ tokenUrl: server.urls.token_url, domain: 'x.example.com', ...DEMO }, /exactly one/],
      [{ tokenUrl: 'http://auth.example.com/oauth/token', ...DEMO }, /http:\/\/ on a non-loopback host/],
      [{ tokenUrl: server.urls.token_url, clientId: 'x' }, /client_secret is required/],
      [{ tokenUrl: server.urls.token_url, ...DEMO, authMethod: 'magic' }, /unknown auth_method/],
      [{ tokenUrl: server.urls.token_url, ...DEMO, clientSecert: 'typo' }, /unknown option "clientSecert"/],
      [{ tokenUrl: server.urls.token_url, ...DEMO, retry: { maxAttempts: 2 } }, /unknown option "retry"/],
      [{ tokenUrl: server.urls.token_url, ...DEMO, timeoutMs: 100 }, /unknown option "timeoutMs" \(use "timeout"/],
      [{ tokenUrl: server.urls.token_url, ...DEMO, timeout: -1 }, /timeout must be a non-negative number of milliseconds/],
      [{ tokenUrl: server.urls.token_url, ...DEMO, timeout: '30' }, /timeout must be a non-negative number of milliseconds/],
      [{ tokenUrl: server.urls.token_url, ...DEMO, maxAttempts: 1.5 }, /maxAttempts must be a non-negative integer/],
      [{ tokenUrl: server.urls.token_url, ...DEMO, noProxy: 'yes' }, /noProxy must be a boolean/],
      [{ tokenUrl: server.urls.token_url, ...DEMO, scope: [1] }, /scope must be a string or an array of strings/],
      [{ tokenUrl: server.urls.token_url, ...DEMO, extra: 'a=b' }, /extra must be an object/],
      [{ tokenUrl: server.urls.token_url, ...DEMO, caCerts: 42 }, /caCerts must be a string/],
      [{ tokenUrl: server.urls.token_url, ...DEMO, caCerts: Buffer.from([0xff, 0xfe]) }, /caCerts must be a string/],
      [{ tokenUrl: server.urls.token_url, ...DEMO, caCerts: Buffer.from('not a certificate') }, /ca_certs|certificate/i],
      [{ tokenUrl: server.urls.token_url, ...DEMO, refreshRatio: 2 }, /refresh_ratio/],
      [{ tokenUrl: server.urls.token_url, ...DEMO, cache: 'memcached://x' }, /unknown cache/],
      [{ tokenUrl: server.urls.token_url, ...DEMO, cache: 'redis+cluster://u:hunter2@h1:7000,,h2:7001' }, /cache URL is not valid(?!.*hunter2)/],
      [{ tokenUrl: server.urls.token_url, ...DEMO, cache: 'redis+sentinel://u:hunter2@h1:26379' }, /cache URL is not valid(?!.*hunter2)/],
    ];
    for (const [opts, message] of cases) {
      assert.throws(() => new TokenClient(opts), (e) => {
        assert.ok(e instanceof ConfigError, `${e}`);
        assert.equal(e.code, 'M2M_CONFIG');
        assert.match(e.message, message);
        return true;
      });
    }
    assert.throws(() => new TokenClient('https://x'), ConfigError);
    // Redis Cluster and Sentinel URLs build (no connection yet).
    for (const cache of ['redis+cluster://127.0.0.1:7000,127.0.0.1:7001',
      'redis+sentinel://127.0.0.1:26379,127.0.0.1:26380/mymaster/0']) {
      new TokenClient({ tokenUrl: server.urls.token_url, ...DEMO, cache }).close();
    }
    assert.throws(() => new TokenClient({ tokenUrl: server.urls.token_url, clientId: 'x', clientSecret: 12345 }),
      (e) => e instanceof ConfigError && !e.message.includes('12345'));
    const client = fresh();
    await assert.rejects(client.getToken({ resource: 'not a uri' }), (e) => e instanceof ConfigError && /absolute URI/.test(e.message));
    await assert.rejects(client.getToken({ audiance: 'x' }), (e) => e instanceof ConfigError && /unknown request parameter "audiance"/.test(e.message));
    await assert.rejects(client.getToken({ scope: 7 }), (e) => e instanceof ConfigError && /option scope must be/.test(e.message));
    await assert.rejects(client.getToken({ extra: { client_id: 'x' } }), ConfigError);
    assert.equal(await tokenRequests(), before);
  });

  test('oauth: error, errorDescription, errorUri, status', async () => {
    const client = fresh({ maxAttempts: 1 });
    await server.faults([{ status: 400, json: { error: 'invalid_scope', error_description: 'no such scope', error_uri: 'https://docs.example.com/e' } }]);
    const e = await fail(client.getToken());
    assert.ok(e instanceof OAuthError);
    assert.equal(e.code, 'M2M_OAUTH');
    assert.equal(e.error, 'invalid_scope');
    assert.equal(e.errorDescription, 'no such scope');
    assert.equal(e.errorUri, 'https://docs.example.com/e');
    assert.equal(e.status, 400);
    assert.equal(e.retryAfter, null);
    assert.match(e.message, /^oauth: invalid_scope: no such scope \(status 400\)$/);
    const wrong = await fail(demo({ clientSecret: 'nope', extra: { k: `w${++unique}` } }).getToken());
    assert.ok(wrong instanceof OAuthError);
    assert.equal(wrong.error, 'invalid_client');
    assert.equal(wrong.status, 401);
  });

  test('http: status and body excerpt', async () => {
    const client = fresh({ maxAttempts: 1 });
    await server.faults([{ status: 418, body: 'x'.repeat(2000) }]);
    const e = await fail(client.getToken());
    assert.ok(e instanceof HttpError);
    assert.equal(e.code, 'M2M_HTTP');
    assert.equal(e.status, 418);
    assert.ok(e.body.length > 0 && Buffer.byteLength(e.body) <= 512);
  });

  test('transport: kind', async () => {
    const dead = await startServer();
    const url = dead.urls.token_url;
    await dead.stop();
    const client = new TokenClient({ tokenUrl: url, ...DEMO, maxAttempts: 1 });
    const e = await fail(client.getToken());
    assert.ok(e instanceof TransportError);
    assert.equal(e.code, 'M2M_TRANSPORT');
    assert.equal(e.kind, 'connect');
    assert.equal(e.status, null);
  });

  test('invalid_response: reason', async () => {
    const client = fresh();
    await server.faults([{ token: { token_type: 'mac' } }]);
    const e = await fail(client.getToken());
    assert.ok(e instanceof InvalidResponseError);
    assert.equal(e.code, 'M2M_INVALID_RESPONSE');
    assert.match(e.reason, /token_type/);
  });

  test('throttled: retryAfter in milliseconds, no I/O until then', async () => {
    const client = fresh({ maxAttempts: 1 });
    await server.faults([{ status: 429, json: { error: 'slow_down' }, headers: { 'Retry-After': '30' } }]);
    const first = await fail(client.getToken());
    assert.ok(first instanceof OAuthError || first instanceof HttpError, `${first}`);
    const before = await tokenRequests();
    const e = await fail(client.getToken());
    assert.ok(e instanceof ThrottledError);
    assert.equal(e.code, 'M2M_THROTTLED');
    assert.ok(e.retryAfter > 25_000 && e.retryAfter <= 30_000, `retryAfter ${e.retryAfter} ms`);
    assert.equal(await tokenRequests(), before);
  });
});
