/*
 * m2m_auth.h — the C API of m2m-auth, an OAuth 2.0 client credentials
 * (RFC 6749 §4.4) engine: cached, single-flight, safe token acquisition.
 *
 * Link with -lm2m_auth (pkg-config: m2m_auth).
 *
 * Conventions:
 * - Names are m2m_<object>_<verb>; handles are opaque, created by a _new
 *   (or a call that returns one) and released by its _free; _free(NULL)
 *   does nothing.
 * - Every fallible function returns m2m_result (M2M_OK on success).
 *   Out-parameters come last, are named *_out, and are written only on
 *   success. An optional m2m_error **err_out (may be NULL; set *err_out to
 *   NULL first) receives the detail of a failure: free it with
 *   m2m_error_free.
 * - const pointers are borrows the library only reads.
 * - Every string the library returns is borrowed from a handle (valid until
 *   that handle's _free) or static: never free() it yourself.
 * - A NULL required argument returns M2M_NULL_ARGUMENT and a string that
 *   is not UTF-8 returns M2M_INVALID_UTF8; neither crashes. A panic inside
 *   the library returns M2M_PANIC.
 * - Handles are thread-safe. Calls that need the network block the calling
 *   thread; a fresh cached token is returned without I/O or waiting.
 * - No secret (client secret, access token) ever appears in an error
 *   message.
 *
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef M2M_AUTH_H
#define M2M_AUTH_H

/* Generated with cbindgen:0.29.4 */

/* Generated from bindings/c by scripts/gen-header.sh; do not edit. */

#include <stddef.h>
#include <stdint.h>

/** The version of m2m-auth this header belongs to (Cargo.toml). */
#define M2M_AUTH_VERSION "0.1.0"
#define M2M_AUTH_VERSION_MAJOR 0
#define M2M_AUTH_VERSION_MINOR 1
#define M2M_AUTH_VERSION_PATCH 0
/** MAJOR * 10000 + MINOR * 100 + PATCH, for #if comparisons. */
#define M2M_AUTH_VERSION_NUMBER 100

/**
 * What a call returned. The values are part of the ABI: they are never
 * renumbered and never reused. Codes 1–99 are the docs/design.md §6 error codes
 * (the same in every language); 100 and up are the C library's own.
 */
enum m2m_result
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * Success.
   */
  M2M_OK = 0,
  /**
   * `config`: a bad or missing option (detected before any I/O).
   */
  M2M_CONFIG = 1,
  /**
   * `oauth`: the authorization server refused (RFC 6749 §5.2); the error
   * carries `error`, `error_description`, `error_uri` and the status.
   */
  M2M_OAUTH = 2,
  /**
   * `http`: a non-OAuth HTTP failure; the error carries the status and
   * the first bytes of the body.
   */
  M2M_HTTP = 3,
  /**
   * `transport`: could not talk to the server (connect, timeout, reset,
   * TLS, I/O); the error carries the kind.
   */
  M2M_TRANSPORT = 4,
  /**
   * `invalid_response`: a 200 that is not a valid token response.
   */
  M2M_INVALID_RESPONSE = 5,
  /**
   * `throttled`: refused locally until the error's retry-after passes.
   */
  M2M_THROTTLED = 6,
  /**
   * `cache`: a shared cache is unreachable or corrupt.
   */
  M2M_CACHE = 7,
  /**
   * `invalid_token`: (verifier) a token failed validation.
   */
  M2M_INVALID_TOKEN = 8,
  /**
   * A required pointer argument was NULL.
   */
  M2M_NULL_ARGUMENT = 100,
  /**
   * A string argument was not valid UTF-8.
   */
  M2M_INVALID_UTF8 = 101,
  /**
   * An argument was out of range or malformed (e.g. an HTTP header
   * without a colon).
   */
  M2M_INVALID_ARGUMENT = 102,
  /**
   * The library caught an internal panic (a bug); the call did nothing.
   */
  M2M_PANIC = 103,
  /**
   * The item asked for does not exist (e.g. a response header).
   */
  M2M_NOT_FOUND = 104,
  /**
   * The value holds a NUL byte and cannot be handed out as a C string.
   */
  M2M_INTERIOR_NUL = 105,
  /**
   * An error code this version of the C library does not know (from a
   * newer engine); the message names it.
   */
  M2M_OTHER_ERROR = 199,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum m2m_result m2m_result;
