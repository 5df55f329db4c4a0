'use strict';
// m2m-auth/express: an Express middleware that requires an access token
// (and scopes) on a route, Bearer or DPoP (RFC 9449), verified from the
// request itself (method, URL, Authorization and DPoP headers). The answer
// to a failed verification is the engine's (core's Verifier::challenge):
// 401/403 with WWW-Authenticate (and DPoP-Nonce in nonce mode), 503 when
// the keys cannot be fetched. The token is never echoed.

const { adapterOptions, adapterRequest, kVerifyHttpRequestNow } = require('./verifier');
const { M2MAuthError } = require('./errors');

/**
 * The request as the client addressed it: Express's protocol and host
 * (behind a proxy, what `app.set('trust proxy', ...)` lets it read from
 * X-Forwarded-Proto and X-Forwarded-Host) and the original URL. Express 4's
 * `req.host` drops the port (and is deprecated), so there the Host header
 * is taken as it came; Express 4 still has `req.param`, which 5 removed.
 */
function requestUrl(req) {
  const host = typeof req.param === 'function' ? req.get('host') : req.host;
  return `${req.protocol}://${host}${req.originalUrl}`;
}

/**
 * `app.get('/things', requireToken(verifier, { scopes: ['read:things'] }), handler)`:
 * verifies the request's token (`Authorization: Bearer <token>`, or
 * `DPoP <token>` with its `DPoP` proof, as the verifier's `dpop` option
 * allows) and requires every scope; the Claims go to `req.auth`. A failure
 * answers at once with `verifier.challenge(err, { authorization, realm })`:
 * 401 (invalid or missing token, bad proof, nonce needed), 403
 * (insufficient scope) or 503 (keys unavailable), an empty body, the
 * `WWW-Authenticate` header and, in DPoP nonce mode, `DPoP-Nonce` (sent
 * with every answer then, successes too); an unexpected error goes to
 * `next(err)`.
 * @param {Verifier} verifier
 * @param {{ scopes?: string | string[], realm?: string }} [opts]
 */
function requireToken(verifier, opts = undefined) {
  const { scopes, realm } = adapterOptions(verifier, opts);
  // A verifier in nonce mode always has a nonce to give, one without never:
  // asked once here, so that other APIs pay no engine call per request.
  const nonceMode = verifier.dpopNonce() !== null;
  const refuse = (req, res, next, err) => {
    if (!(err instanceof M2MAuthError)) {
      next(err);
      return;
    }
    const answer = verifier.challenge(err, { authorization: req.headers.authorization, realm });
    if (answer.wwwAuthenticate !== null) res.setHeader('WWW-Authenticate', answer.wwwAuthenticate);
    if (answer.dpopNonce !== null) res.setHeader('DPoP-Nonce', answer.dpopNonce);
    res.status(answer.status).end();
  };
  const accept = (req, res, next, claims) => {
    req.auth = claims;
    // Nonce mode: the nonce to use next comes with every answer (RFC 9449 section 8.2).
    if (nonceMode) res.setHeader('DPoP-Nonce', verifier.dpopNonce());
    next();
  };
  return function m2mAuthRequireToken(req, res, next) {
    let request;
    let claims;
    try {
      request = adapterRequest(req.method, requestUrl(req), req.headers);
      // Keys held or a cached token: no Promise, the route runs in this tick.
      claims = verifier[kVerifyHttpRequestNow](request, scopes);
    } catch (e) {
      refuse(req, res, next, e);
      return;
    }
    if (claims !== null) {
      accept(req, res, next, claims);
      return;
    }
    const [method, url, authorization, dpop] = request;
    verifier.verifyHttpRequest({ method, url, authorization, dpop }, { scopes })
      .then((c) => accept(req, res, next, c), (e) => refuse(req, res, next, e));
  };
}

module.exports = { requireToken };
