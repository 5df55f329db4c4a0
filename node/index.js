'use strict';
// m2m-auth for Node.js (the CommonJS entry point; index.mjs is the ESM one,
// index.d.ts the types). One file, so that loading the package stays cheap.
//
// The engine (Rust, core/) decides everything about tokens; the addon
// (bindings/node/) translates. This file gives the addon's results JS types,
// Promises, AbortSignal and error classes, and keeps the one sanctioned
// piece of state on the JS side: the hot-path mirror (see TokenClient).

// ---- the addon ---------------------------------------------------------
// Built from bindings/node by `npm run build`; M2M_AUTH_NODE_ADDON points at
// another build of it (the benchmark uses a release build).
const native = (() => {
  const file = process.env.M2M_AUTH_NODE_ADDON || `${__dirname}/build/m2m-auth.node`;
  try {
    return require(file);
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND' && !process.env.M2M_AUTH_NODE_ADDON) {
      e.message = `m2m-auth: the native addon is not built (${file}); run \`npm install\` or \`npm run build\` in node/`;
    }
    throw e;
  }
})();

// ---- errors (docs/design.md §6) -------------------------------------------------------
// M2MAuthError and one subclass per code, err.code = 'M2M_<CODE>'. The engine
// builds every message and field, already scrubbed of secrets.

/** Prefix of the addon's error messages; the rest is JSON. */
const TAG = 'm2m-auth:';

/** Base class of every error m2m-auth reports. */
class M2MAuthError extends Error {
  /**
   * @param {string} message
   * @param {object} [fields] the engine's fields of this error
   */
  constructor(message, fields = {}) {
    super(message);
    /** `'M2M_<CODE>'`, e.g. `'M2M_OAUTH'`. */
    this.code = new.target.code || `M2M_${String(fields.code || 'error').toUpperCase()}`;
    /** HTTP status for `oauth` and `http` errors, else `null`. */
    this.status = fields.status ?? null;
    /** Seconds until a request may be sent again for `throttled` errors, else `null`. */
    this.retryAfter = fields.retryAfter ?? null;
  }
}

/** A bad or missing option (`M2M_CONFIG`), raised before any I/O. */
class ConfigError extends M2MAuthError {}
ConfigError.code = 'M2M_CONFIG';

/** The authorization server refused the request, RFC 6749 §5.2 (`M2M_OAUTH`). */
class OAuthError extends M2MAuthError {
  constructor(message, fields = {}) {
    super(message, fields);
    /** The OAuth `error` code, e.g. `'invalid_client'`. */
    this.error = fields.error ?? null;
    /** The server's `error_description`, or `null`. */
    this.errorDescription = fields.errorDescription ?? null;
    /** The server's `error_uri`, or `null`. */
    this.errorUri = fields.errorUri ?? null;
  }
}
OAuthError.code = 'M2M_OAUTH';

/** A non-OAuth HTTP failure (`M2M_HTTP`): `status` and a body excerpt. */
class HttpError extends M2MAuthError {
  constructor(message, fields = {}) {
    super(message, fields);
    /** The first bytes (at most 512) of the response body. */
    this.body = fields.body ?? '';
  }
}
HttpError.code = 'M2M_HTTP';

/** Could not talk to the server (`M2M_TRANSPORT`). */
class TransportError extends M2MAuthError {
  constructor(message, fields = {}) {
    super(message, fields);
    /** `'connect'`, `'timeout'`, `'reset'`, `'tls'` or `'io'`. */
    this.kind = fields.kind ?? 'io';
  }
}
TransportError.code = 'M2M_TRANSPORT';

/** A 200 response that is not a valid token response (`M2M_INVALID_RESPONSE`). */
class InvalidResponseError extends M2MAuthError {
  constructor(message, fields = {}) {
    super(message, fields);
    /** What is wrong with it. */
    this.reason = fields.reason ?? '';
  }
}
InvalidResponseError.code = 'M2M_INVALID_RESPONSE';

