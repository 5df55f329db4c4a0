'use strict';
// OpenTelemetry spans and metrics of token requests (docs/design.md section 12),
// through `@opentelemetry/api` when the application can require it (an
// optional peer dependency, never required by this package). It is looked
// for when the first client is built, not when 'm2m-auth' is required.
//
// The engine hands each batch of token request records to `deliver` (by
// the log records' rules: outside every engine lock, on the event loop).
// Cache, store, throttle and quota figures are observable instruments that
// read each live client's `stats()` when the SDK collects: the cached path
// does no telemetry work. The API's metrics have no proxy provider, so the
// instruments are made again whenever the global meter provider changes
// (checked at each client and each batch). Clients are observed only when a
// meter provider is configured when they are built.

const native = require('./native');

// The names are the engine's (core's telemetry names, docs/design.md section 12),
// so that every language uses the same ones; the attributes in core's order.
const NAMES = native.telemetryNames();
const SCOPE = NAMES.scope;
const SPAN = NAMES.span;
const ATTR = Object.freeze(
  Object.fromEntries(
    ['serverAddress', 'url', 'clientId', 'keyFingerprint', 'attempt', 'outcome', 'status', 'background'].map(
      (role, i) => [role, NAMES.attributes[i]],
    ),
  ),
);
const camel = (s) => s.replace(/_(.)/g, (_, c) => c.toUpperCase());
/** Every metric: [name, kind, the stat (camelCase) it reads or '']. */
const METRICS = NAMES.metrics.map(([name, kind, stat]) => [name, kind, camel(stat)]);

let api; // the API module, null when it cannot be required
const clients = new Set(); // WeakRefs of live clients
let sweepAt = 1024;
let noopTracerProvider; // the API's no-op tracer provider, found on first use
let meterProvider;
let instruments;

/** Every live client's stats by client id (counters summed, quota the lowest). */
function liveStats() {
  const byId = new Map();
  for (const ref of clients) {
    const c = ref.deref();
    let s;
    let id;
    try {
      s = c && c.stats();
      id = c && c.clientId;
    } catch {
      s = undefined; // closed
    }
    if (!s) {
      clients.delete(ref);
      continue;
    }
    const t = byId.get(id);
    if (!t) {
      byId.set(id, { ...s });
      continue;
    }
    for (const [k, v] of Object.entries(s)) {
      if (k === 'quotaRemaining') t[k] = t[k] === null ? v : v === null ? t[k] : Math.min(t[k], v);
      else t[k] += v;
    }
  }
  return byId;
}

/** The instruments of the current global meter provider. */
function meterInstruments() {
  const provider = api.metrics.getMeterProvider();
  if (provider === meterProvider && instruments) return instruments;
  meterProvider = provider;
  const meter = api.metrics.getMeter(SCOPE);
  const observed = [];
  for (const [name, kind, stat] of METRICS.slice(2)) {
    const inst = kind === 'gauge' ? meter.createObservableGauge(name) : meter.createObservableCounter(name);
    observed.push([inst, stat]);
  }
  meter.addBatchObservableCallback((result) => {
    for (const [id, s] of liveStats()) {
      for (const [inst, stat] of observed) {
        if (s[stat] !== null && s[stat] !== undefined) result.observe(inst, s[stat], { [ATTR.clientId]: id });
      }
    }
  }, observed.map(([inst]) => inst));
  instruments = {
    // The API's no-op meter (no SDK registered): measurements are dropped.
    noop: meter.constructor === api.createNoopMeter().constructor,
    requests: meter.createCounter(METRICS[0][0], { description: 'Token requests, by outcome.' }),
    duration: meter.createHistogram(METRICS[1][0], {
      unit: 's',
      description: 'Token request duration, attempts and backoff included.',
    }),
  };
  return instruments;
}

/**
 * Whether the global tracer provider is the API's no-op one (no SDK
 * registered): a fresh, unset ProxyTracerProvider delegates to that same
 * no-op provider, which the API does not export otherwise.
 */
function tracerIsNoop() {
  if (noopTracerProvider === undefined) noopTracerProvider = new api.ProxyTracerProvider().getDelegate();
  const provider = api.trace.getTracerProvider();
  const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
  return delegate === noopTracerProvider;
}

/** Turns one batch of records into spans and measurements. */
function deliver(batch) {
  const m = meterInstruments();
  // With neither an SDK tracer nor meter, every span and measurement would
  // be dropped: nothing is built (a URL parse and a span per record, issue
  // #17). Checked per batch, so an SDK registered later is used at once.
  if (m.noop && tracerIsNoop()) return;
  const tracer = api.trace.getTracer(SCOPE);
  for (const r of batch) {
    const attributes = {
      [ATTR.url]: r.endpoint,
      [ATTR.clientId]: r.clientId,
      [ATTR.keyFingerprint]: r.keyFingerprint,
      [ATTR.attempt]: r.attempts,
      [ATTR.outcome]: r.outcome,
      [ATTR.background]: r.background,
    };
    try {
      attributes[ATTR.serverAddress] = new URL(r.endpoint).hostname;
    } catch {
      // not a URL: no server.address
    }
    if (r.status !== null && r.status !== undefined) attributes[ATTR.status] = r.status;
    const span = tracer.startSpan(SPAN, { kind: api.SpanKind.CLIENT, startTime: r.startMs, attributes });
    if (r.outcome !== 'ok') span.setStatus({ code: api.SpanStatusCode.ERROR, message: r.outcome });
    span.end(r.endMs);
    m.requests.add(1, { [ATTR.outcome]: r.outcome });
    m.duration.record((r.endMs - r.startMs) / 1000, { [ATTR.outcome]: r.outcome });
  }
}

/** A client was built: the API is looked for once, and the client observed. */
function onClient(client) {
  if (api === undefined) {
    try {
      api = require('@opentelemetry/api');
      native.telemetrySet(deliver);
    } catch {
      api = null;
    }
  }
  if (!api) return;
  // Observed only with a meter provider configured: a WeakRef per client
  // delays its collection, which an application that makes a client per
  // request and records no metrics should not pay.
  if (api.metrics.getMeter(SCOPE).constructor === api.createNoopMeter().constructor) return;
  clients.add(new WeakRef(client));
  if (clients.size >= sweepAt) {
    // Dropped clients leave their refs behind: swept when the set has
    // doubled, so an application making and dropping clients stays flat.
    for (const ref of clients) if (!ref.deref()) clients.delete(ref);
    sweepAt = Math.max(1024, clients.size * 2);
  }
  meterInstruments();
}

module.exports = { onClient, SCOPE, SPAN, ATTR, METRICS };
