// Writes node/README.md's first example (its Quickstart) into DIR as the
// user would save it: quickstart.mjs (ES module, as written) and
// quickstart.cjs (the same program as CommonJS: require() and an async main).
// Used by scripts/test-package-node.sh.
// Usage: node quickstart.mjs README DIR
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [readme, dir] = process.argv.slice(2);
const block = readFileSync(readme, 'utf8').match(/^```js\n([\s\S]*?)^```$/m);
if (!block) throw new Error(`${readme} has no js block`);
const esm = block[1];
writeFileSync(join(dir, 'quickstart.mjs'), esm);

// `import { A, B } from 'm';` becomes `const { A, B } = require('m');` and
// the rest (top-level await) the body of main().
const imports = /^import \{([^}]*)\} from '([^']+)';\n/gm;
const requires = [...esm.matchAll(imports)].map(([, names, from]) => `const {${names}} = require('${from}');\n`);
if (!requires.length) throw new Error('the quickstart imports nothing by name');
const body = esm.replace(imports, '').trim();
const cjs = `'use strict';\n${requires.join('')}\nasync function main() {\n${body}\n}\n\n` +
  'main().catch((e) => {\n  console.error(e);\n  process.exitCode = 1;\n});\n';
writeFileSync(join(dir, 'quickstart.cjs'), cjs);