/** Refused locally until `retryAfter` seconds have passed (`M2M_THROTTLED`). */
class ThrottledError extends M2MAuthError {}
ThrottledError.code = 'M2M_THROTTLED';

/** A shared cache is unreachable or corrupt (`M2M_CACHE`). */
class CacheError extends M2MAuthError {}
CacheError.code = 'M2M_CACHE';

/** (Verifier) a token failed validation (`M2M_INVALID_TOKEN`). */
class InvalidTokenError extends M2MAuthError {
  constructor(message, fields = {}) {
    super(message, fields);
    /** Why. */
    this.reason = fields.reason ?? '';
  }
}
InvalidTokenError.code = 'M2M_INVALID_TOKEN';

for (const C of [M2MAuthError, ConfigError, OAuthError, HttpError, TransportError,
  InvalidResponseError, ThrottledError, CacheError, InvalidTokenError]) {
  Object.defineProperty(C.prototype, 'name', { value: C.name, writable: true, configurable: true });
}

const byCode = {
  config: ConfigError,
  oauth: OAuthError,
  http: HttpError,
  transport: TransportError,
  invalid_response: InvalidResponseError,
  throttled: ThrottledError,
  cache: CacheError,
  invalid_token: InvalidTokenError,
};

/** napi-rs codes of an argument that could not be converted: a bad option. */
const argumentCodes = new Set(['InvalidArg', 'ObjectExpected', 'StringExpected',
  'NumberExpected', 'BooleanExpected', 'ArrayExpected', 'FunctionExpected', 'BigintExpected']);

/** The JS error for whatever the addon threw. */
function fromNative(e) {
  const message = e && e.message;
  if (typeof message === 'string' && message.startsWith(TAG)) {
    let fields;
    try {
      fields = JSON.parse(message.slice(TAG.length));
    } catch {
      return e;
    }
    const C = byCode[fields.code] || M2MAuthError;
    const err = new C(fields.message, fields);
    Error.captureStackTrace(err, fromNative);
    return err;
  }
  if (e && argumentCodes.has(e.code)) {
    const err = new ConfigError(`config: ${message}`, { code: 'config' });
    Error.captureStackTrace(err, fromNative);
    return err;
  }
  return e;
}

// ---- Token and TokenClient -----------------------------------------------------

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');
const kCreate = Symbol('m2m-auth.create');
const kInvalidateRejected = Symbol('invalidateRejected');
const kFromEnv = Symbol('m2m-auth.fromEnv');

// The process-wide generation word (a Uint32Array over the addon's counter):
// bumped after every invalidate/fetchToken in any client and any thread, and
// at every deadline a mirror was armed with. Null where external buffers are
// not allowed: then no mirror.
const generation = native.mirrorGeneration();
const MIRROR = generation !== null;
const GEN = MIRROR ? generation : new Uint32Array(1);
/** A generation value GEN never holds (it is a Uint32). */
const NONE = -1;

/**
 * An access token and what came with it (RFC 6749 §5.1). `util.inspect`,
 * `JSON.stringify` and `String()` show its metadata and a fingerprint, never
 * the token itself.
 */
class Token {
  #accessToken;
  #authorization;
  #tokenType;
  #expiresAtMs;
  #refreshAtMs;
  #scope;
  #extra;
  #fingerprint;

  /** @internal Tokens come from TokenClient, never from user code. */
  constructor(key, out) {
    if (key !== kCreate) throw new TypeError('Token objects come from a TokenClient');
    this.#accessToken = out.accessToken;
    this.#authorization = out.authorizationHeader;
    this.#tokenType = out.tokenType;
    this.#expiresAtMs = out.expiresAtMs;
    this.#refreshAtMs = out.refreshAtMs;
    this.#scope = out.scope ?? null;
    this.#extra = Object.freeze(out.extra ?? {});
    this.#fingerprint = out.fingerprint;
  }

  /** The access token, to send as a bearer credential. */
  get accessToken() {
    return this.#accessToken;
  }

