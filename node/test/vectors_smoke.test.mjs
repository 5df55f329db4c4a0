// The conformance runner proven on vectors of its own (test/vectors_smoke/),
// so that it is known to work whatever tests/conformance/ holds; and proof
// that it fails, rather than skips, what it does not understand.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { registerVectors, runVector } from './support/conformance.mjs';

const n = registerVectors(fileURLToPath(new URL('./vectors_smoke/', import.meta.url)), { prefix: 'smoke: ' });
test('the smoke vectors are there', () => assert.ok(n >= 3, `${n} smoke vectors`));

test('runner: an unknown step fails the vector', async () => {
  await assert.rejects(runVector({ name: 'x', client: {}, steps: [{ teleport: true }] }), /unsupported step/);
});

test('runner: an unknown expectation fails the vector', async () => {
  await assert.rejects(
    runVector({ name: 'x', client: {}, steps: [{ call: 'get_token', expect: { ok: true, colour: 'red' } }] }),
    /unsupported expect field "colour"/,
  );
});

test('runner: a failing expectation fails the vector', async () => {
  await assert.rejects(
    runVector({ name: 'x', client: {}, steps: [{ call: 'get_token', expect: { ok: true } }, { expect_requests: 2 }] }),
    /token requests seen/,
  );
});

// An empty vector directory shows up as a skipped test with its reason.
const empty = mkdtempSync(join(tmpdir(), 'm2m-vectors-'));
test('runner: an empty directory registers nothing to run', () => {
  assert.equal(registerVectors(empty, { prefix: 'empty dir: ' }), 0);
});
