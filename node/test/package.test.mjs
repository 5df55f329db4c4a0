// The package as shipped: both entry points, the committed index.d.ts (no
// drift from what scripts/types.mjs generates from the surface, and valid
// for TypeScript users).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import * as esm from 'm2m-auth';
import { typesFile } from '../scripts/types.mjs';

const run = promisify(execFile);
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

test('CommonJS and ESM entry points export the same objects', () => {
  const cjs = require('m2m-auth');
  const names = Object.keys(cjs).sort();
  assert.deepEqual(Object.keys(esm).filter((k) => k !== 'default').sort(), names);
  for (const name of names) assert.equal(esm[name], cjs[name], name);
  assert.equal(esm.default, cjs);
  for (const name of ['TokenClient', 'Token', 'M2MAuthError', 'OAuthError', 'attachAxios', 'errorClasses', 'setLogger']) {
    assert.ok(names.includes(name), name);
  }
});

test('every export is declared in index.d.ts', () => {
  const dts = readFileSync(join(PACKAGE, 'index.d.ts'), 'utf8');
  for (const name of Object.keys(require('m2m-auth'))) {
    assert.match(dts, new RegExp(`export declare (class|function|const) ${name}\\b`), name);
  }
});

test('index.d.ts is what scripts/types.mjs generates from src/index.d.ts.head and the surface (no drift)', () => {
  const committed = readFileSync(join(PACKAGE, 'index.d.ts'), 'utf8');
  assert.equal(committed, typesFile(), 'index.d.ts is stale: run `npm run types` and commit index.d.ts');
});

test('the shipped files load without the tests or the sources', () => {
  const pkg = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8'));
  for (const f of ['index.js', 'index.mjs', 'index.d.ts', 'lib/']) assert.ok(pkg.files.includes(f), f);
});

test('index.d.ts type-checks a TypeScript user of the whole API', async () => {
  const tsc = join(PACKAGE, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [tsc, '-p', join(PACKAGE, 'test', 'types', 'tsconfig.json')], { cwd: PACKAGE })
    .catch((e) => assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`));
});
