/* The C ABI's contract without a server: version macros, result codes,
 * _free(NULL), NULL arguments and invalid UTF-8 (errors, never crashes),
 * out-parameters untouched on failure, config errors before any I/O, and no
 * secret in any message.
 *
 * This file: the program (main), the constants and the getters; the NULL
 * argument checks, the UTF-8 checks and the options are in tests/c/test_abi/. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/clients.h"
#include "support/testlib.h"
#include "test_abi/abi.h"

#ifndef EXPECTED_VERSION
#error "compile with -DEXPECTED_VERSION=\"x.y.z\" (the version in Cargo.toml)"
#endif

char SENTINEL_OBJ;

void check_no_secret(const m2m_error *err) {
  tc_check_no_secret(err, (const char *const[]){SECRET, SECRET_FORM, "s3cr3t", NULL});
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
  m2m_stats_free(NULL);
  m2m_client_options_free(NULL);
  m2m_client_free(NULL);
  m2m_request_free(NULL);
  m2m_token_free(NULL);
  m2m_error_free(NULL);
  m2m_api_response_free(NULL);
  m2m_dpop_proof_free(NULL);
  m2m_dpop_nonce_free(NULL);
  m2m_verifier_options_free(NULL);
  m2m_verifier_free(NULL);
}

static void error_getters_accept_null(void) {
  CHECK_EQ_INT(m2m_error_code(NULL), M2M_OK);
  CHECK_STR(m2m_error_message(NULL), "");
  CHECK(m2m_error_error(NULL) == NULL);
  CHECK(m2m_error_error_description(NULL) == NULL);
  CHECK(m2m_error_error_uri(NULL) == NULL);
  CHECK(m2m_error_body(NULL) == NULL);
  CHECK(m2m_error_kind(NULL) == NULL);
  CHECK(m2m_error_reason(NULL) == NULL);
  CHECK_EQ_INT(m2m_error_status(NULL), 0);
  CHECK_EQ_INT(m2m_error_retry_after(NULL), 0);
  /* the other getters that return a value directly */
  CHECK_EQ_INT(m2m_stats_hits(NULL), 0);
  CHECK_EQ_INT(m2m_stats_misses(NULL), 0);
  CHECK_EQ_INT(m2m_stats_fetches(NULL), 0);
  CHECK_EQ_INT(m2m_stats_refreshes(NULL), 0);
  CHECK_EQ_INT(m2m_stats_failures(NULL), 0);
  CHECK_EQ_INT(m2m_stats_shared_hits(NULL), 0);
  CHECK_EQ_INT(m2m_stats_store_errors(NULL), 0);
  CHECK_EQ_INT(m2m_stats_throttles(NULL), 0);
  CHECK(m2m_stats_quota_remaining(NULL) == UINT64_MAX);
  CHECK(m2m_client_client_id(NULL) == NULL);
  CHECK(m2m_client_auth_method(NULL) == NULL);
  CHECK(m2m_client_dpop_thumbprint(NULL) == NULL);
}

/* A config error carries its code and message, and no other field. */
static void a_config_error_has_only_code_and_message(void) {
  m2m_client_options *o = NULL;
  m2m_client_options_new(&o);
  m2m_client *c = SENTINEL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_new(o, &c, &err), M2M_CONFIG);
  CHECK_EQ_INT(m2m_error_code(err), M2M_CONFIG);
  CHECK(!strncmp(m2m_error_message(err), "config: ", 8));
  CHECK(m2m_error_error(err) == NULL && m2m_error_error_description(err) == NULL);
  CHECK(m2m_error_error_uri(err) == NULL && m2m_error_body(err) == NULL);
  CHECK(m2m_error_kind(err) == NULL && m2m_error_reason(err) == NULL);
  CHECK_EQ_INT(m2m_error_status(err), 0);
  CHECK_EQ_INT(m2m_error_retry_after(err), 0);
  m2m_error_free(err);
  m2m_client_options_free(o);
}

static void log_callback_arguments_are_checked(void) {
  EXPECT_FAIL(M2M_INVALID_ARGUMENT, m2m_set_log_callback(NULL, NULL, 6));
  EXPECT_FAIL(M2M_INVALID_ARGUMENT, m2m_set_log_callback(NULL, NULL, 0xffffffffu));
  CHECK_EQ_INT(m2m_set_log_callback(NULL, NULL, M2M_LOG_WARN), M2M_OK);
  CHECK_EQ_INT(M2M_LOG_OFF, 0);
  CHECK_EQ_INT(M2M_LOG_ERROR, 1);
  CHECK_EQ_INT(M2M_LOG_WARN, 2);
  CHECK_EQ_INT(M2M_LOG_INFO, 3);
  CHECK_EQ_INT(M2M_LOG_DEBUG, 4);
  CHECK_EQ_INT(M2M_LOG_TRACE, 5);
}

static void transport_error_on_a_closed_port(void) {
  /* Port 9 (discard) on loopback: nothing listens. */
  m2m_client_options *o = base_options();
  m2m_client_options_set_max_attempts(o, 1);
  m2m_client_options_set_no_proxy(o, true);
  m2m_client *c = NULL;
  CHECK_EQ_INT(m2m_client_new(o, &c, NULL), M2M_OK);
  m2m_client_options_free(o);
  m2m_token *t = SENTINEL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, &err), M2M_TRANSPORT);
  CHECK(t == SENTINEL);
  CHECK_STR(m2m_error_kind(err), "connect");
  CHECK_EQ_INT(m2m_error_status(err), 0);
  CHECK(m2m_error_error(err) == NULL);
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
  RUN(a_config_error_has_only_code_and_message);
  RUN(null_arguments_are_errors);
  RUN(invalid_utf8_is_an_error);
  RUN(bad_options_are_config_errors_before_io);
  RUN(options_are_reusable_and_copied);
  RUN(from_env_reads_m2m_auth_variables);
  RUN(options_and_parameters_by_name);
  RUN(log_callback_arguments_are_checked);
  RUN(transport_error_on_a_closed_port);
  return t_summary("test_abi");
}
