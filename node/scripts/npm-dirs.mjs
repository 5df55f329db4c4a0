// The npm packages of the napi-rs layout, made from package.json:
//
//   node scripts/npm-dirs.mjs            writes npm/<platform>/package.json and
//                                        README.md for every `napi.targets` entry
//   node scripts/npm-dirs.mjs --check    exits 1 when those files are stale
//   node scripts/npm-dirs.mjs --stage DIR   copies the `m2m-auth` package as
//                                        published into DIR: its files, and
//                                        package.json with `optionalDependencies`
//                                        on every platform package
//
// What `napi create-npm-dirs` and `napi pre-publish` do, with this project's
// package names: napi-rs calls a platform package `<name>-<platform>`, and
// ours are `@m2m-auth/<platform>` (lib/platform.js). The optional
// dependencies are added only to the published manifest, as `napi
// pre-publish` does: in the repository they would name packages that are not
// on the registry until the release, and npm leaves such packages out of
// package-lock.json and then refuses `npm ci` ("Missing: ... from lock file").
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const platform = require('../lib/platform.js');

export const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = join(PACKAGE, '..');

/** node/package.json. */
export function rootManifest() {
  return JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8'));
}

/** The platform packages: [{ triple, key, name, dir }] in `napi.targets` order. */
export function platformPackages(root = rootManifest()) {
  return root.napi.targets.map((triple) => {
    const target = platform.TARGETS[triple];
    if (!target) throw new Error(`napi.targets: ${triple} is not in lib/platform.js TARGETS`);
    const key = platform.platformArchAbi(target);
    return { triple, key, name: platform.packageName(key), dir: join(PACKAGE, 'npm', key), target };
  });
}

/** A platform package's package.json (the fields `napi create-npm-dirs` writes). */
export function platformManifest({ triple, key, name, target }, root = rootManifest()) {
  const manifest = {
    name,
    version: root.version,
    description: `The ${key} native addon of m2m-auth (${triple}); install m2m-auth, which depends on it`,
    license: root.license,
    repository: root.repository,
    engines: root.engines,
    os: [target.platform],
    cpu: [target.arch],
  };
  // npm matches `libc` only on Linux ("glibc" or "musl").
  if (target.abi === 'gnu') manifest.libc = ['glibc'];
  if (target.abi === 'musl') manifest.libc = ['musl'];
  manifest.main = platform.addonFile(key);
  manifest.files = [platform.addonFile(key)];
  return manifest;
}

function platformReadme({ triple, key, name }) {
  return `# \`${name}\`

The prebuilt native addon of [\`m2m-auth\`](https://www.npmjs.com/package/m2m-auth)
for ${key} (\`${triple}\`).
\`npm install m2m-auth\` installs it by itself, as an optional dependency, on
the platforms it fits (its \`os\`, \`cpu\` and \`libc\`); install it by name only
when that was skipped.
`;
}

/** Every generated file: [[path, text]]. */
export function npmDirFiles(root = rootManifest()) {
  return platformPackages(root).flatMap((p) => [
    [join(p.dir, 'package.json'), `${JSON.stringify(platformManifest(p, root), null, 2)}\n`],
    [join(p.dir, 'README.md'), platformReadme(p)],
  ]);
}

/**
 * The published package.json of `m2m-auth`: its own with the optional
 * dependencies, without `scripts` and `devDependencies` (the scripts build,
 * test and benchmark from files that are not in the package).
 */
export function publishManifest(root = rootManifest()) {
  const { scripts: _scripts, devDependencies: _devDependencies, ...published } = root;
  const optionalDependencies = Object.fromEntries(platformPackages(root).map((p) => [p.name, root.version]));
  return { ...published, optionalDependencies };
}

/** Copies the `m2m-auth` package as published into `dest` (emptied first). */
export function stageRoot(dest) {
  const root = rootManifest();
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  for (const entry of [...root.files, 'README.md']) {
    cpSync(join(PACKAGE, entry), join(dest, entry), { recursive: true });
  }
  // The license text the `license` field names (npm packs LICENSE by itself).
  if (existsSync(join(REPO, 'LICENSE'))) cpSync(join(REPO, 'LICENSE'), join(dest, 'LICENSE'));
  writeFileSync(join(dest, 'package.json'), `${JSON.stringify(publishManifest(root), null, 2)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [flag, arg] = process.argv.slice(2);
  if (flag === '--stage') {
    if (!arg) throw new Error('--stage needs a directory');
    stageRoot(arg);
  } else if (flag === '--check') {
    const stale = npmDirFiles().filter(([path, text]) => !existsSync(path) || readFileSync(path, 'utf8') !== text);
    for (const [path] of stale) console.error(`stale: ${path} (run \`npm run npm-dirs\` in node/)`);
    process.exitCode = stale.length ? 1 : 0;
  } else if (flag === undefined) {
    for (const [path, text] of npmDirFiles()) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
  } else {
    throw new Error(`unknown argument ${flag}`);
  }
}
