// A smoke run of the verifier benchmark (bench/verify.mjs) with tiny
// counts on the test build: it keeps running (its contenders still accept
// the same tokens and refuse the same bad ones) without measuring anything.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');

test('bench/verify.mjs runs end to end with tiny counts', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [
    join(PACKAGE, 'bench', 'verify.mjs'), '--n=5', '--rounds=1', '--seconds=0.05', '--cached-calls=20',
  ], {
    env: { ...process.env, M2M_AUTH_NODE_ADDON: process.env.M2M_AUTH_NODE_ADDON || join(PACKAGE, 'build', 'm2m-auth.node') },
    timeout: 60_000,
  });
  for (const alg of ['RS256', 'ES256']) {
    for (const mode of ['uncached', 'cached']) {
      assert.match(stdout, new RegExp(`\\| ${alg} \\| ${mode} \\| \\*\\*m2m-auth Verifier\\*\\* \\| [\\d,]+ \\| 1\\.00× \\|`));
    }
  }
  assert.match(stdout, /express-oauth2-jwt-bearer auth\(\)/);
});