#else
typedef uint32_t m2m_result;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * An API's answer to `m2m_client_call_api`. Free with
 * `m2m_api_response_free`; everything a getter returns is borrowed from it.
 */
typedef struct m2m_api_response m2m_api_response;

/**
 * A token client. Thread-safe: share one handle between threads. Clients
 * built with the same endpoint, credentials and parameters share cached
 * tokens and in-flight requests process-wide. Calls that need the network
 * block the calling thread. Free with `m2m_client_free` once no call is
 * using it. Usable in a child after `fork()`: the child's network calls go
 * through connections of its own.
 */
typedef struct m2m_client m2m_client;

/**
 * Options for `m2m_client_new`. Create with `m2m_client_options_new`, fill
 * with the `m2m_client_options_set_*` functions, free with
 * `m2m_client_options_free` (the client keeps its own copy). Thread-safe.
 * The client secret is held in memory that is zeroed when freed.
 */
typedef struct m2m_client_options m2m_client_options;

/**
 * The detail of a failed call. Created by the library (through an
 * `err_out` argument), read with the `m2m_error_*` getters, freed with
 * `m2m_error_free`. Every string a getter returns lives until then.
 */
typedef struct m2m_error m2m_error;

/**
 * Per-call request parameters. Every parameter left unset takes the
 * client's default; a set one replaces it (an empty string clears it).
 * Pass NULL instead of a request to use the defaults. Thread-safe; may be
 * used by many calls at once.
 */
typedef struct m2m_request m2m_request;

/**
 * An access token. Get one from `m2m_client_get_token` or
 * `m2m_client_fetch_token`; read it with the `m2m_token_*` getters; free it
 * with `m2m_token_free`. Every string a getter returns is borrowed from the
 * token and lives until `m2m_token_free`. Thread-safe and immutable.
 */
typedef struct m2m_token m2m_token;

/**
 * A client's counters (`m2m_client_stats`).
 */
typedef struct m2m_stats {
  /**
   * Calls answered from the cache (fresh, or usable while refreshing).
   */
  uint64_t hits;
  /**
   * Calls that waited for a token request (their own or a shared one).
   */
  uint64_t misses;
  /**
   * Token requests this client made (each may take several attempts).
   */
  uint64_t fetches;
  /**
   * Of those, background refreshes of a still-usable token.
   */
  uint64_t refreshes;
  /**
   * Token requests that ended in an error.
   */
  uint64_t failures;
} m2m_stats;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * The library's version, e.g. `"0.1.0"` (static; never freed). Equal to
 * the header's `M2M_AUTH_VERSION` when header and library match.
 */
const char *m2m_version(void);

/**
 * Calls an API with `Authorization: <token type> <token>` for `request`
 * (NULL: the client's defaults). If the API answers 401, the token is
 * invalidated, a new one fetched and the call made once more; whatever the
 * API answers then is returned (any status is `M2M_OK`: read it with
 * `m2m_api_response_status`). `method` is e.g. `"GET"`; `url` follows the
 * token endpoint's https rule; `headers` is NULL or an array of
 * `headers_len` strings `"Name: value"`; `body` is NULL or `body_len`
 * bytes. Redirects are not followed.
 */
m2m_result m2m_client_call_api(const struct m2m_client *client,
                               const struct m2m_request *request,
                               const char *method,
                               const char *url,
                               const char *const *headers,
                               size_t headers_len,
                               const uint8_t *body,
                               size_t body_len,
                               struct m2m_api_response **response_out,
                               struct m2m_error **err_out);

/**
 * The API's HTTP status.
 */
