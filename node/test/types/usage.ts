// Compiled (not run) by test/package.test.mjs: the public API as a
// TypeScript user sees it through index.d.ts.
import {
  ConfigError, M2MAuthError, OAuthError, ThrottledError, Token, TokenClient, TransportError,
  attachAxios, errorClasses,
} from 'm2m-auth';
import type { GetTokenOptions, TokenClientOptions, TokenClientStats, TokenRequestOptions } from 'm2m-auth';

const options: TokenClientOptions = {
  domain: 'tenant.example.com',
  clientId: 'id',
  clientSecret: 'secret',
  audience: 'https://api.example.com',
  scope: ['read', 'write'],
  resource: 'https://api.example.com/',
  extra: { tenant: 't' },
  timeoutMs: 5000,
  retry: { maxAttempts: 2, baseDelayMs: 100 },
  noProxy: true,
};

export async function use(): Promise<string> {
  const client = new TokenClient(options);
  const fromEnv: TokenClient = TokenClient.fromEnv({ scope: 'read' });
  const request: TokenRequestOptions = { audience: 'https://other.example.com', scope: 'read' };
  const opts: GetTokenOptions = { ...request, signal: AbortSignal.timeout(1000) };
  const token: Token = await client.getToken(opts);
  const fetched: Token = await fromEnv.fetchToken();
  const header: string = token.authorizationHeader();
  const expires: Date = token.expiresAt;
  const left: number = token.expiresIn + fetched.expiresIn;
  const scope: string | null = token.scope;
  const extra: unknown = token.extra['x'];
  const stats: TokenClientStats = client.stats();
  client.invalidate(request);
  const res: Response = await client.fetch('https://api.example.com/data', { method: 'POST', body: '{}' });
  try {
    await client.getToken();
  } catch (e) {
    if (e instanceof OAuthError) {
      const s: number = e.status;
      const d: string | null = e.errorDescription;
      console.log(e.code, e.error, s, d, e.errorUri);
    } else if (e instanceof ThrottledError) {
      const after: number = e.retryAfter;
      console.log(after);
    } else if (e instanceof TransportError) {
      const k: 'connect' | 'timeout' | 'reset' | 'tls' | 'io' = e.kind;
      console.log(k);
    } else if (e instanceof ConfigError || e instanceof M2MAuthError) {
      console.log(e.code);
    }
  }
  const C: typeof OAuthError = errorClasses.oauth;
  const detach: () => void = attachAxios(
    { interceptors: { request: { use: () => 0, eject: () => {} }, response: { use: () => 0, eject: () => {} } }, request: async () => ({}) },
    client,
  );
  detach();
  client.close();
  // @ts-expect-error: tokens come from a client
  new Token();
  // @ts-expect-error: misspelled options are type errors too
  new TokenClient({ tokenUrl: 'https://x', clientId: 'a', clientSecert: 'b' });
  return `${header}${expires.toISOString()}${left}${scope}${String(extra)}${stats.hits}${res.status}${C.name}`;
}
