'use strict';
// Verifier and Claims: the engine's access-token verifier (RFC 9068, core's
// m2m_auth::Verifier) with JS types and Promises. Every rule is the
// engine's; this file only picks the engine's synchronous path when it can
// answer without I/O (keys held, or a verified-token cache hit) and its
// async one when a JWKS fetch is due.

const native = require('./native');
const { codeOf, configError, fromNative } = require('./errors');

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** The key that lets Verifier create Claims (user code cannot). */
const kCreate = Symbol('m2m-auth.claims');
/** The adapters' synchronous path (see Verifier[kVerifyRequestNow]). */
const kVerifyRequestNow = Symbol('m2m-auth.verifyRequestNow');

function deepFreeze(v) {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/**
 * The claims of a verified access token. The fields are read from the
 * engine on first use; arrays and `get()` values are frozen. Holds no
 * token: `util.inspect` and `JSON.stringify` show the claims only.
 */
class Claims {
  #handle;
  #fields = null;
  #json = null;

  /** @internal Claims come from a Verifier, never from user code. */
  constructor(key, handle) {
    if (key !== kCreate) throw new TypeError('Claims objects come from a Verifier');
    this.#handle = handle;
  }

  #f() {
    if (this.#fields === null) this.#fields = deepFreeze(JSON.parse(native.claimsFields(this.#handle)));
    return this.#fields;
  }

  /** `iss`. */
  get issuer() { return this.#f().issuer; }
  /** `sub`, or `null`. */
  get subject() { return this.#f().subject; }
  /** `aud` as a list (a string `aud` is one entry). */
  get audience() { return this.#f().audience; }
  /** `client_id`, or `null`. */
  get clientId() { return this.#f().clientId; }
  /** The granted scopes: `scope` split on spaces, or the `scp` array; `[]` when none. */
  get scopes() { return this.#f().scopes; }
  /** `exp`, in ms since the epoch. */
  get expiresAt() { return this.#f().expiresAt; }
  /** `iat` in ms since the epoch, or `null`. */
  get issuedAt() { return this.#f().issuedAt; }
  /** `nbf` in ms since the epoch, or `null`. */
  get notBefore() { return this.#f().notBefore; }
  /** `jti`, or `null`. */
  get jwtId() { return this.#f().jwtId; }

  /** Whether `scope` is one of the granted scopes. */
  hasScope(scope) {
    return this.#f().scopes.includes(scope);
  }

  /** Every claim as the token carries it (frozen). */
  #all() {
    if (this.#json === null) this.#json = deepFreeze(JSON.parse(native.claimsJson(this.#handle)));
    return this.#json;
  }

  /** The claim `name` as JSON (frozen), or `undefined` when the token has none. */
  get(name) {
    const all = this.#all();
    return Object.hasOwn(all, name) ? all[name] : undefined;
  }

  /** Every claim (a frozen object): what `JSON.stringify(claims)` writes. */
  toJSON() {
    return this.#all();
  }

  /** `util.inspect`: the claims (never the token, which Claims does not hold). */
  [inspectSymbol](depth, options, inspect) {
    const shown = { ...this.#f() };
    return `Claims ${inspect ? inspect(shown, options) : JSON.stringify(shown)}`;
  }
}

Object.defineProperty(Claims.prototype, Symbol.toStringTag, { value: 'Claims' });

/** The scopes a request requires: a string (one scope), a list of strings, or none. */
function scopeList(opts) {
  if (opts == null) return [];
  if (typeof opts !== 'object') throw configError('verifyRequest options must be an object');
  for (const key of Object.keys(opts)) {
    if (key !== 'scopes' && opts[key] !== undefined) throw configError(`unknown verifyRequest option ${JSON.stringify(key)}`);
  }
  const { scopes } = opts;
  if (scopes == null) return [];
  if (typeof scopes === 'string') return [scopes];
  if (Array.isArray(scopes) && scopes.every((s) => typeof s === 'string')) return [...scopes];
  throw configError('scopes must be a string or an array of strings');
}

/** The header as the engine takes it: a string, or null when absent. */
function header(authorization) {
  if (authorization == null) return null;
  if (typeof authorization !== 'string') throw configError('the Authorization header must be a string');
  return authorization;
}

/**
 * Verifies OAuth 2.0 access tokens (RFC 9068 JWTs) on the m2m-auth engine:
 * algorithm allowlist, keys only from the configured JWKS (fetched, cached
 * and refreshed by the engine), exact issuer, audience, expiry, scopes; a
 * verified token is cached until it expires. Options by their camelCase
 * names, durations in milliseconds.
 */
class Verifier {
  #handle;

  /** @throws {ConfigError} on a bad, missing or unknown option, before any I/O. */
  constructor(options) {
    if (options == null || typeof options !== 'object' || Array.isArray(options)) {
      throw configError('new Verifier takes an options object');
    }
    try {
      this.#handle = native.verifierNew(options);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * Verifies a bare access token (the compact JWS): its Claims, or a
   * rejection with an InvalidTokenError (`reason`) or, when the JWKS cannot
   * be fetched, the error of that fetch.
   * @returns {Promise<Claims>}
   */
  verify(token) {
    if (typeof token !== 'string') return Promise.reject(configError('verify takes the token as a string'));
    let now;
    try {
      now = native.verifierVerifyNow(this.#handle, token);
    } catch (e) {
      return Promise.reject(fromNative(e));
    }
    if (now != null) return Promise.resolve(new Claims(kCreate, now));
    return native.verifierVerify(this.#handle, token).then((h) => new Claims(kCreate, h), (e) => {
      throw fromNative(e);
    });
  }

  /**
   * Verifies the `Authorization` header as it arrived (`'Bearer <token>'`;
   * absent, empty or another scheme: InvalidTokenError `reason: 'missing'`),
   * then requires every scope of `opts.scopes` (InsufficientScopeError with
   * `requiredScope` when one is not granted).
   * @param {string | null | undefined} authorization
   * @param {{ scopes?: string | string[] }} [opts]
   * @returns {Promise<Claims>}
   */
  verifyRequest(authorization, opts = undefined) {
    let auth;
    let scopes;
    let now;
    try {
      auth = header(authorization);
      scopes = scopeList(opts);
      now = native.verifierVerifyRequestNow(this.#handle, auth, scopes);
    } catch (e) {
      return Promise.reject(fromNative(e));
    }
    if (now != null) return Promise.resolve(new Claims(kCreate, now));
    return native.verifierVerifyRequest(this.#handle, auth, scopes).then((h) => new Claims(kCreate, h), (e) => {
      throw fromNative(e);
    });
  }

  /**
   * @internal For the adapters: the Claims at once when no I/O is needed,
   * `null` when a JWKS fetch is due (then call verifyRequest); a failure
   * throws. `scopes` is a checked list (see adapterOptions).
   */
  [kVerifyRequestNow](authorization, scopes) {
    let now;
    try {
      now = native.verifierVerifyRequestNow(this.#handle, header(authorization), scopes);
    } catch (e) {
      throw fromNative(e);
    }
    return now == null ? null : new Claims(kCreate, now);
  }

  /** The counters: `{ verified, cacheHits, jwksFetches, failures }`. */
  stats() {
    return native.verifierStats(this.#handle);
  }

  /** `util.inspect`: issuer, jwksUri, audience and algorithms as configured; never a token or a key. */
  [inspectSymbol](depth, options, inspect) {
    const shown = native.verifierDescribe(this.#handle);
    return `Verifier ${inspect ? inspect(shown, options) : JSON.stringify(shown)}`;
  }
}

Object.defineProperty(Verifier.prototype, Symbol.toStringTag, { value: 'Verifier' });
/** @internal The checked `{ scopes, realm }` of an adapter (m2m-auth/express, m2m-auth/fastify). */
function adapterOptions(verifier, opts) {
  if (!(verifier instanceof Verifier)) throw configError('requireToken takes a Verifier');
  if (opts != null && typeof opts !== 'object') throw configError('requireToken options must be an object');
  const { scopes, realm, ...rest } = opts ?? {};
  const unknown = Object.keys(rest).find((k) => rest[k] !== undefined);
  if (unknown !== undefined) throw configError(`unknown requireToken option ${JSON.stringify(unknown)}`);
  if (realm != null && typeof realm !== 'string') throw configError('realm must be a string');
  return { scopes: scopeList({ scopes }), realm };
}


/**
 * The RFC 6750 answer to a failed verification (core's `challenge`), the
 * same in every middleware: `{ status, wwwAuthenticate }`. InvalidTokenError
 * → 401 with `Bearer error="invalid_token", error_description="<reason>"`
 * (a bare `Bearer` when no token was sent); InsufficientScopeError → 403
 * with the required scope; anything else (the JWKS unreachable, ...) → 503
 * without a header (`wwwAuthenticate: null`). Never echoes the token.
 * @param {unknown} err
 * @param {{ realm?: string }} [opts]
 */
function challenge(err, opts = undefined) {
  const realm = opts?.realm;
  if (realm != null && typeof realm !== 'string') throw configError('realm must be a string');
  const fields = err ?? {};
  const text = (v) => (typeof v === 'string' ? v : null);
  return native.challenge(codeOf(err) ?? 'error', text(fields.reason), text(fields.requiredScope), realm ?? null);
}

module.exports = { Verifier, Claims, adapterOptions, challenge, kVerifyRequestNow };
