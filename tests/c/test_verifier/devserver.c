/* Tokens of the dev server (RS256, at+jwt), taken from its public token
 * endpoint by the library's own client, verified through the server's JWKS:
 * by jwks_uri, by issuer discovery, from many threads at once (one JWKS
 * fetch); and a JWKS that cannot be reached. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/clients.h"
#include "support/testlib.h"
#include "test_verifier/verifier.h"

#define AUDIENCE "https://api.example.com"

/* A token of the dev server's default client (demo-client: scopes read:data
 * and write:data) for AUDIENCE (malloc'd), or NULL and a failed check. */
static char *dev_token(const devserver *s) {
  m2m_client *c = tc_build(tc_options(s, "demo-client", "demo-secret", AUDIENCE));
  m2m_token *t = c ? tc_get(c, NULL) : NULL;
  char *token = t ? strdup(tc_access_token(t)) : NULL;
  m2m_token_free(t);
  m2m_client_free(c);
  return token;
}

/* A verifier of the dev server's tokens: keys from `jwks_uri`, or
 * discovered from the issuer when `jwks_uri` is NULL. */
static m2m_verifier *dev_verifier(const devserver *s, const char *jwks_uri) {
  m2m_verifier_options *o = NULL;
  m2m_verifier *v = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_verifier_options_new(&o), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_issuer(o, s->issuer), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_add_audience(o, AUDIENCE), M2M_OK);
  if (jwks_uri) CHECK_EQ_INT(m2m_verifier_options_set_jwks_uri(o, jwks_uri), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_timeout(o, t_slow() ? 60000 : 10000), M2M_OK);
  if (m2m_verifier_new(o, &v, &err) != M2M_OK)
    t_fail(__FILE__, __LINE__, "m2m_verifier_new: %s", m2m_error_message(err));
  m2m_error_free(err);
  m2m_verifier_options_free(o);
  return v;
}

/* Verifies `token` with `v` (bare, then as a request needing read:data) and
 * checks the claims the dev server puts in its tokens. */
static void check_dev_token(const devserver *s, m2m_verifier *v, const char *token) {
  m2m_claims *claims = NULL;
  m2m_error *err = NULL;
  m2m_result rc = m2m_verifier_verify(v, token, &claims, &err);
  if (rc != M2M_OK)
    t_fail(__FILE__, __LINE__, "verify: %s (reason %s)", m2m_error_message(err),
           m2m_error_reason(err));
  m2m_error_free(err);
  if (!claims) return;
  CHECK_STR(m2m_claims_issuer(claims), s->issuer);
  CHECK_STR(m2m_claims_subject(claims), "demo-client");
  CHECK_STR(m2m_claims_client_id(claims), "demo-client");
  CHECK_EQ_INT(m2m_claims_audience_count(claims), 1);
  CHECK_STR(m2m_claims_audience(claims, 0), AUDIENCE);
  CHECK(m2m_claims_has_scope(claims, "read:data"));
  CHECK(m2m_claims_has_scope(claims, "write:data"));
  CHECK(m2m_claims_jwt_id(claims) != NULL);
  double now = (double)time(NULL) * 1000.0;
  CHECK(m2m_claims_expires_at(claims) > now);
  CHECK(m2m_claims_issued_at(claims) > now - 600000 && m2m_claims_issued_at(claims) <= now + 1000);
  CHECK(m2m_claims_not_before(claims) > 0);
  CHECK(strstr(m2m_claims_json(claims), "\"gty\":\"client-credentials\"") != NULL);
  m2m_claims_free(claims);

  char header[8192];
  snprintf(header, sizeof header, "Bearer %s", token);
  claims = NULL;
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_request(v, header, "read:data", &claims, &err), M2M_OK);
  CHECK_STR(m2m_claims_client_id(claims), "demo-client");
  m2m_claims_free(claims);
  m2m_error_free(err);
  /* A scope the token lacks: 403. */
  claims = NULL;
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_request(v, header, "read:data admin", &claims, &err),
               M2M_INSUFFICIENT_SCOPE);
  CHECK(claims == NULL);
  CHECK_STR(m2m_error_required_scope(err), "read:data admin");
  tv_check_challenge(err, 403, "scope=\"read:data admin\"");
  m2m_error_free(err);
}

