'use strict';
// client.callApi: the engine's call_api (one renewal on 401), with JS
// headers and bodies in, an ApiResponse out.

const native = require('./native');
const { checkOptions, checkSignal, wait } = require('./call');
const { configError, fromNative } = require('./errors');

// Loaded with the first client already (client.js).
let telemetry = null;

/** An API's answer to `client.callApi`. */
class ApiResponse {
  /** @internal `out`: the addon's `[status, [name, value, ...], body]` (bindings/node/src/out.rs). */
  constructor(out) {
    /** The HTTP status. */
    this.status = out[0];
    /** The response headers by lower-case name (repeated ones joined with `, `). */
    this.headers = headerObject(out[1]);
    /** The body. */
    this.body = out[2];
  }

  /** The body as text (UTF-8). */
  text() {
    return this.body.toString('utf8');
  }

  /** The body parsed as JSON. */
  json() {
    return JSON.parse(this.text());
  }
}

/** `[name, value, name, value, ...]` as an object, repeated names' values joined with `, `. */
function headerObject(pairs) {
  const headers = {};
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i];
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${pairs[i + 1]}` : pairs[i + 1];
  }
  return headers;
}

/** Headers as `[name, value]` pairs: a plain object, a `Headers`, a Map or a list of pairs. */
function headerPairs(headers) {
  if (headers == null) return undefined;
  if (typeof headers !== 'object') throw configError('headers must be an object');
  const entries = typeof headers.entries === 'function' && !Array.isArray(headers)
    ? [...headers.entries()]
    : Array.isArray(headers) ? headers : Object.entries(headers);
  const pairs = [];
  for (const [name, value] of entries) {
    for (const v of Array.isArray(value) ? value : [value]) pairs.push([String(name), String(v)]);
  }
  return pairs;
}

/** A body as a Buffer: a string (UTF-8), a Buffer, a typed array or an ArrayBuffer. */
function bodyBuffer(body) {
  if (body == null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (Buffer.isBuffer(body)) return body;
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw configError('body must be a string, a Buffer, a typed array or an ArrayBuffer');
}

/** `client.callApi(method, url, opts)` on the addon handle. */
async function callApi(handle, method, url, opts) {
  checkOptions(opts);
  // No per-call options: the addon gets undefined, not an empty object to walk.
  let headers, body, signal, params;
  if (opts != null) ({ headers, body, signal, ...params } = opts);
  checkSignal(signal);
  const pairs = headerPairs(headers);
  const bytes = bodyBuffer(body);
  (telemetry ??= require('./telemetry')).beforeCall();
  const call = (h, p, cancel) => native.clientCallApi(h, String(method), String(url), pairs, bytes, p, cancel);
  try {
    return new ApiResponse(await wait(call, handle, params, signal));
  } catch (e) {
    throw fromNative(e);
  }
}

module.exports = { ApiResponse, callApi };
