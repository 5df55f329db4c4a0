// One Node process of the cross-language shared-cache test: 16 concurrent
// getToken() calls; prints one JSON line with the fingerprints seen.
// usage: node worker.mjs TOKEN_URL CLIENT_ID CACHE  (secret in M2M_AUTH_CLIENT_SECRET;
// a TLS Redis's CA, PEM, in CROSS_CA_PEM and a storeTimeout in CROSS_STORE_TIMEOUT_MS, if any)
import { TokenClient } from '../../node/index.mjs';

const [tokenUrl, clientId, cache] = process.argv.slice(2);
const client = new TokenClient({
  tokenUrl,
  clientId,
  clientSecret: process.env.M2M_AUTH_CLIENT_SECRET,
  cache,
  noProxy: true,
  ...(process.env.CROSS_CA_PEM ? { caCerts: process.env.CROSS_CA_PEM } : {}),
  ...(process.env.CROSS_STORE_TIMEOUT_MS ? { storeTimeout: Number(process.env.CROSS_STORE_TIMEOUT_MS) } : {}),
});
const tokens = await Promise.all(Array.from({ length: 16 }, () => client.getToken()));
const seen = [...new Set(tokens.map((t) => t.fingerprint))].sort();
console.log(JSON.stringify({ language: 'node', tokens: seen, errors: 0 }));
