/*
 * m2m_auth.h — the C API of m2m-auth, an OAuth 2.0 client credentials
 * (RFC 6749 §4.4) engine: cached, single-flight, safe token acquisition;
 * and, for APIs, verification of RFC 9068 access tokens (m2m_verifier).
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
 *   that handle's _free) or static: never free() it yourself. Two are the
 *   caller's: a DPoP proof (m2m_dpop_proof_free) and a DPoP nonce
 *   (m2m_dpop_nonce_free).
 * - A NULL required argument returns M2M_NULL_ARGUMENT and a string that
 *   is not UTF-8 returns M2M_INVALID_UTF8; neither crashes. A panic inside
 *   the library returns M2M_PANIC.
 * - Handles are thread-safe. Calls that need the network block the calling
 *   thread; a fresh cached token is returned without I/O or waiting. After
 *   fork(), the child uses the parent's handles as they are.
 * - The surface is the engine's declaration (tests/surface.json): one
 *   m2m_client_options_set_<name>/add_<name> per option, one
 *   m2m_request_set_<name>/add_<name> per request parameter, one getter per
 *   stat (m2m_stats_<name>), error field (m2m_error_<name>) and token field
 *   (m2m_token_<name>); one m2m_verifier_options_set_<name>/add_<name> per
 *   verifier option and one m2m_claims_<name> per claims field. Durations are milliseconds and points in time
 *   milliseconds since the Unix epoch, everywhere (the text of
 *   m2m_client_options_set and the environment excepted: seconds, as in
 *   every language's environment).
 * - No secret (client secret, access token) ever appears in an error
 *   message.
 *
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef M2M_AUTH_H
#define M2M_AUTH_H

/* Generated with cbindgen:0.29.4 */

/* Generated from bindings/c by scripts/gen-header.sh; do not edit. */

#include <stdbool.h>
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
   * `invalid_token`: (verifier) a token failed validation; the error
   * carries the reason code.
   */
  M2M_INVALID_TOKEN = 8,
  /**
   * `insufficient_scope`: (verifier) a valid token lacks a required
   * scope; the error carries the required scope.
   */
  M2M_INSUFFICIENT_SCOPE = 9,
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
 * Where a `m2m_assertion_provider` puts the assertion: valid only during
 * the callback that received it; owned by the library.
 */
typedef struct m2m_assertion_sink m2m_assertion_sink;

/**
 * The claims of a verified token, from `m2m_verifier_verify` or
 * `m2m_verifier_verify_request`. Read with the `m2m_claims_*` getters;
 * every string a getter returns is borrowed from the claims and lives until
 * `m2m_claims_free`. Thread-safe and immutable; independent of the verifier
 * (it may be freed first).
 */
typedef struct m2m_claims m2m_claims;

/**
 * A token client. Thread-safe: share one handle between threads. Clients
 * built with the same endpoint, credentials and parameters share cached
 * tokens and in-flight requests process-wide. Calls that need the network
 * block the calling thread. Free with `m2m_client_free` once no call is
 * using it. Usable in a child after `fork()` as it is: the engine gives
 * the child connections and a runtime of its own, and the client's
 * counters go on from their values at the fork.
 */
typedef struct m2m_client m2m_client;

/**
 * Options for `m2m_client_new`. Create with `m2m_client_options_new`, fill
 * with the `m2m_client_options_set_<name>` / `add_<name>` functions (one
 * per option), `m2m_client_options_set` or `m2m_client_options_from_env`,
 * free with `m2m_client_options_free` (a client keeps its own copy).
 * Thread-safe. The client secret is held in memory that is zeroed when
 * freed.
 */
typedef struct m2m_client_options m2m_client_options;

/**
 * The detail of a failed call. Created by the library (through an
 * `err_out` argument), read with the `m2m_error_<field>` getters (NULL or
 * 0 for a field the error does not have), freed with `m2m_error_free`.
 * Every string a getter returns lives until then.
 */
typedef struct m2m_error m2m_error;

/**
 * Per-call request parameters. Every parameter left unset takes the
 * client's default; a set one replaces it (an empty string clears it:
 * `m2m_request_set(request, "resource", "")` overrides the default
 * resources with none). Pass NULL instead of a request to use the
 * defaults. Thread-safe; may be used by many calls at once.
 */
typedef struct m2m_request m2m_request;

/**
 * The headers that send a token with one HTTP request, from
 * `m2m_client_request_headers`. Owned by the caller: free it with
 * `m2m_request_headers_free`; both strings its getters return are borrowed
 * from it, live until then, and are zeroed when it is freed (they are
 * credentials). Immutable; may be read from any thread.
 */
typedef struct m2m_request_headers m2m_request_headers;

/**
 * A snapshot of a client's counters, from `m2m_client_stats`; read with
 * the `m2m_stats_<name>` getters, free with `m2m_stats_free`. Immutable.
 * The counters are the client's over its whole life; in a child made by
 * `fork()`, the parent's counters at the fork plus the child's own.
 */
typedef struct m2m_stats m2m_stats;

/**
 * An access token. Get one from `m2m_client_get_token` or
 * `m2m_client_fetch_token`; read it with the `m2m_token_*` getters; free it
 * with `m2m_token_free`. Every string a getter returns is borrowed from the
 * token and lives until `m2m_token_free`. Thread-safe and immutable.
 */
typedef struct m2m_token m2m_token;

/**
 * A token verifier. Thread-safe: share one handle between threads (its
 * JWKS and verified-token cache are shared by every call). Free with
 * `m2m_verifier_free` once no call is using it; claims it returned stay
 * valid.
 */
typedef struct m2m_verifier m2m_verifier;

/**
 * A snapshot of a verifier's counters, from `m2m_verifier_stats`; read
 * with the `m2m_verifier_counters_<name>` getters, free with
 * `m2m_verifier_counters_free`. Immutable.
 */
typedef struct m2m_verifier_counters m2m_verifier_counters;

/**
 * Options for `m2m_verifier_new`. Create with `m2m_verifier_options_new`,
 * fill with the `m2m_verifier_options_set_<name>` / `add_<name>` functions
 * (one per option) or `m2m_verifier_options_set`, free with
 * `m2m_verifier_options_free` (a verifier keeps its own copy, so the
 * options may be freed or reused once it is built). Thread-safe.
 */
typedef struct m2m_verifier_options m2m_verifier_options;

/**
 * Supplies a client assertion: `user_data` as given to
 * `m2m_client_options_set_client_assertion_provider`; `client_id`,
 * `audience` and `token_endpoint` (NUL-terminated, borrowed for the call)
 * are what the assertion must carry (`iss` = `sub` = `client_id`, `aud` =
 * `audience`; it is sent to `token_endpoint`). On success it calls
 * `m2m_assertion_sink_set(sink, ...)` and returns 0; any other value is a
 * failure (`M2M_CONFIG`, "client_assertion_provider failed: callback
 * returned N"), and no token request is sent.
 */
typedef int (*m2m_assertion_provider)(void *user_data,
                                      const char *client_id,
                                      const char *audience,
                                      const char *token_endpoint,
                                      struct m2m_assertion_sink *sink);

/**
 * Frees a callback's `user_data` when the library no longer needs it.
 */
typedef void (*m2m_free_user_data)(void *user_data);