m2m_result m2m_api_response_status(const struct m2m_api_response *response, uint16_t *status_out);

/**
 * The response body: `*body_out` points to `*body_len_out` bytes, followed
 * by a NUL byte (so a text body can be printed as a C string). Borrowed
 * from `response`.
 */
m2m_result m2m_api_response_body(const struct m2m_api_response *response,
                                 const uint8_t **body_out,
                                 size_t *body_len_out);

/**
 * The value of response header `name` (case-insensitive; repeated headers
 * give the first). `M2M_NOT_FOUND` when absent. Borrowed from `response`.
 */
m2m_result m2m_api_response_header(const struct m2m_api_response *response,
                                   const char *name,
                                   const char **value_out);

/**
 * Frees an API response. NULL does nothing.
 */
void m2m_api_response_free(struct m2m_api_response *response);

/**
 * Builds a client from `options` (which stay the caller's). Every option
 * is checked before any I/O: a bad or missing one fails with `M2M_CONFIG`.
 */
m2m_result m2m_client_new(const struct m2m_client_options *options,
                          struct m2m_client **client_out,
                          struct m2m_error **err_out);

/**
 * Builds a client from the `M2M_AUTH_*` environment variables (see
 * `m2m_client_options_load_env`).
 */
m2m_result m2m_client_from_env(struct m2m_client **client_out, struct m2m_error **err_out);

/**
 * Frees a client. Tokens it returned stay valid until freed themselves.
 * NULL does nothing.
 */
void m2m_client_free(struct m2m_client *client);

/**
 * A usable token for `request` (NULL: the client's defaults): from the
 * cache when it holds a fresh one, without I/O or waiting (with NULL, no
 * lock either), else from the token endpoint, one request per key however
 * many threads ask at once. A token past its refresh point is returned at
 * once while one background request renews it. Free the token with
 * `m2m_token_free`.
 */
m2m_result m2m_client_get_token(const struct m2m_client *client,
                                const struct m2m_request *request,
                                struct m2m_token **token_out,
                                struct m2m_error **err_out);

/**
 * A new token from the token endpoint for `request` (NULL: the client's
 * defaults), bypassing (then updating) the cache; joins a request for the
 * same key already in flight. Free the token with `m2m_token_free`.
 */
m2m_result m2m_client_fetch_token(const struct m2m_client *client,
                                  const struct m2m_request *request,
                                  struct m2m_token **token_out,
                                  struct m2m_error **err_out);

/**
 * Drops the cached token for `request` (NULL: the client's defaults), e.g.
 * after an API answered 401 with it; the next call fetches a new one.
 */
m2m_result m2m_client_invalidate(const struct m2m_client *client,
                                 const struct m2m_request *request,
                                 struct m2m_error **err_out);

/**
 * This client's counters.
 */
m2m_result m2m_client_stats(const struct m2m_client *client, struct m2m_stats *stats_out);

/**
 * The stable lower-case name of a result code: `"ok"`, the docs/design.md §6 code
 * (`"config"`, `"oauth"`, `"http"`, `"transport"`, `"invalid_response"`,
 * `"throttled"`, `"cache"`, `"invalid_token"`), or the C library's own
 * (`"null_argument"`, `"invalid_utf8"`, `"invalid_argument"`, `"panic"`,
 * `"not_found"`, `"interior_nul"`, `"other_error"`); `"unknown"` for a
 * value that is no `m2m_result`. Static; never freed.
 */
const char *m2m_result_name(uint32_t result);

/**
 * The error's code; `M2M_OK` when `err` is NULL (no error).
 */
m2m_result m2m_error_code(const struct m2m_error *err);

/**
 * A one-line description for people, e.g. `"oauth: invalid_client: ...
 * (status 401)"`. Never holds a secret (server text is scrubbed of the
 * client's credentials). Never NULL: `""` when `err` is NULL. Borrowed from
 * `err`.
 */
const char *m2m_error_message(const struct m2m_error *err);

