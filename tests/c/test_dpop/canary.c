/* The DPoP key's canary through the C API: with a dpop_key given as PEM
 * (core/tests/verify_keys/p256.pem) and as a JWK
 * (core/tests/assertion_keys/p256.jwk.json), no line of the PEM body and
 * not the JWK's `d` shows in an error's text fields, in a log record at
 * M2M_LOG_TRACE or in a proof: with tokens and API calls served (nonce
 * mode on), failing token requests, and keys that are refused when the
 * client is built. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpop.h"
#include "support/canary.h"

/* What must never show: each PEM body line, and the JWK's d. */
static char *needles[16];

static int shows(const char *text) {
  for (char **n = needles; text && *n; n++)
    if (strstr(text, *n)) return 1;
  return 0;
}

/* Fails a check if a text field of `err` shows a needle. */
static void check_error(const m2m_error *err) { tc_check_no_secret(err, (const char *const *)needles); }

/* Builds a client with `key` (and dpop as `dpop`), which must give `want`. */
static m2m_client *build(const char *key, bool dpop, m2m_result want) {
  m2m_client_options *o = tc_options(&srv, CLIENT_ID, SECRET, tc_audience("canary"));
  m2m_client_options_set_dpop(o, dpop);
  m2m_client_options_set_dpop_key(o, key);
  m2m_client *c = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_new(o, &c, &err), want);
  check_error(err);
  m2m_error_free(err);
  m2m_client_options_free(o);
  return c;
}

/* Tokens, API calls and proofs with `key`, then failing token requests. */
static void use(const char *key) {
  m2m_client *c = build(key, true, M2M_OK);
  if (!c) return;
  ctl_dpop(&srv, "{\"nonce_token\": true, \"nonce_api\": true, \"rotate\": true}");
  m2m_token *t = tc_get(c, NULL);
  m2m_api_response *r = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_call_api(c, NULL, "GET", srv.api_url, NULL, 0, NULL, 0, &r, &err), M2M_OK);
  m2m_api_response_free(r);
  char *proof = NULL;
  CHECK_EQ_INT(m2m_client_dpop_proof(c, "GET", srv.api_url, tc_access_token(t), &proof, NULL), M2M_OK);
  CHECK(!shows(proof));
  m2m_dpop_proof_free(proof);
  CHECK_EQ_INT(m2m_client_dpop_proof(c, "GET", "no url", NULL, &proof, &err), M2M_CONFIG);
  check_error(err);
  m2m_error_free(err);
  err = NULL;
  ctl_dpop(&srv, "{\"nonce_token\": false, \"nonce_api\": false}");
  /* Refusals and outages. */
  ctl_faults(&srv, NULL,
             "[{\"status\": 400, \"json\": {\"error\": \"invalid_dpop_proof\"}}, {\"status\": 503}]", 1);
  for (int i = 0; i < 2; i++) {
    m2m_token *failed = NULL;
    CHECK(m2m_client_fetch_token(c, NULL, &failed, &err) != M2M_OK);
    check_error(err);
    m2m_error_free(err);
    err = NULL;
    m2m_token_free(failed);
  }
  ctl_clear_faults(&srv, NULL);
  m2m_token_free(t);
  m2m_client_free(c);
}

void the_dpop_key_never_shows_at_trace(void) {
  static canary_sink sink = CANARY_SINK(shows);
  char *pem = read_text("core/tests/verify_keys/p256.pem");
  char *jwk = read_text("core/tests/assertion_keys/p256.jwk.json");
  if (!pem || !jwk) {
    free(pem);
    free(jwk);
    return;
  }
  size_t n = 0;
  char *lines = strdup(pem);
  for (char *line = strtok(lines, "\n"); line && n < 14; line = strtok(NULL, "\n"))
    if (strncmp(line, "-----", 5) && strlen(line) >= 16) needles[n++] = strdup(line);
  jval *parsed = json_parse(jwk, NULL, 0);
  const char *d = json_get_str(parsed, "d");
  CHECK(n >= 2 && d);
  if (d) needles[n++] = strdup(d);
  json_free(parsed);
  free(lines);

  CHECK_EQ_INT(m2m_set_log_callback(canary_on_log, &sink, M2M_LOG_TRACE), M2M_OK);
  use(pem);
  use(jwk);
  /* Keys refused when the client is built: cut short, a JWK whose d does
   * not fit its curve, a key without dpop on. */
  char *cut = strdup(pem);
  char *last = strstr(cut, "\n-----END");
  if (last) memmove(last - 20, last, strlen(last) + 1);
  m2m_client_free(build(cut, true, M2M_CONFIG));
  char *wrong_curve = strdup(jwk);
  char *crv = strstr(wrong_curve, "P-256");
  if (crv) memcpy(crv, "P-384", 5);
  m2m_client_free(build(wrong_curve, true, M2M_CONFIG));
  m2m_client_free(build(pem, false, M2M_CONFIG));
  CHECK_EQ_INT(m2m_set_log_callback(NULL, NULL, M2M_LOG_OFF), M2M_OK);

  pthread_mutex_lock(&sink.lock);
  CHECK(sink.debug > 0); /* the most verbose records arrived */
  if (sink.shown)
    t_fail(__FILE__, __LINE__, "%d log records show the DPoP key, e.g. %s", sink.shown, sink.first_shown);
  pthread_mutex_unlock(&sink.lock);
  for (size_t i = 0; i < n; i++) free(needles[i]);
  memset(needles, 0, sizeof needles);
  free(cut);
  free(wrong_curve);
  free(pem);
  free(jwk);
}
