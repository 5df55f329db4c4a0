'use strict';
// m2m-auth/fastify: require an access token (and scopes) in Fastify, Bearer
// or DPoP (RFC 9449), verified from the request itself (method, URL,
// Authorization and DPoP headers), as a route hook (`requireToken`) or as a
// plugin protecting every route of its context. The answer to a failed
// verification is the engine's (core's Verifier::challenge): 401/403 with
// WWW-Authenticate (and DPoP-Nonce in nonce mode), 503 when the keys cannot
// be fetched. The token is never echoed.

const { adapterOptions, adapterRequest, kVerifyHttpRequestNow } = require('./verifier');
const { M2MAuthError } = require('./errors');

/**
 * The request as the client addressed it: Fastify's protocol and host
 * (behind a proxy, what the `trustProxy` server option lets it read from
 * X-Forwarded-Proto and X-Forwarded-Host; `hostname` held the port before
 * Fastify 5 added `host`) and the URL as sent.
 */
function requestUrl(request) {
  return `${request.protocol}://${request.host ?? request.hostname}${request.url}`;
}

/**
 * A hook for `onRequest` / `preHandler`:
 * `fastify.get('/things', { onRequest: requireToken(verifier, { scopes: ['read:things'] }) }, handler)`.
 * Verifies the request's token (`Authorization: Bearer <token>`, or
 * `DPoP <token>` with its `DPoP` proof, as the verifier's `dpop` option
 * allows), requires every scope, puts the Claims on `request.auth`. A
 * failure answers at once with `verifier.challenge(err, { authorization,
 * realm })`: 401, 403 or 503, an empty body, `WWW-Authenticate` and, in
 * DPoP nonce mode, `DPoP-Nonce` (sent with every answer then, successes
 * too); an unexpected error is thrown to Fastify's error handler.
 * @param {import('./verifier').Verifier} verifier
 * @param {{ scopes?: string | string[], realm?: string }} [opts]
 */
function requireToken(verifier, opts = undefined) {
  const { scopes, realm } = adapterOptions(verifier, opts);
  // A verifier in nonce mode always has a nonce to give, one without never:
  // asked once here, so that other APIs pay no engine call per request.
  const nonceMode = verifier.dpopNonce() !== null;
  const refuse = (request, reply, err) => {
    if (!(err instanceof M2MAuthError)) throw err;
    const answer = verifier.challenge(err, { authorization: request.headers.authorization, realm });
    if (answer.wwwAuthenticate !== null) reply.header('WWW-Authenticate', answer.wwwAuthenticate);
    if (answer.dpopNonce !== null) reply.header('DPoP-Nonce', answer.dpopNonce);
    return reply.code(answer.status).send();
  };
  return async function m2mAuthRequireToken(request, reply) {
    try {
      const req = adapterRequest(request.method, requestUrl(request), request.headers);
      const [method, url, authorization, dpop] = req;
      // Keys held or a cached token: no engine Promise to wait for.
      request.auth = verifier[kVerifyHttpRequestNow](req, scopes)
        ?? await verifier.verifyHttpRequest({ method, url, authorization, dpop }, { scopes });
    } catch (e) {
      return refuse(request, reply, e);
    }
    // Nonce mode: the nonce to use next comes with every answer (RFC 9449 section 8.2).
    if (nonceMode) reply.header('DPoP-Nonce', verifier.dpopNonce());
    return undefined;
  };
}

/**
 * A plugin: `fastify.register(m2mAuth, { verifier, scopes, realm })`
 * requires a token on every route registered in the same context (an
 * `onRequest` hook, before the body is read), claims on `request.auth`.
 * Register it inside a `fastify.register(async (api) => { ... })` block to
 * protect only that block's routes.
 */
async function m2mAuth(fastify, opts) {
  const { verifier, scopes, realm } = opts ?? {};
  const hook = requireToken(verifier, { scopes, realm });
  if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', null);
  fastify.addHook('onRequest', hook);
}

// Not encapsulated (what fastify-plugin does): the hook applies to the
// context that registers the plugin, not to a child of its own.
m2mAuth[Symbol.for('skip-override')] = true;
m2mAuth[Symbol.for('fastify.display-name')] = 'm2m-auth';

// The plugin is the module itself (`fastify.register(require('m2m-auth/fastify'))`
// and `import m2mAuth from 'm2m-auth/fastify'` both work), with named exports.
module.exports = m2mAuth;
module.exports.m2mAuth = m2mAuth;
module.exports.requireToken = requireToken;
module.exports.default = m2mAuth;
