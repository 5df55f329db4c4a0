// Type-checked (tsc --strict --noEmit, not run) by scripts/test-package-node.sh
// in a fresh npm project that installed the m2m-auth tarballs from dist/:
// what a TypeScript user of the installed package writes, an Express API
// (with @types/express) included.
import express, { type Request, type Response } from 'express';
import {
  Claims, ConfigError, InsufficientScopeError, InvalidTokenError, M2MAuthError, OAuthError, Token, TokenClient,
  TransportError, Verifier, challenge,
} from 'm2m-auth';
import type { TokenClientOptions, VerifierOptions } from 'm2m-auth';
import { requireToken } from 'm2m-auth/express';

const options: TokenClientOptions = {
  tokenUrl: 'https://tenant.example.com/oauth/token',
  clientId: 'id',
  clientSecret: process.env.CLIENT_SECRET ?? '',
  audience: 'https://api.example.com',
  timeout: 5000,
};

export async function client(): Promise<string> {
  const client = new TokenClient(options);
  try {
    const cached: Token = await client.getToken();
    const fresh: Token = await client.fetchToken({ scope: 'read:data' });
    const left: number = fresh.expiresIn;
    const header: string = cached.authorizationHeader();
    return `${header.length} ${left} ${cached.scope ?? ''}`;
  } catch (e) {
    if (e instanceof OAuthError) return `${e.status} ${e.error} ${e.errorDescription ?? ''}`;
    if (e instanceof TransportError || e instanceof ConfigError) return e.code;
    if (e instanceof M2MAuthError) return `${e.code} ${e.retryAfter ?? ''}`;
    throw e;
  }
}

const verifierOptions: VerifierOptions = { issuer: 'https://tenant.example.com/', audience: 'https://api.example.com' };
const verifier = new Verifier(verifierOptions);

export const app = express();
app.get('/things', requireToken(verifier, { scopes: ['read:data'] }), (req: Request, res: Response) => {
  // requireToken puts the verified claims on req.auth (declared by m2m-auth/express).
  const claims: Claims | undefined = req.auth;
  res.json({ caller: claims?.clientId, scopes: claims?.scopes });
});

export async function verify(authorization: string | undefined): Promise<number> {
  try {
    const claims: Claims = await verifier.verifyRequest(authorization, { scopes: ['read:data'] });
    return claims.expiresAt;
  } catch (e) {
    if (e instanceof InvalidTokenError || e instanceof InsufficientScopeError) return challenge(e).status;
    throw e;
  }
}
