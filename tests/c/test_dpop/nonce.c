/* The dev server's DPoP nonce mode (devserver/PROTOCOL.md "DPoP") through
 * the C API: at the token endpoint (one more request, its proof with the
 * nonce), at /api through m2m_client_call_api, and at /api by hand, the
 * way an HTTP client of one's own uses m2m_client_dpop_proof and
 * m2m_client_dpop_response. Its counters prove each round trip. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpop.h"

/* The dev server's current nonce (static buffer; "" on error). */
static const char *current_nonce(void) {
  static char nonce[128];
  char auth[128], *body = NULL;
  snprintf(auth, sizeof auth, "Bearer %s", srv.control_token);
  nonce[0] = 0;
  if (http_request_auth(srv.port, "GET", "/_control/dpop", NULL, auth, &body) == 200) {
    jval *v = json_parse(body, NULL, 0);
    snprintf(nonce, sizeof nonce, "%s", json_get_str(v, "nonce") ? json_get_str(v, "nonce") : "");
    json_free(v);
  }
  free(body);
  return nonce;
}

/* The nonce of the proof the last token request carried ("" if none). */
static const char *last_token_proof_nonce(void) {
  static char nonce[128];
  char *text = NULL, why[128];
  nonce[0] = 0;
  jval *reqs = ctl_requests(&srv, &text);
  const jval *last = reqs && reqs->type == J_ARR && reqs->len ? &reqs->items[reqs->len - 1] : NULL;
  const char *proof = json_get_str(json_get(last, "headers"), "dpop");
  jws j;
  if (proof && !jws_read(proof, &j, why, sizeof why)) {
    CHECK(j.signature_ok);
    const char *n = json_get_str(j.payload, "nonce");
    snprintf(nonce, sizeof nonce, "%s", n ? n : "");
    jws_free(&j);
  }
  json_free(reqs);
  free(text);
  return nonce;
}

void the_token_endpoint_nonce_costs_one_more_request(void) {
  CHECK_EQ_INT(ctl_dpop(&srv, "{\"nonce_token\": true}"), 0);
  m2m_client *c = dpop_client(NULL);
  long requests = ctl_token_requests(&srv), dpop = ctl_stat(&srv, "dpop_token_requests"),
       with_nonce = ctl_stat(&srv, "dpop_nonce_token_requests");
  m2m_token *t = tc_get(c, NULL); /* use_dpop_nonce, then the token */
  const char *type = NULL;
  m2m_token_token_type(t, &type);
  CHECK_STR(type, "DPoP");
  CHECK_EQ_INT(ctl_token_requests(&srv) - requests, 2);
  CHECK_EQ_INT(ctl_stat(&srv, "dpop_token_requests") - dpop, 2);
  CHECK_EQ_INT(ctl_stat(&srv, "dpop_nonce_token_requests") - with_nonce, 1);
  CHECK_STR(last_token_proof_nonce(), current_nonce());
  /* The nonce is remembered: the next request needs no second try. */
  m2m_token *again = NULL;
  CHECK_EQ_INT(m2m_client_fetch_token(c, NULL, &again, NULL), M2M_OK);
  CHECK_EQ_INT(ctl_token_requests(&srv) - requests, 3);
  CHECK_EQ_INT(ctl_stat(&srv, "dpop_nonce_token_requests") - with_nonce, 2);
  m2m_token_free(again);
  m2m_token_free(t);
  m2m_client_free(c);
  CHECK_EQ_INT(ctl_dpop(&srv, "{\"nonce_token\": false}"), 0);
}

/* m2m_client_call_api GET /api, which must answer 200. */
static void call_api_200(m2m_client *c) {
  m2m_api_response *r = NULL;
  m2m_error *err = NULL;
  uint16_t status = 0;
  CHECK_EQ_INT(m2m_client_call_api(c, NULL, "GET", srv.api_url, NULL, 0, NULL, 0, &r, &err), M2M_OK);
  m2m_api_response_status(r, &status);
  CHECK_EQ_INT(status, 200);
  m2m_api_response_free(r);
  m2m_error_free(err);
}

