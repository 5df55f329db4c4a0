// The API side's types: Verifier, Claims, errors, challenge and the adapters.
import { Claims, InsufficientScopeError, InvalidTokenError, Verifier, challenge } from 'm2m-auth';
import type { InvalidTokenReason, VerifierOptions } from 'm2m-auth';
import { requireToken } from 'm2m-auth/express';
import m2mAuth, { requireToken as fastifyHook } from 'm2m-auth/fastify';

export async function api(authorization: string | undefined): Promise<string> {
  const options: VerifierOptions = { issuer: 'https://issuer.example/', audience: ['https://api.example/'], leeway: 5000 };
  const verifier = new Verifier(options);
  try {
    const claims: Claims = await verifier.verifyRequest(authorization, { scopes: ['read:things'] });
    const exp: number = claims.expiresAt;
    const iat: number | null = claims.issuedAt;
    const sub: string | null = claims.subject;
    const scopes: readonly string[] = claims.scopes;
    const extra: unknown = claims.get('gty');
    return `${exp}${iat}${sub}${scopes.join(' ')}${String(extra)}${claims.hasScope('x')}${verifier.stats().cacheHits}`;
  } catch (e) {
    if (e instanceof InvalidTokenError) {
      const r: InvalidTokenReason = e.reason;
      return r;
    }
    if (e instanceof InsufficientScopeError) return e.requiredScope;
    const { status, wwwAuthenticate } = challenge(e, { realm: 'api' });
    return `${status}${wwwAuthenticate ?? ''}`;
  } finally {
    const middleware = requireToken(verifier, { scopes: 'read:things' });
    const hook = fastifyHook(verifier, { scopes: ['a'], realm: 'r' });
    void [middleware, hook, m2mAuth];
    // @ts-expect-error: issuer and audience are required
    new Verifier({ jwksUri: 'https://issuer.example/jwks' });
    // @ts-expect-error: claims come from a verifier
    new Claims();
  }
}
