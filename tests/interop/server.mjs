// A real authorization server for m2m-auth's interop tests: oidc-provider
// (a certified OpenID Provider) with the client credentials grant and RFC 8707
// resource indicators, issuing JWT access tokens (RS256; ES256 for resources
// under https://es256.example.com/) whose `aud` is the requested resource.
//
//   node tests/interop/server.mjs [--port N] [--exit-on-stdin-eof]
//
// Listens on 127.0.0.1 only (a free port unless --port), then prints one JSON
// line on stdout: {"issuer","token_endpoint","port"}. Clients come from
// clients.json beside this file (the Rust tests read the same file).
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let Provider;
try {
  ({ default: Provider } = await import('oidc-provider'));
} catch (e) {
  process.stderr.write(
    `interop server: cannot load oidc-provider (${e.code || e.message}); run \`npm ci\` in tests/interop\n`,
  );
  process.exit(3);
}

const here = path.dirname(fileURLToPath(import.meta.url));
const config = JSON.parse(fs.readFileSync(path.join(here, 'clients.json'), 'utf8'));
// The public JWKs of the test keys the private_key_jwt clients sign with.
const publicKeys = JSON.parse(
  fs.readFileSync(path.join(here, '..', '..', 'core', 'tests', 'verify_keys', 'public_jwks.json'), 'utf8'),
);

let port = 0;
let exitOnStdinEof = false;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 1) {
  const [flag, inline] = args[i].split(/=(.*)/s);
  if (flag === '--port') {
    port = Number(inline ?? args[(i += 1)]);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      process.stderr.write(`interop server: invalid --port\n`);
      process.exit(2);
    }
  } else if (flag === '--exit-on-stdin-eof') {
    exitOnStdinEof = true;
  } else {
    process.stderr.write(`interop server: unknown argument ${args[i]}\n`);
    process.exit(2);
  }
}

// Fresh signing keys per run: nothing secret is checked in. Tokens are
// RS256, except for resources under ES256_RESOURCE (ES256, P-256).
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'interop-rs256', alg: 'RS256', use: 'sig' };
const { privateKey: ecKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecSigningKey = { ...ecKey.export({ format: 'jwk' }), kid: 'interop-es256', alg: 'ES256', use: 'sig' };
const ES256_RESOURCE = 'https://es256.example.com/';

const server = http.createServer();
server.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address();
  const issuer = `http://127.0.0.1:${bound}`;
  const provider = new Provider(issuer, {
    clients: [...config.clients, ...config.assertion_clients].map((c) => ({
      client_id: c.client_id,
      ...(c.client_secret ? { client_secret: c.client_secret } : {}),
      // private_key_jwt: the public half of a test key of core/tests/verify_keys.
      ...(c.key ? { jwks: { keys: [publicKeys[c.key]] } } : {}),
      ...(c.signing_alg ? { token_endpoint_auth_signing_alg: c.signing_alg } : {}),
      token_endpoint_auth_method: c.token_endpoint_auth_method,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'read:data write:data',
    })),
    jwks: { keys: [signingKey, ecSigningKey] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => config.resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator) => ({
          scope: 'read:data write:data',
          audience: resourceIndicator,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: resourceIndicator.startsWith(ES256_RESOURCE) ? 'ES256' : 'RS256' } },
        }),
      },
    },
    scopes: ['read:data', 'write:data'],
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer, token_endpoint: `${issuer}/token`, port: bound })}\n`);
});
server.on('error', (e) => {
  process.stderr.write(`interop server: ${e.message}\n`);
  process.exit(1);
});

if (exitOnStdinEof) {
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
}
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
