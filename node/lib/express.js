'use strict';
// m2m-auth/express: an Express middleware that requires an access token
// (and scopes) on a route. The answer to a failed verification is the
// engine's (core's `challenge`, RFC 6750): 401/403 with WWW-Authenticate,
// 503 when the keys cannot be fetched. The token is never echoed.

const { adapterOptions, challenge, kVerifyRequestNow } = require('./verifier');
const { M2MAuthError } = require('./errors');

/**
 * `app.get('/things', requireToken(verifier, { scopes: ['read:things'] }), handler)`:
 * verifies `Authorization: Bearer <token>` and requires every scope; the
 * Claims go to `req.auth`. A failure answers at once (401 invalid or
 * missing token, 403 insufficient scope, 503 keys unavailable) with an
 * empty body and the RFC 6750 `WWW-Authenticate` header; an unexpected
 * error goes to `next(err)`.
 * @param {Verifier} verifier
 * @param {{ scopes?: string | string[], realm?: string }} [opts]
 */
function requireToken(verifier, opts = undefined) {
  const { scopes, realm } = adapterOptions(verifier, opts);
  const refuse = (res, next, err) => {
    if (!(err instanceof M2MAuthError)) {
      next(err);
      return;
    }
    const answer = challenge(err, { realm });
    if (answer.wwwAuthenticate !== null) res.setHeader('WWW-Authenticate', answer.wwwAuthenticate);
    res.status(answer.status).end();
  };
  return function m2mAuthRequireToken(req, res, next) {
    const authorization = req.headers.authorization;
    let claims;
    try {
      // Keys held or a cached token: no Promise, the route runs in this tick.
      claims = verifier[kVerifyRequestNow](authorization, scopes);
    } catch (e) {
      refuse(res, next, e);
      return;
    }
    if (claims !== null) {
      req.auth = claims;
      next();
      return;
    }
    verifier.verifyRequest(authorization, { scopes }).then((c) => {
      req.auth = c;
      next();
    }, (e) => refuse(res, next, e));
  };
}

module.exports = { requireToken };