void the_api_nonce_through_call_api(void) {
  m2m_client *c = dpop_client(NULL);
  m2m_token_free(tc_get(c, NULL));
  CHECK_EQ_INT(ctl_dpop(&srv, "{\"nonce_api\": true}"), 0);
  long api = ctl_api_requests(&srv), dpop = ctl_stat(&srv, "dpop_api_requests"),
       tokens = ctl_token_requests(&srv);
  call_api_200(c); /* use_dpop_nonce, then 200 */
  CHECK_EQ_INT(ctl_api_requests(&srv) - api, 2);
  CHECK_EQ_INT(ctl_stat(&srv, "dpop_api_requests") - dpop, 2);
  call_api_200(c); /* the nonce remembered */
  CHECK_EQ_INT(ctl_stat(&srv, "dpop_api_requests") - dpop, 3);
  CHECK_EQ_INT(ctl_dpop(&srv, "{\"rotate\": true}"), 0);
  call_api_200(c); /* a stale nonce: one more round trip */
  CHECK_EQ_INT(ctl_stat(&srv, "dpop_api_requests") - dpop, 5);
  CHECK_EQ_INT(ctl_token_requests(&srv) - tokens, 0); /* never a renewal */
  CHECK_EQ_INT(ctl_dpop(&srv, "{\"nonce_api\": false}"), 0);
  m2m_client_free(c);
}

/* One GET /api with `token` and a new proof, as one's own HTTP client
 * sends it; the status, and whether m2m_client_dpop_response asks for a
 * retry. `nonce_out` (128 bytes) gets the proof's nonce. */
static int send_by_hand(m2m_client *c, const m2m_token *t, int *retry_out, char *nonce_out) {
  const char *header = NULL, *at = tc_access_token(t);
  m2m_token_authorization_header(t, &header);
  char *proof = NULL, *head = NULL, why[128];
  CHECK_EQ_INT(m2m_client_dpop_proof(c, "GET", srv.api_url, at, &proof, NULL), M2M_OK);
  jws j;
  nonce_out[0] = 0;
  if (proof && !jws_read(proof, &j, why, sizeof why)) {
    const char *n = json_get_str(j.payload, "nonce");
    snprintf(nonce_out, 128, "%s", n ? n : "");
    jws_free(&j);
  }
  size_t n = strlen(header ? header : "") + strlen(proof ? proof : "") + 64;
  char *headers = malloc(n);
  snprintf(headers, n, "Authorization: %s\r\nDPoP: %s\r\n", header ? header : "", proof ? proof : "");
  int status = http_exchange(srv.port, "GET", "/api", NULL, headers, &head, NULL);
  char *challenge = http_header(head, "www-authenticate"), *nonce = http_header(head, "dpop-nonce");
  bool retry = false;
  CHECK_EQ_INT(m2m_client_dpop_response(c, srv.api_url, t, (uint16_t)status, challenge, nonce, &retry), M2M_OK);
  *retry_out = retry;
  free(challenge);
  free(nonce);
  free(head);
  free(headers);
  m2m_dpop_proof_free(proof);
  return status;
}

void the_api_nonce_by_hand(void) {
  m2m_client *c = dpop_client(NULL);
  m2m_token *t = tc_get(c, NULL);
  CHECK_EQ_INT(ctl_dpop(&srv, "{\"nonce_api\": true, \"rotate\": true}"), 0);
  long dpop = ctl_stat(&srv, "dpop_api_requests");
  int retry = 0;
  char nonce[128];
  CHECK_EQ_INT(send_by_hand(c, t, &retry, nonce), 401);
  CHECK(retry); /* the use_dpop_nonce challenge */
  CHECK_STR(nonce, "");
  CHECK_EQ_INT(send_by_hand(c, t, &retry, nonce), 200);
  CHECK(!retry);
  CHECK_STR(nonce, current_nonce());
  CHECK_EQ_INT(ctl_stat(&srv, "dpop_api_requests") - dpop, 2);
  /* The DPoP token presented as Bearer is refused: a 401, no retry. */
  char *head = NULL, bearer[4096];
  snprintf(bearer, sizeof bearer, "Bearer %s", tc_access_token(t));
  char *headers = malloc(strlen(bearer) + 32);
  sprintf(headers, "Authorization: %s\r\n", bearer);
  int status = http_exchange(srv.port, "GET", "/api", NULL, headers, &head, NULL);
  CHECK_EQ_INT(status, 401);
  char *challenge = http_header(head, "www-authenticate");
  bool again = true;
  CHECK_EQ_INT(m2m_client_dpop_response(c, srv.api_url, t, (uint16_t)status, challenge, NULL, &again), M2M_OK);
  CHECK(!again);
  free(challenge);
  free(head);
  free(headers);
  CHECK_EQ_INT(ctl_dpop(&srv, "{\"nonce_api\": false}"), 0);
  m2m_token_free(t);
  m2m_client_free(c);
}
