'use strict';
// HTTP clients that carry the token: the global fetch (client.fetch) and
// axios (attachAxios). The renewal on 401 stays where the HTTP call is, but
// both adapters take the same two steps from the engine (docs/design.md §4):
// `authorize` (the engine's URL rule, checked on every request, then a
// token) and `renew` (the engine's invalidateRejected: the refused token is
// dropped unless a concurrent caller renewed it already). One renewal per
// request.

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

/** After a 401 answered to a request sent with `used`: the engine's decision to drop it. */
function renew(client, opts, used) {
  client.invalidateRejected(used, opts);
}

/**
 * `client.fetch(input, init, opts)`: the global `fetch` with the token, and
 * one renewal on 401. Redirects are not followed unless `init.redirect`
 * says so (the token would go with them).
 */
async function fetchWith(client, input, init = undefined, opts = undefined) {
  const tokenOpts = opts ?? (init && init.signal ? { signal: init.signal } : undefined);
  const request = new Request(input, { redirect: 'manual', ...init });
  const send = async (req) => {
    const token = await authorize(client, tokenOpts, req.url);
    req.headers.set('authorization', token.authorizationHeader());
    return [await fetch(req), token];
  };
  const [response, used] = await send(request.clone());
  if (response.status !== 401) return response;
  if (response.body) await response.body.cancel().catch(() => {});
  renew(client, tokenOpts, used);
  return (await send(request))[0];
}

const RENEWED = Symbol('m2mAuthRenewed');
const USED = Symbol('m2mAuthToken');

/**
 * Makes an axios instance send `Authorization: <token>` from `client` on
 * every request, and renew the token once when a response is 401.
 * Returns a function that removes both interceptors.
 * @param {import('axios').AxiosInstance} axios
 * @param {import('../index').TokenClient} client
 * @param {import('../index').TokenRequestOptions} [opts] request parameters
 */
function attachAxios(axios, client, opts = undefined) {
  const onRequest = axios.interceptors.request.use(async (config) => {
    const token = await authorize(client, opts, new URL(config.url ?? '', config.baseURL).href);
    config[USED] = token;
    if (config.headers && typeof config.headers.set === 'function') {
      config.headers.set('Authorization', token.authorizationHeader());
    } else {
      config.headers = { ...config.headers, Authorization: token.authorizationHeader() };
    }
    return config;
  });
  const onResponse = axios.interceptors.response.use(undefined, async (error) => {
    const config = error && error.config;
    if (!config || !config[USED] || !error.response || error.response.status !== 401 || config[RENEWED]) {
      throw error;
    }
    config[RENEWED] = true;
    renew(client, opts, config[USED]);
    return axios.request(config);
  });
  return () => {
    axios.interceptors.request.eject(onRequest);
    axios.interceptors.response.eject(onResponse);
  };
}

module.exports = { attachAxios, fetchWith };