/**
 * The severity of a log record, and the threshold of
 * `m2m_set_log_callback`: one of the `M2M_LOG_*` values.
 */
typedef uint32_t m2m_log_level;

/**
 * Receives one log record: `user_data` as given to
 * `m2m_set_log_callback`, the record's level (`M2M_LOG_ERROR` ..
 * `M2M_LOG_TRACE`), its target (`"m2m_auth"` or `"m2m_auth::<part>"`) and
 * its message (the event, then ` name=value` per field). `target` and
 * `message` are NUL-terminated and borrowed: valid only during the call.
 */
typedef void (*m2m_log_callback)(void *user_data,
                                 m2m_log_level level,
                                 const char *target,
                                 const char *message);

/**
 * One token quota bucket as the token endpoint last reported it, filled by
 * `m2m_client_quota_bucket`. The strings are static: never free them.
 */
typedef struct m2m_quota_bucket {
  /**
   * Whose quota: `"client"` or `"organization"`.
   */
  const char *scope;
  /**
   * Which window: `"per_hour"` or `"per_day"`.
   */
  const char *bucket;
  /**
   * Tokens allowed in the window.
   */
  uint64_t quota;
  /**
   * Tokens left in the window when the response came.
   */
  uint64_t remaining;
  /**
   * When the window resets, in milliseconds since the Unix epoch.
   */
  int64_t reset_at;
} m2m_quota_bucket;

/**
 * No records (as a threshold).
 */
#define M2M_LOG_OFF 0

/**
 * A failure the caller sees.
 */
#define M2M_LOG_ERROR 1

/**
 * Something wrong the engine worked around (e.g. a failed token request).
 */
#define M2M_LOG_WARN 2

/**
 * A notable step (a token fetched, a refresh).
 */
#define M2M_LOG_INFO 3

/**
 * Details of the engine's decisions.
 */
#define M2M_LOG_DEBUG 4

/**
 * Everything.
 */
