// Types of m2m-auth/express (lib/express.js).
import type { Claims, Verifier } from './index'

/** Options of {@link requireToken}. */
export interface RequireTokenOptions {
  /** Scopes the token must all grant (a string is one scope). */
  scopes?: string | readonly string[]
  /** The `realm` of the `WWW-Authenticate` challenge. */
  realm?: string
}

/**
 * An Express middleware: verifies the request's token (`Authorization:
 * Bearer <token>`, or `DPoP <token>` with its `DPoP` proof of this request,
 * as the verifier's `dpop` option allows) and requires every scope; the
 * Claims go to `req.auth`. A failure answers `verifier.challenge(err, {
 * authorization, realm })`: 401 (invalid or missing token, bad proof, nonce
 * needed), 403 (insufficient scope) or 503 (keys unavailable), with
 * `WWW-Authenticate`, `DPoP-Nonce` in nonce mode, and an empty body. The
 * URL checked is `req.protocol://req.host` + `req.originalUrl`: behind a
 * proxy, set `app.set('trust proxy', ...)`.
 */
export declare function requireToken(
  verifier: Verifier,
  opts?: RequireTokenOptions,
): (req: any, res: any, next: (err?: unknown) => void) => void

declare global {
  namespace Express {
    interface Request {
      /** The verified claims (set by m2m-auth's requireToken). */
      auth?: Claims
    }
  }
}