void dev_server_token_verifies_through_its_jwks(void) {
  devserver s;
  if (devserver_start(&s, NULL, NULL)) {
    t_fail(__FILE__, __LINE__, "cannot start the dev server");
    return;
  }
  char *token = dev_token(&s);
  char jwks_uri[128];
  snprintf(jwks_uri, sizeof jwks_uri, "%s/.well-known/jwks.json", s.url);
  m2m_verifier *v = dev_verifier(&s, jwks_uri);
  if (token && v) {
    check_dev_token(&s, v, token);
    /* Again: from the verified-token cache, no new fetch. */
    check_dev_token(&s, v, token);
    m2m_verifier_counters *n = NULL;
    CHECK_EQ_INT(m2m_verifier_stats(v, &n), M2M_OK);
    CHECK_EQ_INT(m2m_verifier_counters_jwks_fetches(n), 1);
    CHECK(m2m_verifier_counters_cache_hits(n) >= 1);
    CHECK(m2m_verifier_counters_verified(n) >= 4);
    m2m_verifier_counters_free(n);
    /* A token of another issuer's keys (the vectors') is unknown here. */
    m2m_claims *claims = NULL;
    m2m_error *err = NULL;
    CHECK_EQ_INT(m2m_verifier_verify(v, tv_valid_token(), &claims, &err), M2M_INVALID_TOKEN);
    CHECK_STR(m2m_error_reason(err), "unknown_key");
    m2m_error_free(err);
    n = NULL;
    CHECK_EQ_INT(m2m_verifier_stats(v, &n), M2M_OK);
    CHECK(m2m_verifier_counters_failures(n) >= 1);
    m2m_verifier_counters_free(n);
  }
  m2m_verifier_free(v);
  free(token);
  devserver_stop(&s);
}

void dev_server_token_verifies_through_discovery(void) {
  devserver s;
  if (devserver_start(&s, NULL, NULL)) {
    t_fail(__FILE__, __LINE__, "cannot start the dev server");
    return;
  }
  char *token = dev_token(&s);
  m2m_verifier *v = dev_verifier(&s, NULL);
  if (token && v) check_dev_token(&s, v, token);
  m2m_verifier_free(v);
  free(token);
  devserver_stop(&s);
}

typedef struct {
  m2m_verifier *v;
  const char *token;
  int ok;
} worker;

static void *verify_once(void *arg) {
  worker *w = arg;
  m2m_claims *claims = NULL;
  w->ok = m2m_verifier_verify(w->v, w->token, &claims, NULL) == M2M_OK &&
          !strcmp(m2m_claims_client_id(claims), "demo-client");
  m2m_claims_free(claims);
  return NULL;
}

void concurrent_verifications_fetch_the_jwks_once(void) {
  devserver s;
  if (devserver_start(&s, NULL, NULL)) {
    t_fail(__FILE__, __LINE__, "cannot start the dev server");
    return;
  }
  char *token = dev_token(&s);
  char jwks_uri[128];
  snprintf(jwks_uri, sizeof jwks_uri, "%s/.well-known/jwks.json", s.url);
  m2m_verifier *v = dev_verifier(&s, jwks_uri);
  enum { N = 16 };
  pthread_t th[N];
  worker w[N];
  for (int i = 0; token && v && i < N; i++) {
    w[i] = (worker){v, token, 0};
    CHECK_EQ_INT(pthread_create(&th[i], NULL, verify_once, &w[i]), 0);
  }
  for (int i = 0; token && v && i < N; i++) {
    pthread_join(th[i], NULL);
    CHECK(w[i].ok);
  }
  m2m_verifier_counters *n = NULL;
  CHECK_EQ_INT(m2m_verifier_stats(v, &n), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_counters_jwks_fetches(n), 1);
  CHECK_EQ_INT(m2m_verifier_counters_verified(n), N);
  m2m_verifier_counters_free(n);
  m2m_verifier_free(v);
  free(token);
  devserver_stop(&s);
}

void an_unreachable_jwks_is_a_transport_error_and_503(void) {
  /* A port nothing listens on: the dev server's, once it has stopped. */
  devserver s;
  if (devserver_start(&s, NULL, NULL)) {
    t_fail(__FILE__, __LINE__, "cannot start the dev server");
    return;
  }
  char jwks_uri[128];
  snprintf(jwks_uri, sizeof jwks_uri, "%s/.well-known/jwks.json", s.url);
  devserver_stop(&s);
  m2m_verifier *v = dev_verifier(&s, jwks_uri);
  m2m_claims *claims = NULL;
  m2m_error *err = NULL;
  m2m_result rc = m2m_verifier_verify(v, tv_valid_token(), &claims, &err);
  CHECK_EQ_INT(rc, M2M_TRANSPORT);
  CHECK(claims == NULL);
  CHECK_STR(m2m_error_kind(err), "connect");
  tv_check_challenge(err, 503, NULL);
  m2m_error_free(err);
  m2m_verifier_free(v);
}
