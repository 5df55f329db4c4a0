/* The canary of issue #12 through the C API: a private key (PEM or JWK) and
 * a client assertion (ready, from a file, or signed by the engine) never
 * show in an error's text fields or in a log record at M2M_LOG_TRACE: with
 * tokens served, a key the server refuses, failing fetches (a fault script,
 * a server echoing the assertion), keys that do not parse or fit, and a key
 * file that vanishes. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "support/canary.h"

/* core/tests/verify_keys/ed25519.pem, the same key as a private JWK
 * (core/tests/assertion_keys/ed25519.jwk.json), test keys only. */
#define ED25519_BODY "MC4CAQAwBQYDK2VwBCIEIPUx72sOY1JQVoFMtBUyjsgWizUlCoh4GnMy0KFY5GfG"
#define ED25519_D "9THvaw5jUlBWgUy0FTKOyBaLNSUKiHgaczLQoVjkZ8Y"
/* The key's own bytes inside the PEM body (its start is the same for every
 * Ed25519 key), also in the truncated PEM below. */
#define ED25519_SLICE "sOY1JQVoFMtBUyjsgWizUlCoh4GnMy0K"
static const char *PEM = "-----BEGIN PRIVATE KEY-----\n" ED25519_BODY "\n-----END PRIVATE KEY-----\n";
static const char *JWK = "{\"kty\": \"OKP\", \"crv\": \"Ed25519\","
                         " \"x\": \"LC0WrMFQ-TZlpCApEZwOcI-94crys1q5YLLT3HcPy2Y\", \"d\": \"" ED25519_D "\"}";
/* A ready assertion (refused by the server: its signature is not one) and
 * its signature part. */
#define READY_SIGNATURE "Y2FuYXJ5LXNpZ25hdHVyZS1jLTdmM2E5Yw"
#define READY "eyJhbGciOiJFZERTQSIsImtpZCI6ImVkLTEifQ.eyJpc3MiOiJjLWNhbmFyeSJ9." READY_SIGNATURE
#define ED_JWKS                                                                      \
  "{\"keys\": [{\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"kid\": \"ed-1\","          \
  " \"x\": \"LC0WrMFQ-TZlpCApEZwOcI-94crys1q5YLLT3HcPy2Y\"}]}"
/* A client whose only key is P-256 (verify_keys/p256.pub.pem): it refuses
 * the Ed25519 key. */
#define P256_JWKS                                                                    \
  "{\"keys\": [{\"kty\": \"EC\", \"crv\": \"P-256\", \"kid\": \"ec-1\","             \
  " \"x\": \"6ODTJSTHR_x9zPRll1X946dUCEgvfI5Fr333r8VrEWk\","                         \
  " \"y\": \"gQU7LQIzx4t32TKCH8iG0kc98xfdk27DFT6wH_w7uIo\"}]}"

/* What must never show. (The mutual-TLS client key's canary is in mtls.c,
 * with its https server.) */
static const char *const NEEDLES[] = {ED25519_BODY, ED25519_SLICE, ED25519_D, READY, READY_SIGNATURE, NULL};

/* Whether `text` holds something shaped like a JWS: "eyJ" (the base64url of
 * `{"`, which starts every JWS header) and at least 16 more base64url
 * characters, then a dot. It stands for the assertions the engine signs,
 * which no test can know. */
static int has_jwt(const char *text) {
  for (const char *p = strstr(text, "eyJ"); p; p = strstr(p + 1, "eyJ")) {
    size_t run = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
    if (run >= 19 && p[run] == '.') return 1;
  }
  return 0;
}

/* Fails a check if a text field of `err` shows a needle or a JWT. */
static void check_error(const m2m_error *err) {
  tc_check_no_secret(err, NEEDLES);
  for (size_t i = 0; err && i < TC_ERROR_TEXT_COUNT; i++) {
    const char *text = TC_ERROR_TEXT[i].get(err);
    if (text && has_jwt(text)) t_fail(__FILE__, __LINE__, "a JWT in the error's %s", TC_ERROR_TEXT[i].name);
  }
}

/* Whether a log record shows a needle or a JWT. */
static int shows(const char *text) {
  int found = has_jwt(text);
  for (const char *const *n = NEEDLES; *n; n++) found |= strstr(text, *n) != NULL;
  return found;
}

/* Options for `id` (no secret), with an audience (a cache key) of its own. */
static m2m_client_options *canary_options(const char *id) {
  m2m_client_options *o = NULL;
  CHECK_EQ_INT(m2m_client_options_new(&o), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_token_url(o, srv.token_url), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_id(o, id), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_audience(o, tc_audience("canary")), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_no_proxy(o, true), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_retry_base_delay(o, 20), M2M_OK);
  return o;
}

/* m2m_client_new on `o` (freed), which must give `want`; the error's text
 * checked. The client if built, else NULL. */
static m2m_client *build_expecting(m2m_client_options *o, m2m_result want) {
  m2m_client *c = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_new(o, &c, &err), want);
  check_error(err);
  m2m_error_free(err);
  m2m_client_options_free(o);
  return c;
}

/* fetch_expecting: any error (a failed request may throttle the next). */
#define ANY_ERROR ((m2m_result)-1)

/* A fetch that must fail with `want`; the error's text checked. */
static void fetch_expecting(m2m_client *c, m2m_result want) {
  m2m_token *t = NULL;
  m2m_error *err = NULL;
  m2m_result rc = m2m_client_fetch_token(c, NULL, &t, &err);
  if (want == ANY_ERROR) CHECK(rc != M2M_OK);
  else CHECK_EQ_INT(rc, want);
  check_error(err);
  m2m_error_free(err);
  m2m_token_free(t);
}

