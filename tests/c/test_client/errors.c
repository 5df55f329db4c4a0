/* test_client: errors of every kind against the dev/fault server (their
 * fields, no secret in them, throttling, timeouts), and call_api's one
 * renewal on 401. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdio.h>
#include <string.h>

#include "client.h"

void oauth_errors_carry_their_fields_and_no_secret(void) {
  m2m_client *c = tc_build(tc_options(&srv, CLIENT_ID, "c-secret-wrong", tc_audience("t")));
  m2m_token *t = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, &err), M2M_OAUTH);
  CHECK(t == NULL);
  CHECK_EQ_INT(m2m_error_code(err), M2M_OAUTH);
  CHECK_STR(m2m_error_error(err), "invalid_client");
  CHECK_EQ_INT(m2m_error_status(err), 401);
  CHECK(!strncmp(m2m_error_message(err), "oauth: invalid_client", 21));
  CHECK(!strstr(m2m_error_message(err), "c-secret-wrong"));
  m2m_error_free(err);
  m2m_client_free(c);

  /* A server that echoes the secret back: scrubbed everywhere. */
  c = client_for(tc_audience("t"));
  CHECK_EQ_INT(ctl_faults(&srv, NULL,
                          "[{\"status\": 400, \"json\": {\"error\": \"invalid_request\","
                          " \"error_description\": \"secret " SECRET " or " SECRET_FORM " is bad\","
                          " \"error_uri\": \"https://docs.example.com/errors\"}}]",
                          0),
               0);
  err = NULL;
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, &err), M2M_OAUTH);
  CHECK_STR(m2m_error_error(err), "invalid_request");
  CHECK_STR(m2m_error_error_uri(err), "https://docs.example.com/errors");
  CHECK(m2m_error_error_description(err) != NULL);
  CHECK_EQ_INT(m2m_error_status(err), 400);
  check_no_secret(err);
  m2m_error_free(err);
  ctl_clear_faults(&srv, NULL);
  m2m_client_free(c);
}

void http_errors_then_throttling(void) {
  m2m_client_options *o = tc_options(&srv, CLIENT_ID, SECRET, tc_audience("t"));
  m2m_client_options_set_max_attempts(o, 1);
  m2m_client_options_set_default_throttle(o, 5000);
  m2m_client *c = tc_build(o);
  CHECK_EQ_INT(ctl_faults(&srv, NULL, "[{\"status\": 503, \"body\": \"down for maintenance\"}]", 0), 0);
  long before = ctl_token_requests(&srv);
  m2m_token *t = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, &err), M2M_HTTP);
  CHECK_EQ_INT(m2m_error_status(err), 503);
  CHECK_STR(m2m_error_body(err), "down for maintenance");
  CHECK(m2m_error_error(err) == NULL);
  m2m_error_free(err);
  err = NULL;
  /* Now the key is throttled: no I/O, a throttled error. */
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, &err), M2M_THROTTLED);
  CHECK(m2m_error_retry_after(err) > 3000 && m2m_error_retry_after(err) <= 5000);
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 1);
  m2m_error_free(err);
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, NULL), M2M_THROTTLED); /* err_out optional */
  CHECK(t == NULL);
  ctl_clear_faults(&srv, NULL);
  m2m_client_free(c);
}

void invalid_responses_and_timeouts(void) {
  m2m_client *c = client_for(tc_audience("t"));
  CHECK_EQ_INT(ctl_faults(&srv, NULL, "[{\"token\": {\"token_type\": \"mac\"}}]", 0), 0);
  m2m_token *t = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, &err), M2M_INVALID_RESPONSE);
  CHECK(!strncmp(m2m_error_message(err), "invalid_response", 16));
  m2m_error_free(err);
  m2m_client_free(c);

  m2m_client_options *o = tc_options(&srv, CLIENT_ID, SECRET, tc_audience("t"));
  m2m_client_options_set_timeout(o, 300);
  c = tc_build(o);
  CHECK_EQ_INT(ctl_faults(&srv, NULL, "[{\"delay_ms\": 3000, \"count\": 5}]", 0), 0);
  err = NULL;
  double t0 = now_ms();
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, &err), M2M_TRANSPORT);
  double dt = now_ms() - t0;
  CHECK_STR(m2m_error_kind(err), "timeout");
  CHECK(dt >= 250 && dt < (t_slow() ? 5000 : 2000));
  m2m_error_free(err);
  ctl_clear_faults(&srv, NULL);
  m2m_client_free(c);
}

void call_api_renews_the_token_once_on_401(void) {
  m2m_client *c = client_for(tc_audience("t"));
  m2m_token *t = tc_get(c, NULL);
  long tok_before = ctl_token_requests(&srv), api_before = ctl_api_requests(&srv);
  CHECK_EQ_INT(ctl_faults(&srv, "api", "[{\"status\": 401, \"json\": {\"error\": \"invalid_token\"}}]", 0), 0);
  const char *headers[] = {"Accept: application/json", "X-Trace:  abc "};
  m2m_api_response *resp = NULL;
  m2m_error *err = NULL;
  m2m_result r = m2m_client_call_api(c, NULL, "GET", srv.api_url, headers, 2, NULL, 0, &resp, &err);
  CHECK_EQ_INT(r, M2M_OK);
  if (r != M2M_OK) fprintf(stderr, "  call_api: %s\n", m2m_error_message(err));
  m2m_error_free(err);
  uint16_t status = 0;
  const uint8_t *body = NULL;
  size_t len = 0;
  const char *ct = NULL, *missing = "untouched";
  CHECK_EQ_INT(m2m_api_response_status(resp, &status), M2M_OK);
  CHECK_EQ_INT(status, 200);
  CHECK_EQ_INT(m2m_api_response_body(resp, &body, &len), M2M_OK);
  CHECK(body && len > 0 && strlen((const char *)body) == len);
  CHECK(body && strstr((const char *)body, "\"ok\":true"));
  CHECK_EQ_INT(m2m_api_response_header(resp, "Content-Type", &ct), M2M_OK);
  CHECK(ct && strstr(ct, "application/json"));
  CHECK_EQ_INT(m2m_api_response_header(resp, "x-none", &missing), M2M_NOT_FOUND);
  CHECK_STR(missing, "untouched");
  CHECK_EQ_INT(ctl_token_requests(&srv) - tok_before, 1);
  CHECK_EQ_INT(ctl_api_requests(&srv) - api_before, 2);
  m2m_api_response_free(resp);

  /* A second 401 is returned as is (one renewal only). */
  CHECK_EQ_INT(ctl_faults(&srv, "api", "[{\"status\": 401, \"count\": 2}]", 0), 0);
  resp = NULL;
  CHECK_EQ_INT(m2m_client_call_api(c, NULL, "POST", srv.api_url, NULL, 0, (const uint8_t *)"{}", 2,
                                   &resp, NULL),
               M2M_OK);
  CHECK_EQ_INT(m2m_api_response_status(resp, &status), M2M_OK);
  CHECK_EQ_INT(status, 401);
  m2m_api_response_free(resp);
  ctl_clear_faults(&srv, "api");

  /* The API URL follows the https rule. */
  err = NULL;
  resp = NULL;
  CHECK_EQ_INT(m2m_client_call_api(c, NULL, "GET", "http://api.example.com/x", NULL, 0, NULL, 0,
                                   &resp, &err),
               M2M_CONFIG);
  CHECK(resp == NULL);
  m2m_error_free(err);
  m2m_token_free(t);
  m2m_client_free(c);
}
