/* test_abi: invalid UTF-8 in any text argument is an error
 * (M2M_INVALID_UTF8) that names the argument and never echoes its value. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <string.h>

#include "abi.h"

static const char BAD_UTF8[] = {'\xff', '\xfe', 'a', '\0'};

void invalid_utf8_is_an_error(void) {
  m2m_client_options *o = NULL;
  CHECK_EQ_INT(m2m_client_options_new(&o), M2M_OK);
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_token_url(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_domain(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_issuer(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_client_id(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_client_secret(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_auth_method(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_audience(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_add_scope(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_organization(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_add_resource(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_add_extra(o, BAD_UTF8, "v"));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_add_extra(o, "n", BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_cache(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_proxy(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_ca_certs(o, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set(o, BAD_UTF8, "1"));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set(o, "timeout", BAD_UTF8));

  m2m_request *rq = NULL;
  CHECK_EQ_INT(m2m_request_new(&rq), M2M_OK);
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_request_set_audience(rq, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_request_add_scope(rq, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_request_set_organization(rq, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_request_add_resource(rq, BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_request_add_extra(rq, BAD_UTF8, "v"));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_request_add_extra(rq, "n", BAD_UTF8));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_request_set(rq, "scope", BAD_UTF8));

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
  char *proof = SENTINEL;
  bool retry = true;
  const char *url = "http://127.0.0.1/";
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_dpop_proof(c, BAD_UTF8, url, NULL, &proof, NULL));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_dpop_proof(c, "GET", BAD_UTF8, NULL, &proof, NULL));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_dpop_proof(c, "GET", url, BAD_UTF8, &proof, NULL));
  CHECK(proof == SENTINEL);
  /* The strings before the token (no server here to get one). */
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_dpop_response(c, BAD_UTF8, NULL, 401, NULL, NULL, &retry));
  CHECK(retry);
  m2m_request_headers *h = SENTINEL;
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_request_headers(c, BAD_UTF8, url, NULL, &h, NULL));
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_request_headers(c, "GET", BAD_UTF8, NULL, &h, NULL));
  CHECK(h == SENTINEL);
  m2m_client_free(c);
  m2m_request_free(rq);

  /* A secret that is not UTF-8: the error names the argument only. */
  err = NULL;
  const char bad_secret[] = {'s', '3', 'c', 'r', '3', 't', '\xc3', '\0'};
  EXPECT_FAIL(M2M_INVALID_UTF8, m2m_client_options_set_client_secret(o, bad_secret));
  m2m_client_options_free(o);
}
