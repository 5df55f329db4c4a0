'use strict';
// HTTP clients that carry the token: the global fetch (client.fetch) and
// axios (attachAxios). The renewal on 401 stays where the HTTP call is, but
// both adapters take the same steps from the engine (docs/design.md section 4,
// section 11), and hold no rule about tokens of their own: `authorize` (the
// engine's URL rule, checked on every request before a token is fetched),
// `headers` (the
// engine's requestHeaders: the URL rule, `Authorization`, and a `DPoP`
// proof of this request for a DPoP token), `nonceRetry` (the engine's
// dpopResponse: it remembers a DPoP answer's nonce and names the one
// use_dpop_nonce retry; false for a Bearer token), and `renew` (the
// engine's invalidateRejected: the refused token is dropped unless a
// concurrent caller renewed it already). Per request: at most one retry
// with new headers for a nonce challenge, then at most one renewal, as
// call_api does.

const native = require('./native');
const { configError, fromNative } = require('./errors');

/**
 * Before a request: the engine's URL rule (https, or http to loopback), so
 * that a refused URL costs no token request; then a token (requestHeaders
 * checks the URL again, and each redirect's).
 */
function authorize(client, opts, url) {
  try {
    checkUrl(String(url));
  } catch (e) {
    return Promise.reject(fromNative(e));
  }
  return client.getToken(opts);
}

// The last URL the engine's rule allowed: the rule is a function of the
// URL's text alone, so a loop calling one API asks the engine once.
let allowed = null;

/** The engine's URL rule (throws the addon's error for a refused URL). */
function checkUrl(url) {
  if (url === allowed) return;
  native.checkUrl(url);
  allowed = url;
}

// The last string URL client.fetch was given and its normalized href (a
// WHATWG parse, as fetch does it): a loop calling one API parses it once.
let lastInput = null;
let lastHref = null;

/** `input` (a string or URL) as the href fetch sends the request to. */
function hrefOf(input) {
  if (input instanceof URL) return input.href;
  if (input !== lastInput) {
    lastHref = new URL(input).href;
    lastInput = input;
  }
  return lastHref;
}

// The engine's headers without a `dpop` part (a token sent without a
// proof) are the same for every request with that token and URL, and the
// engine reads no answer to them (docs/design.md section 11, DPoP):
// kept per token, the last URL's (a WeakMap: nothing outlives the token), so
// that a loop calling one API asks the engine once per token, not per call.
const fixedHeaders = new WeakMap();

/** The engine's headers for sending `token` with `method url` (it checks the URL first). */
function headers(client, token, method, url) {
  const u = String(url);
  const kept = fixedHeaders.get(token);
  if (kept !== undefined && kept.url === u) return kept.headers;
  const h = client.requestHeaders(method, u, token);
  if (h.dpop === undefined) fixedHeaders.set(token, { url: u, headers: Object.freeze(h) });
  return h;
}

/**
 * After an answer to a request sent with `token`: the engine reads it (for
 * a DPoP token it remembers the nonce); true when the request should be
 * sent once more with new headers. `header(name)` reads the answer's.
 */
function nonceRetry(client, token, url, status, header) {
  // Sent without a proof: the engine would read nothing and answer false.
  if (fixedHeaders.has(token)) return false;
  const text = (name) => {
    const v = header(name);
    return v == null ? null : Array.isArray(v) ? v.join(', ') : String(v);
  };
  return client.dpopResponse(String(url), token, status, text('www-authenticate'), text('dpop-nonce'));
}

/** After a 401 answered to a request sent with `used`: the engine's decision to drop it. */
function renew(client, opts, used) {
  client.invalidateRejected(used, opts);
}

/** Lets go of an answer that is not returned (its connection is freed). */
async function discard(response) {
  if (response.body) await response.body.cancel().catch(() => {});
}

/** The engine's rule: a token's headers follow a redirect to the first request's origin only. */
function sameOrigin(a, b) {
  return native.sameOrigin(String(a), String(b));
}

/**
 * `client.fetch(input, init, opts)`: the global `fetch` with the token (and
 * a DPoP proof for a DPoP token), one more try for a DPoP nonce challenge,
 * and one renewal on 401. Redirects are not followed unless `init.redirect`
 * says so (the token would go with them). fetch follows a redirect inside
 * one call, with the first request's headers, and cannot be asked to sign
 * the new request: so `redirect: 'follow'` with headers that carry a DPoP
 * proof (a proof names one URL) is refused with a ConfigError before
 * anything is sent; with a Bearer token fetch follows as it does (the
 * token to the same origin only).
 */
