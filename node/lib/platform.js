'use strict';
// Which prebuilt addon package fits this machine: the napi-rs layout, one
// npm package per platform (`@m2m-auth/linux-x64-gnu`, ...), each an
// optional dependency of `m2m-auth` that npm installs only where its `os`,
// `cpu` and `libc` match. package.json `napi.targets` lists the Rust targets
// that are built; TARGETS says what each one is called on the Node side
// (test/platform.test.mjs checks that the two agree, and node/npm/).

/** The npm scope of the platform packages. */
const SCOPE = '@m2m-auth';

/**
 * Every target the package ships, by Rust target triple: the
 * `process.platform`, `process.arch` and C library (gnu, musl, msvc, or none
 * on macOS) it runs on. Its key (napi-rs's "platformArchABI") names both the
 * package and the addon file: `linux-x64-gnu` is
 * `@m2m-auth/linux-x64-gnu` holding `m2m-auth.linux-x64-gnu.node`.
 */
const TARGETS = {
  'x86_64-unknown-linux-gnu': { platform: 'linux', arch: 'x64', abi: 'gnu' },
  'x86_64-unknown-linux-musl': { platform: 'linux', arch: 'x64', abi: 'musl' },
  'aarch64-unknown-linux-gnu': { platform: 'linux', arch: 'arm64', abi: 'gnu' },
  'aarch64-unknown-linux-musl': { platform: 'linux', arch: 'arm64', abi: 'musl' },
  'x86_64-apple-darwin': { platform: 'darwin', arch: 'x64', abi: null },
  'aarch64-apple-darwin': { platform: 'darwin', arch: 'arm64', abi: null },
  'x86_64-pc-windows-msvc': { platform: 'win32', arch: 'x64', abi: 'msvc' },
};

/** napi-rs's name of a target: `linux-x64-gnu`, `darwin-arm64`. */
function platformArchAbi({ platform, arch, abi }) {
  return abi ? `${platform}-${arch}-${abi}` : `${platform}-${arch}`;
}

/** The platform package of a target key (`linux-x64-gnu`). */
function packageName(key) {
  return `${SCOPE}/${key}`;
}

/** The addon's file name in that package (napi-rs's `--platform` name). */
function addonFile(key) {
  return `m2m-auth.${key}.node`;
}

/**
 * Whether this Linux runs on musl (Alpine) rather than glibc, the way the
 * napi-rs loader decides: ldd names its libc, else the process report has a
 * glibc version or maps a musl loader, else `ldd --version` says. Only called
 * on Linux.
 */
function isMusl() {
  try {
    return require('node:fs').readFileSync('/usr/bin/ldd', 'utf8').includes('musl');
  } catch {
    // No /usr/bin/ldd (a distroless image): ask the process itself.
  }
  if (typeof process.report?.getReport === 'function') {
    // No network section: the report would do reverse DNS lookups otherwise
    // (the app's own setting is put back).
    const excludeNetwork = process.report.excludeNetwork;
    process.report.excludeNetwork = true;
    let report;
    try {
      report = process.report.getReport();
    } finally {
      process.report.excludeNetwork = excludeNetwork;
    }
    if (report?.header?.glibcVersionRuntime) return false;
    if (Array.isArray(report?.sharedObjects)) {
      return report.sharedObjects.some((f) => f.includes('libc.musl-') || f.includes('ld-musl-'));
    }
  }
  try {
    return require('node:child_process').execSync('ldd --version', { encoding: 'utf8', stdio: 'pipe' }).includes('musl');
  } catch {
    return false;
  }
}

/**
 * The target key for a machine (default: this one), or null when the
 * package ships no addon for it. `musl` is asked only on Linux.
 */
function hostKey({ platform = process.platform, arch = process.arch, musl = isMusl } = {}) {
  let abi = null;
  if (platform === 'linux') abi = (typeof musl === 'function' ? musl() : musl) ? 'musl' : 'gnu';
  else if (platform === 'win32') abi = 'msvc';
  const key = platformArchAbi({ platform, arch, abi });
  return Object.values(TARGETS).some((t) => platformArchAbi(t) === key) ? key : null;
}

/** How `process.platform`/`arch` (and libc) read in messages: `linux-x64 (glibc)`. */
function describe({ platform = process.platform, arch = process.arch, musl = isMusl } = {}) {
  if (platform !== 'linux') return `${platform}-${arch}`;
  return `${platform}-${arch} (${(typeof musl === 'function' ? musl() : musl) ? 'musl' : 'glibc'})`;
}

module.exports = { SCOPE, TARGETS, platformArchAbi, packageName, addonFile, isMusl, hostKey, describe };
