// The same package from an ES module (the "import" condition of package.json).
import m2m, { M2MAuthError, TokenClient } from 'm2m-auth';
import type { Token, TokenClientOptions } from 'm2m-auth';

const options: TokenClientOptions = { tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'id', clientSecret: 's' };
const client: TokenClient = new m2m.TokenClient(options);
export const token: Promise<Token> = client.getToken().catch((e: unknown) => {
  if (e instanceof M2MAuthError) console.log(e.code);
  throw e;
});
export const other = new TokenClient(options);
