// A real authorization server for m2m-auth's interop tests: oidc-provider
// (a certified OpenID Provider) with the client credentials grant and RFC 8707
// resource indicators, issuing JWT access tokens (RS256; ES256 for resources
// under https://es256.example.com/) whose `aud` is the requested resource.
// A second, https listener asks for client certificates (mutual TLS, RFC 8705:
// tls_client_auth, self_signed_tls_client_auth; see mtls.mjs); discovery names
// its token endpoint in `mtls_endpoint_aliases`.
//
//   node tests/interop/server.mjs [--port N] [--mtls-port N] [--exit-on-stdin-eof] [--log-errors]
//
// --log-errors writes one stderr line per refused token request with
// oidc-provider's reason (which its responses leave out), e.g.
// `interop server: token error: interop-tls: invalid_client: client certificate was not verified`.
//
// Listens on 127.0.0.1 only (free ports unless given), then prints one JSON
// line on stdout: {"issuer","token_endpoint","port","mtls_token_endpoint",
// "mtls_port","ca_file","certs_dir"}. Clients come from clients.json beside
// this file (the tests read the same file).
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  CERTS_DIR, SERVER_CA_FILE, createMtlsServer, mtlsClientMetadata, mtlsFeature,
} from './mtls.mjs';

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

const ports = { '--port': 0, '--mtls-port': 0 };
let exitOnStdinEof = false;
let logErrors = false;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 1) {
  const [flag, inline] = args[i].split(/=(.*)/s);
  if (Object.hasOwn(ports, flag)) {
    const port = Number(inline ?? args[(i += 1)]);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      process.stderr.write(`interop server: invalid ${flag}\n`);
      process.exit(2);
    }
    ports[flag] = port;
  } else if (flag === '--exit-on-stdin-eof') {
    exitOnStdinEof = true;
  } else if (flag === '--log-errors') {
    logErrors = true;
  } else {
    process.stderr.write(`interop server: unknown argument ${args[i]}\n`);
    process.exit(2);
  }
}

// Fresh signing keys per run (the only checked-in keys are the TLS test
// fixtures of tests/mtls/). Tokens are
// RS256, except for resources under ES256_RESOURCE (ES256, P-256).
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'interop-rs256', alg: 'RS256', use: 'sig' };
const { privateKey: ecKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecSigningKey = { ...ecKey.export({ format: 'jwk' }), kid: 'interop-es256', alg: 'ES256', use: 'sig' };
const ES256_RESOURCE = 'https://es256.example.com/';
const dpopNonceClients = new Set(config.dpop_clients.filter((c) => c.require_nonce).map((c) => c.client_id));

const listen = (server, port) => new Promise((resolve) => {
  server.on('error', (e) => {
    process.stderr.write(`interop server: ${e.message}\n`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => resolve(server.address().port));
});
const server = http.createServer();
const mtlsServer = createMtlsServer();
const bound = await listen(server, ports['--port']);
const mtlsBound = await listen(mtlsServer, ports['--mtls-port']);
const issuer = `http://127.0.0.1:${bound}`;
const mtlsTokenEndpoint = `https://127.0.0.1:${mtlsBound}/token`;
const provider = new Provider(issuer, {
  clients: [...config.clients, ...config.assertion_clients, ...config.dpop_clients].map((c) => ({
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
  })).concat(config.mtls_clients.map((c) => ({
    ...mtlsClientMetadata(c),
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'read:data write:data',
  }))),
  // v9's default list plus the TLS methods: it accepts those only when listed
  // here (and enabled in features.mTLS).
  clientAuthMethods: [
    'client_secret_basic', 'client_secret_jwt', 'client_secret_post', 'private_key_jwt', 'none',
    'tls_client_auth', 'self_signed_tls_client_auth',
  ],
  // RFC 8705 §5: clients using a TLS method send token requests here; the
  // issuer (and every other endpoint) stays on the http listener.
  discovery: { mtls_endpoint_aliases: { token_endpoint: mtlsTokenEndpoint } },
  jwks: { keys: [signingKey, ecSigningKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  features: {
    devInteractions: { enabled: false },
    mTLS: mtlsFeature,
    // DPoP (RFC 9449) is on by default in v9; the nonce secret lets the
    // clients of clients.json's dpop_clients with `require_nonce` be sent
    // `use_dpop_nonce` first (the proof is checked after client
    // authentication in the client_credentials grant, so the client is known).
    dPoP: {
      enabled: true,
      nonceSecret: crypto.randomBytes(32),
      requireNonce: (ctx) => dpopNonceClients.has(ctx.oidc?.client?.clientId),
    },
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
if (logErrors) {
  // The client id and oidc-provider's reason: neither holds a secret, key or assertion.
  provider.on('grant.error', (ctx, e) => {
    const id = ctx.oidc?.client?.clientId ?? ctx.oidc?.params?.client_id ?? '-';
    process.stderr.write(`interop server: token error: ${id}: ${e.error}: ${e.error_detail ?? e.error_description}\n`);
  });
}
server.on('request', provider.callback());
mtlsServer.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({
  issuer,
  token_endpoint: `${issuer}/token`,
  port: bound,
  mtls_token_endpoint: mtlsTokenEndpoint,
  mtls_port: mtlsBound,
  ca_file: SERVER_CA_FILE,
  certs_dir: CERTS_DIR,
})}\n`);

if (exitOnStdinEof) {
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
}
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
