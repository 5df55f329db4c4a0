/* client_assertion_provider through the C API: a callback hands back a
 * fresh assertion for every attempt, retries included (assertions made at
 * test time by make_assertions.py, one per call; the dev server verifies
 * each and refuses a reused jti); a non-zero return is M2M_CONFIG and sends
 * no request; user data is freed once, when the library is done with it. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define PROVIDED_ID "c-provider"
#define PROVIDED_SECRET "a secret the assertion maker signs with, long enough"
#define MAX_ASSERTIONS 16

/* The callback's user data: assertions to serve, what it was asked. */
typedef struct {
  pthread_mutex_t lock;
  char *assertions[MAX_ASSERTIONS];
  int count, served, calls, freed;
  int fail_with; /* what to return instead of an assertion; -1: 0 without one */
  char audience[256], token_endpoint[256], client_id[64];
} provider_state;

static int provide(void *user_data, const char *client_id, const char *audience,
                   const char *token_endpoint, m2m_assertion_sink *sink) {
  provider_state *s = user_data;
  pthread_mutex_lock(&s->lock);
  s->calls++;
  snprintf(s->client_id, sizeof s->client_id, "%s", client_id);
  snprintf(s->audience, sizeof s->audience, "%s", audience);
  snprintf(s->token_endpoint, sizeof s->token_endpoint, "%s", token_endpoint);
  int rc = s->fail_with;
  if (rc == -1) {
    rc = 0; /* "success" without an assertion */
  } else if (rc == 0 && s->served < s->count) {
    const char *a = s->assertions[s->served++];
    rc = m2m_assertion_sink_set(sink, a, strlen(a)) == M2M_OK ? 0 : 99;
  } else if (rc == 0) {
    rc = 98; /* out of assertions */
  }
  pthread_mutex_unlock(&s->lock);
  return rc;
}

static void free_state(void *user_data) {
  provider_state *s = user_data;
  s->freed++;
}

/* Fills `s` with `n` assertions for PROVIDED_ID at the dev server. */
static void make_assertions(provider_state *s, int n) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "python3 tests/c/test_client/make_assertions.py '%s' '%s' '%s' %d",
           PROVIDED_ID, srv.token_url, PROVIDED_SECRET, n);
  FILE *p = popen(cmd, "r");
  CHECK(p != NULL);
  if (!p) return;
  char line[4096];
  while (s->count < n && s->count < MAX_ASSERTIONS && fgets(line, sizeof line, p)) {
    line[strcspn(line, "\n")] = 0;
    s->assertions[s->count++] = strdup(line);
  }
  CHECK_EQ_INT(pclose(p), 0);
  CHECK_EQ_INT(s->count, n);
}

static m2m_client *provided_client(provider_state *s) {
  m2m_client_options *o = NULL;
  CHECK_EQ_INT(m2m_client_options_new(&o), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_token_url(o, srv.token_url), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_id(o, PROVIDED_ID), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_assertion_provider(o, provide, s, free_state), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_audience(o, tc_audience("provider")), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_no_proxy(o, true), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_retry_base_delay(o, 10), M2M_OK);
  return tc_build(o);
}

static void state_init(provider_state *s) {
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->lock, NULL);
}

static void state_free(provider_state *s) {
  for (int i = 0; i < s->count; i++) free(s->assertions[i]);
  pthread_mutex_destroy(&s->lock);
}

void a_provider_callback_supplies_every_attempt(void) {
  CHECK_EQ_INT(ctl_add_client(&srv, "{\"client_id\": \"" PROVIDED_ID "\", \"client_secret\": \""
                                    PROVIDED_SECRET "\", \"auth_methods\": [\"client_secret_jwt\"]}"),
               0);
  provider_state s;
  state_init(&s);
  make_assertions(&s, 5);
  m2m_client *c = provided_client(&s);
  if (c) {
    CHECK_STR(m2m_client_auth_method(c), "private_key_jwt");
    long before = ctl_token_requests(&srv);
    for (int i = 0; i < 3; i++) {
      m2m_token *t = NULL;
      m2m_error *err = NULL;
      CHECK_EQ_INT(m2m_client_fetch_token(c, NULL, &t, &err), M2M_OK);
      if (err) t_fail(__FILE__, __LINE__, "fetch: %s", m2m_error_message(err));
      m2m_error_free(err);
      m2m_token_free(t);
    }
    CHECK_EQ_INT(s.calls, 3);
    CHECK_STR(s.client_id, PROVIDED_ID);
    CHECK_STR(s.audience, srv.token_url);
    CHECK_STR(s.token_endpoint, srv.token_url);
    /* A 503, then a token: two attempts, two calls, two assertions. */
    CHECK_EQ_INT(ctl_faults(&srv, NULL, "[{\"status\": 503}]", 0), 0);
    m2m_token *t = NULL;
    CHECK_EQ_INT(m2m_client_fetch_token(c, NULL, &t, NULL), M2M_OK);
    m2m_token_free(t);
    CHECK_EQ_INT(s.calls, 5);
    CHECK_EQ_INT(ctl_token_requests(&srv) - before, 5);
    ctl_clear_faults(&srv, NULL);
    CHECK_EQ_INT(s.freed, 0);
    m2m_client_free(c);
  }
  /* The options and the client are freed: the user data, once. */
  CHECK_EQ_INT(s.freed, 1);
  state_free(&s);
}

void a_failing_provider_callback_is_a_config_error_and_no_request(void) {
  provider_state s;
  state_init(&s);
  s.fail_with = 7;
  m2m_client *c = provided_client(&s);
  if (c) {
    long before = ctl_token_requests(&srv);
    m2m_token *t = NULL;
    m2m_error *err = NULL;
    CHECK_EQ_INT(m2m_client_fetch_token(c, NULL, &t, &err), M2M_CONFIG);
    CHECK(err && strstr(m2m_error_message(err), "client_assertion_provider failed: callback returned 7"));
    m2m_error_free(err);
    CHECK_EQ_INT(ctl_token_requests(&srv), before);
    /* 0 without an assertion is a failure too. */
    s.fail_with = -1;
    err = NULL;
    CHECK_EQ_INT(m2m_client_fetch_token(c, NULL, &t, &err), M2M_CONFIG);
    CHECK(err && strstr(m2m_error_message(err), "m2m_assertion_sink_set"));
    m2m_error_free(err);
    CHECK_EQ_INT(ctl_token_requests(&srv), before);
    m2m_client_free(c);
  }
  CHECK_EQ_INT(s.freed, 1);
  /* A NULL callback: refused, and the user data freed at once. */
  m2m_client_options *o = NULL;
  CHECK_EQ_INT(m2m_client_options_new(&o), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_assertion_provider(o, NULL, &s, free_state),
               M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(s.freed, 2);
  m2m_client_options_free(o);
  CHECK_EQ_INT(m2m_assertion_sink_set(NULL, "a", 1), M2M_NULL_ARGUMENT);
  state_free(&s);
}
