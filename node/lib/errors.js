'use strict';
// Errors (docs/design.md section 6): M2MAuthError and one subclass per code, with
// err.code = 'M2M_<CODE>' and every field of the surface's ERROR_FIELDS in
// camelCase (null when the error has no such field; retryAfter in ms). The
// engine builds every message and field, already scrubbed of secrets.

const native = require('./native');

/** Prefix of the addon's error messages; the rest is JSON of the fields. */
const TAG = 'm2m-auth:';

/**
 * The error fields every error object has (besides `code` and `message`),
 * asked of the addon when the first error is built (loading stays cheap).
 */
let FIELDS = null;

/** Base class of every error m2m-auth reports. */
class M2MAuthError extends Error {
  /**
   * @param {string} message
   * @param {object} [fields] the engine's fields of this error, by their JS names
   */
  constructor(message, fields = {}) {
    super(message, 'cause' in fields ? { cause: fields.cause } : undefined);
    /** `'M2M_<CODE>'`, e.g. `'M2M_OAUTH'`. */
    this.code = new.target.code || `M2M_${String(fields.code || 'error').toUpperCase()}`;
    FIELDS ??= native.surfaceNames().errorFields.filter((n) => n !== 'code' && n !== 'message');
    for (const name of FIELDS) this[name] = fields[name] ?? null;
  }
}

/** A bad or missing option (`M2M_CONFIG`), raised before any I/O. */
class ConfigError extends M2MAuthError {}
ConfigError.code = 'M2M_CONFIG';

/** The authorization server refused the request, RFC 6749 section 5.2 (`M2M_OAUTH`). */
class OAuthError extends M2MAuthError {}
OAuthError.code = 'M2M_OAUTH';

/** A non-OAuth HTTP failure (`M2M_HTTP`): `status` and a body excerpt. */
class HttpError extends M2MAuthError {}
HttpError.code = 'M2M_HTTP';

/** Could not talk to the server (`M2M_TRANSPORT`): `kind`. */
class TransportError extends M2MAuthError {}
TransportError.code = 'M2M_TRANSPORT';

/** A 200 response that is not a valid token response (`M2M_INVALID_RESPONSE`): `reason`. */
class InvalidResponseError extends M2MAuthError {}
InvalidResponseError.code = 'M2M_INVALID_RESPONSE';

/** Refused locally until `retryAfter` ms have passed (`M2M_THROTTLED`). */
class ThrottledError extends M2MAuthError {}
ThrottledError.code = 'M2M_THROTTLED';

/** A shared cache is unreachable or corrupt (`M2M_CACHE`). */
class CacheError extends M2MAuthError {}
CacheError.code = 'M2M_CACHE';

/** (Verifier) a token failed validation (`M2M_INVALID_TOKEN`): `reason`, a stable reason code. */
class InvalidTokenError extends M2MAuthError {}
InvalidTokenError.code = 'M2M_INVALID_TOKEN';

/** (Verifier) a valid token lacks a required scope (`M2M_INSUFFICIENT_SCOPE`): `requiredScope`. */
class InsufficientScopeError extends M2MAuthError {}
InsufficientScopeError.code = 'M2M_INSUFFICIENT_SCOPE';

const classes = {
  M2MAuthError, ConfigError, OAuthError, HttpError, TransportError,
  InvalidResponseError, ThrottledError, CacheError, InvalidTokenError, InsufficientScopeError,
};
for (const C of Object.values(classes)) {
  Object.defineProperty(C.prototype, 'name', { value: C.name, writable: true, configurable: true });
}

/** The class of each docs/design.md section 6 code. */
const byCode = {
  config: ConfigError,
  oauth: OAuthError,
  http: HttpError,
  transport: TransportError,
  invalid_response: InvalidResponseError,
  throttled: ThrottledError,
  cache: CacheError,
  invalid_token: InvalidTokenError,
  insufficient_scope: InsufficientScopeError,
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
    // A clientAssertionProvider's failure: what it threw is the cause
    // (provider.js is loaded only when an app has such a failure).
    const err = fields.causeId == null ? new C(fields.message, fields)
      : new C(fields.message, { ...fields, cause: require('./provider').causeOf(fields.causeId) });
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

/** The engine's code of an error of this package (`'invalid_token'`), or null for any other error. */
function codeOf(err) {
  if (!(err instanceof M2MAuthError) || typeof err.code !== 'string' || !err.code.startsWith('M2M_')) return null;
  return err.code.slice(4).toLowerCase();
}

/** A ConfigError raised by this package's own checks. */
function configError(message) {
  return new ConfigError(`config: ${message}`, { code: 'config' });
}

module.exports = { classes, byCode, codeOf, fromNative, configError, ...classes };
