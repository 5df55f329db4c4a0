'use strict';
// The native addon: the Rust engine with its napi-rs glue (bindings/node).
// Its functions are internal: this package's modules give them JS types,
// Promises and error classes. It is loaded from the first of:
//
//   1. $M2M_AUTH_NODE_ADDON, the path of a build of it (the benchmark's
//      release build). When it is set nothing else is tried: falling back to
//      another build would measure or test the wrong one.
//   2. a local build in the package directory, the developer flow:
//      build/m2m-auth.node (`npm run build`), or napi-rs's default names
//      m2m-auth.<platform>.node and m2m-auth.node. None of them is in the npm
//      package. M2M_AUTH_NODE_SKIP_LOCAL=1 skips them (tests of 3).
//   3. the platform package npm installed as an optional dependency
//      (@m2m-auth/linux-x64-gnu, ...; lib/platform.js picks it).
//
// When none loads, the Error names the package to install and what each
// attempt gave, without a stack of module-loader frames.

const { existsSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
// platform.js and package.json are read only when they are needed (past
// the first choices), so that loading from M2M_AUTH_NODE_ADDON or a local
// build/ reads neither.

/** An Error whose message is the whole story (no internal frames). */
function loadError(message, code) {
  const err = new Error(message);
  err.code = code;
  err.stack = `Error: ${message}`;
  return err;
}

/** The first line of a load failure ("Cannot find module ..." without the require stack). */
function firstLine(e) {
  return String((e && e.message) || e).split('\n')[0];
}

/** The local build `file` (relative to the package), or undefined when it is absent or fails to load (noted in `tried`). */
function tryLocal(file, tried) {
  const path = join(ROOT, file);
  // Absent is the usual case (an installed package): only a build that
  // is there and fails to load is worth reporting.
  if (!existsSync(path)) return undefined;
  try {
    return require(path);
  } catch (e) {
    tried.push(`${file}: ${firstLine(e)}`);
    return undefined;
  }
}

function loadAddon(env = process.env) {
  if (env.M2M_AUTH_NODE_ADDON) {
    try {
      return require(env.M2M_AUTH_NODE_ADDON);
    } catch (e) {
      throw loadError(
        `m2m-auth: cannot load the native addon M2M_AUTH_NODE_ADDON names (${env.M2M_AUTH_NODE_ADDON}): ${firstLine(e)}`,
        'M2M_AUTH_ADDON_NOT_LOADED',
      );
    }
  }
  const tried = [];
  const local = env.M2M_AUTH_NODE_SKIP_LOCAL !== '1';
  if (local) {
    const got = tryLocal('build/m2m-auth.node', tried);
    if (got !== undefined) return got;
  }
  const platform = require('./platform');
  const key = platform.hostKey();
  if (local) {
    for (const file of [...(key ? [platform.addonFile(key)] : []), 'm2m-auth.node']) {
      const got = tryLocal(file, tried);
      if (got !== undefined) return got;
    }
  }
  if (!key) {
    const shipped = Object.values(platform.TARGETS).map(platform.platformArchAbi).join(', ');
    throw loadError(
      `m2m-auth: there is no prebuilt native addon for ${platform.describe()} (there is for ${shipped}). ` +
        'Build it from source with a Rust toolchain: `npm ci && npm run build` in the node/ directory of the m2m-auth repository.' +
        (tried.length ? `\nTried:\n  ${tried.join('\n  ')}` : ''),
      'M2M_AUTH_ADDON_NOT_FOUND',
    );
  }
  const pkg = platform.packageName(key);
  const { version: VERSION } = require('../package.json');
  try {
    const { version } = require(`${pkg}/package.json`);
    if (version !== VERSION) throw new Error(`version ${version} is installed; m2m-auth ${VERSION} needs the same version`);
    return require(pkg);
  } catch (e) {
    tried.push(`${pkg}: ${firstLine(e)}`);
  }
  throw loadError(
    `m2m-auth: the native addon for ${platform.describe()} is in the package ${pkg}, which is missing or did not load ` +
      '(npm installs it with m2m-auth, as an optional dependency, unless optional dependencies are omitted ' +
      'or a package-lock.json written on another platform leaves it out). Install it:\n' +
      `  npm install ${pkg}@${VERSION}\n` +
      `Tried:\n  ${tried.join('\n  ')}`,
    'M2M_AUTH_ADDON_NOT_FOUND',
  );
}

module.exports = loadAddon();