/**
 * For `M2M_OAUTH`: the server's `error` code (e.g. `"invalid_client"`);
 * NULL for other errors. Borrowed from `err`.
 */
const char *m2m_error_oauth_error(const struct m2m_error *err);

/**
 * For `M2M_OAUTH`: the server's `error_description`, or NULL when it sent
 * none. Borrowed from `err`.
 */
const char *m2m_error_oauth_error_description(const struct m2m_error *err);

/**
 * For `M2M_OAUTH`: the server's `error_uri`, or NULL when it sent none.
 * Borrowed from `err`.
 */
const char *m2m_error_oauth_error_uri(const struct m2m_error *err);

/**
 * For `M2M_OAUTH` and `M2M_HTTP`: the HTTP status; 0 otherwise.
 */
uint16_t m2m_error_status(const struct m2m_error *err);

/**
 * For `M2M_HTTP`: the first bytes (at most 512) of the response body,
 * lossily decoded; NULL for other errors. Borrowed from `err`.
 */
const char *m2m_error_http_body(const struct m2m_error *err);

/**
 * For `M2M_TRANSPORT`: `"connect"`, `"timeout"`, `"reset"`, `"tls"` or
 * `"io"`; NULL for other errors. Static.
 */
const char *m2m_error_transport_kind(const struct m2m_error *err);

/**
 * For `M2M_THROTTLED`: milliseconds until a request may be sent again;
 * 0 otherwise.
 */
uint64_t m2m_error_retry_after_ms(const struct m2m_error *err);

/**
 * Frees an error and every string borrowed from it. NULL does nothing.
 */
void m2m_error_free(struct m2m_error *err);

/**
 * Creates empty options.
 */
m2m_result m2m_client_options_new(struct m2m_client_options **options_out);

/**
 * Frees options (zeroing the secret). NULL does nothing.
 */
void m2m_client_options_free(struct m2m_client_options *options);

/**
 * The token endpoint URL, e.g. `"https://tenant.auth0.com/oauth/token"`.
 * Exactly one of token_url, domain and issuer must be set.
 */
m2m_result m2m_client_options_set_token_url(struct m2m_client_options *options,
                                            const char *token_url);

/**
 * An Auth0-style domain: the token endpoint is `https://{domain}/oauth/token`.
 */
m2m_result m2m_client_options_set_domain(struct m2m_client_options *options, const char *domain);

/**
 * An issuer: the token endpoint is discovered from its metadata (OpenID
 * Connect Discovery, then RFC 8414), once, on first use.
 */
m2m_result m2m_client_options_set_issuer(struct m2m_client_options *options, const char *issuer);

/**
 * The client id (required).
 */
m2m_result m2m_client_options_set_client_id(struct m2m_client_options *options,
                                            const char *client_id);

/**
 * The client secret (required). Copied into memory that is zeroed when the
 * options and the client are freed; it never appears in any error message.
 */
m2m_result m2m_client_options_set_client_secret(struct m2m_client_options *options,
                                                const char *client_secret);

/**
 * The client authentication method: `"client_secret_post"` (the default)
 * or `"client_secret_basic"`. Another name fails at `m2m_client_new`.
 */
m2m_result m2m_client_options_set_auth_method(struct m2m_client_options *options,
                                              const char *auth_method);

/**
 * The default audience (the API's identifier).
 */
m2m_result m2m_client_options_set_audience(struct m2m_client_options *options,
                                           const char *audience);

/**
 * The default scopes, space-separated (e.g. `"read:data write:data"`).
 * Replaces any earlier value.
 */
m2m_result m2m_client_options_set_scope(struct m2m_client_options *options, const char *scope);

/**
 * The default organization (Auth0 organization id or name).
 */
m2m_result m2m_client_options_set_organization(struct m2m_client_options *options,
                                               const char *organization);

/**
 * Adds a default RFC 8707 resource indicator (an absolute URI).
 */
m2m_result m2m_client_options_add_resource(struct m2m_client_options *options,
                                           const char *resource);

