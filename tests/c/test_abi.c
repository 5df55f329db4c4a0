/* The C ABI's contract without a server: version macros, result codes,
 * _free(NULL), NULL arguments and invalid UTF-8 (errors, never crashes),
 * out-parameters untouched on failure, config errors before any I/O, and no
 * secret in any message. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testlib.h"

#ifndef EXPECTED_VERSION
#error "compile with -DEXPECTED_VERSION=\"x.y.z\" (the version in Cargo.toml)"
#endif

#define SECRET "s3cr3t+Value/&=%"
#define SECRET_FORM "s3cr3t%2BValue%2F%26%3D%25"
static const char BAD_UTF8[] = {'\xff', '\xfe', 'a', '\0'};
/* A sentinel an out-parameter must keep when a call fails. */
static char SENTINEL_OBJ;
#define SENTINEL ((void *)&SENTINEL_OBJ)

static void check_no_secret(const m2m_error *err) {
  const char *fields[] = {m2m_error_message(err), m2m_error_oauth_error(err),
                          m2m_error_oauth_error_description(err), m2m_error_oauth_error_uri(err),
                          m2m_error_http_body(err)};
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
    if (!fields[i]) continue;
    CHECK(!strstr(fields[i], SECRET));
    CHECK(!strstr(fields[i], SECRET_FORM));
    CHECK(!strstr(fields[i], "s3cr3t"));
  }
}

static void version_macros_match_cargo_toml(void) {
  CHECK_STR(M2M_AUTH_VERSION, EXPECTED_VERSION);
  CHECK_STR(m2m_version(), M2M_AUTH_VERSION);
  char v[32];
  snprintf(v, sizeof v, "%d.%d.%d", M2M_AUTH_VERSION_MAJOR, M2M_AUTH_VERSION_MINOR,
           M2M_AUTH_VERSION_PATCH);
  CHECK_STR(v, M2M_AUTH_VERSION);
  CHECK_EQ_INT(M2M_AUTH_VERSION_NUMBER,
               M2M_AUTH_VERSION_MAJOR * 10000 + M2M_AUTH_VERSION_MINOR * 100 + M2M_AUTH_VERSION_PATCH);
#if M2M_AUTH_VERSION_NUMBER < 100
#error "M2M_AUTH_VERSION_NUMBER must be usable in #if"
#endif
}

static void result_codes_are_fixed(void) {
  CHECK_EQ_INT(sizeof(m2m_result), 4);
  CHECK_EQ_INT(M2M_OK, 0);
  CHECK_EQ_INT(M2M_CONFIG, 1);
  CHECK_EQ_INT(M2M_OAUTH, 2);
  CHECK_EQ_INT(M2M_HTTP, 3);
  CHECK_EQ_INT(M2M_TRANSPORT, 4);
  CHECK_EQ_INT(M2M_INVALID_RESPONSE, 5);
  CHECK_EQ_INT(M2M_THROTTLED, 6);
  CHECK_EQ_INT(M2M_CACHE, 7);
  CHECK_EQ_INT(M2M_INVALID_TOKEN, 8);
  CHECK_EQ_INT(M2M_NULL_ARGUMENT, 100);
  CHECK_EQ_INT(M2M_INVALID_UTF8, 101);
  CHECK_EQ_INT(M2M_INVALID_ARGUMENT, 102);
  CHECK_EQ_INT(M2M_PANIC, 103);
  CHECK_EQ_INT(M2M_NOT_FOUND, 104);
  CHECK_EQ_INT(M2M_INTERIOR_NUL, 105);
  CHECK_EQ_INT(M2M_OTHER_ERROR, 199);
  CHECK_STR(m2m_result_name(M2M_OK), "ok");
  CHECK_STR(m2m_result_name(M2M_CONFIG), "config");
  CHECK_STR(m2m_result_name(M2M_OAUTH), "oauth");
  CHECK_STR(m2m_result_name(M2M_HTTP), "http");
  CHECK_STR(m2m_result_name(M2M_TRANSPORT), "transport");
  CHECK_STR(m2m_result_name(M2M_INVALID_RESPONSE), "invalid_response");
  CHECK_STR(m2m_result_name(M2M_THROTTLED), "throttled");
  CHECK_STR(m2m_result_name(M2M_CACHE), "cache");
  CHECK_STR(m2m_result_name(M2M_INVALID_TOKEN), "invalid_token");
  CHECK_STR(m2m_result_name(M2M_NULL_ARGUMENT), "null_argument");
  CHECK_STR(m2m_result_name(M2M_INVALID_UTF8), "invalid_utf8");
  CHECK_STR(m2m_result_name(M2M_PANIC), "panic");
  CHECK_STR(m2m_result_name(9999), "unknown");
}

