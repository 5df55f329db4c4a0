// The Node verifier benchmark (a script, not a test; issue #13): m2m-auth's
// `Verifier` (a static `jwks`) against the libraries a user would otherwise
// pick, all doing the same checks (signature, issuer, audience, typ at+jwt,
// exp) on the same tokens, signed by `jose` (the independent JOSE library).
//
//   npm run build:release
//   node bench/verify.mjs [--quick] [--n=2000] [--seconds=2] [--rounds=3] [--cached-calls=200000]
//
// Prints verifications/s for RS256 and ES256, one awaited call after
// another:
// - uncached: N distinct tokens, each verified once (our verifier is built
//   afresh each round, so every token is a first sight: a full verification
//   plus the verified-token cache's insert);
// - cached: one token verified again and again (ours answers from the
//   verified-token cache, still checking exp/nbf; the peers have no such
//   cache and verify fully each time).
// Contenders: ours; jose `jwtVerify` with `createLocalJWKSet`;
// express-oauth2-jwt-bearer's `auth()` middleware with the JWKS as its
// `publicKey` (it exports no bare validator: its `jwtVerifier` is internal),
// called with a fake request and `next`, as Express would call it.
// Each measure stops at N calls or `--seconds`, whichever comes first; the
// best of `--rounds` rounds (contenders alternating) is shown.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');
process.env.M2M_AUTH_NODE_ADDON ||= join(PACKAGE, 'bench', '.release', 'm2m-auth.node');
const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : dflt;
};
const QUICK = process.argv.includes('--quick');
const N = arg('n', QUICK ? 200 : 2000);
const SECONDS = arg('seconds', QUICK ? 0.5 : 2);
const ROUNDS = arg('rounds', QUICK ? 1 : 3);
const CACHED_CALLS = arg('cached-calls', QUICK ? 2000 : 200_000);
const WARMUP = Math.min(50, N);
for (const [k, v] of Object.entries({ N, SECONDS, ROUNDS, CACHED_CALLS })) {
  if (!(Number.isFinite(v) && v > 0)) throw new Error(`bad ${k}: ${v}`);
}

const { Verifier } = await import('../index.mjs');
const jose = await import('jose');
const { auth } = (await import('express-oauth2-jwt-bearer')).default;

const ISSUER = 'https://issuer.example/';
const AUDIENCE = 'https://api.example/';
const ALGS = ['RS256', 'ES256'];

// ---- keys and tokens (signed by jose) ----------------------------------

const keys = {};
const jwks = { keys: [] };
for (const alg of ALGS) {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: `bench-${alg}`, use: 'sig' };
  keys[alg] = { privateKey, kid: jwk.kid };
  jwks.keys.push(jwk);
}

function sign(alg, i, { audience = AUDIENCE, typ = 'at+jwt' } = {}) {
  return new jose.SignJWT({ client_id: 'bench-client', scope: 'read:things write:things' })
    .setProtectedHeader({ alg, kid: keys[alg].kid, typ })
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setSubject('bench-client')
    .setIssuedAt()
    .setExpirationTime('1h')
    .setJti(`${alg}-${i}`)
    .sign(keys[alg].privateKey);
}

const tokens = {};
for (const alg of ALGS) {
  const all = [];
  for (let i = 0; i < N + WARMUP; i++) all.push(await sign(alg, i));
  tokens[alg] = { warm: all.slice(0, WARMUP), measured: all.slice(WARMUP) };
}

// ---- the contenders ----------------------------------------------------

const jwksText = JSON.stringify(jwks);
const newOurs = () => new Verifier({ issuer: ISSUER, audience: AUDIENCE, jwks: jwksText });

const localJwks = jose.createLocalJWKSet(jwks);
const joseOptions = { issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt', algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'] };

// strict: true makes it check typ (at+jwt), as ours and jose's do.
const middleware = auth({ issuer: ISSUER, audience: AUDIENCE, publicKey: jwks, strict: true });
function fakeRequest(token) {
  const headers = { host: 'api.example', authorization: `Bearer ${token}` };
  return {
    headers, method: 'GET', protocol: 'https', url: '/things', originalUrl: '/things',
    query: {}, body: undefined,
    get: (name) => headers[name.toLowerCase()],
    is: () => false,
  };
}
async function viaMiddleware(token) {
  const req = fakeRequest(token);
  let failure;
  await middleware(req, {}, (err) => { failure = err; });
  if (failure) throw failure;
  return req.auth.payload;
}

