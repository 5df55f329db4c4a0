'use strict';
// m2m-auth for Node.js: the CommonJS entry point (index.mjs is the ESM one,
// index.d.ts the types). The engine (Rust, core/) decides everything about
// tokens; the addon (bindings/node/) translates; lib/ gives it JS shape:
// (api, adapters, logger, telemetry, the assertion provider wrapper, the
// platform package lookup and the verifier are loaded on first use)
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
  ...errors.classes,
  errorClasses: errors.byCode,
  attachAxios,
  setLogger,
};

// The API side (Verifier, Claims, challenge) is loaded when first named: an
// app that only gets tokens never parses it (require stays cheap). The
// getters replace themselves with the value, so later reads are plain.
for (const name of ['Verifier', 'Claims', 'challenge']) {
  Object.defineProperty(module.exports, name, {
    enumerable: true,
    configurable: true,
    get() {
      const value = require('./lib/verifier')[name];
      Object.defineProperty(module.exports, name, { value, enumerable: true, writable: false, configurable: false });
      return value;
    },
  });
}
