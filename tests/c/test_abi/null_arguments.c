/* test_abi: NULL arguments are errors (M2M_NULL_ARGUMENT), never crashes, and
 * out-parameters stay untouched when a call fails. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <string.h>

#include "abi.h"

void null_arguments_are_errors(void) {
  m2m_client_options *o = NULL;
  CHECK_EQ_INT(m2m_client_options_new(&o), M2M_OK);
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_new(NULL));
  /* every options setter: NULL handle (all), NULL value (pointer values) */
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_token_url(NULL, "http://127.0.0.1/"));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_token_url(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_domain(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_issuer(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_client_id(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_client_secret(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_auth_method(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_audience(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_add_scope(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_organization(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_add_resource(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_add_extra(o, NULL, "v"));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_add_extra(o, "n", NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_ca_certs(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_proxy(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_cache(o, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_timeout(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_connect_timeout(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_max_response_bytes(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_no_proxy(NULL, true));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_leeway(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_refresh_ratio(NULL, 0.5));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_default_expires_in(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_max_attempts(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_retry_base_delay(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_retry_max_delay(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_retry_jitter(NULL, 0.1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_default_throttle(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_max_retry_after(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_cache_strict(NULL, true));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_lease_ttl(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_store_timeout(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set_max_cache_keys(NULL, 1));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set(NULL, "timeout", "1"));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set(o, NULL, "1"));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_set(o, "timeout", NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_options_from_env(NULL));

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
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_invalidate_rejected(NULL, NULL, "t", NULL));
  m2m_stats *st = SENTINEL;
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_stats(NULL, &st));
  CHECK(st == SENTINEL);
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
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_invalidate_rejected(c, NULL, NULL, &err));
  CHECK(strstr(m2m_error_message(err), "access_token") != NULL);
  m2m_error_free(err);
  err = NULL;
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
  /* DPoP: access_token, www_authenticate and dpop_nonce may be NULL (none);
     the NULL checks come before the dpop-off config error. */
  char *proof = SENTINEL;
  bool retry = true;
  const char *url = "http://127.0.0.1/";
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_dpop_proof(NULL, "GET", url, NULL, &proof, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_dpop_proof(c, NULL, url, NULL, &proof, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_dpop_proof(c, "GET", NULL, NULL, &proof, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_dpop_proof(c, "GET", url, NULL, NULL, &err));
  CHECK(strstr(m2m_error_message(err), "proof_out") != NULL);
  m2m_error_free(err);
  err = NULL;
  EXPECT_FAIL(M2M_CONFIG, m2m_client_dpop_proof(c, "GET", url, NULL, &proof, NULL));
  CHECK(proof == SENTINEL);
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_dpop_response(NULL, url, NULL, 401, NULL, NULL, &retry));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_dpop_response(c, NULL, NULL, 401, NULL, NULL, &retry));
  /* The token is required (its type decides); no server here to get one. */
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_dpop_response(c, url, NULL, 401, NULL, NULL, &retry));
  CHECK(retry);
  /* request_headers: every argument required; the getters and _free take NULL. */
  m2m_request_headers *h = SENTINEL;
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_request_headers(NULL, "GET", url, NULL, &h, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_request_headers(c, NULL, url, NULL, &h, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_request_headers(c, "GET", NULL, NULL, &h, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_client_request_headers(c, "GET", url, NULL, &h, &err));
  CHECK(strstr(m2m_error_message(err), "token") != NULL);
  m2m_error_free(err);
  err = NULL;
  CHECK(h == SENTINEL);
  CHECK(m2m_request_headers_authorization(NULL) == NULL);
  CHECK(m2m_request_headers_dpop(NULL) == NULL);
  m2m_request_headers_free(NULL);
  m2m_client_free(c);

  /* requests */
  m2m_request *rq = NULL;
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_new(NULL));
  CHECK_EQ_INT(m2m_request_new(&rq), M2M_OK);
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_set_audience(NULL, "a"));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_set_audience(rq, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_add_scope(NULL, "a"));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_add_scope(rq, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_set_organization(rq, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_add_resource(rq, NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_add_extra(rq, NULL, "v"));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_add_extra(rq, "n", NULL));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_set(NULL, "scope", "a"));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_set(rq, NULL, "a"));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_request_set(rq, "scope", NULL));
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
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_token_extra(NULL, &s));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_token_expires_in(NULL, &u));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_token_expires_at(NULL, &i64));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_token_refresh_at(NULL, &i64));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_api_response_status(NULL, &u16));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_api_response_body(NULL, &bytes, &len));
  EXPECT_FAIL(M2M_NULL_ARGUMENT, m2m_api_response_header(NULL, "a", &s));
  CHECK(s == SENTINEL && u == 42 && i64 == 42 && u16 == 42 && len == 42 && bytes == SENTINEL);
  m2m_client_options_free(o);
}