  /** The token type: `'Bearer'` (normalized from any case). */
  get tokenType() {
    return this.#tokenType;
  }

  /** When the token expires (from `expires_in`, counted from when the request was sent). */
  get expiresAt() {
    return new Date(this.#expiresAtMs);
  }

  /** When the engine stops serving this token as fresh and renews it in the background. */
  get refreshAt() {
    return new Date(this.#refreshAtMs);
  }

  /** Whole seconds left until `expiresAt`, 0 once passed. */
  get expiresIn() {
    return Math.max(0, Math.floor((this.#expiresAtMs - Date.now()) / 1000));
  }

  /** The granted scope (the requested one when the server left it out), or `null`. */
  get scope() {
    return this.#scope;
  }

  /** Every other field of the token response, as the server sent it (frozen). */
  get extra() {
    return this.#extra;
  }

  /** A short SHA-256 fingerprint of the token, safe to log. */
  get fingerprint() {
    return this.#fingerprint;
  }

  /** The value for an HTTP `Authorization` header: `'Bearer <token>'`. */
  authorizationHeader() {
    return this.#authorization;
  }

  /** Metadata only: no token. */
  toJSON() {
    return {
      tokenType: this.#tokenType,
      expiresAt: new Date(this.#expiresAtMs).toISOString(),
      scope: this.#scope,
      fingerprint: this.#fingerprint,
    };
  }

  /** `[Token <fingerprint>]`: no token. */
  toString() {
    return `[Token ${this.#fingerprint}]`;
  }

  /** `util.inspect`: metadata and fingerprint only. */
  [inspectSymbol](depth, options, inspect) {
    const shown = { ...this.toJSON(), expiresIn: this.expiresIn };
    return `Token ${inspect ? inspect(shown, options) : JSON.stringify(shown)}`;
  }
}

/** The M2M_AUTH_* variables of `process.env` (this thread's copy), for the engine's from_vars. */
function authVars() {
  const vars = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('M2M_AUTH_') && typeof v === 'string') vars[k] = v;
  }
  return vars;
}

/** Calls an addon function that returns a Promise, ending the wait when `signal` aborts. */
function wait(fn, handle, opts, signal) {
  if (signal == null) return fn(handle, opts, undefined);
  const cancel = native.cancelNew();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      native.cancelFire(cancel);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = (f) => (v) => {
      signal.removeEventListener('abort', onAbort);
      f(v);
    };
    let promise;
    try {
      promise = fn(handle, opts, cancel);
    } catch (e) {
      settle(reject)(e);
      return;
    }
    promise.then(settle(resolve), settle(reject));
  });
}

/** Per-call options must be an object (a bare value would reach the addon). */
function checkOptions(opts) {
  if (opts != null && typeof opts !== 'object') {
    throw new ConfigError('config: per-call options must be an object', { code: 'config' });
  }
}

function checkSignal(signal) {
  if (signal == null) return;
  if (typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
    throw new ConfigError('config: signal must be an AbortSignal', { code: 'config' });
  }
  if (signal.aborted) throw signal.reason;
}

/**
 * An OAuth 2.0 client credentials client (RFC 6749 §4.4) on the m2m-auth
 * engine: it requests tokens, caches them process-wide (clients with the same
 * options share tokens and in-flight requests, across worker threads too),
 * refreshes them before they expire, and never leaks the secret.
 */
class TokenClient {
  #handle;
  // The hot-path mirror of the engine's token for the default request, as a
  // settled Promise: getToken() answers from here without crossing into Rust
  // while the generation word still holds the value it was filled under. It
  // is filled only from a token the engine just served as fresh, and only
  // after the addon armed a bump of the word before the engine's refresh
  // point; any invalidate/fetchToken bumps it too. So the engine stays the
  // only judge of freshness and the hot path reads no clock.
  #ready = null;
  #gen = NONE;
  #hits = 0;

  /**
   * @param {import('./index').TokenClientOptions} options
   * @throws {ConfigError} on a bad or missing option, before any I/O
   */
  constructor(options, from = undefined) {
    const env = from === kFromEnv ? authVars() : undefined;
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new ConfigError('config: options must be an object', { code: 'config' });
    }
    try {
      this.#handle = native.clientNew(options, env);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * A client configured from the `M2M_AUTH_*` environment variables
   * (`M2M_AUTH_TOKEN_URL` | `M2M_AUTH_DOMAIN` | `M2M_AUTH_ISSUER`,
   * `M2M_AUTH_CLIENT_ID`, `M2M_AUTH_CLIENT_SECRET`, `M2M_AUTH_AUTH_METHOD`,
   * `M2M_AUTH_AUDIENCE`, `M2M_AUTH_SCOPE`, `M2M_AUTH_ORGANIZATION`,
   * `M2M_AUTH_CACHE`); `options` override them.
   */
  static fromEnv(options = undefined) {
    return new TokenClient(options, kFromEnv);
  }

  #native() {
    if (this.#handle === null) {
      throw new ConfigError('config: this TokenClient is closed', { code: 'config' });
    }
    return this.#handle;
  }

  #drop() {
    this.#ready = null;
    this.#gen = NONE;
  }

  /**
   * A usable token: from the cache when it holds one, else from the token
   * endpoint (one request per key, however many callers wait). A token past
   * its refresh point is returned at once while one background request
   * renews it. `opts` overrides the default request parameters for this
   * call; `opts.signal` (an AbortSignal) ends the wait.
   * @returns {Promise<Token>}
   */
  getToken(opts) {
    if (opts === undefined && GEN[0] === this.#gen) {
      this.#hits++;
      return this.#ready;
    }
    return this.#obtain(opts, false);
  }

  /**
   * A new token from the token endpoint, bypassing (and then updating) the
   * cache; joins a request for the same key already in flight.
   * @returns {Promise<Token>}
   */
  fetchToken(opts) {
    return this.#obtain(opts, true);
  }

  async #obtain(opts, fetch) {
    const handle = this.#native();
    checkOptions(opts);
    const signal = opts == null ? undefined : opts.signal;
    checkSignal(signal);
    const gen = GEN[0];
    let out = null;
    try {
      if (!fetch) out = native.clientCachedToken(handle, opts);
      if (out === null) {
        out = await wait(fetch ? native.clientFetchToken : native.clientGetToken, handle, opts, signal);
      }
    } catch (e) {
      throw fromNative(e);
    }
    const token = new Token(kCreate, out);
    if (fetch) {
      this.#drop();
    } else if (opts === undefined && MIRROR && native.mirrorArm(out.refreshAtMs)) {
      this.#ready = Promise.resolve(token);
      this.#gen = gen;
    }
    return token;
  }

