// OpenTelemetry (docs/design.md §12): spans and metrics of token requests
// through @opentelemetry/api's global providers, read back with the SDK's
// InMemorySpanExporter and InMemoryMetricExporter; never a secret or a
// token; the names those of the engine (tests/surface.json).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { metrics, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

import { HttpError, TokenClient } from '../index.mjs';
import { DEMO, REPO, startServer } from './support/devserver.mjs';

const require = createRequire(import.meta.url);
const telemetry = require('../lib/telemetry.js');
const surface = JSON.parse(readFileSync(join(REPO, 'tests', 'surface.json'), 'utf8'));

const spans = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

const SECRET = 'otel-S3CRET-canary';
let server;
before(async () => {
  server = await startServer();
});
after(() => server.stop());

const client = (extra = {}) => new TokenClient({ tokenUrl: server.urls.token_url, ...DEMO, noProxy: true, ...extra });
const tick = () => new Promise((r) => setTimeout(r, 20));

async function spansOf(clientId) {
  await tick(); // records reach JS through the event loop
  return spans.getFinishedSpans().filter((s) => s.attributes['m2m_auth.client_id'] === clientId);
}

async function points(name, { clientId, outcome } = {}) {
  exporter.reset();
  await reader.forceFlush();
  const out = [];
  for (const rm of exporter.getMetrics()) {
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        if (m.descriptor.name !== name) continue;
        for (const p of m.dataPoints) {
          if (clientId !== undefined && p.attributes['m2m_auth.client_id'] !== clientId) continue;
          if (outcome !== undefined && p.attributes['m2m_auth.outcome'] !== outcome) continue;
          out.push(p);
        }
      }
    }
  }
  return out;
}

test('the names are the engine\'s', () => {
  const names = surface.telemetry;
  assert.equal(telemetry.SCOPE, names.scope);
  assert.equal(telemetry.SPAN, names.span);
  assert.deepEqual(Object.values(telemetry.ATTR), names.attributes);
  const camel = (s) => s.replace(/_(.)/g, (_, c) => c.toUpperCase());
  assert.deepEqual(telemetry.METRICS, names.metrics.map(([n, k, s]) => [n, k, camel(s)]));
});

test('a token request is a span without secrets', async () => {
  await server.addClient({ client_id: 'otel-node', client_secret: SECRET, token_lifetime: 3600 });
  const c = client({ clientId: 'otel-node', clientSecret: SECRET });
  const token = await c.getToken();
  await c.getToken();
  const ours = await spansOf('otel-node');
  assert.equal(ours.length, 1);
  const [span] = ours;
  assert.equal(span.name, 'm2m_auth.token_request');
  assert.equal(span.instrumentationScope?.name ?? span.instrumentationLibrary?.name, 'm2m_auth');
  const a = span.attributes;
  assert.equal(a['m2m_auth.outcome'], 'ok');
  assert.equal(a['m2m_auth.attempt'], 1);
  assert.equal(a['http.response.status_code'], 200);
  assert.equal(a['url.full'], server.urls.token_url);
  assert.equal(a['server.address'], '127.0.0.1');
  assert.equal(a['m2m_auth.key_fingerprint'].length, 16);
  assert.equal(a['m2m_auth.background'], false);
  const shown = JSON.stringify(a) + JSON.stringify(span.status);
  assert.ok(!shown.includes(SECRET) && !shown.includes(token.accessToken));
  c.close();
});

test('a failed request has its code, status and attempts', async () => {
  await server.addClient({ client_id: 'otel-node-fail', client_secret: 's', token_lifetime: 3600 });
  await server.faults([{ status: 503, body: 'down' }], { repeatLast: true });
  const before = (await server.stats()).token_requests;
  const c = client({ clientId: 'otel-node-fail', clientSecret: 's', retryBaseDelay: 20 });
  await assert.rejects(c.getToken(), HttpError);
  const [span] = await spansOf('otel-node-fail');
  assert.equal(span.attributes['m2m_auth.outcome'], 'http');
  assert.equal(span.attributes['http.response.status_code'], 503);
  assert.equal(span.attributes['m2m_auth.attempt'], (await server.stats()).token_requests - before);
  assert.equal(span.status.code, 2); // ERROR
  await server.clearFaults();
  c.close();
});

test('metrics read stats at collection', async () => {
  await server.addClient({ client_id: 'otel-node-m', client_secret: 's', token_lifetime: 3600 });
  await server.faults([{ headers: { 'Auth0-Client-Quota-Limit': 'b=per_hour;q=100;r=9;t=3000' } }]);
  const c = client({ clientId: 'otel-node-m', clientSecret: 's' });
  for (let i = 0; i < 3; i++) await c.getToken();
  await tick();
  const values = async (name) => (await points(name, { clientId: 'otel-node-m' })).map((p) => p.value);
  assert.deepEqual(await values('m2m_auth.cache.hits'), [2]);
  assert.deepEqual(await values('m2m_auth.cache.misses'), [1]);
  assert.deepEqual(await values('m2m_auth.throttles'), [0]);
  assert.deepEqual(await values('m2m_auth.quota.remaining'), [9]);
  assert.ok((await points('m2m_auth.token_requests', { outcome: 'ok' })).length >= 1);
  assert.ok((await points('m2m_auth.token_request.duration', { outcome: 'ok' })).length >= 1);
  const s = c.stats();
  assert.equal(s.quotaRemaining, 9);
  assert.equal(s.throttles, 0);
  c.close();
});

test('an SDK registered after the first requests gets the next ones', async () => {
  // A fresh process: this file registered the global providers already.
  // Before any SDK the batches are dropped (the API's no-op providers would
  // record nothing); the first batch after one is registered is a span.
  const { execFile } = await import('node:child_process');
  const { pathToFileURL } = await import('node:url');
  const code = `
    import { trace } from '@opentelemetry/api';
    import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
    const { TokenClient } = await import(${JSON.stringify(pathToFileURL(join(REPO, 'node', 'index.mjs')).href)});
    const client = new TokenClient(${JSON.stringify({ tokenUrl: server.urls.token_url, ...DEMO, noProxy: true })});
    await client.fetchToken();
    await client.fetchToken();
    await new Promise((r) => setTimeout(r, 20));
    const spans = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
    await client.fetchToken();
    await new Promise((r) => setTimeout(r, 20));
    console.log(spans.getFinishedSpans().length, client.stats().fetches);
    client.close();
  `;
  const out = await new Promise((resolve, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', code], { cwd: join(REPO, 'node'), timeout: 60_000 }, (e, stdout, stderr) =>
      e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
  assert.deepEqual(out.trim().split(/\s+/), ['1', '3']);
});
