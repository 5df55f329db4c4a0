'use strict';
// Token: an engine token as a JS object. Every field of the surface's
// TOKEN_FIELDS, in camelCase: durations and instants in milliseconds.

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** The key that lets TokenClient create tokens (user code cannot). */
const kCreate = Symbol('m2m-auth.create');

/**
 * An access token and what came with it (RFC 6749 section 5.1). `util.inspect`,
 * `JSON.stringify` and `String()` show its metadata and a fingerprint, never
 * the token itself.
 */
class Token {
  #accessToken;
  #authorization;
  #tokenType;
  #expiresAt;
  #refreshAt;
  #scope;
  #extra;
  #fingerprint;

  /**
   * @internal Tokens come from TokenClient, never from user code. `out`:
   * the addon's array (bindings/node/src/out.rs `TokenOut`): access token,
   * Authorization value, type, expiresAt, refreshAt, scope, extra or null,
   * fingerprint.
   */
  constructor(key, out) {
    if (key !== kCreate) throw new TypeError('Token objects come from a TokenClient');
    this.#accessToken = out[0];
    this.#authorization = out[1];
    this.#tokenType = out[2];
    this.#expiresAt = out[3];
    this.#refreshAt = out[4];
    this.#scope = out[5] ?? null;
    this.#extra = Object.freeze(out[6] ?? {});
    this.#fingerprint = out[7];
  }

  /** The access token, to send as a bearer credential. */
  get accessToken() {
    return this.#accessToken;
  }

  /** The token type: `'Bearer'` (normalized from any case). */
  get tokenType() {
    return this.#tokenType;
  }

  /** Milliseconds left until `expiresAt`, 0 once passed. */
  get expiresIn() {
    return Math.max(0, this.#expiresAt - Date.now());
  }

  /** When the token expires, in ms since the epoch (from `expires_in`, counted from when the request was sent). */
  get expiresAt() {
    return this.#expiresAt;
  }

  /** When the engine starts renewing it in the background, in ms since the epoch. */
  get refreshAt() {
    return this.#refreshAt;
  }

  /** The granted scope (the requested one when the server left it out), or `null`. */
  get scope() {
    return this.#scope;
  }

  /** A short SHA-256 fingerprint of the token, safe to log. */
  get fingerprint() {
    return this.#fingerprint;
  }

  /** Every other field of the token response, as the server sent it (frozen). */
  get extra() {
    return this.#extra;
  }

  /** The value for an HTTP `Authorization` header: `'Bearer <token>'`. */
  authorizationHeader() {
    return this.#authorization;
  }

  /** Metadata only: no token. */
  toJSON() {
    return {
      tokenType: this.#tokenType,
      expiresAt: this.#expiresAt,
      refreshAt: this.#refreshAt,
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

Object.defineProperty(Token.prototype, Symbol.toStringTag, { value: 'Token' });

module.exports = { Token, kCreate };