#define M2M_LOG_TRACE 5

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
 * (NULL: the client's defaults); a DPoP token also gets a new `DPoP` proof,
 * and an API asking for a DPoP nonce (401 `use_dpop_nonce`) the call once
 * more with it, first. If the API answers 401, the token is
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
 * Sets `provider` as the source of client assertions (`private_key_jwt`,
 * which it makes the default `auth_method`; exactly one of a key, a ready
 * assertion, an assertion file or a provider). NULL `provider` is
 * `M2M_NULL_ARGUMENT`.
 *
 * Threads: `provider` is called on a worker thread of the library's
 * blocking pool (never on the caller's thread, never holding a library
 * lock), for each attempt of each token request, possibly from several
 * threads at once: it and `user_data` must be thread-safe. It may block
 * (a KMS, an HSM, a vault); the request's `timeout` still bounds the
 * caller's wait. `free_user_data` (may be NULL) is called once with
 * `user_data` when these options and every client built from them are
 * freed, or when another provider replaces it; if this call fails, at
 * once.
 */
m2m_result m2m_client_options_set_client_assertion_provider(struct m2m_client_options *options,
                                                            m2m_assertion_provider provider,
                                                            void *user_data,
                                                            m2m_free_user_data free_user_data);

/**
 * Hands back the assertion from inside a `m2m_assertion_provider`: `len`
 * bytes at `assertion` (UTF-8; no NUL needed), copied (the caller keeps
 * ownership of its buffer). At most 16 KiB: longer is
 * `M2M_INVALID_ARGUMENT`. A second call replaces the first.
 */
m2m_result m2m_assertion_sink_set(struct m2m_assertion_sink *sink,
                                  const char *assertion,
                                  size_t len);

/**
 * The private key of `private_key_jwt`: PEM (PKCS#8, PKCS#1 RSA, SEC1
 * EC) or a private JWK as JSON. Copied into memory that is zeroed when the
 * options and the client are freed; never in an error or log record.
 * Setting a key makes `private_key_jwt` the default `auth_method`.
 */
m2m_result m2m_client_options_set_private_key(struct m2m_client_options *options,
                                              const char *value);

/**
 * A file holding the private key of `private_key_jwt`, read by
 * `m2m_client_new` and again whenever it changes (checked on each token
 * request).
 */
m2m_result m2m_client_options_set_private_key_file(struct m2m_client_options *options,
                                                   const char *value);

/**
 * The `kid` of signed client assertions [the JWK's `kid`, else none].
 */
m2m_result m2m_client_options_set_key_id(struct m2m_client_options *options, const char *value);

/**
 * The `alg` of signed client assertions: `"RS256"` (the default for
 * RSA), `"PS256"`, `"ES256"` (P-256), `"ES384"` (P-384), `"EdDSA"`; for
 * `client_secret_jwt` `"HS256"` (its default), `"HS384"`, `"HS512"`.
 */
m2m_result m2m_client_options_set_signing_alg(struct m2m_client_options *options,
                                              const char *value);

/**
 * A ready client assertion (a JWT) for `private_key_jwt`, sent as is.
 * Copied into memory that is zeroed when freed; never in an error or log.
 */
m2m_result m2m_client_options_set_client_assertion(struct m2m_client_options *options,
                                                   const char *value);

/**
 * A file holding a client assertion for `private_key_jwt`, read again
 * whenever it changes (e.g. a Kubernetes projected service account token).
 */
m2m_result m2m_client_options_set_client_assertion_file(struct m2m_client_options *options,
                                                        const char *value);

/**
 * The `aud` of signed client assertions: `"issuer"` [with an issuer, or
 * with a domain: `https://{domain}/`, as Auth0 requires],
 * `"token_endpoint"` [otherwise], or any string.
 */
m2m_result m2m_client_options_set_assertion_audience(struct m2m_client_options *options,
                                                     const char *value);

/**
 * The status and `WWW-Authenticate` header to answer a request whose
 * verification failed with `err`:
 * - `M2M_INVALID_TOKEN`: 401, `Bearer error="invalid_token",
 *   error_description="<reason>"`; reason `missing` (no token sent): 401,
 *   `Bearer` alone (RFC 6750 §3.1);
 * - `M2M_INSUFFICIENT_SCOPE`: 403, `Bearer error="insufficient_scope",
 *   scope="<required scopes>"`;
 * - an engine error of another code (the JWKS unreachable, ...): 503 and
 *   no header (`*www_authenticate_out` is NULL);
 * - an error of the C library itself (100 and up: a NULL or non-UTF-8
 *   argument, a bug): 500 and no header.
 *
 * `realm` (NULL for none) comes first when given: `Bearer realm="api",
 * error=...`. The header never holds the token. The header is borrowed
 * from `err` and lives until `m2m_error_free`; `realm` stays the caller's.
 */
m2m_result m2m_challenge(const struct m2m_error *err,
                         const char *realm,
                         uint16_t *status_out,
                         const char **www_authenticate_out);

/**
 * `iss`: the issuer (equal to the configured one). Never NULL for a
 * claims handle; NULL when `claims` is NULL. Borrowed from `claims`.
 */
const char *m2m_claims_issuer(const struct m2m_claims *claims);

/**
 * `sub`, or NULL when the token has none. Borrowed from `claims`.
 */
const char *m2m_claims_subject(const struct m2m_claims *claims);

/**
 * `client_id`, or NULL when the token has none. Borrowed from `claims`.
 */
const char *m2m_claims_client_id(const struct m2m_claims *claims);

/**
 * `jti`, or NULL when the token has none. Borrowed from `claims`.
 */
const char *m2m_claims_jwt_id(const struct m2m_claims *claims);

/**
 * How many audiences `aud` names (a string `aud` is one); 0 for NULL.
 */
size_t m2m_claims_audience_count(const struct m2m_claims *claims);

/**
 * Audience `index` (from 0) of `aud`; NULL when `index` is not below
 * `m2m_claims_audience_count`. Borrowed from `claims`.
 */
const char *m2m_claims_audience(const struct m2m_claims *claims, size_t index);

/**
 * How many scopes the token grants (`scope` split on spaces, or the `scp`
 * array); 0 for NULL.
 */
size_t m2m_claims_scopes_count(const struct m2m_claims *claims);

/**
 * Scope `index` (from 0); NULL when `index` is not below
 * `m2m_claims_scopes_count`. Borrowed from `claims`.
 */
const char *m2m_claims_scopes(const struct m2m_claims *claims, size_t index);

/**
 * Whether the token grants `scope` (one scope, compared exactly). False
 * when either argument is NULL or `scope` is not UTF-8. `scope` stays the
 * caller's.
 */
bool m2m_claims_has_scope(const struct m2m_claims *claims, const char *scope);

/**
 * `exp`: when the token expires, in milliseconds since the Unix epoch; 0
 * for NULL.
 */
int64_t m2m_claims_expires_at(const struct m2m_claims *claims);

/**
 * `iat`: when the token was issued, in milliseconds since the Unix epoch;
 * 0 when the token has none (or for NULL).
 */
int64_t m2m_claims_issued_at(const struct m2m_claims *claims);

/**
 * `nbf`: when the token becomes valid, in milliseconds since the Unix
 * epoch; 0 when the token has none (or for NULL).
 */
int64_t m2m_claims_not_before(const struct m2m_claims *claims);

/**
 * Every claim of the token as one JSON object (e.g.
 * `{"iss":"...","sub":"...",...}`), for claims without a getter (`gty`,
 * `org_id`, your own). Borrowed from `claims`; NULL when `claims` is NULL.
 */
const char *m2m_claims_json(const struct m2m_claims *claims);

/**
 * Frees claims and every string borrowed from them. NULL does nothing.
 */
void m2m_claims_free(struct m2m_claims *claims);

/**
 * Builds a client from `options` (which stay the caller's). Every option
 * is checked before any I/O: a bad or missing one fails with `M2M_CONFIG`.
 */
m2m_result m2m_client_new(const struct m2m_client_options *options,
                          struct m2m_client **client_out,
                          struct m2m_error **err_out);

/**
 * Builds a client from the `M2M_AUTH_*` environment variables alone (see
 * `m2m_client_options_from_env`).
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
 * Drops the cached token for `request` (NULL: the client's defaults),
 * whatever it is; the next call fetches a new one. After an API refused a
 * token, prefer `m2m_client_invalidate_rejected`.
 */
m2m_result m2m_client_invalidate(const struct m2m_client *client,
                                 const struct m2m_request *request,
                                 struct m2m_error **err_out);

/**
 * What to call when an API answered 401 to `access_token` (the token
 * string sent, from `m2m_token_access_token`): drops the cached token for
 * `request` (NULL: the client's defaults) only if it is still that one,
 * so that a token another thread already renewed is kept. The next
 * `m2m_client_get_token` returns a token other than `access_token`.
 */
m2m_result m2m_client_invalidate_rejected(const struct m2m_client *client,
                                          const struct m2m_request *request,
                                          const char *access_token,
                                          struct m2m_error **err_out);

/**
 * The client id. Borrowed from `client`; NULL when `client` is NULL.
 */
const char *m2m_client_client_id(const struct m2m_client *client);

/**
 * The client authentication method: `"client_secret_post"`,
 * `"client_secret_basic"`, `"client_secret_jwt"` or `"private_key_jwt"`. Borrowed from `client`; NULL when `client` is
 * NULL.
 */
const char *m2m_client_auth_method(const struct m2m_client *client);

/**
 * A DPoP proof (RFC 9449 §4) for the HTTP request `method url` (e.g.
 * `"GET"`, `"https://api.example.com/orders?id=1"`), signed with the
 * client's DPoP key: `htu` is `url` without query and fragment, with `ath`
 * (the hash of `access_token`) when `access_token` is not NULL, and with
 * the nonce `url`'s server sent last (see `m2m_client_dpop_response`).
 * The explicit builder for any use: to send a token,
 * `m2m_client_request_headers` makes both headers. Make a new proof for
 * every request, retries included. `M2M_CONFIG` when `dpop` is off, `url` is not
 * an absolute URL or `method` is not an HTTP method.
 *
 * Unlike every other string of this library, `*proof_out` belongs to the
 * caller: free it with `m2m_dpop_proof_free`, never `free()`.
 */
m2m_result m2m_client_dpop_proof(const struct m2m_client *client,
                                 const char *method,
                                 const char *url,
                                 const char *access_token,
                                 char **proof_out,
                                 struct m2m_error **err_out);

/**
 * Frees a proof from `m2m_client_dpop_proof`. NULL does nothing.
 */
void m2m_dpop_proof_free(char *proof);

/**
 * Reads an API's answer to a request for `url` sent with `token`: its HTTP
 * `status` and its `WWW-Authenticate` and `DPoP-Nonce` headers (NULL when
 * absent). For a DPoP token: remembers the nonce, so that the next proof
 * for that server carries it, and sets `*retry_out` to true exactly when
 * the answer is a `use_dpop_nonce` challenge (401, `WWW-Authenticate: DPoP
 * error="use_dpop_nonce"`, a non-empty `DPoP-Nonce`): then send the
 * request once more, with new headers (`m2m_client_request_headers`) and
 * the same token (not a renewal; a 401 after that is the usual renewal
 * case). Call it after every answer. `*retry_out` is false for a Bearer
 * token (nothing is remembered then) and with `dpop` off. Fails only on a
 * NULL or non-UTF-8 argument.
 */
m2m_result m2m_client_dpop_response(const struct m2m_client *client,
                                    const char *url,
                                    const struct m2m_token *token,
                                    uint16_t status,
                                    const char *www_authenticate,
                                    const char *dpop_nonce,
                                    bool *retry_out);

/**
 * The RFC 7638 thumbprint of the client's DPoP key (base64url SHA-256: the
 * `cnf.jkt` of its tokens): the current key's, which changes when a
 * `dpop_key_file` holding another key is picked up. Borrowed from
 * `client` until `m2m_client_free` (an earlier key's string stays valid
 * too); NULL with `dpop` off or when `client` is NULL.
 */
const char *m2m_client_dpop_thumbprint(const struct m2m_client *client);

/**
 * DPoP on or off (default off): tokens are bound to a key the client
 * holds, and every token request and `m2m_client_call_api` carries a proof.
 * Without a key option, a P-256 key is generated for the client.
 */
m2m_result m2m_client_options_set_dpop(struct m2m_client_options *options, bool value);

/**
 * The DPoP key: PEM (PKCS#8, PKCS#1 RSA, SEC1 EC) or a private JWK.
 * Copied into memory that is zeroed when the options and the client are
 * freed; never in an error or log record.
 */
m2m_result m2m_client_options_set_dpop_key(struct m2m_client_options *options, const char *value);

/**
 * A file holding the DPoP key, read by `m2m_client_new`.
 */
m2m_result m2m_client_options_set_dpop_key_file(struct m2m_client_options *options,
                                                const char *value);

/**
 * With DPoP on, accept a server answering `token_type` `Bearer` (default
 * off: such an answer is an `invalid_response` error).
 */
m2m_result m2m_client_options_set_dpop_accept_bearer(struct m2m_client_options *options,
                                                     bool value);

/**
 * The error's code (field `code`); `M2M_OK` when `err` is NULL (no error).
 * Its name is `m2m_result_name(m2m_error_code(err))`.
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
const char *m2m_error_error(const struct m2m_error *err);

/**
 * For `M2M_OAUTH`: the server's `error_description`, or NULL when it sent
 * none. Borrowed from `err`.
 */
const char *m2m_error_error_description(const struct m2m_error *err);

/**
 * For `M2M_OAUTH`: the server's `error_uri`, or NULL when it sent none.
 * Borrowed from `err`.
 */
const char *m2m_error_error_uri(const struct m2m_error *err);

/**
 * For `M2M_OAUTH` and `M2M_HTTP`: the HTTP status; 0 otherwise.
 */
uint16_t m2m_error_status(const struct m2m_error *err);

/**
 * For `M2M_HTTP`: the first bytes (at most 512) of the response body,
 * lossily decoded; NULL for other errors. Borrowed from `err`.
 */
const char *m2m_error_body(const struct m2m_error *err);

/**
 * For `M2M_TRANSPORT`: `"connect"`, `"timeout"`, `"reset"`, `"tls"` or
 * `"io"`; NULL for other errors. Borrowed from `err`.
 */
const char *m2m_error_kind(const struct m2m_error *err);

/**
 * For `M2M_INVALID_RESPONSE`: what is wrong with the response, for
 * people. For `M2M_INVALID_TOKEN`: the stable reason code (`"missing"`,
 * `"malformed"`, `"too_large"`, `"disallowed_algorithm"`, `"unknown_key"`,
 * `"weak_key"`, `"bad_signature"`, `"bad_typ"`, `"crit"`,
 * `"wrong_issuer"`, `"wrong_audience"`, `"expired"`, `"not_yet_valid"`,
 * `"missing_claim"`, `"bad_claim_type"`; DPoP: `"dpop_proof"`,
 * `"dpop_replay"`, `"dpop_nonce"`, `"dpop_bound"`). NULL for other
 * errors. Borrowed from `err`.
 */
const char *m2m_error_reason(const struct m2m_error *err);

/**
 * For `M2M_INSUFFICIENT_SCOPE`: every scope the request requires,
 * space-separated, in the order asked; NULL for other errors. Borrowed
 * from `err`.
 */
const char *m2m_error_required_scope(const struct m2m_error *err);

/**
 * For `M2M_THROTTLED`: milliseconds until a request may be sent again;
 * 0 otherwise.
 */
uint64_t m2m_error_retry_after(const struct m2m_error *err);

/**
 * Frees an error and every string borrowed from it. NULL does nothing.
 */
void m2m_error_free(struct m2m_error *err);

/**
 * The headers that send `token` with the HTTP request `method url` (e.g.
 * `"GET"`, `"https://api.example.com/orders?id=1"`): `Authorization`
 * (`"Bearer <token>"` or `"DPoP <token>"`) and, for a DPoP token only,
 * `DPoP` (a new proof of this request, with `ath` and the nonce `url`'s
 * server sent last). Make new ones for every request, retries included,
 * then hand the answer to `m2m_client_dpop_response`. `M2M_CONFIG` for a
 * URL that must not carry a token (https, or http to a loopback host; no
 * user info, no fragment), and for a DPoP token when `dpop` is off or
 * `method` is not an HTTP method. Free `*headers_out` with
 * `m2m_request_headers_free`.
 */
m2m_result m2m_client_request_headers(const struct m2m_client *client,
                                      const char *method,
                                      const char *url,
                                      const struct m2m_token *token,
                                      struct m2m_request_headers **headers_out,
                                      struct m2m_error **err_out);

/**
 * The `Authorization` value (`"Bearer <token>"` or `"DPoP <token>"`).
 * Borrowed from `headers`; NULL when `headers` is NULL.
 */
const char *m2m_request_headers_authorization(const struct m2m_request_headers *headers);

/**
 * The `DPoP` value (a proof of the request) for a DPoP token; NULL for a
 * Bearer token (send no `DPoP` header then) or when `headers` is NULL.
 * Borrowed from `headers`.
 */
const char *m2m_request_headers_dpop(const struct m2m_request_headers *headers);

/**
 * Frees headers from `m2m_client_request_headers` (their strings are
 * zeroed). NULL does nothing.
 */
void m2m_request_headers_free(struct m2m_request_headers *headers);

/**
 * Sends the engine's log records at `level` or more severe (`M2M_LOG_WARN`
 * is a good default; `M2M_LOG_OFF` for none) to `cb`, with `user_data`;
 * NULL `cb` stops delivery (records waiting are discarded). Replaces any
 * earlier callback; process-wide.
 *
 * `cb` runs on the thread of the call that caused the record, before that
 * call returns, or, for background work (a refresh), on an engine thread
 * about 50 ms later; never inside an engine lock, so it may call this
 * library. It must not block long (it holds up the call, or the delivery of
 * later records) and must be thread-safe, as must `user_data`. Records
 * never hold a secret. Delivery goes through a `tracing` subscriber the
 * library installs on first use; if the application installed a global
 * `tracing` subscriber of its own first, none are delivered.
 * `M2M_INVALID_ARGUMENT` for an unknown level.
 */
m2m_result m2m_set_log_callback(m2m_log_callback cb, void *user_data, m2m_log_level level);

/**
 * The client certificate chain, PEM, leaf first. Presented in every TLS
 * handshake of the client (token requests and `m2m_client_call_api`).
 * With no secret, key or assertion, `tls_client_auth` becomes the default
 * `auth_method`.
 */
m2m_result m2m_client_options_set_client_certificate(struct m2m_client_options *options,
                                                     const char *value);

/**
 * A file holding the client certificate chain (PEM, leaf first), read by
 * `m2m_client_new`; with a key file too, both are read again when they
 * change (checked on each token request).
 */
m2m_result m2m_client_options_set_client_certificate_file(struct m2m_client_options *options,
                                                          const char *value);

/**
 * The client certificate's private key: PEM PKCS#8, PKCS#1 RSA or SEC1
 * EC. Copied into memory that is zeroed when the options and the client
 * are freed; never in an error or log record.
 */
m2m_result m2m_client_options_set_client_key(struct m2m_client_options *options, const char *value);

/**
 * A file holding the client certificate's private key, read by
 * `m2m_client_new`; with a certificate file too, both are read again when
 * they change.
 */
m2m_result m2m_client_options_set_client_key_file(struct m2m_client_options *options,
                                                  const char *value);

/**
 * The token endpoint URL, e.g. `"https://tenant.auth0.com/oauth/token"`.
 * Exactly one of token_url, domain and issuer must be set.
 */
m2m_result m2m_client_options_set_token_url(struct m2m_client_options *options, const char *value);

/**
 * An Auth0-style domain: the token endpoint is
 * `https://{domain}/oauth/token`.
 */
m2m_result m2m_client_options_set_domain(struct m2m_client_options *options, const char *value);

/**
 * An issuer: the token endpoint is discovered from its metadata (OpenID
 * Connect Discovery, then RFC 8414), once, on first use.
 */
m2m_result m2m_client_options_set_issuer(struct m2m_client_options *options, const char *value);

/**
 * The client id (required).
 */
m2m_result m2m_client_options_set_client_id(struct m2m_client_options *options, const char *value);

/**
 * The client secret (required, except for `private_key_jwt`). Copied into memory that is zeroed when
 * the options and the client are freed; it never appears in any error
 * message or log record.
 */
m2m_result m2m_client_options_set_client_secret(struct m2m_client_options *options,
                                                const char *value);

/**
 * How the client authenticates: `"client_secret_post"` (the default),
 * `"client_secret_basic"`, `"client_secret_jwt"` or `"private_key_jwt"`
 * (the default when a key or assertion is set; its options are in
 * `assertion_setters.rs`). Another name fails at `m2m_client_new`.
 */
m2m_result m2m_client_options_set_auth_method(struct m2m_client_options *options,
                                              const char *value);

/**
 * The default audience (the identifier of the API the token is for).
 */
m2m_result m2m_client_options_set_audience(struct m2m_client_options *options, const char *value);

/**
 * Adds default scopes: one per call, or several space-separated
 * (e.g. `"read:data write:data"`).
 */
m2m_result m2m_client_options_add_scope(struct m2m_client_options *options, const char *value);

/**
 * The default Auth0 organization (id or name).
 */
m2m_result m2m_client_options_set_organization(struct m2m_client_options *options,
                                               const char *value);

/**
 * Adds a default RFC 8707 resource indicator (an absolute URI).
 */
m2m_result m2m_client_options_add_resource(struct m2m_client_options *options, const char *value);

/**
 * Adds a default extra form parameter sent with every token request.
 */
m2m_result m2m_client_options_add_extra(struct m2m_client_options *options,
                                        const char *name,
                                        const char *value);

/**
 * Deadline of one token request, retries included [30000 ms]; 0 fails at
 * `m2m_client_new`.
 */
m2m_result m2m_client_options_set_timeout(struct m2m_client_options *options,
                                          uint64_t milliseconds);

/**
 * Deadline of one connection attempt [10000 ms]; 0 fails at
 * `m2m_client_new`.
 */
m2m_result m2m_client_options_set_connect_timeout(struct m2m_client_options *options,
                                                  uint64_t milliseconds);

/**
 * Largest token response body read, in bytes [1048576; at least 1024].
 */
m2m_result m2m_client_options_set_max_response_bytes(struct m2m_client_options *options,
                                                     uint64_t value);

/**
 * Trusts the PEM certificates in `value` (one or more) in addition to
 * the OS trust store. Each call adds to the earlier ones.
 */
m2m_result m2m_client_options_set_ca_certs(struct m2m_client_options *options, const char *value);

/**
 * Sends https requests to non-loopback hosts through this proxy URL
 * instead of the one the environment names (`HTTPS_PROXY`, `ALL_PROXY`,
 * `NO_PROXY`); `http://` and loopback targets never use a proxy.
 */
m2m_result m2m_client_options_set_proxy(struct m2m_client_options *options, const char *value);

/**
 * `true`: uses no proxy, whatever the environment says [false].
 */
m2m_result m2m_client_options_set_no_proxy(struct m2m_client_options *options, bool value);

/**
 * A token is usable until its expiry minus this leeway [60000 ms; never
 * more than half the token's lifetime].
 */
m2m_result m2m_client_options_set_leeway(struct m2m_client_options *options, uint64_t milliseconds);

/**
 * The fraction of a token's lifetime after which it is refreshed in the
 * background [0.75]; must be in (0, 1].
 */
m2m_result m2m_client_options_set_refresh_ratio(struct m2m_client_options *options, double value);

/**
 * Spreads a fleet's refreshes: up to this fraction of a token's lifetime,
 * at random per token, is taken off its refresh point [0]; must be in
 * [0, 1].
 */
m2m_result m2m_client_options_set_refresh_jitter(struct m2m_client_options *options, double value);

/**
 * Lifetime assumed when a token response has no `expires_in`
 * [600000 ms].
 */
m2m_result m2m_client_options_set_default_expires_in(struct m2m_client_options *options,
                                                     uint64_t milliseconds);

/**
 * Attempts per token request, the first included [3]; 0 fails at
 * `m2m_client_new`.
 */
m2m_result m2m_client_options_set_max_attempts(struct m2m_client_options *options, uint64_t value);

/**
 * Backoff before the second attempt, doubled for each later one
 * [1000 ms].
 */
m2m_result m2m_client_options_set_retry_base_delay(struct m2m_client_options *options,
                                                   uint64_t milliseconds);

/**
 * Longest backoff between two attempts [30000 ms].
 */
m2m_result m2m_client_options_set_retry_max_delay(struct m2m_client_options *options,
                                                  uint64_t milliseconds);

/**
 * Random spread of each backoff, as a fraction of it [0.1].
 */
m2m_result m2m_client_options_set_retry_jitter(struct m2m_client_options *options, double value);

/**
 * How long a key is throttled after a 429/5xx without `Retry-After`
 * once the attempts are spent [5000 ms].
 */
m2m_result m2m_client_options_set_default_throttle(struct m2m_client_options *options,
                                                   uint64_t milliseconds);

/**
 * Cap on any `Retry-After` the server asks for [3600000 ms].
 */
m2m_result m2m_client_options_set_max_retry_after(struct m2m_client_options *options,
                                                  uint64_t milliseconds);

/**
 * The token cache: `"memory"` (the default, process-wide), or a shared
 * store spelled as in every language (`"file:/dir"`,
 * `"redis://host:port/db"`, `"redis+cluster://h1:p1,h2:p2"`,
 * `"redis+sentinel://h1:p1,h2:p2/master-name"`, `"rediss..."`). One this
 * engine does not
 * support fails at `m2m_client_new` with `M2M_CONFIG`.
 */
m2m_result m2m_client_options_set_cache(struct m2m_client_options *options, const char *value);

/**
 * With a shared cache: `true` fails with `M2M_CACHE` when the store is
 * unreachable instead of going on with the in-process cache [false].
 */
m2m_result m2m_client_options_set_cache_strict(struct m2m_client_options *options, bool value);

/**
 * With a shared cache: how long a key's fetch lease outlives a holder
 * that died (a live holder renews it while its request runs) [10000 ms].
 */
m2m_result m2m_client_options_set_lease_ttl(struct m2m_client_options *options,
                                            uint64_t milliseconds);

/**
 * With a shared cache: deadline of one store operation [500 ms].
 */
m2m_result m2m_client_options_set_store_timeout(struct m2m_client_options *options,
                                                uint64_t milliseconds);

/**
 * Bound of the in-memory cache, in keys [10000]; a client with another
 * bound gets a cache of its own.
 */
m2m_result m2m_client_options_set_max_cache_keys(struct m2m_client_options *options,
                                                 uint64_t value);

/**
 * Creates empty options.
 */
m2m_result m2m_client_options_new(struct m2m_client_options **options_out);

/**
 * Frees options (zeroing the secret). NULL does nothing.
 */
void m2m_client_options_free(struct m2m_client_options *options);

/**
 * Sets the option called `name` (e.g. `"timeout"`) from text written as
 * in its environment variable `M2M_AUTH_<NAME>`: for apps that read their
 * options from a configuration file. The text is parsed by the option's
 * type: durations in SECONDS (a decimal number, as in the environment;
 * the typed setters take milliseconds), flags `true`/`false`/`1`/`0`,
 * lists separated by spaces or commas (replacing earlier entries), maps as
 * `name=value` pairs separated by `&` or commas. `M2M_CONFIG` for an
 * unknown name or text that does not parse (the options are unchanged).
 */
m2m_result m2m_client_options_set(struct m2m_client_options *options,
                                  const char *name,
                                  const char *text);

/**
 * Sets every option that an environment variable gives
 * (`M2M_AUTH_<NAME>`, the option's name in upper case, e.g.
 * `M2M_AUTH_TOKEN_URL`, `M2M_AUTH_CLIENT_SECRET`, `M2M_AUTH_TIMEOUT` in
 * seconds), over what was set before; empty variables are ignored. A
 * variable that does not parse makes `m2m_client_new` fail with
 * `M2M_CONFIG`, naming the option.
 */
m2m_result m2m_client_options_from_env(struct m2m_client_options *options);

/**
 * How many quota buckets `client`'s token endpoint last reported (those
 * not yet reset; Auth0's `Auth0-Client-Quota-Limit` and
 * `Auth0-Organization-Quota-Limit` headers); 0 for none, or NULL.
 */
size_t m2m_client_quota_count(const struct m2m_client *client);

/**
 * Fills `*bucket_out` with quota bucket `index` (from 0, below
 * `m2m_client_quota_count`). M2M_NOT_FOUND when there is no such bucket
 * (a response since the count may have changed them).
 */
m2m_result m2m_client_quota_bucket(const struct m2m_client *client,
                                   size_t index,
                                   struct m2m_quota_bucket *bucket_out);

/**
 * Creates a request with no overrides.
 */
m2m_result m2m_request_new(struct m2m_request **request_out);

/**
 * Frees a request. NULL does nothing.
 */
void m2m_request_free(struct m2m_request *request);

/**
 * Sets the parameter called `name` (e.g. `"scope"`) from text: lists
 * separated by spaces or commas, maps as `name=value` pairs separated by
 * `&` or commas (each replacing earlier entries); `""` overrides the
 * client's default with none. `M2M_CONFIG` for an unknown name or text
 * that does not parse (the request is unchanged).
 */
m2m_result m2m_request_set(struct m2m_request *request, const char *name, const char *text);

/**
 * The audience for this call (`""`: none).
 */
m2m_result m2m_request_set_audience(struct m2m_request *request, const char *value);

/**
 * Adds scopes for this call: one per call, or several space-separated;
 * the call's list replaces the client's default list.
 */
m2m_result m2m_request_add_scope(struct m2m_request *request, const char *value);

/**
 * The organization for this call (`""`: none).
 */
m2m_result m2m_request_set_organization(struct m2m_request *request, const char *value);

/**
 * Adds an RFC 8707 resource indicator for this call; the call's list
 * replaces the client's default list.
 */
m2m_result m2m_request_add_resource(struct m2m_request *request, const char *value);

/**
 * Adds an extra form parameter for this call; the call's parameters
 * replace the client's default ones.
 */
m2m_result m2m_request_add_extra(struct m2m_request *request, const char *name, const char *value);

/**
 * The stable lower-case name of a result code: `"ok"`, the docs/design.md §6 code
 * (`"config"`, `"oauth"`, `"http"`, `"transport"`, `"invalid_response"`,
 * `"throttled"`, `"cache"`, `"invalid_token"`, `"insufficient_scope"`), or
 * the C library's own
 * (`"null_argument"`, `"invalid_utf8"`, `"invalid_argument"`, `"panic"`,
 * `"not_found"`, `"interior_nul"`, `"other_error"`); `"unknown"` for a
 * value that is no `m2m_result`. Static; never freed.
 */
const char *m2m_result_name(uint32_t result);

/**
 * Takes a snapshot of `client`'s counters.
 */
m2m_result m2m_client_stats(const struct m2m_client *client, struct m2m_stats **stats_out);

/**
 * Calls answered from the cache (fresh, or usable while refreshing).
 */
uint64_t m2m_stats_hits(const struct m2m_stats *stats);

/**
 * Calls that waited for a token request (their own or a shared one).
 */
uint64_t m2m_stats_misses(const struct m2m_stats *stats);

/**
 * Token requests this client made (each may take several attempts).
 */
uint64_t m2m_stats_fetches(const struct m2m_stats *stats);

/**
 * Of those, background refreshes of a still-usable token.
 */
uint64_t m2m_stats_refreshes(const struct m2m_stats *stats);

/**
 * Token requests that ended in an error.
 */
uint64_t m2m_stats_failures(const struct m2m_stats *stats);

/**
 * Tokens taken from the shared cache (another process fetched them).
 */
uint64_t m2m_stats_shared_hits(const struct m2m_stats *stats);

/**
 * Shared cache operations that failed (the call went on without it).
 */
uint64_t m2m_stats_store_errors(const struct m2m_stats *stats);

/**
 * Calls refused as throttled without a request (`Retry-After`, rate limit
 * or exhausted quota).
 */
uint64_t m2m_stats_throttles(const struct m2m_stats *stats);

/**
 * The lowest remaining token quota over the current buckets; `UINT64_MAX`
 * when the server reports none (or for NULL).
 */
uint64_t m2m_stats_quota_remaining(const struct m2m_stats *stats);

/**
 * Frees a stats snapshot. NULL does nothing.
 */
void m2m_stats_free(struct m2m_stats *stats);

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
 * The token type: `"Bearer"`, or `"DPoP"` for a token bound to the
 * client's DPoP key (normalized from any case). Borrowed from `token`.
 */
m2m_result m2m_token_token_type(const struct m2m_token *token, const char **token_type_out);

/**
 * The value for an HTTP `Authorization` header: `"Bearer <token>"`, or
 * `"DPoP <token>"` for a DPoP token (send it with a proof from
 * `m2m_client_dpop_proof`). Borrowed from `token`.
 */
m2m_result m2m_token_authorization_header(const struct m2m_token *token, const char **header_out);

/**
 * Milliseconds until the token expires (0 once expired).
 */
m2m_result m2m_token_expires_in(const struct m2m_token *token, uint64_t *milliseconds_out);

/**
 * When the token expires, in milliseconds since the Unix epoch.
 */
m2m_result m2m_token_expires_at(const struct m2m_token *token, int64_t *unix_ms_out);

/**
 * When the engine starts refreshing the token in the background (its
 * refresh point: `refresh_ratio` of its lifetime), in milliseconds since
 * the Unix epoch. Until then `m2m_client_get_token` returns it without any
 * request; after, it is still returned while one request renews it.
 */
m2m_result m2m_token_refresh_at(const struct m2m_token *token, int64_t *unix_ms_out);

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
m2m_result m2m_token_extra(const struct m2m_token *token, const char **json_out);

/**
 * Builds a verifier from `options` (which stay the caller's). Every option
 * is checked before any I/O: a bad or missing one (no issuer, no audience,
 * `none` or HS* among the algorithms, a JWKS that does not parse, more
 * than one key source, a jwks_uri breaking the https rule) fails with
 * `M2M_CONFIG`. Nothing is fetched yet. Free the verifier with
 * `m2m_verifier_free`.
 */
m2m_result m2m_verifier_new(const struct m2m_verifier_options *options,
                            struct m2m_verifier **verifier_out,
                            struct m2m_error **err_out);

/**
 * Frees a verifier. NULL does nothing.
 */
void m2m_verifier_free(struct m2m_verifier *verifier);

/**
 * Verifies `token`, a bare access token (the compact JWS, without
 * `Bearer `), by every rule of the contract: size first, then the
 * algorithm allowlist, `crit`, `typ`, the key from the JWKS (fetched,
 * or discovered from the issuer, on first use; refetched on an unknown
 * `kid` at most once per `jwks_refetch_interval`), the signature, then the
 * claims (`iss`, `aud`, `exp`, `nbf`, `iat`). On success writes new claims
 * to `*claims_out` (free them with `m2m_claims_free`). A token that fails
 * returns `M2M_INVALID_TOKEN` with the reason code in
 * `m2m_error_reason(err)`; a JWKS that cannot be fetched returns its
 * transport, http or invalid_response error. A token that is not UTF-8 is
 * `M2M_INVALID_TOKEN` (`malformed`). Without I/O (keys held, or a token
 * verified before and still in the cache) the call neither blocks nor
 * waits. `token` stays the caller's; it never appears in an error.
 */
m2m_result m2m_verifier_verify(const struct m2m_verifier *verifier,
                               const char *token,
                               struct m2m_claims **claims_out,
                               struct m2m_error **err_out);

/**
 * Verifies a request's `Authorization` header as it arrived
 * (`"Bearer <token>"`, the scheme in any case), then requires every scope
 * of `scopes` (space-separated; NULL or `""` for none). `authorization` is
 * NULL when the request had no such header. No header, another scheme or
 * an empty token return `M2M_INVALID_TOKEN` with reason `missing`; an
 * invalid token as `m2m_verifier_verify`; a valid token lacking a scope
 * `M2M_INSUFFICIENT_SCOPE` with every required scope in
 * `m2m_error_required_scope(err)`. Pass the error to `m2m_challenge` for
 * the HTTP status and `WWW-Authenticate` header to answer. On success
 * writes new claims to `*claims_out` (free them with `m2m_claims_free`).
 * The strings stay the caller's.
 */
m2m_result m2m_verifier_verify_request(const struct m2m_verifier *verifier,
                                       const char *authorization,
                                       const char *scopes,
                                       struct m2m_claims **claims_out,
                                       struct m2m_error **err_out);

/**
 * Takes a snapshot of `verifier`'s counters (free it with
 * `m2m_verifier_counters_free`).
 */
m2m_result m2m_verifier_stats(const struct m2m_verifier *verifier,
                              struct m2m_verifier_counters **counters_out);

/**
 * Tokens that verified (cache hits included).
 */
uint64_t m2m_verifier_counters_verified(const struct m2m_verifier_counters *counters);

/**
 * Of those, answered from the verified-token cache.
 */
uint64_t m2m_verifier_counters_cache_hits(const struct m2m_verifier_counters *counters);

/**
 * JWKS requests made.
 */
uint64_t m2m_verifier_counters_jwks_fetches(const struct m2m_verifier_counters *counters);

/**
 * Verifications that failed.
 */
uint64_t m2m_verifier_counters_failures(const struct m2m_verifier_counters *counters);

/**
 * Frees a counters snapshot. NULL does nothing.
 */
void m2m_verifier_counters_free(struct m2m_verifier_counters *counters);

/**
 * Which schemes the API takes [`"allowed"`]: `"allowed"` (Bearer tokens,
 * and DPoP-bound tokens with a proof, through
 * `m2m_verifier_verify_http_request`), `"required"` (DPoP-bound tokens
 * only) or `"off"` (Bearer only; `Authorization: DPoP` is no token).
 */
m2m_result m2m_verifier_options_set_dpop(struct m2m_verifier_options *options, const char *value);

/**
 * Adds an algorithm a DPoP proof may be signed with [ES256 ES384 EdDSA
 * RS256 PS256; the first call replaces that default]; `none` and HS* make
 * `m2m_verifier_new` fail with `M2M_CONFIG`.
 */
m2m_result m2m_verifier_options_add_dpop_algorithms(struct m2m_verifier_options *options,
                                                    const char *value);

/**
 * How old a proof's `iat` may be (plus the leeway), in milliseconds
 * [60000].
 */
m2m_result m2m_verifier_options_set_dpop_max_age(struct m2m_verifier_options *options,
                                                 uint64_t milliseconds);

/**
 * The number of recent proofs remembered to refuse a replay [100000]; the
 * oldest leave first. Per verifier: processes of one API share nothing.
 */
m2m_result m2m_verifier_options_set_dpop_replay_cache_size(struct m2m_verifier_options *options,
                                                           uint64_t value);

/**
 * Nonce mode [false]: a proof must carry a nonce this API gave
 * (`m2m_verifier_dpop_nonce`, and the `DPoP-Nonce` of
 * `m2m_verifier_challenge`); without one the answer is 401
 * `use_dpop_nonce`.
 */
m2m_result m2m_verifier_options_set_dpop_nonce(struct m2m_verifier_options *options, bool value);

/**
 * The secret nonces are made with (at least 32 bytes) [random per
 * verifier]: give every process of one API the same. Copied; never in an
 * error or log record.
 */
m2m_result m2m_verifier_options_set_dpop_nonce_secret(struct m2m_verifier_options *options,
                                                      const char *value);

/**
 * Verifies an HTTP request as the API received it: `method` (e.g.
 * `"GET"`), `url` (the absolute URL the client addressed, e.g.
 * `"https://api.example.com/orders?id=1"`: behind a proxy, the public one),
 * its `Authorization` header and its `DPoP` header (NULL when absent;
 * several `DPoP` headers joined with `", "`, which is refused), then
 * requires every scope of `scopes` (space-separated; NULL or `""` for
 * none). `Authorization: Bearer <token>` verifies as
 * `m2m_verifier_verify_request` does; `Authorization: DPoP <token>` (unless
 * the `dpop` option is `"off"`) needs a token bound to a key (`cnf.jkt`)
 * and one proof of this request signed by that key, recent, never used
 * before and, in nonce mode, carrying this API's nonce. A refusal is
 * `M2M_INVALID_TOKEN` with the reason in `m2m_error_reason(err)`
 * (`dpop_proof`, `dpop_replay`, `dpop_nonce`, `dpop_bound` among them) or
 * `M2M_INSUFFICIENT_SCOPE`: pass the error to `m2m_verifier_challenge` for
 * the answer. On success writes new claims to `*claims_out` (free them
 * with `m2m_claims_free`). The request's strings may hold any bytes (not
 * UTF-8: judged as malformed, a 401); `scopes` must be UTF-8. The strings
 * stay the caller's; no token or proof appears in an error.
 */
m2m_result m2m_verifier_verify_http_request(const struct m2m_verifier *verifier,
                                            const char *method,
                                            const char *url,
                                            const char *authorization,
                                            const char *dpop,
                                            const char *scopes,
                                            struct m2m_claims **claims_out,
                                            struct m2m_error **err_out);

/**
 * The answer to a request whose verification by `verifier` failed with
 * `err`, as `m2m_challenge` gives it plus what DPoP adds: `authorization`
 * is the request's `Authorization` header (NULL when absent), which
 * decides the scheme. A refused proof (`dpop_proof`, `dpop_replay`): 401
 * `DPoP error="invalid_dpop_proof"`; no nonce or a stale one
 * (`dpop_nonce`): 401 `DPoP error="use_dpop_nonce"`; any other refusal of
 * a `DPoP` request (or by a verifier with `dpop` `"required"`): the
 * errors of `m2m_challenge` under the `DPoP` scheme; every `DPoP`
 * challenge ends with `algs="..."`. No token: 401 offering every scheme
 * taken (`Bearer, DPoP algs="..."` with `dpop` `"allowed"`). Another
 * engine error: 503, no header; an error of the C library itself (100 and
 * up): 500, no header.
 *
 * `*dpop_nonce_out` is the `DPoP-Nonce` header to send with the answer:
 * set in nonce mode on a 401, NULL otherwise. The header values are
 * borrowed from `err` and live until `m2m_error_free`; `realm` (NULL for
 * none; first in the header when given) and `authorization` stay the
 * caller's. No header holds the token.
 */
m2m_result m2m_verifier_challenge(const struct m2m_verifier *verifier,
                                  const struct m2m_error *err,
                                  const char *authorization,
                                  const char *realm,
                                  uint16_t *status_out,
                                  const char **www_authenticate_out,
                                  const char **dpop_nonce_out);

/**
 * The DPoP nonce to send now as `DPoP-Nonce` (in nonce mode, on any
 * answer: successes too, so that clients keep a fresh one), or NULL
 * without nonce mode. Nonces change every 300 s.
 *
 * Like a proof, `*nonce_out` belongs to the caller: free it with
 * `m2m_dpop_nonce_free`, never `free()`. Fails only on a NULL argument.
 */
m2m_result m2m_verifier_dpop_nonce(const struct m2m_verifier *verifier, char **nonce_out);

/**
 * Frees a nonce from `m2m_verifier_dpop_nonce`. NULL does nothing.
 */
void m2m_dpop_nonce_free(char *nonce);

/**
 * The issuer (required): a token's `iss` must equal it exactly (no
 * trailing-slash or prefix match). When neither jwks_uri nor jwks is set,
 * its metadata (OpenID Connect Discovery, then RFC 8414) names the
 * jwks_uri, fetched once, on first use.
 */
m2m_result m2m_verifier_options_set_issuer(struct m2m_verifier_options *options, const char *value);

/**
 * The JWKS URL (https, or http to a loopback host), e.g.
 * `"https://tenant.auth0.com/.well-known/jwks.json"`.
 */
m2m_result m2m_verifier_options_set_jwks_uri(struct m2m_verifier_options *options,
                                             const char *value);

/**
 * A static JWKS (its JSON text, `{"keys": [...]}`) instead of fetching
 * one: nothing is fetched.
 */
m2m_result m2m_verifier_options_set_jwks(struct m2m_verifier_options *options, const char *value);

/**
 * Adds an accepted audience (at least one is required): a token's `aud`
 * must name one of them. A value may hold several, space-separated.
 */
m2m_result m2m_verifier_options_add_audience(struct m2m_verifier_options *options,
                                             const char *value);

/**
 * Adds an allowed algorithm [RS256 PS256 ES256 EdDSA; the first call
 * replaces that default]. Also RS384, RS512, PS384, PS512, ES384; `none`
 * and HS* make `m2m_verifier_new` fail with `M2M_CONFIG`.
 */
m2m_result m2m_verifier_options_add_algorithms(struct m2m_verifier_options *options,
                                               const char *value);

/**
 * Clock leeway for `exp`, `nbf` and `iat`, in milliseconds [30000].
 */
m2m_result m2m_verifier_options_set_leeway(struct m2m_verifier_options *options,
                                           uint64_t milliseconds);

/**
 * Whether `typ` must be `at+jwt` (RFC 9068) [true]; false also accepts
 * `JWT` or no `typ` (for servers such as Auth0 that send `JWT`).
 */
m2m_result m2m_verifier_options_set_strict_typ(struct m2m_verifier_options *options, bool value);

/**
 * The longest token accepted, in bytes, checked before any parsing
 * [16384].
 */
m2m_result m2m_verifier_options_set_max_token_bytes(struct m2m_verifier_options *options,
                                                    uint64_t value);

/**
 * How long fetched keys are used, in milliseconds [300000]; a shorter
 * `Cache-Control: max-age` from the JWKS server wins.
 */
m2m_result m2m_verifier_options_set_jwks_cache_ttl(struct m2m_verifier_options *options,
                                                   uint64_t milliseconds);

/**
 * The least time between two JWKS refetches caused by an unknown `kid`,
 * in milliseconds [60000].
 */
m2m_result m2m_verifier_options_set_jwks_refetch_interval(struct m2m_verifier_options *options,
                                                          uint64_t milliseconds);

/**
 * The deadline of one JWKS or discovery fetch, in milliseconds [10000].
 */
m2m_result m2m_verifier_options_set_timeout(struct m2m_verifier_options *options,
                                            uint64_t milliseconds);

/**
 * PEM certificates trusted for JWKS and discovery fetches in addition to
 * the OS trust store. Each call adds.
 */
m2m_result m2m_verifier_options_set_ca_certs(struct m2m_verifier_options *options,
                                             const char *value);

/**
 * The number of verified tokens remembered [10000]; 0 disables the cache.
 * A cached token is still checked against the clock (`exp`, `nbf`) on
 * every call.
 */
m2m_result m2m_verifier_options_set_cache_size(struct m2m_verifier_options *options,
                                               uint64_t value);

/**
 * Creates options with every option at its default (no issuer, no
 * audience: both must be set). Free with `m2m_verifier_options_free`.
 */
m2m_result m2m_verifier_options_new(struct m2m_verifier_options **options_out);

/**
 * Frees options. NULL does nothing.
 */
void m2m_verifier_options_free(struct m2m_verifier_options *options);

/**
 * Sets the verifier option called `name` (e.g. `"leeway"`) from text: for
 * apps that read their options from a configuration file. The text is
 * parsed by the option's type: durations in SECONDS (a decimal number; the
 * typed setters take milliseconds), flags `true`/`false`/`1`/`0`, lists
 * separated by spaces or commas (replacing earlier entries); text options
 * (`jwks`, `ca_certs` included) are taken whole. `M2M_CONFIG` for an
 * unknown name or text that does not parse (the options are unchanged).
 * `options`, `name` and `text` stay the caller's.
 */
m2m_result m2m_verifier_options_set(struct m2m_verifier_options *options,
                                    const char *name,
                                    const char *text);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* M2M_AUTH_H */
