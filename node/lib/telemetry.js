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
let sinkOff = false; // records turned off: no SDK at the last batch
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
  // be dropped: nothing is built, and the engine stops making records (and
  // waking this thread for them: ~15 us of a cold token request, issue
  // #17) until beforeCall() sees an SDK registered.
  if (m.noop && tracerIsNoop()) {
    if (!sinkOff) {
      sinkOff = true;
      // Not from inside the threadsafe function's own call.
      queueMicrotask(() => {
        if (sinkOff) native.telemetrySet(null);
      });
    }
    return;
  }
  const tracer = api.trace.getTracer(SCOPE);
  for (const [endpoint, clientId, keyFingerprint, attempts, outcome, status, startMs, endMs, background] of batch) {
    const attributes = {
      [ATTR.url]: endpoint,
      [ATTR.clientId]: clientId,
      [ATTR.keyFingerprint]: keyFingerprint,
      [ATTR.attempt]: attempts,
      [ATTR.outcome]: outcome,
      [ATTR.background]: background,
    };
    try {
      attributes[ATTR.serverAddress] = new URL(endpoint).hostname;
    } catch {
      // not a URL: no server.address
    }
    if (status !== null && status !== undefined) attributes[ATTR.status] = status;
    const span = tracer.startSpan(SPAN, { kind: api.SpanKind.CLIENT, startTime: startMs, attributes });
    if (outcome !== 'ok') span.setStatus({ code: api.SpanStatusCode.ERROR, message: outcome });
    span.end(endMs);
    m.requests.add(1, { [ATTR.outcome]: outcome });
    m.duration.record((endMs - startMs) / 1000, { [ATTR.outcome]: outcome });
  }
}

/**
 * Called before each addon call that may make a token request (not on the
 * JavaScript hot path): records turned off for want of an SDK are turned
 * back on once a tracer or meter provider is registered, so the request
 * about to be made is recorded. A background refresh starts from such a
 * call too (the hot path's copy ends at the token's refresh point).
 */
function beforeCall() {
  if (!sinkOff || (meterInstruments().noop && tracerIsNoop())) return;
  sinkOff = false;
  native.telemetrySet(deliver);
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
  beforeCall();
  // Observed only with a meter provider configured: a WeakRef per client
  // delays its collection, which an application that makes a client per
  // request and records no metrics should not pay.
  // (meterInstruments() also makes this provider's instruments.)
  if (meterInstruments().noop) return;
  clients.add(new WeakRef(client));
  if (clients.size >= sweepAt) {
    // Dropped clients leave their refs behind: swept when the set has
    // doubled, so an application making and dropping clients stays flat.
    for (const ref of clients) if (!ref.deref()) clients.delete(ref);
    sweepAt = Math.max(1024, clients.size * 2);
  }
}

module.exports = { onClient, beforeCall, SCOPE, SPAN, ATTR, METRICS };
