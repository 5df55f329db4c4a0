// The README's Node examples (the Node section of the repository README and
// node/README.md) run as written against the dev server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { DEMO, REPO, startServer } from './support/devserver.mjs';

const run = promisify(execFile);
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
// Inside the package, so that `import 'm2m-auth'` resolves to it (self-reference).
const SCRATCH = join(PACKAGE, 'build', 'readme');

/** The ```js blocks of `markdown`. */
export function jsBlocks(markdown) {
  return [...markdown.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

function nodeSection(readme) {
  const start = readme.indexOf('<!-- node-quickstart');
  assert.ok(start >= 0, 'README.md has the node-quickstart marker');
  const end = readme.indexOf('\n## ', start);
  return readme.slice(start, end < 0 ? undefined : end);
}

let server;
before(async () => {
  server = await startServer();
  mkdirSync(SCRATCH, { recursive: true });
});
after(() => server.stop());

function env() {
  return {
    ...process.env,
    AUTH0_DOMAIN: server.urls.url, // http:// is allowed for loopback only
    AUTH0_CLIENT_ID: DEMO.clientId,
    AUTH0_CLIENT_SECRET: DEMO.clientSecret,
    API_AUDIENCE: DEMO.audience,
    API_URL: server.urls.api_url,
    ISSUER: server.urls.issuer, // the API side's Verifier
    M2M_AUTH_DOMAIN: server.urls.url,
    M2M_AUTH_CLIENT_ID: DEMO.clientId,
    M2M_AUTH_CLIENT_SECRET: DEMO.clientSecret,
    M2M_AUTH_AUDIENCE: DEMO.audience,
  };
}

async function runBlock(name, code, extraEnv = {}) {
  const file = join(SCRATCH, `${name}.mjs`);
  writeFileSync(file, code);
  const { stdout, stderr } = await run(process.execPath, [file], { env: { ...env(), ...extraEnv }, timeout: 30_000 });
  assert.ok(!`${stdout}${stderr}`.includes(DEMO.clientSecret), 'the secret was printed');
  return stdout;
}

const readme = nodeSection(readFileSync(join(REPO, 'README.md'), 'utf8'));
const blocks = jsBlocks(readme);

test('the README quickstart gets a token and calls the API', async () => {
  assert.ok(blocks.length >= 1, 'the Node section has a js block');
  const out = await runBlock('readme-0', blocks[0]);
  assert.match(out, /^Bearer token, expires in \d+ s$/m);
  assert.match(out, /^API answered 200: \{.*"ok":true/m);
});

blocks.slice(1).forEach((code, i) => {
  test(`README Node section, example ${i + 2}`, async () => {
    await runBlock(`readme-${i + 1}`, code);
  });
});

/** node/README.md without the sections that need a set-up of their own,
 * and those sections by marker (each from its marker to the next ## heading). */
function splitPackageReadme(markers) {
  let text = readFileSync(join(PACKAGE, 'README.md'), 'utf8');
  const sections = {};
  for (const marker of markers) {
    const start = text.indexOf(`<!-- ${marker}`);
    assert.ok(start >= 0, `node/README.md has the ${marker} marker`);
    const end = text.indexOf('\n## ', start);
    sections[marker] = text.slice(start, end);
    text = text.slice(0, start) + text.slice(end);
  }
  return [text, sections];
}
const [packageReadme, { 'private-key-jwt': privateKeySection, dpop: dpopSection, 'dpop-api': dpopApiSection }] =
  splitPackageReadme(['private-key-jwt', 'dpop', 'dpop-api']);

test('node/README.md private_key_jwt quickstart gets a token and calls the API', async () => {
  const [code, ...more] = jsBlocks(privateKeySection);
  assert.equal(more.length, 0);
  assert.ok(code.includes('privateKeyFile') && !code.includes('clientSecret'));
  // The client's public key registered with the dev server, as one uploads
  // it to the Auth0 dashboard; the example reads the private key's file.
  const keys = join(REPO, 'core', 'tests', 'verify_keys');
  const jwks = JSON.parse(readFileSync(join(keys, 'public_jwks.json'), 'utf8'));
  await server.addClient({
    client_id: 'demo-pk-client',
    auth_methods: ['private_key_jwt'],
    jwks: { keys: [{ ...jwks.rsa2048, kid: 'rsa-1' }] },
  });
  await server.reset();
  const out = await runBlock('node-readme-private-key', code, {
    AUTH0_CLIENT_ID: 'demo-pk-client',
    AUTH0_PRIVATE_KEY_FILE: join(keys, 'rsa2048.pem'),
    AUTH0_KEY_ID: 'rsa-1',
  });
  assert.match(out, /^Bearer token, expires in \d+ s$/m);
  assert.match(out, /^API answered 200: \{.*"sub":"demo-pk-client"/m);
  const bodies = (await server.requests()).map((r) => new URLSearchParams(r.body));
  assert.equal(bodies.length, 1);
  assert.equal(bodies[0].get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
  assert.equal(bodies[0].get('client_secret'), null);
});

test('node/README.md DPoP quickstart: a DPoP token, an API nonce challenge through fetch, a proof by hand', async () => {
  const [code, ...more] = jsBlocks(dpopSection);
  assert.equal(more.length, 0);
  assert.ok(code.includes('dpop: true'));
  // The API demands a nonce (the token endpoint does not): the adapter's
  // first call is refused with one, the retry and the call by hand carry it.
  await server.dpop({ nonce_api: true, rotate: true });
  try {
    const before = await server.stats();
    const out = await runBlock('node-readme-dpop', code);
    assert.match(out, /^DPoP token bound to key [\w-]{43}$/m);
    assert.match(out, /^API answered 200: \{.*"ok":true/m);
    assert.match(out, /^by hand: 200$/m);
    const after = await server.stats();
    assert.equal(after.dpop_token_requests - before.dpop_token_requests, 1);
    assert.equal(after.dpop_api_requests - before.dpop_api_requests, 3, 'fetch: refused, then with the nonce; by hand: with it');
  } finally {
    await server.dpop({ nonce_api: false });
  }
});

test('node/README.md DPoP API side: nonce retry through fetch, a replayed proof refused', async () => {
  const [code, ...more] = jsBlocks(dpopApiSection);
  assert.equal(more.length, 0);
  assert.ok(code.includes("dpop: 'required'") && code.includes('m2m-auth/express'));
  const out = await runBlock('node-readme-dpop-api', code, { DPOP_NONCE_SECRET: 'readme-nonce-secret-of-32-bytes-at-least' });
  assert.match(out, /^200 \{\s+caller: 'demo-client',\s+key: '[\w-]{43}'\s+\}$/m);
  assert.match(out, /^first 200$/m);
  assert.match(out, /^replayed 401 DPoP error="invalid_dpop_proof", error_description="dpop_replay", algs="ES256 ES384 EdDSA RS256 PS256"$/m);
});

jsBlocks(packageReadme).forEach((code, i) => {
  test(`node/README.md example ${i + 1}`, async () => {
    const out = await runBlock(`node-readme-${i}`, code);
    assert.ok(out.length > 0);
    if (code.includes('m2m-auth/express')) {
      // The API side's quickstart: refused without a token, served with one.
      assert.match(out, /^401$/m);
      assert.match(out, /^200 \{.*caller: 'demo-client'.*read:data/ms);
    }
  });
});