  /**
   * Drops the cached token for the request (e.g. after an API answered 401
   * with it), in every client sharing it. The next call fetches a new one.
   */
  invalidate(opts = undefined) {
    this.#drop();
    checkOptions(opts);
    try {
      native.clientInvalidate(this.#native(), opts);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * This client's counters: `hits`, `misses`, `fetches`, `refreshes`, `failures`.
   * @returns {import('./index').TokenClientStats}
   */
  stats() {
    const s = native.clientStats(this.#native());
    s.hits += this.#hits;
    return s;
  }

  /**
   * Releases this client (its cached tokens stay in the process-wide cache
   * for other clients). Later calls throw a ConfigError.
   */
  close() {
    this.#drop();
    this.#handle = null;
  }

  /**
   * The global `fetch` with `Authorization: <token>`. If the API answers
   * 401, the token is invalidated, a new one obtained, and the request sent
   * once more; whatever the API answers then is returned. Redirects are not
   * followed unless `init.redirect` says so (the token would go with them).
   * `opts` are the token request overrides (default: `{ signal: init.signal }`).
   * @returns {Promise<Response>}
   */
  async fetch(input, init = undefined, opts = undefined) {
    const tokenOpts = opts ?? (init && init.signal ? { signal: init.signal } : undefined);
    const request = new Request(input, { redirect: 'manual', ...init });
    checkUrl(request.url);
    const send = async (req) => {
      const token = await this.getToken(tokenOpts);
      req.headers.set('authorization', token.authorizationHeader());
      return [await fetch(req), token];
    };
    const [response, used] = await send(request.clone());
    if (response.status !== 401) return response;
    if (response.body) await response.body.cancel().catch(() => {});
    this.#invalidateRejected(tokenOpts, used);
    return (await send(request))[0];
  }

  /** @internal After a 401: drop `token` unless it was already renewed. */
  #invalidateRejected(opts, token) {
    this.#drop();
    try {
      native.clientInvalidateRejected(this.#native(), opts, token.accessToken);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** @internal For the adapters below (a module-private key). */
  static [kInvalidateRejected](client, opts, token) {
    client.#invalidateRejected(opts, token);
  }

  /** Metadata only: no secret, no token. */
  toJSON() {
    if (this.#handle === null) return { closed: true };
    const [clientId, authMethod] = native.clientIdentity(this.#handle);
    return { clientId, authMethod };
  }

  /** `util.inspect`: the engine's description, the secret as `***`. */
  [inspectSymbol]() {
    if (this.#handle === null) return 'TokenClient { closed }';
    return native.clientDescribe(this.#handle);
  }
}

Object.defineProperty(Token.prototype, Symbol.toStringTag, { value: 'Token' });
Object.defineProperty(TokenClient.prototype, Symbol.toStringTag, { value: 'TokenClient' });
if (typeof Symbol.dispose === 'symbol') {
  TokenClient.prototype[Symbol.dispose] = TokenClient.prototype.close;
}

// ---- adapters for HTTP clients other than the global fetch ---------------------
// They only carry the token; the renewal on 401 is the same one-shot rule as
// TokenClient#fetch (docs/design.md §4).

const RENEWED = 'm2mAuthRenewed';
const USED = Symbol('m2mAuthToken');

/** The engine's rule for URLs that carry a token: https, or http to loopback. */
function checkUrl(url) {
  try {
    native.checkUrl(String(url));
  } catch (e) {
    throw fromNative(e);
  }
}

/**
 * Makes an axios instance send `Authorization: <token>` from `client` on
 * every request, and renew the token once when a response is 401.
 * Returns a function that removes both interceptors.
 * @param {import('axios').AxiosInstance} axios
 * @param {import('./index').TokenClient} client
 * @param {import('./index').TokenRequestOptions} [opts] token request overrides
 */
function attachAxios(axios, client, opts = undefined) {
  const onRequest = axios.interceptors.request.use(async (config) => {
    if (config.url) checkUrl(new URL(config.url, config.baseURL).href);
    const token = await client.getToken(opts);
    config[USED] = token;
    if (config.headers && typeof config.headers.set === 'function') {
      config.headers.set('Authorization', token.authorizationHeader());
    } else {
      config.headers = { ...config.headers, Authorization: token.authorizationHeader() };
    }
    return config;
  });
  const onResponse = axios.interceptors.response.use(undefined, async (error) => {
    const config = error && error.config;
    if (!config || !error.response || error.response.status !== 401 || config[RENEWED]) {
      throw error;
    }
    config[RENEWED] = true;
    if (config[USED]) TokenClient[kInvalidateRejected](client, opts, config[USED]);
    else client.invalidate(opts);
    return axios.request(config);
  });
  return () => {
    axios.interceptors.request.eject(onRequest);
    axios.interceptors.response.eject(onResponse);
  };
}

module.exports = {
  TokenClient,
  Token,
  M2MAuthError,
  ConfigError,
  OAuthError,
  HttpError,
  TransportError,
  InvalidResponseError,
  ThrottledError,
  CacheError,
  InvalidTokenError,
  errorClasses: byCode,
  attachAxios,
};
