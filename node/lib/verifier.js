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
/** The adapters' synchronous path (see Verifier[kVerifyHttpRequestNow]). */
const kVerifyHttpRequestNow = Symbol('m2m-auth.verifyHttpRequestNow');

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
function scopeList(opts, method = 'verifyRequest') {
  if (opts == null) return [];
  if (typeof opts !== 'object') throw configError(`${method} options must be an object`);
  for (const key of Object.keys(opts)) {
    if (key !== 'scopes' && opts[key] !== undefined) throw configError(`unknown ${method} option ${JSON.stringify(key)}`);
  }
  const { scopes } = opts;
  if (scopes == null) return [];
  if (typeof scopes === 'string') return [scopes];
  if (Array.isArray(scopes) && scopes.every((s) => typeof s === 'string')) return [...scopes];
  throw configError('scopes must be a string or an array of strings');
}

/** The header as the engine takes it: a string, or null when absent. */
function header(authorization, name = 'Authorization') {
  if (authorization == null) return null;
  if (typeof authorization !== 'string') throw configError(`the ${name} header must be a string`);
  return authorization;
}

/**
 * The `DPoP` header as the engine takes it: several (an array, as some
 * frameworks give repeated headers) joined with ", ", which the engine
 * refuses, rather than one picked here.
 */
function dpopHeader(dpop) {
  if (Array.isArray(dpop) && dpop.every((d) => typeof d === 'string')) return dpop.length ? dpop.join(', ') : null;
  return header(dpop, 'DPoP');
}

