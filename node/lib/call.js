'use strict';
// Calling the addon: per-call option checks, and AbortSignal ending the
// wait for one of its Promises.

const native = require('./native');
const { configError } = require('./errors');

/** Per-call options must be an object (a bare value would reach the addon). */
function checkOptions(opts) {
  if (opts != null && typeof opts !== 'object') throw configError('per-call options must be an object');
}

/** A signal must be an AbortSignal; an aborted one rejects before any I/O. */
function checkSignal(signal) {
  if (signal == null) return;
  if (typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
    throw configError('signal must be an AbortSignal');
  }
  if (signal.aborted) throw signal.reason;
}

/**
 * `fn(handle, opts, cancel)`, an addon function returning a Promise, whose
 * wait ends (rejecting with the signal's reason) when `signal` aborts.
 */
function wait(fn, handle, opts, signal) {
  if (signal == null) return fn(handle, opts, undefined);
  const cancel = native.cancelNew();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      native.cancelFire(cancel);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = (f) => (v) => {
      signal.removeEventListener('abort', onAbort);
      f(v);
    };
    let promise;
    try {
      promise = fn(handle, opts, cancel);
    } catch (e) {
      settle(reject)(e);
      return;
    }
    promise.then(settle(resolve), settle(reject));
  });
}

module.exports = { checkOptions, checkSignal, wait };