static void free_null_does_nothing(void) {
  m2m_client_options_free(NULL);
  m2m_client_free(NULL);
  m2m_request_free(NULL);
  m2m_token_free(NULL);
  m2m_error_free(NULL);
  m2m_api_response_free(NULL);
}

static void error_getters_accept_null(void) {
  CHECK_EQ_INT(m2m_error_code(NULL), M2M_OK);
  CHECK_STR(m2m_error_message(NULL), "");
  CHECK(m2m_error_oauth_error(NULL) == NULL);
  CHECK(m2m_error_oauth_error_description(NULL) == NULL);
  CHECK(m2m_error_oauth_error_uri(NULL) == NULL);
  CHECK(m2m_error_http_body(NULL) == NULL);
  CHECK(m2m_error_transport_kind(NULL) == NULL);
  CHECK_EQ_INT(m2m_error_status(NULL), 0);
  CHECK_EQ_INT(m2m_error_retry_after_ms(NULL), 0);
}

/* Expects `call` to fail with `code`, leave `*out` alone, and (via err)
 * name `arg` without echoing any value. */
#define EXPECT_FAIL(code, call)                                                      \
  do {                                                                               \
    m2m_result r_ = (call);                                                          \
    if (r_ != (code))                                                                \
      t_fail(__FILE__, __LINE__, "%s returned %s, expected %s", #call,               \
             m2m_result_name(r_), m2m_result_name(code));                            \
  } while (0)

