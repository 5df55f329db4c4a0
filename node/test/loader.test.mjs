// The napi-rs layout: which platform package lib/native.js looks for, the
// npm/ directories and the published manifest made from package.json, and
// the error when no addon loads (run in child processes: the loader runs
// when the package is first required), and what keeps that load cheap.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

import { PACKAGE, npmDirFiles, platformPackages, publishManifest, rootManifest } from '../scripts/npm-dirs.mjs';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const platform = require('../lib/platform.js');
const VERSION = rootManifest().version;

test('lib/platform.js TARGETS are package.json napi.targets', () => {
  assert.deepEqual(Object.keys(platform.TARGETS).sort(), [...rootManifest().napi.targets].sort());
});

test('the platform of a machine, as napi-rs names it', () => {
  const cases = [
    [{ platform: 'linux', arch: 'x64', musl: false }, 'linux-x64-gnu'],
    [{ platform: 'linux', arch: 'x64', musl: true }, 'linux-x64-musl'],
    [{ platform: 'linux', arch: 'arm64', musl: false }, 'linux-arm64-gnu'],
    [{ platform: 'linux', arch: 'arm64', musl: () => true }, 'linux-arm64-musl'],
    [{ platform: 'darwin', arch: 'arm64' }, 'darwin-arm64'],
    [{ platform: 'darwin', arch: 'x64' }, 'darwin-x64'],
    [{ platform: 'win32', arch: 'x64' }, 'win32-x64-msvc'],
    [{ platform: 'win32', arch: 'arm64' }, null],
    [{ platform: 'linux', arch: 'ia32', musl: false }, null],
    [{ platform: 'freebsd', arch: 'x64' }, null],
  ];
  for (const [host, key] of cases) assert.equal(platform.hostKey(host), key, JSON.stringify(host));
  // Asked only on Linux (it may spawn `ldd`).
  assert.equal(platform.hostKey({ platform: 'darwin', arch: 'x64', musl: () => assert.fail('asked') }), 'darwin-x64');
  assert.equal(typeof platform.isMusl(), 'boolean');
});

test('node/npm/ holds every platform package, as scripts/npm-dirs.mjs writes it (no drift)', () => {
  for (const [path, text] of npmDirFiles()) {
    assert.equal(readFileSync(path, 'utf8'), text, `${path} is stale: run \`npm run npm-dirs\` in node/`);
  }
  const linux = JSON.parse(readFileSync(join(PACKAGE, 'npm', 'linux-x64-gnu', 'package.json'), 'utf8'));
  assert.deepEqual(
    { name: linux.name, version: linux.version, os: linux.os, cpu: linux.cpu, libc: linux.libc, main: linux.main, files: linux.files },
    {
      name: '@m2m-auth/linux-x64-gnu', version: VERSION, os: ['linux'], cpu: ['x64'], libc: ['glibc'],
      main: 'm2m-auth.linux-x64-gnu.node', files: ['m2m-auth.linux-x64-gnu.node'],
    },
  );
  const mac = JSON.parse(readFileSync(join(PACKAGE, 'npm', 'darwin-arm64', 'package.json'), 'utf8'));
  assert.equal(mac.libc, undefined);
});

test('the published m2m-auth depends on every platform package, optionally, at its own version, and runs no install script', () => {
  const published = publishManifest();
  assert.deepEqual(
    published.optionalDependencies,
    Object.fromEntries(platformPackages().map((p) => [p.name, VERSION])),
  );
  assert.ok(published.optionalDependencies['@m2m-auth/linux-x64-gnu']);
  assert.equal(Object.keys(published.optionalDependencies).length, 7);
  assert.equal(published.scripts, undefined);
  assert.equal(published.devDependencies, undefined);
  assert.deepEqual(published.exports, rootManifest().exports);
  for (const manifest of [published, rootManifest()]) {
    assert.equal(manifest.dependencies, undefined, 'no runtime dependencies');
    assert.equal(manifest.private, undefined);
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(manifest.scripts?.[script], undefined, script);
  }
  // In the repository there is none: they are not on the registry before the
  // release, and npm ci refuses a lock file without them.
  assert.equal(rootManifest().optionalDependencies, undefined);
});

