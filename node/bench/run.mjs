// The Node benchmark (a script, not a test): m2m-auth against the usual npm
// clients, all against the same local token server (the release dev server
// in --cheap-tokens mode, so that RSA signing is not what is measured).
//
//   npm run build:release && cargo build --release -p m2m-auth-devserver
//
// The addon is bench/.release/m2m-auth.node (or $M2M_AUTH_NODE_ADDON):
// `npm run build:release` puts a release build there; scripts/bench.sh the
// dist build, the one the npm platform package ships.
//   node bench/run.mjs [--quick] [--long-api] [--only=hot,cold,concurrency,load,api] [--json FILE]
//
// Prints ns/call and ratios for: the hot path (a fresh cached token) next to
// the await floor and the peers; a cold token request next to `wrk -t1 -c1`
// POSTing the same request; 10,000 concurrent callers on a cold cache; and
// what loading the package costs (time, RSS); the API loop (token + GET
// /api) next to plain `fetch` and `node:http` with the header set. With
// `--json FILE` the headline figures are also written to FILE
// (scripts/bench.sh reads it).
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = join(PACKAGE, '..');
const TARGET = process.env.CARGO_TARGET_DIR || join(REPO, 'target');
process.env.M2M_AUTH_NODE_ADDON ||= join(PACKAGE, 'bench', '.release', 'm2m-auth.node');
process.env.M2M_AUTH_DEVSERVER ||= join(TARGET, 'release', 'm2m-auth-devserver');
const QUICK = process.argv.includes('--quick');
// --long-api: the API loops at full length even with --quick (300-call
// blocks swing by +/-20 % between rounds; scripts/bench.sh passes it).
const LONG_API = process.argv.includes('--long-api');
const ONLY = (process.argv.find((a) => a.startsWith('--only=')) ?? '--only=hot,cold,concurrency,load,api').slice(7).split(',');
const JSON_OUT = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : null;
const figures = {};

const { TokenClient } = await import('../index.mjs');
const { startServer, DEMO } = await import('../test/support/devserver.mjs');
const oidc = await import('openid-client');
const { ClientCredentials } = await import('simple-oauth2');
const { OAuth2Client, OAuth2Fetch } = await import('@badgateway/oauth2-client');

const server = await startServer({ cheapTokens: true });
const { url, token_url: tokenUrl } = server.urls;
const tokenRequests = async () => (await server.stats()).token_requests;

// ---- the contenders ----------------------------------------------------

const ours = new TokenClient({ tokenUrl, ...DEMO, noProxy: true });

const oidcConfig = new oidc.Configuration(
  { issuer: url, token_endpoint: tokenUrl }, DEMO.clientId, undefined, oidc.ClientSecretPost(DEMO.clientSecret));
oidc.allowInsecureRequests(oidcConfig);
// openid-client has no cache: the one a user would write.
let oidcCached = null;
async function oidcGetToken() {
  if (oidcCached !== null && oidcCached.expiresAt - 60_000 > Date.now()) return oidcCached.accessToken;
  const t = await oidc.clientCredentialsGrant(oidcConfig, { audience: DEMO.audience });
  oidcCached = { accessToken: t.access_token, expiresAt: Date.now() + t.expires_in * 1000 };
  return oidcCached.accessToken;
}

const simple = new ClientCredentials({
  client: { id: DEMO.clientId, secret: DEMO.clientSecret },
  auth: { tokenHost: url, tokenPath: '/oauth/token' },
  options: { authorizationMethod: 'body' },
});
let simpleToken = null; // a kept AccessToken, renewed when it is about to expire
async function simpleGetToken() {
  if (simpleToken === null || simpleToken.expired(60)) simpleToken = await simple.getToken({ audience: DEMO.audience });
  return simpleToken;
}

const badgateway = new OAuth2Client({
  server: url, tokenEndpoint: '/oauth/token', clientId: DEMO.clientId, clientSecret: DEMO.clientSecret,
  authenticationMethod: 'client_secret_post',
});
const badgatewayFetch = new OAuth2Fetch({
  client: badgateway,
  getNewToken: () => badgateway.clientCredentials({ extraParams: { audience: DEMO.audience } }),
});

