/* m2m_client_request_headers, the engine's one rule for which headers a
 * token goes with: a DPoP token gets Authorization "DPoP <token>" and a
 * proof of the request (read by jose.c with libcrypto alone, and taken by
 * the dev server's /api), a Bearer token Authorization only (the DPoP
 * getter is NULL), the URL rule first; and m2m_client_dpop_response with a
 * Bearer token answers false and remembers nothing. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpop.h"

/* An http_exchange of GET /api with the headers `h` holds; the status. */
static int get_api(const m2m_request_headers *h) {
  const char *auth = m2m_request_headers_authorization(h), *proof = m2m_request_headers_dpop(h);
  size_t n = strlen(auth) + (proof ? strlen(proof) : 0) + 64;
  char *headers = malloc(n);
  if (proof) snprintf(headers, n, "Authorization: %s\r\nDPoP: %s\r\n", auth, proof);
  else snprintf(headers, n, "Authorization: %s\r\n", auth);
  int status = http_exchange(srv.port, "GET", "/api", NULL, headers, NULL, NULL);
  free(headers);
  return status;
}

/* The nonce in the proof of headers for GET `url` ("" when none; static buffer). */
static const char *nonce_of(m2m_client *c, const m2m_token *t, const char *url) {
  static char nonce[128];
  m2m_request_headers *h = NULL;
  char why[128];
  jws j;
  nonce[0] = 0;
  CHECK_EQ_INT(m2m_client_request_headers(c, "GET", url, t, &h, NULL), M2M_OK);
  if (h && m2m_request_headers_dpop(h) && !jws_read(m2m_request_headers_dpop(h), &j, why, sizeof why)) {
    const char *n = json_get_str(j.payload, "nonce");
    snprintf(nonce, sizeof nonce, "%s", n ? n : "");
    jws_free(&j);
  }
  m2m_request_headers_free(h);
  return nonce;
}

void request_headers_for_each_token(void) {
  m2m_client *c = dpop_client(NULL);
  m2m_client *plain = tc_build(tc_options(&srv, CLIENT_ID, SECRET, tc_audience("bearer-hdr")));
  if (!c || !plain) return;
  m2m_token *t = tc_get(c, NULL), *b = tc_get(plain, NULL);
  const char *at = tc_access_token(t);
  /* A DPoP token: both headers, a proof of this request. */
  m2m_request_headers *h = NULL;
  CHECK_EQ_INT(m2m_client_request_headers(c, "GET", srv.api_url, t, &h, NULL), M2M_OK);
  char want[4096];
  snprintf(want, sizeof want, "DPoP %s", at);
  CHECK_STR(m2m_request_headers_authorization(h), want);
  jws j;
  char why[128];
  CHECK(m2m_request_headers_dpop(h) && !jws_read(m2m_request_headers_dpop(h), &j, why, sizeof why));
  if (m2m_request_headers_dpop(h)) {
    CHECK(j.signature_ok);
    CHECK_STR(json_get_str(j.payload, "htm"), "GET");
    CHECK_STR(json_get_str(j.payload, "htu"), srv.api_url);
    char *ath = sha256_b64url(at);
    CHECK_STR(json_get_str(j.payload, "ath"), ath);
    free(ath);
    jws_free(&j);
  }
  CHECK_EQ_INT(get_api(h), 200);
  m2m_request_headers_free(h);
  /* A Bearer token: Authorization only. */
  h = NULL;
  CHECK_EQ_INT(m2m_client_request_headers(plain, "GET", srv.api_url, b, &h, NULL), M2M_OK);
  snprintf(want, sizeof want, "Bearer %s", tc_access_token(b));
  CHECK_STR(m2m_request_headers_authorization(h), want);
  CHECK(m2m_request_headers_dpop(h) == NULL);
  CHECK_EQ_INT(get_api(h), 200);
  m2m_request_headers_free(h);
  /* dpop_response: a Bearer token's answer is false and its nonce is not
   * remembered; a DPoP token's is. */
  bool retry = true;
  const char *challenge = "DPoP error=\"use_dpop_nonce\"", *api = "https://api.example.com/x";
  CHECK_EQ_INT(m2m_client_dpop_response(c, api, b, 401, challenge, "n-b", &retry), M2M_OK);
  CHECK(!retry);
  CHECK_STR(nonce_of(c, t, api), "");
  CHECK_EQ_INT(m2m_client_dpop_response(c, api, t, 401, challenge, "n-d", &retry), M2M_OK);
  CHECK(retry);
  CHECK_STR(nonce_of(c, t, api), "n-d");
  /* The URL rule; a DPoP token with a client without DPoP; out untouched. */
  m2m_request_headers *untouched = (m2m_request_headers *)&want;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_request_headers(c, "GET", "http://example.com/api", t, &untouched, &err), M2M_CONFIG);
  CHECK(err && strstr(m2m_error_message(err), "http://"));
  m2m_error_free(err);
  err = NULL;
  CHECK_EQ_INT(m2m_client_request_headers(plain, "GET", srv.api_url, t, &untouched, &err), M2M_CONFIG);
  CHECK(err && strstr(m2m_error_message(err), "dpop on"));
  m2m_error_free(err);
  CHECK(untouched == (m2m_request_headers *)&want);
  m2m_token_free(b);
  m2m_token_free(t);
  m2m_client_free(plain);
  m2m_client_free(c);
}
