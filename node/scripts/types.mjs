// Generates index.d.ts: src/index.d.ts.head (the JS API) followed by the
// interfaces derived from the surface (tests/surface.json, core's one
// declaration of options, request parameters, stats, error fields and
// verifier options), so
// that the types name every option exactly as the addon takes it.
//
//   node scripts/types.mjs          writes index.d.ts
//   node scripts/types.mjs --check  fails if index.d.ts differs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SURFACE = join(PACKAGE, '..', 'tests', 'surface.json');

/** The TypeScript type of a value of each surface type, as the addon takes it. */
export const TS_TYPES = {
  text: 'string',
  secret: 'string',
  flag: 'boolean',
  count: 'number',
  duration: 'number',
  fraction: 'number',
  list: 'string | string[]',
  map: 'Record<string, string>',
  pem: 'string | string[] | Uint8Array',
  instant: 'number',
  callback: 'AssertionProvider',
};

/** What the doc line says of the unit and default. */
function note(item) {
  const unit = { duration: 'Milliseconds.', instant: 'Milliseconds since the epoch.' }[item.type] ?? '';
  const dflt = item.default ? `Default: ${item.default}.` : '';
  return [unit, dflt].filter(Boolean).join(' ');
}

function members(items, { optional, nullable = false, required = [], nullableNames = [] }) {
  return items.map((item) => {
    const ty = TS_TYPES[item.type];
    if (!ty) throw new Error(`no TypeScript type for ${item.name} (${item.type})`);
    const doc = [item.doc, note(item)].filter(Boolean).join(' ');
    const mark = optional && !required.includes(item.name) ? '?' : '';
    return `  /** ${doc} */\n  ${item.js}${mark}: ${nullable || nullableNames.includes(item.name) ? `${ty} | null` : ty}\n`;
  }).join('');
}

/** The generated part of index.d.ts. */
export function generated(surface) {
  const errorValues = surface.error_fields.filter((f) => f.name !== 'code' && f.name !== 'message');
  return `
/**
 * Options of \`new TokenClient(options)\` (docs/design.md §1, §9): every client
 * option of the surface, by its camelCase name; durations in milliseconds.
 * Exactly one of \`tokenUrl\`, \`domain\` or \`issuer\` is required, and
 * \`clientId\` and \`clientSecret\`. Every check happens before any I/O: a bad,
 * missing or unknown option throws a \`ConfigError\`.
 */
export interface TokenClientOptions {
${members(surface.client_options, { optional: true })}}

/**
 * Per-call request parameters. A parameter left out takes the client's
 * default; an empty string or list clears it. Each distinct request is
 * cached under its own key.
 */
export interface TokenRequestOptions {
${members(surface.request_parameters, { optional: true })}}

/** A client's counters (\`client.stats()\`). */
export interface TokenClientStats {
${members(surface.stats, { optional: false, nullableNames: ['quota_remaining'] })}}

/**
 * Options of \`new Verifier(options)\`: every verifier option of the surface,
 * by its camelCase name; durations in milliseconds. \`issuer\` and
 * \`audience\` are required; keys come from exactly one of \`jwks\` (static),
 * \`jwksUri\` or the issuer's discovery document. A bad, missing or unknown
 * option throws a \`ConfigError\` before any I/O.
 */
export interface VerifierOptions {
${members(surface.verifier_options, { optional: true, required: ['issuer', 'audience'] })}}

/** Fields the engine reports with an error (docs/design.md §6); the constructors' second argument. */
export interface M2MAuthErrorFields {
${members(surface.error_fields, { optional: true, nullable: true })}}

/** The fields every error object has (\`null\` when they do not apply). */
export interface M2MAuthErrorFieldValues {
${members(errorValues, { optional: false, nullable: true })}}
`;
}

/** The whole index.d.ts. */
export function typesFile() {
  const head = readFileSync(join(PACKAGE, 'src', 'index.d.ts.head'), 'utf8');
  return head + generated(JSON.parse(readFileSync(SURFACE, 'utf8')));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = join(PACKAGE, 'index.d.ts');
  const text = typesFile();
  if (process.argv.includes('--check')) {
    if (readFileSync(file, 'utf8') !== text) {
      console.error('index.d.ts is stale: run `npm run types`');
      process.exit(1);
    }
  } else {
    writeFileSync(file, text);
  }
}
