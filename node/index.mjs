// m2m-auth for Node.js (ES module entry point): the CommonJS module's exports.
import m2m from './index.js';

export const {
  TokenClient,
  Token,
  Verifier,
  Claims,
  challenge,
  M2MAuthError,
  ConfigError,
  OAuthError,
  HttpError,
  TransportError,
  InvalidResponseError,
  ThrottledError,
  CacheError,
  InvalidTokenError,
  InsufficientScopeError,
  errorClasses,
  attachAxios,
  setLogger,
} = m2m;
export default m2m;