function fetchWith(client, input, init = undefined, opts = undefined) {
  // Not an async function: the Promise returned is fetchUrl's own (no
  // extra hop); whatever throws here still rejects it, as fetch does.
  try {
    const tokenOpts = opts ?? (init && init.signal ? { signal: init.signal } : undefined);
    if ((typeof input === 'string' || input instanceof URL) && resendable(init)) {
      return fetchUrl(client, input, init, tokenOpts);
    }
    return fetchRequest(client, input, init, tokenOpts);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** fetchWith for a Request, or a body that is a stream: a Request cloned for each send. */
async function fetchRequest(client, input, init, tokenOpts) {
  const request = new Request(input, { redirect: 'manual', ...init });
  const send = async (token) => {
    const req = request.clone();
    const h = headers(client, token, req.method, req.url);
    if (h.dpop !== undefined && req.redirect === 'follow') {
      throw configError(
        "client.fetch: redirect 'follow' would send a DPoP proof to another URL; use redirect 'manual' (the default) and send a new request to the Location",
      );
    }
    req.headers.set('authorization', h.authorization);
    if (h.dpop !== undefined) req.headers.set('dpop', h.dpop);
    else req.headers.delete('dpop');
    const response = await fetch(req);
    const retry = nonceRetry(client, token, req.url, response.status, (name) => response.headers.get(name));
    return [response, retry];
  };
  let token = await authorize(client, tokenOpts, request.url);
  let [response, retry] = await send(token);
  if (retry) {
    await discard(response);
    [response] = await send(token);
  }
  if (response.status !== 401) return response;
  await discard(response);
  renew(client, tokenOpts, token);
  token = await authorize(client, tokenOpts, request.url);
  return (await send(token))[0];
}

/** Whether `init`'s body can be sent again as it is (no one-shot stream). */
function resendable(init) {
  const body = init == null ? null : init.body;
  return (
    body == null ||
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof URLSearchParams ||
    body instanceof Blob ||
    body instanceof FormData
  );
}

/** The methods fetch normalizes to upper case (the Fetch standard's list). */
const NORMALIZED = /^(?:delete|get|head|options|post|put)$/i;

/**
 * fetchWith for a URL (string or URL) and a body that can be sent again:
 * the same steps without building a Request and cloning it for each send
 * (fetch builds its own from the URL and init): the cost that kept
 * client.fetch behind a plain fetch with the header set.
 */
async function fetchUrl(client, input, init, tokenOpts) {
  const url = hrefOf(input);
  let options;
  if (init == null) {
    // The usual call, client.fetch(url): the headers are the engine's only.
    options = { method: 'GET', redirect: 'manual', headers: null };
  } else {
    const method = init.method != null ? String(init.method) : 'GET';
    const upper = NORMALIZED.test(method) ? method.toUpperCase() : method;
    // As `{ redirect: 'manual', ...init }` reads: an explicit undefined is fetch's default.
    const redirect = 'redirect' in init ? (init.redirect ?? 'follow') : 'manual';
    options = { ...init, method: upper, redirect, headers: new Headers(init.headers) };
  }
  let token = await authorize(client, tokenOpts, url);
  let response = await sendUrl(client, token, url, options);
  if (nonceRetry(client, token, url, response.status, (name) => response.headers.get(name))) {
    await discard(response);
    response = await sendUrl(client, token, url, options);
    nonceRetry(client, token, url, response.status, (name) => response.headers.get(name));
  }
  if (response.status !== 401) return response;
  await discard(response);
  renew(client, tokenOpts, token);
  token = await authorize(client, tokenOpts, url);
  response = await sendUrl(client, token, url, options);
  nonceRetry(client, token, url, response.status, (name) => response.headers.get(name));
  return response;
}

/** One send of fetchUrl: `options.headers` get the engine's headers for `token`; fetch's Promise. */
function sendUrl(client, token, url, options) {
  const h = headers(client, token, options.method, url);
  if (h.dpop !== undefined && options.redirect === 'follow') {
    return Promise.reject(
      configError(
        "client.fetch: redirect 'follow' would send a DPoP proof to another URL; use redirect 'manual' (the default) and send a new request to the Location",
      ),
    );
  }
  const sent = options.headers;
  if (sent === null) {
    // No headers of the caller's: a plain object, as a plain fetch is given.
    const own = h.dpop === undefined ? { authorization: h.authorization } : { authorization: h.authorization, dpop: h.dpop };
    return fetch(url, { ...options, headers: own });
  }
  sent.set('authorization', h.authorization);
  if (h.dpop !== undefined) sent.set('dpop', h.dpop);
  else sent.delete('dpop');
  return fetch(url, options);
}

const RENEWED = Symbol('m2mAuthRenewed');
const NONCE_RETRIED = Symbol('m2mAuthNonceRetried');
const USED = Symbol('m2mAuthToken');
const URL_SENT = Symbol('m2mAuthUrl');
const RESIGN = Symbol('m2mAuthResign');

/** The URL axios sends `config` to (its baseURL joined as axios joins it). */
function axiosUrl(axios, config) {
  const uri = typeof axios.getUri === 'function' ? axios.getUri(config) : config.url ?? '';
  return new URL(uri, config.baseURL).href;
}

function setHeader(config, name, value) {
  if (config.headers && typeof config.headers.set === 'function') {
    config.headers.set(name, value);
  } else {
    config.headers = { ...config.headers, [name]: value };
  }
}

function deleteHeader(config, name) {
  if (config.headers && typeof config.headers.delete === 'function') {
    config.headers.delete(name);
  } else if (config.headers) {
    for (const k of Object.keys(config.headers)) if (k.toLowerCase() === name.toLowerCase()) delete config.headers[k];
  }
}

/**
 * axios's `beforeRedirect` (Node's http adapter, follow-redirects: called
 * with the next request's options before it is sent): the token's headers
 * are made anew for the new URL and method when it is on the first URL's
 * origin (a DPoP proof names one URL), and removed when it is not (as
 * follow-redirects removes Authorization across hosts; the DPoP header it
 * would carry along). Then the caller's own `beforeRedirect`, if any.
 */
function resign(client, token, firstUrl, theirs) {
  if (typeof theirs === 'function' && RESIGN in theirs) theirs = theirs[RESIGN];
  const hook = (options, response) => {
    const next = options.href ?? new URL(options.path ?? '/', `${options.protocol}//${options.host}`).href;
    const names = Object.keys(options.headers ?? {});
    for (const k of names) {
      const lower = k.toLowerCase();
      if (lower === 'authorization' || lower === 'dpop') delete options.headers[k];
    }
    if (sameOrigin(next, firstUrl)) {
      const h = headers(client, token, String(options.method ?? 'GET').toUpperCase(), next);
      options.headers = { ...options.headers, Authorization: h.authorization };
      if (h.dpop !== undefined) options.headers.DPoP = h.dpop;
    }
    if (typeof theirs === 'function') theirs(options, response);
  };
  // A config sent again (nonce retry, renewal) keeps the caller's hook once.
  hook[RESIGN] = theirs;
  return hook;
}

/**
 * Makes an axios instance send `Authorization: <token>` from `client` on
 * every request (and `DPoP: <proof>` for a DPoP token), send a request once
 * more when a DPoP API asks for a nonce, and renew the token once when a
 * response is 401. Returns a function that removes the interceptors.
 * @param {import('axios').AxiosInstance} axios
 * @param {import('../index').TokenClient} client
 * @param {import('../index').TokenRequestOptions} [opts] request parameters
 */
function attachAxios(axios, client, opts = undefined) {
  const onRequest = axios.interceptors.request.use(async (config) => {
    const url = axiosUrl(axios, config);
    const method = String(config.method ?? 'get').toUpperCase();
    const token = await authorize(client, opts, url);
    const h = headers(client, token, method, url);
    config[USED] = token;
    config[URL_SENT] = url;
    setHeader(config, 'Authorization', h.authorization);
    if (h.dpop !== undefined) setHeader(config, 'DPoP', h.dpop);
    else deleteHeader(config, 'DPoP');
    config.beforeRedirect = resign(client, token, url, config.beforeRedirect);
    return config;
  });
  // Every answer, whatever validateStatus says of it, is read for DPoP; the
  // nonce retry is taken once, and not after a renewal (as call_api).
  const nonceAsked = (config, response) => {
    if (!config || !config[USED]) return false;
    const header = (name) =>
      response.headers && typeof response.headers.get === 'function' ? response.headers.get(name) : response.headers?.[name];
    const retry = nonceRetry(client, config[USED], config[URL_SENT], response.status, header);
    if (!retry || config[NONCE_RETRIED] || config[RENEWED]) return false;
    config[NONCE_RETRIED] = true;
    return true;
  };
  const onResponse = axios.interceptors.response.use(
    (response) => (nonceAsked(response.config, response) ? axios.request(response.config) : response),
    async (error) => {
      const config = error && error.config;
      if (!config || !config[USED] || !error.response) throw error;
      if (nonceAsked(config, error.response)) return axios.request(config);
      if (error.response.status !== 401 || config[RENEWED]) throw error;
      config[RENEWED] = true;
      renew(client, opts, config[USED]);
      return axios.request(config);
    },
  );
  return () => {
    axios.interceptors.request.eject(onRequest);
    axios.interceptors.response.eject(onResponse);
  };
}

module.exports = { attachAxios, fetchWith };
