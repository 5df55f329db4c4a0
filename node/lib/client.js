'use strict';
// TokenClient: the engine's client with JS types, Promises and AbortSignal,
// and the one piece of state kept on the JS side: a copy of the last token
// the engine served for the default request (the fast path, see getToken).

const native = require('./native');
const { checkOptions, checkSignal, wait } = require('./call');
const { configError, fromNative } = require('./errors');
const { Token, kCreate } = require('./token');

// Loaded on first use, not when 'm2m-auth' is required (loading stays cheap):
// provider.js with the first clientAssertionProvider, telemetry.js with the
// first client, api.js with the first callApi, adapters.js with the first
// client.fetch.
let telemetry = null;
let api = null;
let adapters = null;

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');
const kFromEnv = Symbol('m2m-auth.fromEnv');

/** The epoch of a client whose engine epoch is not mapped (yet): never matches a copy. */
const UNMAPPED = new Uint32Array(1);
/** A value a Uint32 never holds: no copy. */
const NONE = -1;
/** False once the runtime refused an external buffer: then no copies at all. */
let mappable = true;

// The deadline side of the fast path, one per thread: a single unref'd
// timer at the earliest refresh point of the copies kept (a monotonic
// deadline: the delay is the token's refreshAt less Date.now() when it was
// received). When it fires, `generation` moves on and every copy is dropped;
// each is taken again from the engine on its next use (and arms the timer
// for its own refresh point). So the hot path compares two words and reads
// no clock.
let generation = 0;
/** The refresh point (ms since the epoch) the timer is armed for. */
let armedFor = Infinity;
let timer = null;
/** setTimeout's longest delay; a later deadline fires early, which only costs an engine call. */
const LONGEST_DELAY = 2 ** 31 - 1;

function expire() {
  timer = null;
  armedFor = Infinity;
  generation++;
}

/** The generation under which a copy valid until `refreshAt` is kept (arming the timer for it). */
function keepUntil(refreshAt) {
  if (refreshAt < armedFor) {
    if (timer !== null) clearTimeout(timer);
    armedFor = refreshAt;
    timer = setTimeout(expire, Math.min(LONGEST_DELAY, refreshAt - Date.now()));
    timer.unref();
  }
  return generation;
}

/** The M2M_AUTH_* variables of `process.env` (this thread's copy), for the engine's from_vars. */
function authVars() {
  const vars = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('M2M_AUTH_') && typeof v === 'string') vars[k] = v;
  }
  return vars;
}

/**
 * An OAuth 2.0 client credentials client (RFC 6749 section 4.4) on the m2m-auth
 * engine: it requests tokens, caches them process-wide (clients with the same
 * options share tokens and in-flight requests, across worker threads too),
 * refreshes them before they expire, and never leaks the secret.
 */
class TokenClient {
  #handle;
  // The fast path: a settled Promise of the token the engine last served
  // for the default request. It is valid while the engine's cache epoch of
  // that request (shared memory: a Uint32Array over the engine's word) holds the
  // value read BEFORE the token was taken, and the token's refresh point
  // has not passed (the deadline timer above has not fired). The engine
  // bumps the epoch whenever the cached token changes (new token, refresh,
  // invalidation, 401 renewal) in any client or thread: so the copy never
  // outlives the engine's own answer, and has no timing of its own.
  #ready = null;
  #epoch = UNMAPPED;
  #seen = NONE;
  #generation = NONE;
  #hits = 0;

