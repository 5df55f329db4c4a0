'use strict';
// m2m-auth for Node.js: the CommonJS entry point (index.mjs is the ESM one,
// index.d.ts the types). The engine (Rust, core/) decides everything about
// tokens; the addon (bindings/node/) translates; lib/ gives it JS shape:
// (api, adapters and logger are loaded on first use)
//
//   lib/native.js    loading the addon
//   lib/errors.js    M2MAuthError and its subclasses
//   lib/token.js     Token
//   lib/client.js    TokenClient (and its fast path)
//   lib/call.js      per-call checks, AbortSignal
//   lib/api.js       client.callApi
//   lib/adapters.js  client.fetch, attachAxios
//   lib/logger.js    setLogger
//   lib/verifier.js  Verifier, Claims, challenge (the API side)
//   lib/express.js   m2m-auth/express (requireToken)
//   lib/fastify.js   m2m-auth/fastify (plugin, requireToken)

const errors = require('./lib/errors');
const { Token } = require('./lib/token');
const { TokenClient } = require('./lib/client');
const { Verifier, Claims, challenge } = require('./lib/verifier');

// What not every app uses is loaded on first use (loading stays cheap).

/** See lib/adapters.js. */
function attachAxios(axios, client, opts = undefined) {
  return require('./lib/adapters').attachAxios(axios, client, opts);
}

/** See lib/logger.js. */
function setLogger(logger, options = undefined) {
  return require('./lib/logger').setLogger(logger, options);
}

module.exports = {
  TokenClient,
  Token,
  Verifier,
  Claims,
  challenge,
  ...errors.classes,
  errorClasses: errors.byCode,
  attachAxios,
  setLogger,
};
