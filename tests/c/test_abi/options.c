/* test_abi: client options: config errors before any I/O, options copied
 * into each client, the M2M_AUTH_* environment, and items set by name. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"

m2m_client_options *base_options(void) {
  m2m_client_options *o = NULL;
  m2m_client_options_new(&o);
  m2m_client_options_set_token_url(o, "http://127.0.0.1:9/oauth/token");
  m2m_client_options_set_client_id(o, "id");
  m2m_client_options_set_client_secret(o, SECRET);
  return o;
}

/* Builds a client from `o`; expects M2M_CONFIG with `needle` in the message. */
void expect_config(m2m_client_options *o, const char *needle, int line) {
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

void bad_options_are_config_errors_before_io(void) {
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
  m2m_client_options_set_auth_method(o, "tls_client_auth");
  expect_config(o, "auth_method", __LINE__);

  o = base_options();
  m2m_client_options_set_refresh_ratio(o, 1.5);
  expect_config(o, "refresh_ratio", __LINE__);

  o = base_options();
  m2m_client_options_set_timeout(o, 0);
  expect_config(o, "timeout", __LINE__);

  o = base_options();
  m2m_client_options_set_refresh_ratio(o, NAN);
  expect_config(o, "refresh_ratio", __LINE__);

  o = base_options();
  m2m_client_options_set_max_response_bytes(o, 100);
  expect_config(o, "max_response_bytes", __LINE__);

  o = base_options();
  m2m_client_options_set_max_cache_keys(o, 0);
  expect_config(o, "max_cache_keys", __LINE__);

  o = base_options();
  m2m_client_options_set_ca_certs(o, "not a certificate");
  expect_config(o, "certificate", __LINE__);

  o = base_options();
  m2m_client_options_set_proxy(o, "::not a url::");
  expect_config(o, "proxy", __LINE__);

  o = base_options();
  m2m_client_options_set_max_attempts(o, 0);
  expect_config(o, "max_attempts", __LINE__);

  o = base_options();
  m2m_client_options_set_cache(o, "memcached://127.0.0.1:11211");
  expect_config(o, "cache", __LINE__);

  /* Redis Cluster and Sentinel URLs build (no connection yet); a malformed
     one is a config error that never shows its password. */
  const char *good[] = {"redis+cluster://127.0.0.1:7000,127.0.0.1:7001",
                        "redis+sentinel://127.0.0.1:26379,127.0.0.1:26380/mymaster/0"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    m2m_client *c = NULL;
    o = base_options();
    m2m_client_options_set_cache(o, good[i]);
    CHECK_EQ_INT(m2m_client_new(o, &c, NULL), M2M_OK);
    m2m_client_free(c);
    m2m_client_options_free(o);
  }
  const char *bad[] = {"redis+cluster://u:hunter2@h1:7000,,h2:7001",
                       "redis+sentinel://u:hunter2@h1:26379"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    m2m_client *c = NULL;
    m2m_error *err = NULL;
    o = base_options();
    m2m_client_options_set_cache(o, bad[i]);
    CHECK_EQ_INT(m2m_client_new(o, &c, &err), M2M_CONFIG);
    CHECK(err && strstr(m2m_error_message(err), "cache URL") && !strstr(m2m_error_message(err), "hunter2"));
    m2m_error_free(err);
    m2m_client_options_free(o);
  }

  o = base_options();
  m2m_client_options_add_extra(o, "client_secret", SECRET);
  expect_config(o, "extra", __LINE__);

  o = base_options();
  m2m_client_options_add_resource(o, "not a uri");
  expect_config(o, "resource", __LINE__);
}

void options_are_reusable_and_copied(void) {
  m2m_client_options *o = base_options();
  m2m_client *a = NULL, *b = NULL;
  CHECK_EQ_INT(m2m_client_new(o, &a, NULL), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_audience(o, "https://api.example.com"), M2M_OK);
  CHECK_EQ_INT(m2m_client_new(o, &b, NULL), M2M_OK);
  m2m_client_options_free(o); /* the clients keep their own copies */
  m2m_stats *st = NULL;
  CHECK_EQ_INT(m2m_client_stats(a, &st), M2M_OK);
  CHECK(m2m_stats_hits(st) == 0 && m2m_stats_misses(st) == 0 && m2m_stats_fetches(st) == 0);
  m2m_stats_free(st);
  CHECK_STR(m2m_client_client_id(a), "id");
  CHECK_STR(m2m_client_auth_method(a), "client_secret_post");
  m2m_client_free(a);
  m2m_client_free(b);
}

void from_env_reads_m2m_auth_variables(void) {
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
  CHECK_EQ_INT(m2m_client_options_from_env(o), M2M_OK);
  c = NULL;
  CHECK_EQ_INT(m2m_client_new(o, &c, NULL), M2M_OK);
  m2m_client_free(c);
  m2m_client_options_free(o);

  /* Every option has its variable, parsed by its type (durations in
   * seconds); one that does not parse fails at m2m_client_new. */
  setenv("M2M_AUTH_TIMEOUT", "1.5", 1);
  setenv("M2M_AUTH_NO_PROXY", "true", 1);
  setenv("M2M_AUTH_SCOPE", "read:data write:data", 1);
  setenv("M2M_AUTH_EXTRA", "a=1&b=2", 1);
  CHECK_EQ_INT(m2m_client_from_env(&c, NULL), M2M_OK);
  m2m_client_free(c);
  setenv("M2M_AUTH_MAX_ATTEMPTS", "many", 1);
  o = NULL;
  m2m_client_options_new(&o);
  CHECK_EQ_INT(m2m_client_options_from_env(o), M2M_OK);
  c = SENTINEL;
  err = NULL;
  CHECK_EQ_INT(m2m_client_new(o, &c, &err), M2M_CONFIG);
  CHECK(c == SENTINEL);
  CHECK(strstr(m2m_error_message(err), "max_attempts") != NULL);
  check_no_secret(err);
  m2m_error_free(err);
  m2m_client_options_free(o);
  err = NULL;
  CHECK_EQ_INT(m2m_client_from_env(&c, &err), M2M_CONFIG);
  CHECK(strstr(m2m_error_message(err), "max_attempts") != NULL);
  m2m_error_free(err);
  const char *vars[] = {"M2M_AUTH_TOKEN_URL", "M2M_AUTH_CLIENT_ID", "M2M_AUTH_CLIENT_SECRET",
                        "M2M_AUTH_TIMEOUT",   "M2M_AUTH_NO_PROXY",  "M2M_AUTH_SCOPE",
                        "M2M_AUTH_EXTRA",     "M2M_AUTH_MAX_ATTEMPTS"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) unsetenv(vars[i]);
}

/* m2m_client_options_set / m2m_request_set: any item by name, from text as
 * in the environment (durations in seconds). */
void options_and_parameters_by_name(void) {
  m2m_client_options *o = base_options();
  CHECK_EQ_INT(m2m_client_options_set(o, "audience", "https://api.example.com"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set(o, "scope", "a b,c"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set(o, "extra", "x=1&y=2"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set(o, "no_proxy", "yes"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set(o, "max_attempts", "2"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set(o, "retry_jitter", "0.5"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set(o, "leeway", "0.25"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set(o, "client_secret", SECRET), M2M_OK);
  /* unknown names and text that does not parse: M2M_CONFIG, nothing set */
  EXPECT_FAIL(M2M_CONFIG, m2m_client_options_set(o, "timeout_ms", "1000"));
  EXPECT_FAIL(M2M_CONFIG, m2m_client_options_set(o, "nope", "1"));
  EXPECT_FAIL(M2M_CONFIG, m2m_client_options_set(o, "timeout", "soon"));
  EXPECT_FAIL(M2M_CONFIG, m2m_client_options_set(o, "timeout", "-1"));
  EXPECT_FAIL(M2M_CONFIG, m2m_client_options_set(o, "no_proxy", "maybe"));
  EXPECT_FAIL(M2M_CONFIG, m2m_client_options_set(o, "max_cache_keys", "-3"));
  EXPECT_FAIL(M2M_CONFIG, m2m_client_options_set(o, "extra", "novalue"));
  m2m_client *c = NULL;
  CHECK_EQ_INT(m2m_client_new(o, &c, NULL), M2M_OK);
  m2m_client_free(c);
  CHECK_EQ_INT(m2m_client_options_set(o, "timeout", "0"), M2M_OK);
  expect_config(o, "timeout", __LINE__); /* frees o */

  m2m_request *rq = NULL;
  m2m_request_new(&rq);
  CHECK_EQ_INT(m2m_request_set(rq, "scope", "a b"), M2M_OK);
  CHECK_EQ_INT(m2m_request_set(rq, "resource", ""), M2M_OK);
  CHECK_EQ_INT(m2m_request_set(rq, "extra", "k=v"), M2M_OK);
  EXPECT_FAIL(M2M_CONFIG, m2m_request_set(rq, "timeout", "1"));
  EXPECT_FAIL(M2M_CONFIG, m2m_request_set(rq, "extra", "novalue"));
  m2m_request_free(rq);
}
