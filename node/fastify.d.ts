// Types of m2m-auth/fastify (lib/fastify.js).
import type { Claims, Verifier } from './index'

/** Options of {@link requireToken}. */
export interface RequireTokenOptions {
  /** Scopes the token must all grant (a string is one scope). */
  scopes?: string | readonly string[]
  /** The `realm` of the `WWW-Authenticate` challenge. */
  realm?: string
}

/** Options of the {@link m2mAuth} plugin. */
export interface M2MAuthPluginOptions extends RequireTokenOptions {
  /** The verifier. */
  verifier: Verifier
}

/**
 * A Fastify hook (`onRequest` or `preHandler`): verifies the request's
 * token (`Authorization: Bearer <token>`, or `DPoP <token>` with its `DPoP`
 * proof of this request, as the verifier's `dpop` option allows), requires
 * every scope, puts the Claims on `request.auth`. A failure answers
 * `verifier.challenge(err, { authorization, realm })`: 401, 403 or 503 with
 * `WWW-Authenticate`, `DPoP-Nonce` in nonce mode, and an empty body. The
 * URL checked is `request.protocol://request.host` + `request.url`: behind
 * a proxy, set the server's `trustProxy` option.
 */
export declare function requireToken(
  verifier: Verifier,
  opts?: RequireTokenOptions,
): (request: any, reply: any) => Promise<unknown>

/**
 * A plugin: `fastify.register(m2mAuth, { verifier, scopes })` requires a
 * token on every route of its context (an `onRequest` hook).
 */
export declare function m2mAuth(fastify: any, opts: M2MAuthPluginOptions): Promise<void>
export default m2mAuth

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified claims (set by m2m-auth's requireToken / m2mAuth). */
    auth?: Claims | null
  }
}