const map = new Map([['token', 'value']]);
async function floor() {
  return map.get('token');
}

// ---- hot path -------------------------------------------------------------

// One loop per contender, so that each call site stays monomorphic.
const hot = {
  'await floor (async fn + Map lookup)': async (n) => { for (let i = 0; i < n; i++) await floor(); },
  'm2m-auth await client.getToken()': async (n) => { for (let i = 0; i < n; i++) await ours.getToken(); },
  'openid-client v6 + user cache': async (n) => { for (let i = 0; i < n; i++) await oidcGetToken(); },
  'simple-oauth2 kept AccessToken': async (n) => { for (let i = 0; i < n; i++) await simpleGetToken(); },
  '@badgateway/oauth2-client OAuth2Fetch': async (n) => { for (let i = 0; i < n; i++) await badgatewayFetch.getToken(); },
};

async function timeNs(loop, n) {
  const t0 = process.hrtime.bigint();
  await loop(n);
  return Number(process.hrtime.bigint() - t0) / n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function benchHot() {
  const rounds = QUICK ? 5 : 21;
  const n = QUICK ? 50_000 : 200_000;
  const samples = Object.fromEntries(Object.keys(hot).map((k) => [k, []]));
  for (const loop of Object.values(hot)) await loop(n); // warm up: tokens fetched, code optimized
  const before = await tokenRequests();
  for (let r = 0; r < rounds; r++) {
    for (const [name, loop] of Object.entries(hot)) samples[name].push(await timeNs(loop, n));
  }
  const during = (await tokenRequests()) - before;
  return { samples, during };
}

// ---- cold path ------------------------------------------------------------

const cold = {
  'm2m-auth await client.fetchToken()': () => ours.fetchToken(),
  'openid-client v6 clientCredentialsGrant': () => oidc.clientCredentialsGrant(oidcConfig, { audience: DEMO.audience }),
  'simple-oauth2 getToken': () => simple.getToken({ audience: DEMO.audience }),
  '@badgateway/oauth2-client clientCredentials': () => badgateway.clientCredentials({ extraParams: { audience: DEMO.audience } }),
};

async function benchCold() {
  const n = QUICK ? 300 : 2000;
  const rounds = QUICK ? 2 : 4;
  const samples = Object.fromEntries(Object.keys(cold).map((k) => [k, []]));
  const wrkSamples = [];
  for (const f of Object.values(cold)) for (let i = 0; i < 200; i++) await f();
  // The machine may be busy: rounds alternate with wrk, and the best of each counts.
  for (let r = 0; r < rounds; r++) {
    for (const [name, f] of Object.entries(cold)) {
      const before = await tokenRequests();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await f();
      samples[name].push(Number(process.hrtime.bigint() - t0) / n);
      const made = (await tokenRequests()) - before;
      if (made !== n) throw new Error(`${name}: ${made} token requests for ${n} calls`);
    }
    wrkSamples.push(wrk());
  }
  return { samples, wrk: wrkSamples };
}

function wrk() {
  const script = join(tmpdir(), 'm2m-auth-bench-post.lua');
  const body = new URLSearchParams({
    grant_type: 'client_credentials', client_id: DEMO.clientId, client_secret: DEMO.clientSecret, audience: DEMO.audience,
  }).toString();
  writeFileSync(script, [
    'wrk.method = "POST"',
    `wrk.body = ${JSON.stringify(body)}`,
    'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"',
    'wrk.headers["Accept"] = "application/json"',
  ].join('\n'));
  const out = execFileSync('wrk', ['-t1', '-c1', `-d${QUICK ? 1 : 2}s`, '-s', script, tokenUrl], { encoding: 'utf8' });
  if (/Non-2xx/.test(out)) throw new Error(`wrk saw errors:\n${out}`);
  return 1e9 / Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
}

// ---- single flight ----------------------------------------------------------

async function benchConcurrent() {
  const client = new TokenClient({ tokenUrl, ...DEMO, noProxy: true, extra: { bench: `c${Date.now()}` } });
  await server.faults([{ delay_ms: 50 }]);
  const before = await tokenRequests();
  const t0 = performance.now();
  const tokens = await Promise.all(Array.from({ length: 10_000 }, () => client.getToken()));
  const ms = performance.now() - t0;
  return { requests: (await tokenRequests()) - before, distinct: new Set(tokens.map((t) => t.accessToken)).size, ms };
}

// ---- loading ------------------------------------------------------------

async function benchLoad() {
  // In an app, Node's module loader is warm by the time it loads m2m-auth:
  // the probe requires a one-line file first, then measures the package.
  const warm = join(tmpdir(), 'm2m-auth-bench-warm.js');
  writeFileSync(warm, 'module.exports = 1;\n');
  const probe = (warmUp) => `
    ${warmUp ? `require(${JSON.stringify(warm)});` : ''}
    const r0 = process.memoryUsage().rss;
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    require(${JSON.stringify(PACKAGE)});
    const t1 = process.hrtime.bigint();
    const c = process.cpuUsage(c0);
    const r1 = process.memoryUsage().rss;
    console.log(JSON.stringify({ ms: Number(t1 - t0) / 1e6, cpu: (c.user + c.system) / 1e3, rss: (r1 - r0) / 2 ** 20 }));`;
  const result = {};
  for (const [name, warmUp] of [['warm', true], ['first', false]]) {
    const ms = [];
    const cpu = [];
    const rss = [];
    for (let i = 0; i < (QUICK ? 5 : 21); i++) {
      const { stdout } = await run(process.execPath, ['-e', probe(warmUp)], { env: process.env });
      const r = JSON.parse(stdout);
      ms.push(r.ms);
      cpu.push(r.cpu);
      rss.push(r.rss);
    }
    result[name] = { ms: median(ms), cpu: median(cpu), rss: median(rss) };
  }
  return result;
}

// ---- API loop ------------------------------------------------------------

async function benchApi() {
  const apiUrl = `${url}/api`;
  const header = (await ours.getToken()).authorizationHeader();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const nodeHttp = () => new Promise((resolve, reject) => {
    http.get(apiUrl, { agent, headers: { authorization: header } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${res.statusCode}`))));
    }).on('error', reject);
  });
  const ok = (r) => { if (r.status !== 200) throw new Error(`GET /api: ${r.status}`); };
  const loops = {
    'm2m-auth client.fetch': async () => { const r = await ours.fetch(apiUrl); ok(r); await r.arrayBuffer(); },
    'm2m-auth client.callApi': async () => { ok(await ours.callApi('GET', apiUrl)); },
    '@badgateway/oauth2-client OAuth2Fetch.fetch': async () => { const r = await badgatewayFetch.fetch(apiUrl); ok(r); await r.arrayBuffer(); },
    'floor: fetch with the header': async () => { const r = await fetch(apiUrl, { headers: { authorization: header } }); ok(r); await r.arrayBuffer(); },
    'floor: node:http keep-alive with the header': nodeHttp,
  };
  const n = QUICK && !LONG_API ? 300 : 2000;
  const samples = Object.fromEntries(Object.keys(loops).map((k) => [k, []]));
  for (const f of Object.values(loops)) for (let i = 0; i < 200; i++) await f();
  for (let r = 0; r < (QUICK && !LONG_API ? 3 : 5); r++) {
    for (const [name, f] of Object.entries(loops)) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await f();
      samples[name].push(n / (Number(process.hrtime.bigint() - t0) / 1e9));
    }
  }
  agent.destroy();
  return Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));
}

// ---- report -------------------------------------------------------------

const fmt = (x) => x.toFixed(0).padStart(7);
const ratio = (x, base) => `${(x / base).toFixed(2)}×`;

try {
  if (ONLY.includes('hot')) {
    const { samples: hotSamples, during } = await benchHot();
    const floorNs = median(hotSamples['await floor (async fn + Map lookup)']);
    console.log(`\nHot path: a fresh cached token (median of ${QUICK ? 5 : 21} rounds; ${during} token requests during them)\n`);
    console.log('| | ns/call | vs await floor |');
    console.log('|---|---:|---:|');
    for (const [name, xs] of Object.entries(hotSamples)) console.log(`| ${name} | ${fmt(median(xs))} | ${ratio(median(xs), floorNs)} |`);
    const peers = Object.entries(hotSamples).filter(([k]) => !k.startsWith('await floor') && !k.startsWith('m2m-auth'));
    figures.hot_ns = median(hotSamples['m2m-auth await client.getToken()']);
    figures.floor_hot_ns = floorNs;
    figures.peer_hot_ns = Math.min(...peers.map(([, xs]) => median(xs)));
  }
  if (ONLY.includes('cold')) {
    const { samples: coldSamples, wrk: wrkSamples } = await benchCold();
    const wrkNs = Math.min(...wrkSamples);
    console.log('\nCold path: one token request, sequential (best of rounds, alternating with wrk)\n');
    console.log('| | ns/request | vs wrk -t1 -c1 |');
    console.log('|---|---:|---:|');
    console.log(`| wrk -t1 -c1 POST (same request) | ${fmt(wrkNs)} | 1.00× |`);
    for (const [name, xs] of Object.entries(coldSamples)) console.log(`| ${name} | ${fmt(Math.min(...xs))} | ${ratio(Math.min(...xs), wrkNs)} |`);
    figures.cold_us = Math.min(...coldSamples['m2m-auth await client.fetchToken()']) / 1e3;
    figures.wrk_us = wrkNs / 1e3;
    figures.peer_cold_us = Math.min(...Object.entries(coldSamples).filter(([k]) => !k.startsWith('m2m-auth')).map(([, xs]) => Math.min(...xs))) / 1e3;
  }
  if (ONLY.includes('concurrency')) {
    const c = await benchConcurrent();
    console.log(`\n10,000 concurrent getToken() on a cold cache: ${c.requests} token request(s), ${c.distinct} distinct token(s), ${c.ms.toFixed(0)} ms`);
    figures.herd = c.requests;
  }
  if (ONLY.includes('load')) {
    const load = await benchLoad();
    console.log(`Loading the package (require, release addon, median of ${QUICK ? 5 : 21} processes): ` +
      `${load.warm.ms.toFixed(2)} ms (${load.warm.cpu.toFixed(2)} ms CPU), +${load.warm.rss.toFixed(2)} MiB RSS in an app (module loader warm); ` +
      `${load.first.ms.toFixed(2)} ms (${load.first.cpu.toFixed(2)} ms CPU), +${load.first.rss.toFixed(2)} MiB as the process's first require`);
    figures.load_ms = load.warm.ms;
    figures.load_cpu_ms = load.warm.cpu;
    figures.load_rss_mib = load.warm.rss;
  }
  if (ONLY.includes('api')) {
    const api = await benchApi();
    console.log('\nAPI loop: token + GET /api, sequential (median of rounds)\n');
    console.log('| | calls/s | vs plain fetch |');
    console.log('|---|---:|---:|');
    const plain = api['floor: fetch with the header'];
    for (const [name, rate] of Object.entries(api)) console.log(`| ${name} | ${fmt(rate)} | ${ratio(rate, plain)} |`);
    figures.api_per_s = api['m2m-auth client.fetch'];
    figures.call_api_per_s = api['m2m-auth client.callApi'];
    figures.floor_api_per_s = plain;
    figures.node_http_per_s = api['floor: node:http keep-alive with the header'];
    figures.peer_api_per_s = api['@badgateway/oauth2-client OAuth2Fetch.fetch'];
  }
  if (JSON_OUT) writeFileSync(JSON_OUT, `${JSON.stringify(figures)}\n`);
} finally {
  await server.stop();
}
