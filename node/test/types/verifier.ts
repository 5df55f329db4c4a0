// The API side's types: Verifier, Claims, errors, challenge and the adapters.
import { Claims, InsufficientScopeError, InvalidTokenError, Verifier, challenge } from 'm2m-auth';
import type { HttpRequest, InvalidTokenReason, VerifierChallenge, VerifierOptions } from 'm2m-auth';
import { requireToken } from 'm2m-auth/express';
import m2mAuth, { requireToken as fastifyHook } from 'm2m-auth/fastify';

export async function dpopApi(dpop: string | string[] | undefined, authorization?: string): Promise<Claims> {
  const verifier = new Verifier({
    issuer: 'https://issuer.example/', audience: 'https://api.example/', dpop: 'required', dpopAlgorithms: ['ES256'],
    dpopMaxAge: 30_000, dpopReplayCacheSize: 1000, dpopNonce: true, dpopNonceSecret: 'a-secret-of-at-least-32-bytes....',
  });
  const request: HttpRequest = { method: 'GET', url: new URL('https://api.example/things'), authorization, dpop };
  const reason: InvalidTokenReason = 'dpop_replay';
  void reason;
  // @ts-expect-error: the method is required
  void verifier.verifyHttpRequest({ url: 'https://api.example/' });
  return verifier.verifyHttpRequest(request, { scopes: ['read:things'] });
}

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
    const answer: VerifierChallenge = verifier.challenge(e, { authorization, realm: 'api' });
    const nonce: string | null = answer.dpopNonce ?? verifier.dpopNonce();
    return `${status}${wwwAuthenticate ?? ''}${nonce ?? ''}`;
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
