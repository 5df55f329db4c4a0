'use strict';
// HTTP clients that carry the token: the global fetch (client.fetch) and
// axios (attachAxios). The renewal on 401 stays where the HTTP call is, but
// both adapters take the same steps from the engine (docs/design.md §4,
// §11): `authorize` (the engine's URL rule, checked on every request, then
// a token), for a DPoP token `proof` (the engine's dpopProof of this
// request) and `nonceRetry` (the engine's dpopResponse: it remembers the
// answer's nonce and names the one use_dpop_nonce retry), and `renew` (the
// engine's invalidateRejected: the refused token is dropped unless a
// concurrent caller renewed it already). Per request: at most one retry
// with a new proof for a nonce challenge, then at most one renewal, as
// call_api does.

const native = require('./native');
const { fromNative } = require('./errors');

/** Before a request: the engine's URL rule (https, or http to loopback), then a token. */
async function authorize(client, opts, url) {
  try {
    native.checkUrl(String(url));
  } catch (e) {
    throw fromNative(e);
  }
  return client.getToken(opts);
}

/** A token the engine says is DPoP-bound: it goes with a proof of each request. */
function isDpop(token) {
  return token.tokenType === 'DPoP';
}

/** The `DPoP` header for sending `token` with `method url`, or null for a bearer token. */
function proof(client, token, method, url) {
  return isDpop(token) ? client.dpopProof(method, url, token) : null;
}

/**
 * After an answer to a request sent with `token`: for a DPoP token the
 * engine reads it (and remembers its nonce); true when the request should
 * be sent once more with a new proof. `header(name)` reads the answer's.
 */
function nonceRetry(client, token, url, status, header) {
  if (!isDpop(token)) return false;
  const text = (name) => {
    const v = header(name);
    return v == null ? null : Array.isArray(v) ? v.join(', ') : String(v);
  };
  return client.dpopResponse(url, status, text('www-authenticate'), text('dpop-nonce'));
}

/** After a 401 answered to a request sent with `used`: the engine's decision to drop it. */
function renew(client, opts, used) {
  client.invalidateRejected(used, opts);
}

/** Lets go of an answer that is not returned (its connection is freed). */
async function discard(response) {
  if (response.body) await response.body.cancel().catch(() => {});
}

/**
 * `client.fetch(input, init, opts)`: the global `fetch` with the token (and
 * a DPoP proof for a DPoP token), one more try for a DPoP nonce challenge,
 * and one renewal on 401. Redirects are not followed unless `init.redirect`
 * says so (the token would go with them).
 */
async function fetchWith(client, input, init = undefined, opts = undefined) {
  const tokenOpts = opts ?? (init && init.signal ? { signal: init.signal } : undefined);
  const request = new Request(input, { redirect: 'manual', ...init });
  const send = async (token) => {
    const req = request.clone();
    req.headers.set('authorization', token.authorizationHeader());
    const dpop = proof(client, token, req.method, req.url);
    if (dpop !== null) req.headers.set('dpop', dpop);
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

const RENEWED = Symbol('m2mAuthRenewed');
const NONCE_RETRIED = Symbol('m2mAuthNonceRetried');
const USED = Symbol('m2mAuthToken');
const URL_SENT = Symbol('m2mAuthUrl');

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
    const token = await authorize(client, opts, url);
    config[USED] = token;
    config[URL_SENT] = url;
    setHeader(config, 'Authorization', token.authorizationHeader());
    const dpop = proof(client, token, String(config.method ?? 'get').toUpperCase(), url);
    if (dpop !== null) setHeader(config, 'DPoP', dpop);
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