/** name → () => verify(token): a fresh instance per round where it has state. */
const contenders = {
  'm2m-auth Verifier': () => { const v = newOurs(); return (t) => v.verify(t); },
  'jose jwtVerify + createLocalJWKSet': () => (t) => jose.jwtVerify(t, localJwks, joseOptions),
  'express-oauth2-jwt-bearer auth()': () => viaMiddleware,
};

// Every contender accepts a good token and refuses a wrong audience and a
// JWT typ: the same checks, or the figures mean nothing.
for (const [name, make] of Object.entries(contenders)) {
  const verify = make();
  for (const alg of ALGS) {
    await verify(await sign(alg, 'good'));
    for (const bad of [{ audience: 'https://other.example/' }, { typ: 'JWT' }]) {
      const refused = await verify(await sign(alg, 'bad', bad)).then(() => false, () => true);
      if (!refused) throw new Error(`${name} accepted a token with ${JSON.stringify(bad)}`);
    }
  }
}

// ---- measuring ---------------------------------------------------------

/** Calls verify on tokens[i % length] until `count` calls or the time cap; calls/s. */
async function measure(verify, list, count) {
  const deadline = SECONDS * 1e9;
  const start = process.hrtime.bigint();
  let done = 0;
  let elapsed = 0;
  while (done < count) {
    await verify(list[done % list.length]);
    done++;
    if ((done & 63) === 0) {
      elapsed = Number(process.hrtime.bigint() - start);
      if (elapsed >= deadline) break;
    }
  }
  elapsed = Number(process.hrtime.bigint() - start);
  return (done / elapsed) * 1e9;
}

const best = {}; // `${alg} ${mode}` → name → calls/s
for (let round = 0; round < ROUNDS; round++) {
  for (const alg of ALGS) {
    for (const [name, make] of Object.entries(contenders)) {
      // Uncached: distinct tokens, each once (warmed up on others).
      let verify = make();
      for (const t of tokens[alg].warm) await verify(t);
      const uncached = await measure(verify, tokens[alg].measured, tokens[alg].measured.length);
      // Cached: one token again and again.
      verify = make();
      const one = tokens[alg].warm[0];
      for (let i = 0; i < WARMUP; i++) await verify(one);
      const cached = await measure(verify, [one], CACHED_CALLS);
      for (const [mode, rate] of [['uncached', uncached], ['cached', cached]]) {
        const row = (best[`${alg} ${mode}`] ||= {});
        row[name] = Math.max(row[name] ?? 0, rate);
      }
    }
  }
}

// ---- the table ---------------------------------------------------------

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const OURS = 'm2m-auth Verifier';
console.log(`verifications/s, one awaited call after another (best of ${ROUNDS}; uncached: ${N} distinct tokens; cached: one token, up to ${CACHED_CALLS} calls; cap ${SECONDS} s a measure)`);
console.log(`node ${process.version}, jose (top level) ${(await import('jose/package.json', { with: { type: 'json' } }).catch(() => ({ default: {} }))).default.version ?? '?'}`);
console.log('');
console.log('| alg | mode | contender | verifications/s | ours ÷ this |');
console.log('|---|---|---|---:|---:|');
for (const [key, row] of Object.entries(best)) {
  const [alg, mode] = key.split(' ');
  for (const [name, rate] of Object.entries(row)) {
    const ratio = row[OURS] / rate;
    console.log(`| ${alg} | ${mode} | ${name === OURS ? `**${name}**` : name} | ${fmt(rate)} | ${ratio.toFixed(2)}× |`);
  }
}
for (const alg of ALGS) {
  const cached = best[`${alg} cached`][OURS];
  const peers = Object.entries(best[`${alg} uncached`]).filter(([n]) => n !== OURS).map(([, r]) => r);
  console.log(`${alg}: our cached path is ${(cached / Math.max(...peers)).toFixed(1)}× the fastest peer's uncached verification`);
}