/** Requires the package in a child process; `preload` runs first (a fake platform). */
async function requireIn(env, preload) {
  const args = [];
  if (preload) {
    const file = join(PACKAGE, 'build', 'fake-platform.cjs');
    writeFileSync(file, preload);
    args.push('--require', file);
  }
  args.push('-e', 'require(process.argv[1]); console.log("loaded")', PACKAGE);
  return run(process.execPath, args, { cwd: PACKAGE, env: { ...process.env, ...env } })
    .then(({ stdout }) => ({ ok: true, out: stdout }), (e) => ({ ok: false, out: `${e.stdout}${e.stderr}` }));
}

function assertNoStack(out) {
  assert.doesNotMatch(out, /^\s+at /m, 'no stack of loader frames');
}

test('without a local build or the platform package, the error names the package to install', async () => {
  const key = platform.hostKey();
  const { ok, out } = await requireIn({ M2M_AUTH_NODE_SKIP_LOCAL: '1' });
  assert.ok(!ok, out);
  assert.match(out, new RegExp(`is in the package @m2m-auth/${key}, which is missing`));
  assert.ok(out.includes(`npm install @m2m-auth/${key}@${VERSION}\n`), out);
  assert.match(out, new RegExp(`Tried:\\n  @m2m-auth/${key}: Cannot find module '@m2m-auth/${key}/package.json'`));
  assertNoStack(out);
});

test('on another platform, its package (musl detected on Linux)', async () => {
  const fake = (p, a) => `Object.defineProperty(process, 'platform', { value: '${p}' });\n` +
    `Object.defineProperty(process, 'arch', { value: '${a}' });\n`;
  let { ok, out } = await requireIn({ M2M_AUTH_NODE_SKIP_LOCAL: '1' }, fake('darwin', 'arm64'));
  assert.ok(!ok);
  assert.ok(out.includes(`the native addon for darwin-arm64 is in the package @m2m-auth/darwin-arm64`), out);
  assert.ok(out.includes(`npm install @m2m-auth/darwin-arm64@${VERSION}`), out);
  assertNoStack(out);

  // Alpine: /usr/bin/ldd is musl's.
  const musl = `${fake('linux', 'arm64')}const fs = require('node:fs'); const read = fs.readFileSync;\n` +
    "fs.readFileSync = (f, ...a) => (f === '/usr/bin/ldd' ? '#!/bin/sh\\n# musl libc (aarch64)\\n' : read(f, ...a));\n";
  ({ ok, out } = await requireIn({ M2M_AUTH_NODE_SKIP_LOCAL: '1' }, musl));
  assert.ok(!ok);
  assert.ok(out.includes('the native addon for linux-arm64 (musl) is in the package @m2m-auth/linux-arm64-musl'), out);

  // A platform without a prebuilt addon: the list, and the way from source.
  ({ ok, out } = await requireIn({ M2M_AUTH_NODE_SKIP_LOCAL: '1' }, fake('freebsd', 'x64')));
  assert.ok(!ok);
  assert.ok(out.includes('there is no prebuilt native addon for freebsd-x64 (there is for linux-x64-gnu,'), out);
  assert.ok(out.includes('npm ci && npm run build'), out);
  assertNoStack(out);
});

test('a local build loads first; M2M_AUTH_NODE_ADDON replaces everything, and its failure is not hidden', async () => {
  assert.deepEqual(await requireIn({}), { ok: true, out: 'loaded\n' });
  const missing = join(PACKAGE, 'build', 'no-such-addon.node');
  const { ok, out } = await requireIn({ M2M_AUTH_NODE_ADDON: missing });
  assert.ok(!ok);
  assert.ok(out.includes(`cannot load the native addon M2M_AUTH_NODE_ADDON names (${missing}): Cannot find module`), out);
  assertNoStack(out);
});

test('the JavaScript the package loads is ASCII (V8 scans a one-byte source faster than a two-byte one)', () => {
  const files = ['index.js', 'index.mjs', ...readdirSync(join(PACKAGE, 'lib')).filter((f) => f.endsWith('.js')).map((f) => `lib/${f}`)];
  for (const file of files) {
    const text = readFileSync(join(PACKAGE, file), 'utf8');
    const at = text.search(/[^\x00-\x7f]/);
    assert.equal(at, -1, `${file}: a non-ASCII character at offset ${at}`);
  }
});