/* Failing fetches: with `sent` (the assertion the client sends, when the
 * test knows it), a server echoing it, scrubbed; then 503s. */
static void failing_fetches(m2m_client *c, int sent) {
  if (sent) {
    CHECK_EQ_INT(ctl_faults(&srv, NULL,
                            "[{\"status\": 400, \"json\": {\"error\": \"invalid_client\","
                            " \"error_description\": \"bad " READY "\"}},"
                            " {\"status\": 500, \"body\": \"echo: " READY "\"}, {\"status\": 503}]",
                            1),
                 0);
    m2m_token *t = NULL;
    m2m_error *err = NULL;
    CHECK_EQ_INT(m2m_client_fetch_token(c, NULL, &t, &err), M2M_OAUTH);
    check_error(err);
    CHECK(err && m2m_error_message(err) && strstr(m2m_error_message(err), "bad ***")); /* scrubbed, not missed */
    m2m_error_free(err);
    m2m_token_free(t);
    fetch_expecting(c, ANY_ERROR);
  }
  CHECK_EQ_INT(ctl_faults(&srv, NULL, "[{\"status\": 503}]", 1), 0);
  fetch_expecting(c, ANY_ERROR);
  ctl_clear_faults(&srv, NULL);
}

void keys_and_assertions_never_show_at_trace(void) {
  static canary_sink sink = CANARY_SINK(shows);
  CHECK_EQ_INT(ctl_add_client(&srv, "{\"client_id\": \"c-canary\", \"auth_methods\": [\"private_key_jwt\"],"
                                    " \"jwks\": " ED_JWKS "}"),
               0);
  CHECK_EQ_INT(ctl_add_client(&srv, "{\"client_id\": \"c-canary-refusing\","
                                    " \"auth_methods\": [\"private_key_jwt\"], \"jwks\": " P256_JWKS "}"),
               0);
  CHECK_EQ_INT(m2m_set_log_callback(canary_on_log, &sink, M2M_LOG_TRACE), M2M_OK);
  char path[] = "/tmp/m2m-c-canary-XXXXXX", assertion_path[] = "/tmp/m2m-c-canary-a-XXXXXX";
  int fd = mkstemp(path), afd = mkstemp(assertion_path);
  CHECK(fd >= 0 && afd >= 0);
  if (fd < 0 || afd < 0) return;
  CHECK(write(fd, PEM, strlen(PEM)) == (ssize_t)strlen(PEM));
  CHECK(write(afd, READY, strlen(READY)) == (ssize_t)strlen(READY));
  close(fd);
  close(afd);

  /* Keys the server knows: tokens, then failing fetches. */
  for (int source = 0; source < 3; source++) {
    m2m_client_options *o = canary_options("c-canary");
    if (source == 0) m2m_client_options_set_private_key(o, PEM);
    if (source == 1) m2m_client_options_set_private_key(o, JWK);
    if (source == 2) m2m_client_options_set_private_key_file(o, path);
    m2m_client_options_set_key_id(o, "ed-1");
    m2m_client *c = build_expecting(o, M2M_OK);
    if (!c) continue;
    m2m_token *t = tc_get(c, NULL);
    m2m_token_free(t);
    failing_fetches(c, 0);
    m2m_client_free(c);
  }
  /* Ready assertions (refused: invalid_client), from the option and a file. */
  for (int source = 0; source < 2; source++) {
    m2m_client_options *o = canary_options("c-canary");
    if (source == 0) m2m_client_options_set_client_assertion(o, READY);
    else m2m_client_options_set_client_assertion_file(o, assertion_path);
    m2m_client *c = build_expecting(o, M2M_OK);
    if (!c) continue;
    fetch_expecting(c, M2M_OAUTH);
    failing_fetches(c, 1);
    m2m_client_free(c);
  }
  /* A key the server refuses. */
  m2m_client_options *o = canary_options("c-canary-refusing");
  m2m_client_options_set_private_key(o, PEM);
  m2m_client *refused = build_expecting(o, M2M_OK);
  if (refused) fetch_expecting(refused, M2M_OAUTH);
  m2m_client_free(refused);
  /* Keys that do not parse or fit: config errors at build. */
  const char *broken = /* the body cut short: a truncated DER */
      "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIPUx72sOY1JQVoFMtBUyjsgWizUlCoh4GnMy0KFY\n-----END PRIVATE KEY-----\n";
  const char *bad_keys[] = {broken, PEM, PEM};
  for (int i = 0; i < 3; i++) {
    o = canary_options("c-canary");
    m2m_client_options_set_private_key(o, bad_keys[i]);
    if (i == 1) m2m_client_options_set_signing_alg(o, "RS256");
    if (i == 2) m2m_client_options_set_client_assertion(o, READY);
    build_expecting(o, M2M_CONFIG);
  }
  /* A key file that vanishes: a config error for that call. */
  o = canary_options("c-canary");
  m2m_client_options_set_private_key_file(o, path);
  m2m_client_options_set_key_id(o, "ed-1");
  m2m_client *vanishing = build_expecting(o, M2M_OK);
  unlink(path);
  unlink(assertion_path);
  if (vanishing) fetch_expecting(vanishing, M2M_CONFIG);
  m2m_client_free(vanishing);

  CHECK_EQ_INT(m2m_set_log_callback(NULL, NULL, M2M_LOG_OFF), M2M_OK);
  pthread_mutex_lock(&sink.lock);
  CHECK(sink.debug > 0); /* the most verbose records arrived (the engine has none at TRACE) */
  if (sink.shown) t_fail(__FILE__, __LINE__, "%d log records show a key or an assertion, e.g. %s", sink.shown,
                         sink.first_shown);
  pthread_mutex_unlock(&sink.lock);
}
