'use strict';
// The native addon (bindings/node, built by `npm run build`). Its functions
// are internal: this package's modules give them JS types, Promises and
// error classes.
//
// M2M_AUTH_NODE_ADDON points at another build of it (the benchmark uses a
// release build).

const file = process.env.M2M_AUTH_NODE_ADDON || `${__dirname}/../build/m2m-auth.node`;

function load() {
  try {
    return require(file);
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND' && !process.env.M2M_AUTH_NODE_ADDON) {
      e.message = `m2m-auth: the native addon is not built (${file}); run \`npm install\` or \`npm run build\` in node/`;
    }
    throw e;
  }
}

module.exports = load();