/**
 * Sets a default extra form parameter sent with every token request.
 */
m2m_result m2m_client_options_set_extra(struct m2m_client_options *options,
                                        const char *name,
                                        const char *value);

/**
 * The token cache: `"memory"` (the default, process-wide), or a shared
 * store spelled as in every language (`"file:/dir"`,
 * `"redis://host:port/db"`). One this engine does not support fails at
 * `m2m_client_new` with `M2M_CONFIG`.
 */
m2m_result m2m_client_options_set_cache(struct m2m_client_options *options, const char *cache);

/**
 * Connection timeout in milliseconds [10000]; 0 fails at `m2m_client_new`.
 */
m2m_result m2m_client_options_set_connect_timeout_ms(struct m2m_client_options *options,
                                                     uint64_t ms);

/**
 * Deadline of one token request, retries included, in milliseconds
 * [30000]; 0 fails at `m2m_client_new`.
 */
m2m_result m2m_client_options_set_timeout_ms(struct m2m_client_options *options, uint64_t ms);

/**
 * A token is usable until its expiry minus this leeway, in milliseconds
 * [60000; never more than half the token's lifetime].
 */
m2m_result m2m_client_options_set_leeway_ms(struct m2m_client_options *options, uint64_t ms);

/**
 * The fraction of a token's lifetime after which it is refreshed in the
 * background [0.75]; must be in (0, 1].
 */
m2m_result m2m_client_options_set_refresh_ratio(struct m2m_client_options *options, double ratio);

/**
 * Lifetime assumed when a token response has no `expires_in`, in seconds
 * [600].
 */
m2m_result m2m_client_options_set_default_expires_in_s(struct m2m_client_options *options,
                                                       uint64_t seconds);

/**
 * Largest token response body read, in bytes [1 MiB; at least 1024].
 */
m2m_result m2m_client_options_set_max_response_bytes(struct m2m_client_options *options,
                                                     size_t bytes);

/**
 * Attempts per token request, the first included [3]; 0 fails at
 * `m2m_client_new`.
 */
m2m_result m2m_client_options_set_retry_max_attempts(struct m2m_client_options *options,
                                                     uint32_t attempts);

/**
 * Backoff before the second attempt, doubled for each later one, in
 * milliseconds [1000].
 */
m2m_result m2m_client_options_set_retry_base_delay_ms(struct m2m_client_options *options,
                                                      uint64_t ms);

/**
 * Longest backoff between two attempts, in milliseconds [30000].
 */
m2m_result m2m_client_options_set_retry_max_delay_ms(struct m2m_client_options *options,
                                                     uint64_t ms);

/**
 * How long a key is throttled after a 429/5xx without `Retry-After` once
 * the attempts are spent, in milliseconds [5000].
 */
m2m_result m2m_client_options_set_retry_default_throttle_ms(struct m2m_client_options *options,
                                                            uint64_t ms);

/**
 * Cap on any `Retry-After` the server asks for, in seconds [3600].
 */
m2m_result m2m_client_options_set_retry_max_retry_after_s(struct m2m_client_options *options,
                                                          uint64_t seconds);

/**
 * Trusts these PEM certificates in addition to the OS trust store.
 */
m2m_result m2m_client_options_add_root_certificate_pem(struct m2m_client_options *options,
                                                       const uint8_t *pem,
                                                       size_t pem_len);

/**
 * Sends token requests through this proxy instead of the one the
 * environment names (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`).
 */
m2m_result m2m_client_options_set_proxy(struct m2m_client_options *options, const char *proxy_url);

/**
 * Uses no proxy, whatever the environment says.
 */
m2m_result m2m_client_options_set_no_proxy(struct m2m_client_options *options);

/**
 * Bound of the in-memory cache in keys [10000]; a client with another
 * bound gets a cache of its own.
 */
m2m_result m2m_client_options_set_max_cache_keys(struct m2m_client_options *options, size_t keys);

