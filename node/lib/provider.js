'use strict';
// clientAssertionProvider (docs/design.md section 1): the user's function, sync or
// returning a Promise, wrapped so that what the addon calls (on this
// thread, through a weak threadsafe function) never throws and always
// returns a Promise of `{ assertion }` or `{ causeId, name }`. What the
// provider threw (or a TypeError for a result that is not a string) is kept
// here under that id, for `errors.js` to set as the `cause` of the
// ConfigError the caller gets; the returned value is never kept or shown.

/** Thrown values by id; the oldest are forgotten past this many (a failure
 * nobody awaited, e.g. of a background refresh, must not pin memory). */
const KEPT = 256;
const causes = new Map();
let nextId = 1;

function remember(error) {
  const id = nextId;
  nextId = nextId >= 0x7fffffff ? 1 : nextId + 1;
  causes.set(id, error);
  if (causes.size > KEPT) causes.delete(causes.keys().next().value);
  const name = (error && typeof error === 'object' && error.constructor && error.constructor.name) || typeof error;
  return { causeId: id, name: String(name) };
}

function outcome(value) {
  if (typeof value === 'string') return { assertion: value };
  // The value itself is never shown: it may be a credential.
  const kind = value === null ? 'null' : typeof value;
  return remember(new TypeError(`clientAssertionProvider returned ${kind}, not a string`));
}

/** The function the addon calls in place of `provider`. */
function wrapProvider(provider) {
  return (request) => {
    try {
      return Promise.resolve(provider(Object.freeze(request))).then(outcome, remember);
    } catch (e) {
      return Promise.resolve(remember(e));
    }
  };
}

/** What the provider threw for the error carrying `id` (undefined once forgotten). */
function causeOf(id) {
  return causes.get(id);
}

module.exports = { wrapProvider, causeOf };