/** `{ method, url, authorization, dpop }` checked, as the engine's positional arguments. */
function httpRequest(request) {
  if (request == null || typeof request !== 'object') throw configError('verifyHttpRequest takes a request object');
  const { method, url, authorization, dpop, ...rest } = request;
  const unknown = Object.keys(rest).find((k) => rest[k] !== undefined);
  if (unknown !== undefined) throw configError(`unknown verifyHttpRequest request field ${JSON.stringify(unknown)}`);
  if (typeof method !== 'string') throw configError('the request method must be a string');
  const href = url instanceof URL ? url.href : url;
  if (typeof href !== 'string') throw configError('the request url must be a string or a URL');
  return [method, href, header(authorization), dpopHeader(dpop)];
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
   * Verifies a request as it arrived, `Bearer` or `DPoP` (RFC 9449): a
   * DPoP token must be bound to a key (`cnf.jkt`) and come with one proof
   * of this request (method, URL, the token's hash) signed by that key,
   * recent, never used before (and carrying this API's nonce with
   * `dpopNonce: true`); a bound token sent as `Bearer` is refused
   * (`reason: 'dpop_bound'`); then every scope of `opts.scopes` is
   * required. The `dpop` option says which schemes are taken. Rejects as
   * verifyRequest does, with the DPoP reasons `dpop_proof`, `dpop_replay`,
   * `dpop_nonce`, `dpop_bound`; {@link Verifier#challenge} is the answer.
   * @param {{ method: string, url: string | URL, authorization?: string | null,
   *   dpop?: string | string[] | null }} request  `url`: the absolute URL
   *   the client addressed (behind a proxy, the public one); `dpop`: the
   *   `DPoP` header (several are joined, and refused).
   * @param {{ scopes?: string | string[] }} [opts]
   * @returns {Promise<Claims>}
   */
  verifyHttpRequest(request, opts = undefined) {
    let args;
    let now;
    try {
      args = [...httpRequest(request), scopeList(opts, 'verifyHttpRequest')];
      now = native.verifierVerifyHttpRequestNow(this.#handle, ...args);
    } catch (e) {
      return Promise.reject(fromNative(e));
    }
    if (now != null) return Promise.resolve(new Claims(kCreate, now));
    return native.verifierVerifyHttpRequest(this.#handle, ...args).then((h) => new Claims(kCreate, h), (e) => {
      throw fromNative(e);
    });
  }

  /**
   * @internal For the adapters: verifyHttpRequest's Claims at once when no
   * I/O is needed, `null` when a JWKS fetch is due; a failure throws.
   * `request` is `[method, url, authorization, dpop]`, checked.
   */
  [kVerifyHttpRequestNow](request, scopes) {
    let now;
    try {
      now = native.verifierVerifyHttpRequestNow(this.#handle, ...request, scopes);
    } catch (e) {
      throw fromNative(e);
    }
    return now == null ? null : new Claims(kCreate, now);
  }

  /**
   * The answer to a failed verification, with this verifier's DPoP options
   * (what the Express and Fastify adapters send): `{ status,
   * wwwAuthenticate, dpopNonce }`. A request that presented `DPoP` (or any,
   * with `dpop: 'required'`) is answered under the `DPoP` scheme with
   * `algs`: `invalid_dpop_proof` for a bad or replayed proof,
   * `use_dpop_nonce` with the nonce to send as `DPoP-Nonce`, else the
   * RFC 6750 errors; a request without a token is offered every scheme
   * taken (`Bearer, DPoP algs=...` by default); in nonce mode every 401
   * carries `dpopNonce` (else `null`). 503 without a header for an error
   * that is not the token's. Never echoes the token.
   * @param {unknown} err
   * @param {{ authorization?: string | null, realm?: string }} [opts]
   *   `authorization`: the request's header, which names the scheme used.
   */
  challenge(err, opts = undefined) {
    if (opts != null && typeof opts !== 'object') throw configError('challenge options must be an object');
    const { authorization, realm, ...rest } = opts ?? {};
    const unknown = Object.keys(rest).find((k) => rest[k] !== undefined);
    if (unknown !== undefined) throw configError(`unknown challenge option ${JSON.stringify(unknown)}`);
    if (realm != null && typeof realm !== 'string') throw configError('realm must be a string');
    const [code, reason, requiredScope] = errorFields(err);
    return native.verifierChallenge(this.#handle, code, reason, requiredScope, header(authorization), realm ?? null);
  }

  /**
   * The DPoP nonce to send now (`DPoP-Nonce`) with `dpopNonce: true`, else
   * `null`. Nonces are made from `dpopNonceSecret` (random per verifier
   * when not given: give every process of an API the same one).
   * @returns {string | null}
   */
  dpopNonce() {
    return native.verifierDpopNonce(this.#handle);
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
/**
 * @internal The request an adapter verifies, as verifyHttpRequest takes it
 * (`[method, url, authorization, dpop]`): `headers` are Node's (repeated
 * `DPoP` headers arrive joined with ", "), `url` the absolute URL the
 * framework says the client addressed.
 */
function adapterRequest(method, url, headers) {
  return [method, url, header(headers.authorization), dpopHeader(headers.dpop)];
}

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
 * -> 401 with `Bearer error="invalid_token", error_description="<reason>"`
 * (a bare `Bearer` when no token was sent); InsufficientScopeError -> 403
 * with the required scope; anything else (the JWKS unreachable, ...) -> 503
 * without a header (`wwwAuthenticate: null`). Never echoes the token.
 * @param {unknown} err
 * @param {{ realm?: string }} [opts]
 */
function challenge(err, opts = undefined) {
  const realm = opts?.realm;
  if (realm != null && typeof realm !== 'string') throw configError('realm must be a string');
  return native.challenge(...errorFields(err), realm ?? null);
}

/** What an answer depends on of an error: its code, `reason` and `requiredScope`. */
function errorFields(err) {
  const fields = err ?? {};
  const text = (v) => (typeof v === 'string' ? v : null);
  return [codeOf(err) ?? 'error', text(fields.reason), text(fields.requiredScope)];
}

module.exports = {
  Verifier, Claims, adapterOptions, adapterRequest, challenge, kVerifyHttpRequestNow,
};