  /**
   * @param {import('../index').TokenClientOptions} options every client
   *   option by its camelCase name (durations in ms)
   * @throws {ConfigError} on a bad, missing or unknown option, before any I/O
   */
  constructor(options, from = undefined) {
    const env = from === kFromEnv ? authVars() : undefined;
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw configError('options must be an object');
    }
    if (options && typeof options.clientAssertionProvider === 'function') {
      options = { ...options, clientAssertionProvider: require('./provider').wrapProvider(options.clientAssertionProvider) };
    }
    try {
      this.#handle = native.clientNew(options, env);
    } catch (e) {
      throw fromNative(e);
    }
    // OpenTelemetry, when the application has @opentelemetry/api.
    (telemetry ??= require('./telemetry')).onClient(this);
  }

  /**
   * A client configured from the `M2M_AUTH_<NAME>` environment variables
   * (one per option; durations in seconds there); `overrides` win.
   */
  static fromEnv(overrides = undefined) {
    return new TokenClient(overrides, kFromEnv);
  }

  #native() {
    if (this.#handle === null) throw configError('this TokenClient is closed');
    return this.#handle;
  }

  /**
   * A usable token: from the cache when it holds one, else from the token
   * endpoint (one request per key, however many callers wait). A token past
   * its refresh point is returned at once while one background request
   * renews it. `opts`: request parameters for this call, and `signal` (an
   * AbortSignal) to end the wait.
   * @returns {Promise<Token>}
   */
  getToken(opts) {
    // A plain read of the epoch word: aligned 32 bits, so never torn, and
    // nothing published behind it is read (Atomics.load costs about 15 % of
    // this path, measured). Like the deadline timer, it may lag by at most
    // one synchronous run of JS.
    if (opts === undefined && this.#epoch[0] === this.#seen && this.#generation === generation) {
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

  /** The engine's epoch of the default request now, or NONE when it cannot be mapped. */
  #epochNow(handle) {
    if (this.#epoch === UNMAPPED) {
      const word = mappable ? native.clientEpoch(handle) : null;
      if (word === null) {
        mappable = false;
        return NONE;
      }
      this.#epoch = word;
    }
    return Atomics.load(this.#epoch, 0);
  }

  async #obtain(opts, fetch) {
    const handle = this.#native();
    checkOptions(opts);
    const signal = opts == null ? undefined : opts.signal;
    checkSignal(signal);
    const epoch = opts === undefined && !fetch ? this.#epochNow(handle) : NONE;
    telemetry.beforeCall();
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
    if (epoch !== NONE && this.#handle !== null && token.refreshAt > Date.now()) {
      this.#ready = Promise.resolve(token);
      this.#generation = keepUntil(token.refreshAt);
      this.#seen = epoch;
    }
    return token;
  }

  /**
   * Drops the cached token for the request, in every client sharing it.
   * The next call fetches a new one.
   */
  invalidate(opts = undefined) {
    checkOptions(opts);
    try {
      native.clientInvalidate(this.#native(), opts);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * After an API refused `rejected` (a Token or an access token string):
   * drops the cached token for the request only if it is still that one
   * (a concurrent caller may already have renewed it).
   */
  invalidateRejected(rejected, opts = undefined) {
    const access = rejected instanceof Token ? rejected.accessToken : rejected;
    if (typeof access !== 'string') throw configError('invalidateRejected takes a Token or an access token');
    checkOptions(opts);
    try {
      native.clientInvalidateRejected(this.#native(), access, opts);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * Calls an API with `Authorization: <token>` (the engine's call_api; for
   * a DPoP token with a proof, and one more call for a nonce challenge): on
   * a 401 the token is renewed once and the call made again. `opts`:
   * `headers`, `body`, `signal` and request parameters.
   * @returns {Promise<import('./api').ApiResponse>}
   */
  callApi(method, url, opts = undefined) {
    let handle;
    try {
      handle = this.#native();
    } catch (e) {
      return Promise.reject(e);
    }
    return (api ??= require('./api')).callApi(handle, method, url, opts);
  }

  /**
   * The global `fetch` with `Authorization: <token>` (and a DPoP proof for
   * a DPoP token), renewing the token once on a 401 (see adapters.js). Redirects are not followed unless
   * `init.redirect` says so. `opts`: request parameters and `signal`
   * (default: `{ signal: init.signal }`).
   * @returns {Promise<Response>}
   */
  fetch(input, init = undefined, opts = undefined) {
    return (adapters ??= require('./adapters')).fetchWith(this, input, init, opts);
  }

  /**
   * A DPoP proof (RFC 9449) for one HTTP request `method url` with this
   * client's DPoP key, for the `DPoP` header when sending a DPoP token with
   * any HTTP client; `accessToken` (a Token or its access token) adds its
   * `ath`. The engine builds it (with the nonce that server sent last).
   * @throws {ConfigError} with `dpop` off, or a bad method or URL
   */
  dpopProof(method, url, accessToken = undefined) {
    const access = accessToken instanceof Token ? accessToken.accessToken : accessToken ?? undefined;
    if (typeof method !== 'string') throw configError('dpopProof: method must be a string');
    if (typeof url !== 'string' && !(url instanceof URL)) throw configError('dpopProof: url must be a string or a URL');
    if (access !== undefined && typeof access !== 'string') {
      throw configError('dpopProof: accessToken must be a Token or an access token');
    }
    try {
      return native.clientDpopProof(this.#native(), method, String(url), access);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * The headers that send `token` with the HTTP request `method url`, from
   * the engine: `authorization` (`Bearer <token>` or `DPoP <token>`) and,
   * for a DPoP token only, `dpop` (a new proof of this request, with `ath`
   * and the last nonce of `url`'s server). A `ConfigError` for a URL that
   * must not carry a token (https, or http to loopback; no user info, no
   * fragment). Then hand the answer to `dpopResponse`.
   * @param {string} method
   * @param {string | URL} url
   * @param {Token} token
   * @returns {{ authorization: string, dpop?: string }}
   */
  requestHeaders(method, url, token) {
    if (typeof method !== 'string') throw configError('requestHeaders: method must be a string');
    if (typeof url !== 'string' && !(url instanceof URL)) throw configError('requestHeaders: url must be a string or a URL');
    if (!(token instanceof Token)) throw configError('requestHeaders: token must be a Token');
    let authorization, dpop;
    try {
      [authorization, dpop] = native.clientRequestHeaders(this.#native(), method, String(url), token.accessToken, token.tokenType);
    } catch (e) {
      throw fromNative(e);
    }
    return dpop == null ? { authorization } : { authorization, dpop };
  }

  /**
   * Reads an API's answer to a request for `url` sent with `token`: for a
   * DPoP token, the engine remembers its `DPoP-Nonce` for that server's
   * next proofs, and answers true when it is a `use_dpop_nonce` challenge,
   * the one case in which the request is sent once more with new headers
   * (not a renewal). False for anything else, for a Bearer token (nothing
   * is remembered then), and with `dpop` off.
   * @param {string | URL} url
   * @param {Token} token the token the request was sent with
   * @param {number} status
   * @param {string | null} [wwwAuthenticate] the `WWW-Authenticate` header
   * @param {string | null} [dpopNonce] the `DPoP-Nonce` header
   * @returns {boolean}
   */
  dpopResponse(url, token, status, wwwAuthenticate = undefined, dpopNonce = undefined) {
    if (typeof url !== 'string' && !(url instanceof URL)) throw configError('dpopResponse: url must be a string or a URL');
    if (!(token instanceof Token)) throw configError('dpopResponse: token must be a Token');
    if (!Number.isInteger(status) || status < 0) throw configError('dpopResponse: status must be an HTTP status');
    const header = (v, name) => {
      if (v == null) return undefined;
      if (typeof v !== 'string') throw configError(`dpopResponse: ${name} must be a string or null`);
      return v;
    };
    const www = header(wwwAuthenticate, 'wwwAuthenticate');
    const nonce = header(dpopNonce, 'dpopNonce');
    return native.clientDpopResponse(
      this.#native(),
      String(url),
      token.accessToken,
      token.tokenType,
      Math.min(status, 0xffffffff),
      www,
      nonce,
    );
  }

  /** The RFC 7638 thumbprint of the DPoP key (its tokens' `cnf.jkt`), or `null` with `dpop` off. */
  get dpopThumbprint() {
    return native.clientDpopThumbprint(this.#native());
  }

  /** This client's counters: every stat of the surface, in camelCase. */
  stats() {
    const s = native.clientStats(this.#native());
    s.hits += this.#hits;
    return s;
  }

  /**
   * The token quota the token endpoint last reported for this client
   * (Auth0's quota headers): `[{ scope, bucket, quota, remaining, resetAt }]`
   * for the buckets not yet reset (`resetAt` in ms since the epoch); empty if
   * the server sends none.
   */
  quota() {
    return native.clientQuota(this.#native());
  }

  /** The client id. */
  get clientId() {
    return native.clientIdentity(this.#native())[0];
  }

  /** The client authentication method: `'client_secret_post'` or `'client_secret_basic'`. */
  get authMethod() {
    return native.clientIdentity(this.#native())[1];
  }

  /**
   * Releases this client (its cached tokens stay in the process-wide cache
   * for other clients). Later calls throw a ConfigError.
   */
  close() {
    this.#ready = null;
    this.#seen = NONE;
    this.#generation = NONE;
    this.#epoch = UNMAPPED;
    this.#handle = null;
  }

  /** Metadata only: no secret, no token. */
  toJSON() {
    if (this.#handle === null) return { closed: true };
    const [clientId, authMethod] = native.clientIdentity(this.#handle);
    return { clientId, authMethod };
  }

  /** `util.inspect`: endpoint, client id, method, default parameters; the secret as `'***'`. */
  [inspectSymbol](depth, options, inspect) {
    const shown = this.#handle === null ? { closed: true } : native.clientDescribe(this.#handle);
    return `TokenClient ${inspect ? inspect(shown, options) : JSON.stringify(shown)}`;
  }
}

Object.defineProperty(TokenClient.prototype, Symbol.toStringTag, { value: 'TokenClient' });
if (typeof Symbol.dispose === 'symbol') {
  TokenClient.prototype[Symbol.dispose] = TokenClient.prototype.close;
}

module.exports = { TokenClient };