static void null_arguments_are_errors(void) {
  m2m_client_options *o = NULL;
  CHECK_EQ_INT(m2m_client_options_new(&o), M2M_OK);
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_new(NULL));
  /* every options setter, NULL handle and NULL value */
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_token_url(NULL, "http://127.0.0.1/"));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_token_url(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_domain(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_issuer(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_client_id(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_client_secret(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_auth_method(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_audience(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_scope(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_organization(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_add_resource(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_extra(o, NULL, "v"));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_extra(o, "n", NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_cache(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_proxy(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_add_root_certificate_pem(o, NULL, 3));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_connect_timeout_ms(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_timeout_ms(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_leeway_ms(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_refresh_ratio(NULL, 0.5));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_default_expires_in_s(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_max_response_bytes(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_retry_max_attempts(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_retry_base_delay_ms(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_retry_max_delay_ms(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_retry_default_throttle_ms(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_retry_max_retry_after_s(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_no_proxy(NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_max_cache_keys(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_load_env(NULL));

  /* client functions; out-parameters stay untouched */
  m2m_client *c = SENTINEL;
  m2m_error *err = NULL;
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_new(NULL, &c, &err));
  CHECK(c == SENTINEL);
  CHECK(err != NULL);
  CHECK_EQ_INT(m2m_error_code(err), M2M_NULL_ARGUMENT);
  CHECK(strstr(m2m_error_message(err), "options") != NULL);
  m2m_error_free(err);
  err = NULL;
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_new(o, NULL, &err));
  CHECK(strstr(m2m_error_message(err), "client_out") != NULL);
  m2m_error_free(err);
  err = NULL;
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_new(NULL, &c, NULL)); /* err_out is optional */
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_from_env(NULL, NULL));

  m2m_token *t = SENTINEL;
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_get_token(NULL, NULL, &t, &err));
  CHECK(t == SENTINEL);
  CHECK_EQ_INT(m2m_error_code(err), M2M_NULL_ARGUMENT);
  m2m_error_free(err);
  err = NULL;
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_fetch_token(NULL, NULL, &t, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_invalidate(NULL, NULL, NULL));
  m2m_stats st;
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_stats(NULL, &st));
  m2m_api_response *resp = SENTINEL;
  EXPECT_FAIL(M2M_NULL_ARGUMENT,
              m2m_client_call_api(NULL, NULL, "GET", "http://127.0.0.1/", NULL, 0, NULL, 0, &resp, NULL));
  CHECK(resp == SENTINEL);

  /* a real client (no I/O happens) for the remaining NULL checks */
  CHECK_EQ_INT(m2m_client_options_set_token_url(o, "http://127.0.0.1:9/oauth/token"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_id(o, "id"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_secret(o, SECRET), M2M_OK);
  c = NULL;
  CHECK_EQ_INT(m2m_client_new(o, &c, NULL), M2M_OK);
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_get_token(c, NULL, NULL, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_fetch_token(c, NULL, NULL, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_stats(c, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT,
              m2m_client_call_api(c, NULL, NULL, "http://127.0.0.1/", NULL, 0, NULL, 0, &resp, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT,
              m2m_client_call_api(c, NULL, "GET", NULL, NULL, 0, NULL, 0, &resp, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT,
              m2m_client_call_api(c, NULL, "GET", "http://127.0.0.1/", NULL, 0, NULL, 0, NULL, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT,
              m2m_client_call_api(c, NULL, "GET", "http://127.0.0.1/", NULL, 2, NULL, 0, &resp, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT,
              m2m_client_call_api(c, NULL, "GET", "http://127.0.0.1/", NULL, 0, NULL, 5, &resp, NULL));
  const char *null_header[] = {NULL};
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_call_api(c, NULL, "GET", "http://127.0.0.1/",
                                                     null_header, 1, NULL, 0, &resp, NULL));
  const char *bad_header[] = {"no colon here"};
  EXPECT_FAIL(M2M_INVALID_ARGUMENT, m2m_client_call_api(c, NULL, "GET", "http://127.0.0.1/",
                                                        bad_header, 1, NULL, 0, &resp, NULL));
  CHECK(resp == SENTINEL);
  m2m_client_free(c);

  /* requests */
  m2m_request *rq = NULL;
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_new(NULL));
  CHECK_EQ_INT(m2m_request_new(&rq), M2M_OK);
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_set_audience(NULL, "a"));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_set_audience(rq, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_set_scope(rq, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_set_organization(rq, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_add_resource(rq, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_clear_resources(NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_set_extra(rq, NULL, "v"));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_set_extra(rq, "n", NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_clear_extra(NULL));
  m2m_request_free(rq);

  /* token and response getters */
  const char *s = SENTINEL;
  uint64_t u = 42;
  int64_t i64 = 42;
  uint16_t u16 = 42;
  size_t len = 42;
  const uint8_t *bytes = SENTINEL;
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_token_access_token(NULL, &s));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_token_token_type(NULL, &s));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_token_authorization_header(NULL, &s));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_token_scope(NULL, &s));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_token_fingerprint(NULL, &s));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_token_extra_json(NULL, &s));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_token_expires_in(NULL, &u));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_token_expires_at(NULL, &i64));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_api_response_status(NULL, &u16));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_api_response_body(NULL, &bytes, &len));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_api_response_header(NULL, "a", &s));
  CHECK(s == SENTINEL && u == 42 && i64 == 42 && u16 == 42 && len == 42 && bytes == SENTINEL);
  m2m_client_options_free(o);
}

static void invalid_utf8_is_an_error(void) {
  m2m_client_options *o = NULL;
  CHECK_EQ_INT(m2m_client_options_new(&o), M2M_OK);
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_token_url(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_domain(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_issuer(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_client_id(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_client_secret(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_auth_method(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_audience(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_scope(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_organization(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_add_resource(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_extra(o, BAD_UTF8, "v"));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_extra(o, "n", BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_cache(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_proxy(o, BAD_UTF8));

  m2m_request *rq = NULL;
  CHECK_EQ_INT(m2m_request_new(&rq), M2M_OK);
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_request_set_audience(rq, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_request_set_scope(rq, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_request_set_organization(rq, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_request_add_resource(rq, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_request_set_extra(rq, BAD_UTF8, "v"));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_request_set_extra(rq, "n", BAD_UTF8));

  CHECK_EQ_INT(m2m_client_options_set_token_url(o, "http://127.0.0.1:9/oauth/token"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_id(o, "id"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_secret(o, SECRET), M2M_OK);
  m2m_client *c = NULL;
  CHECK_EQ_INT(m2m_client_new(o, &c, NULL), M2M_OK);
  m2m_api_response *resp = SENTINEL;
  m2m_error *err = NULL;
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_call_api(c, NULL, BAD_UTF8, "http://127.0.0.1/", NULL,
                                                    0, NULL, 0, &resp, &err));
  CHECK(strstr(m2m_error_message(err), "method") != NULL);
  CHECK(strstr(m2m_error_message(err), "\xff") == NULL); /* the value is never echoed */
  m2m_error_free(err);
  const char *bad_header[] = {BAD_UTF8};
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_call_api(c, NULL, "GET", "http://127.0.0.1/", bad_header,
                                                    1, NULL, 0, &resp, NULL));
  CHECK(resp == SENTINEL);
  m2m_client_free(c);
  m2m_request_free(rq);

  /* A secret that is not UTF-8: the error names the argument only. */
  err = NULL;
  const char bad_secret[] = {'s', '3', 'c', 'r', '3', 't', '\xc3', '\0'};
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_client_secret(o, bad_secret));
  m2m_client_options_free(o);
}

static m2m_client_options *base_options(void) {
  m2m_client_options *o = NULL;
  m2m_client_options_new(&o);
  m2m_client_options_set_token_url(o, "http://127.0.0.1:9/oauth/token");
  m2m_client_options_set_client_id(o, "id");
  m2m_client_options_set_client_secret(o, SECRET);
  return o;
}

/* Builds a client from `o`; expects M2M_CONFIG with `needle` in the message. */
static void expect_config(m2m_client_options *o, const char *needle, int line) {
  m2m_client *c = SENTINEL;
  m2m_error *err = NULL;
  m2m_result r = m2m_client_new(o, &c, &err);
  if (r != M2M_CONFIG) t_fail(__FILE__, line, "m2m_client_new returned %s", m2m_result_name(r));
  if (c != SENTINEL) t_fail(__FILE__, line, "client_out written on failure");
  if (!err || !strstr(m2m_error_message(err), needle))
    t_fail(__FILE__, line, "message \"%s\" lacks \"%s\"", m2m_error_message(err), needle);
  if (err && strncmp(m2m_error_message(err), "config", 6))
    t_fail(__FILE__, line, "message \"%s\" does not start with the code", m2m_error_message(err));
  check_no_secret(err);
  m2m_error_free(err);
  m2m_client_options_free(o);
}

static void bad_options_are_config_errors_before_io(void) {
  m2m_client_options *o = NULL;
  m2m_client_options_new(&o);
  expect_config(o, "exactly one of token_url", __LINE__);

  o = base_options();
  m2m_client_options_set_domain(o, "tenant.example.com");
  expect_config(o, "exactly one of", __LINE__);

  o = base_options();
  m2m_client_options_set_token_url(o, "http://auth.example.com/oauth/token");
  expect_config(o, "https", __LINE__);

  o = base_options();
  m2m_client_options_set_token_url(o, "https://user:password@example.com/oauth/token");
  expect_config(o, "credentials", __LINE__);

  o = base_options();
  m2m_client_options_set_client_id(o, "");
  expect_config(o, "client_id", __LINE__);

  o = NULL;
  m2m_client_options_new(&o);
  m2m_client_options_set_token_url(o, "http://127.0.0.1:9/oauth/token");
  m2m_client_options_set_client_id(o, "id");
  expect_config(o, "client_secret", __LINE__);

  o = base_options();
  m2m_client_options_set_auth_method(o, "client_secret_jwt");
  expect_config(o, "auth_method", __LINE__);

  o = base_options();
  m2m_client_options_set_refresh_ratio(o, 1.5);
  expect_config(o, "refresh_ratio", __LINE__);

  o = base_options();
  m2m_client_options_set_timeout_ms(o, 0);
  expect_config(o, "timeout", __LINE__);

  o = base_options();
  m2m_client_options_set_retry_max_attempts(o, 0);
  expect_config(o, "max_attempts", __LINE__);

  o = base_options();
  m2m_client_options_set_cache(o, "memcached://127.0.0.1:11211");
  expect_config(o, "cache", __LINE__);

  o = base_options();
  m2m_client_options_set_extra(o, "client_secret", SECRET);
  expect_config(o, "extra", __LINE__);

  o = base_options();
  m2m_client_options_add_resource(o, "not a uri");
  expect_config(o, "resource", __LINE__);
}

static void options_are_reusable_and_copied(void) {
  m2m_client_options *o = base_options();
  m2m_client *a = NULL, *b = NULL;
  CHECK_EQ_INT(m2m_client_new(o, &a, NULL), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_audience(o, "https://api.example.com"), M2M_OK);
  CHECK_EQ_INT(m2m_client_new(o, &b, NULL), M2M_OK);
  m2m_client_options_free(o); /* the clients keep their own copies */
  m2m_stats st = {1, 1, 1, 1, 1};
  CHECK_EQ_INT(m2m_client_stats(a, &st), M2M_OK);
  CHECK(st.hits == 0 && st.misses == 0 && st.fetches == 0);
  m2m_client_free(a);
  m2m_client_free(b);
}

static void from_env_reads_m2m_auth_variables(void) {
  unsetenv("M2M_AUTH_TOKEN_URL");
  unsetenv("M2M_AUTH_DOMAIN");
  unsetenv("M2M_AUTH_ISSUER");
  setenv("M2M_AUTH_CLIENT_ID", "env-id", 1);
  setenv("M2M_AUTH_CLIENT_SECRET", SECRET, 1);
  m2m_client *c = SENTINEL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_from_env(&c, &err), M2M_CONFIG);
  CHECK(c == SENTINEL);
  CHECK(strstr(m2m_error_message(err), "M2M_AUTH_TOKEN_URL") != NULL);
  check_no_secret(err);
  m2m_error_free(err);
  setenv("M2M_AUTH_TOKEN_URL", "http://127.0.0.1:9/oauth/token", 1);
  CHECK_EQ_INT(m2m_client_from_env(&c, NULL), M2M_OK);
  m2m_client_free(c);

  m2m_client_options *o = NULL;
  m2m_client_options_new(&o);
  CHECK_EQ_INT(m2m_client_options_load_env(o), M2M_OK);
  c = NULL;
  CHECK_EQ_INT(m2m_client_new(o, &c, NULL), M2M_OK);
  m2m_client_free(c);
  m2m_client_options_free(o);
  unsetenv("M2M_AUTH_TOKEN_URL");
  unsetenv("M2M_AUTH_CLIENT_ID");
  unsetenv("M2M_AUTH_CLIENT_SECRET");
}

static void transport_error_on_a_closed_port(void) {
  /* Port 9 (discard) on loopback: nothing listens. */
  m2m_client_options *o = base_options();
  m2m_client_options_set_retry_max_attempts(o, 1);
  m2m_client_options_set_no_proxy(o);
  m2m_client *c = NULL;
  CHECK_EQ_INT(m2m_client_new(o, &c, NULL), M2M_OK);
  m2m_client_options_free(o);
  m2m_token *t = SENTINEL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, &err), M2M_TRANSPORT);
  CHECK(t == SENTINEL);
  CHECK_STR(m2m_error_transport_kind(err), "connect");
  CHECK_EQ_INT(m2m_error_status(err), 0);
  CHECK(m2m_error_oauth_error(err) == NULL);
  check_no_secret(err);
  m2m_error_free(err);
  m2m_client_free(c);
}

int main(int argc, char **argv) {
  t_select(argc, argv);
  RUN(version_macros_match_cargo_toml);
  RUN(result_codes_are_fixed);
  RUN(free_null_does_nothing);
  RUN(error_getters_accept_null);
  RUN(null_arguments_are_errors);
  RUN(invalid_utf8_is_an_error);
  RUN(bad_options_are_config_errors_before_io);
  RUN(options_are_reusable_and_copied);
  RUN(from_env_reads_m2m_auth_variables);
  RUN(transport_error_on_a_closed_port);
  return t_summary("test_abi");
}
