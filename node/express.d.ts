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
 * An Express middleware: verifies `Authorization: Bearer <token>` and
 * requires every scope; the Claims go to `req.auth`. A failure answers 401
 * (invalid or missing token), 403 (insufficient scope) or 503 (keys
 * unavailable) with the RFC 6750 `WWW-Authenticate` header and an empty body.
 */
export declare function requireToken(
  verifier: Verifier,
  opts?: RequireTokenOptions,
): (req: { headers: { authorization?: string } }, res: any, next: (err?: unknown) => void) => void

declare global {
  namespace Express {
    interface Request {
      /** The verified claims (set by m2m-auth's requireToken). */
      auth?: Claims
    }
  }
}
