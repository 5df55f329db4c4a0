'use strict';
// m2m-auth/fastify: require an access token (and scopes) in Fastify, as a
// route hook (`requireToken`) or as a plugin protecting every route of its
// context. The answer to a failed verification is the engine's (core's
// `challenge`, RFC 6750): 401/403 with WWW-Authenticate, 503 when the keys
// cannot be fetched. The token is never echoed.

const { adapterOptions, challenge, kVerifyRequestNow } = require('./verifier');
const { M2MAuthError } = require('./errors');

/**
 * A hook for `onRequest` / `preHandler`:
 * `fastify.get('/things', { onRequest: requireToken(verifier, { scopes: ['read:things'] }) }, handler)`.
 * Verifies `Authorization: Bearer <token>`, requires every scope, puts the
 * Claims on `request.auth`. A failure answers at once (401, 403 or 503,
 * empty body, RFC 6750 `WWW-Authenticate`); an unexpected error is thrown
 * to Fastify's error handler.
 * @param {import('./verifier').Verifier} verifier
 * @param {{ scopes?: string | string[], realm?: string }} [opts]
 */
function requireToken(verifier, opts = undefined) {
  const { scopes, realm } = adapterOptions(verifier, opts);
  const refuse = (reply, err) => {
    if (!(err instanceof M2MAuthError)) throw err;
    const answer = challenge(err, { realm });
    if (answer.wwwAuthenticate !== null) reply.header('WWW-Authenticate', answer.wwwAuthenticate);
    return reply.code(answer.status).send();
  };
  return async function m2mAuthRequireToken(request, reply) {
    const authorization = request.headers.authorization;
    try {
      // Keys held or a cached token: no engine Promise to wait for.
      request.auth = verifier[kVerifyRequestNow](authorization, scopes)
        ?? await verifier.verifyRequest(authorization, { scopes });
    } catch (e) {
      return refuse(reply, e);
    }
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
