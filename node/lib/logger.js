'use strict';
// setLogger: the engine's log records (core's m2m_auth::logs) delivered to
// a console-compatible logger. Process-wide; delivery is asynchronous (a
// threadsafe function that never blocks the engine and never keeps the
// event loop alive). Records never carry secrets.

const native = require('./native');
const { configError, fromNative } = require('./errors');

/** The logger method of each engine level. */
const METHOD = { error: 'error', warn: 'warn', info: 'info', debug: 'debug', trace: 'debug' };

/**
 * Sends the engine's records at `options.level` (`'error'`, `'warn'`
 * [default], `'info'`, `'debug'`, `'trace'`) or above to `logger`, e.g.
 * `console` or a pino logger: `logger.warn('[m2m_auth] token request
 * failed ...')`. `null` stops them.
 * @param {{ error: Function, warn: Function, info: Function, debug: Function } | null} logger
 * @param {{ level?: string }} [options]
 */
function setLogger(logger, options = undefined) {
  if (logger != null) {
    for (const m of ['error', 'warn', 'info', 'debug']) {
      if (typeof logger[m] !== 'function') throw configError(`the logger has no ${m}() method`);
    }
  }
  if (options != null && typeof options !== 'object') throw configError('setLogger options must be an object');
  const dispatch = logger == null ? null : (records) => {
    for (const r of records) {
      try {
        logger[METHOD[r.level] ?? 'info'](`[${r.target}] ${r.message}`);
      } catch {
        // A failing logger must not take the process down.
      }
    }
  };
  try {
    native.logsSet(dispatch, options?.level);
  } catch (e) {
    throw fromNative(e);
  }
}

module.exports = { setLogger };