/**
 * Sets every option that an `M2M_AUTH_*` environment variable gives
 * (`M2M_AUTH_TOKEN_URL` | `M2M_AUTH_DOMAIN` | `M2M_AUTH_ISSUER`,
 * `M2M_AUTH_CLIENT_ID`, `M2M_AUTH_CLIENT_SECRET`, `M2M_AUTH_AUTH_METHOD`,
 * `M2M_AUTH_AUDIENCE`, `M2M_AUTH_SCOPE`, `M2M_AUTH_ORGANIZATION`,
 * `M2M_AUTH_CACHE`), over what was set before.
 */
m2m_result m2m_client_options_load_env(struct m2m_client_options *options);

/**
 * Creates a request with no overrides.
 */
m2m_result m2m_request_new(struct m2m_request **request_out);

/**
 * Frees a request. NULL does nothing.
 */
void m2m_request_free(struct m2m_request *request);

/**
 * The audience for this call (`""`: none).
 */
m2m_result m2m_request_set_audience(struct m2m_request *request, const char *audience);

/**
 * The scopes for this call, space-separated (`""`: none).
 */
m2m_result m2m_request_set_scope(struct m2m_request *request, const char *scope);

/**
 * The organization for this call (`""`: none).
 */
m2m_result m2m_request_set_organization(struct m2m_request *request, const char *organization);

/**
 * Adds an RFC 8707 resource indicator for this call; the call's list
 * replaces the client's default list.
 */
m2m_result m2m_request_add_resource(struct m2m_request *request, const char *resource);

/**
 * Overrides the client's default resources with none (until
 * `m2m_request_add_resource` adds some).
 */
m2m_result m2m_request_clear_resources(struct m2m_request *request);

/**
 * Sets an extra form parameter for this call; the call's extra parameters
 * replace the client's default ones.
 */
m2m_result m2m_request_set_extra(struct m2m_request *request, const char *name, const char *value);

/**
 * Overrides the client's default extra parameters with none (until
 * `m2m_request_set_extra` adds some).
 */
m2m_result m2m_request_clear_extra(struct m2m_request *request);

/**
 * Frees a token handle (its strings are zeroed once no handle uses them).
 * NULL does nothing.
 */
void m2m_token_free(struct m2m_token *token);

/**
 * The access token, to send as a bearer credential. Borrowed from `token`.
 * `M2M_INTERIOR_NUL` if it holds a NUL byte.
 */
m2m_result m2m_token_access_token(const struct m2m_token *token, const char **access_token_out);

/**
 * The token type, `"Bearer"` (normalized from any case). Borrowed from
 * `token`.
 */
m2m_result m2m_token_token_type(const struct m2m_token *token, const char **token_type_out);

/**
 * The value for an HTTP `Authorization` header: `"Bearer <token>"`.
 * Borrowed from `token`.
 */
m2m_result m2m_token_authorization_header(const struct m2m_token *token, const char **header_out);

/**
 * Seconds until the token expires (0 once expired).
 */
m2m_result m2m_token_expires_in(const struct m2m_token *token, uint64_t *seconds_out);

/**
 * When the token expires, in seconds since the Unix epoch.
 */
m2m_result m2m_token_expires_at(const struct m2m_token *token, int64_t *unix_seconds_out);

/**
 * The granted scope (space-separated): the server's `scope`, or the
 * requested scopes when the server left it out. Writes NULL when there is
 * none. Borrowed from `token`.
 */
m2m_result m2m_token_scope(const struct m2m_token *token, const char **scope_out);

/**
 * A short SHA-256 fingerprint of the access token, safe to log. Borrowed
 * from `token`.
 */
m2m_result m2m_token_fingerprint(const struct m2m_token *token, const char **fingerprint_out);

/**
 * Every other field of the token response, as one JSON object (e.g.
 * `{"id_token":"..."}`, or `{}`). Borrowed from `token`.
 */
m2m_result m2m_token_extra_json(const struct m2m_token *token, const char **json_out);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* M2M_AUTH_H */
