// Compiled (not run) by test/package.test.mjs: the public API as a
// TypeScript user sees it through index.d.ts.
import {
  ConfigError, M2MAuthError, OAuthError, ThrottledError, Token, TokenClient, TransportError,
  attachAxios, errorClasses, setLogger,
} from 'm2m-auth';
import type {
  ApiResponse, CallApiOptions, GetTokenOptions, LogLevel, RequestHeaders, TokenClientOptions, TokenClientStats,
  TokenRequestOptions,
} from 'm2m-auth';

const options: TokenClientOptions = {
  domain: 'tenant.example.com',
  clientId: 'id',
  clientSecret: 'secret',
  audience: 'https://api.example.com',
  scope: ['read', 'write'],
  resource: 'https://api.example.com/',
  extra: { tenant: 't' },
  timeout: 5000,
  maxAttempts: 2,
  retryBaseDelay: 100,
  caCerts: ['-----BEGIN CERTIFICATE-----\n...'],
  cacheStrict: false,
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
  const expires: number = token.expiresAt;
  const refresh: number = token.refreshAt;
  const left: number = token.expiresIn + fetched.expiresIn + refresh;
  const scope: string | null = token.scope;
  const extra: unknown = token.extra['x'];
  const stats: TokenClientStats = client.stats();
  const shared: number = stats.sharedHits + stats.storeErrors;
  const who: string = `${client.clientId} ${client.authMethod} ${shared}`;
  client.invalidate(request);
  client.invalidateRejected(token, request);
  client.invalidateRejected(token.accessToken);
  const callOpts: CallApiOptions = { headers: { accept: 'application/json' }, body: '{}', scope: 'read', signal: opts.signal };
  const api: ApiResponse = await client.callApi('POST', 'https://api.example.com/data', callOpts);
  const apiText: string = api.text() + String(api.json()) + api.headers['content-type'] + api.status + api.body.length;
  const level: LogLevel = 'debug';
  setLogger(console, { level });
  setLogger(null);
  const res: Response = await client.fetch('https://api.example.com/data', { method: 'POST', body: '{}' });
  const dpop = new TokenClient({ ...options, dpop: true, dpopKeyFile: 'key.pem' });
  const dpopToken: Token = await dpop.getToken();
  const proof: string = dpop.dpopProof('GET', new URL('https://api.example.com/data'), dpopToken)
    + dpop.dpopProof('POST', 'https://auth.example.com/token') + dpop.dpopProof('GET', 'https://a.example/', null);
  const again: boolean = dpop.dpopResponse('https://api.example.com/data', dpopToken, 401, 'DPoP error="use_dpop_nonce"', null)
    || dpop.dpopResponse(new URL('https://api.example.com/data'), dpopToken, 200);
  const sent: RequestHeaders = dpop.requestHeaders('GET', new URL('https://api.example.com/data'), dpopToken);
  const dpopHeader: string | undefined = sent.dpop;
  const authorization: string = sent.authorization;
  console.log(dpopHeader, authorization);
  const jkt: string | null = dpop.dpopThumbprint;
  console.log(proof, again, jkt);
  try {
    await client.getToken();
  } catch (e) {
    if (e instanceof OAuthError) {
      const s: number = e.status;
      const d: string | null = e.errorDescription;
      console.log(e.code, e.error, s, d, e.errorUri);
    } else if (e instanceof M2MAuthError && e.retryAfter !== null) {
      const body: string | null = e.body;
      console.log(e.kind, e.reason, body);
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
  // @ts-expect-error: durations have no unit suffix (timeout is in ms)
  new TokenClient({ tokenUrl: 'https://x', clientId: 'a', clientSecret: 'b', timeoutMs: 1 });
  return `${header}${expires}${left}${scope}${String(extra)}${stats.hits}${res.status}${C.name}${who}${apiText}`;
}
