/* test_client: threads: 64 threads on a cold cache make one token request,
 * threads share one client on the fast path, and a token handle moves
 * between threads. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "client.h"

#define COLD_THREADS 64

typedef struct {
  m2m_client *client;
  pthread_barrier_t *barrier;
  m2m_result result;
  char token[4096];
  long iterations;
  int bad;
} worker;

static void *cold_worker(void *arg) {
  worker *w = arg;
  pthread_barrier_wait(w->barrier);
  m2m_token *t = NULL;
  w->result = m2m_client_get_token(w->client, NULL, &t, NULL);
  if (w->result == M2M_OK) {
    const char *at = NULL;
    m2m_token_access_token(t, &at);
    snprintf(w->token, sizeof w->token, "%s", at ? at : "");
  }
  m2m_token_free(t);
  return NULL;
}

void sixty_four_threads_on_a_cold_cache_make_one_request(void) {
  m2m_client *c = client_for(tc_audience("t"));
  /* Slow the endpoint down so that every thread arrives while in flight. */
  CHECK_EQ_INT(ctl_faults(&srv, NULL, "[{\"delay_ms\": 300}]", 0), 0);
  long before = ctl_token_requests(&srv);
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, COLD_THREADS);
  static worker w[COLD_THREADS];
  pthread_t th[COLD_THREADS];
  for (int i = 0; i < COLD_THREADS; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].client = c;
    w[i].barrier = &barrier;
    CHECK_EQ_INT(pthread_create(&th[i], NULL, cold_worker, &w[i]), 0);
  }
  for (int i = 0; i < COLD_THREADS; i++) pthread_join(th[i], NULL);
  pthread_barrier_destroy(&barrier);
  for (int i = 0; i < COLD_THREADS; i++) {
    CHECK_EQ_INT(w[i].result, M2M_OK);
    CHECK_STR(w[i].token, w[0].token);
  }
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 1);
  ctl_clear_faults(&srv, NULL);
  m2m_client_free(c);
}

static void *hot_worker(void *arg) {
  worker *w = arg;
  pthread_barrier_wait(w->barrier);
  for (long i = 0; i < w->iterations; i++) {
    m2m_token *t = NULL;
    const char *hdr = NULL;
    if (m2m_client_get_token(w->client, NULL, &t, NULL) != M2M_OK ||
        m2m_token_authorization_header(t, &hdr) != M2M_OK || strncmp(hdr, "Bearer ", 7) ||
        strcmp(hdr + 7, w->token))
      w->bad++;
    m2m_token_free(t);
  }
  return NULL;
}

void threads_share_one_client_on_the_fast_path(void) {
  m2m_client *c = client_for(tc_audience("t"));
  m2m_token *first = tc_get(c, NULL);
  enum { THREADS = 8 };
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, THREADS);
  static worker w[THREADS];
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].client = c;
    w[i].barrier = &barrier;
    w[i].iterations = t_slow() ? 500 : 20000;
    snprintf(w[i].token, sizeof w[i].token, "%s", tc_access_token(first));
    pthread_create(&th[i], NULL, hot_worker, &w[i]);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  pthread_barrier_destroy(&barrier);
  for (int i = 0; i < THREADS; i++) CHECK_EQ_INT(w[i].bad, 0);
  m2m_stats *st = NULL;
  CHECK_EQ_INT(m2m_client_stats(c, &st), M2M_OK);
  CHECK_EQ_INT(m2m_stats_fetches(st), 1);
  CHECK_EQ_INT(m2m_stats_hits(st), THREADS * w[0].iterations); /* every hot-path hit counted */
  m2m_stats_free(st);
  m2m_token_free(first);
  m2m_client_free(c);
}

typedef struct {
  m2m_token *token;
  const char *expect;
  int ok;
} mover;

static void *read_and_free(void *arg) {
  mover *m = arg;
  const char *at = NULL;
  m->ok = m2m_token_access_token(m->token, &at) == M2M_OK && !strcmp(at, m->expect);
  m2m_token_free(m->token);
  return NULL;
}

void a_token_handle_can_move_between_threads(void) {
  m2m_client *c = client_for(tc_audience("t"));
  m2m_token *t = tc_get(c, NULL);
  char expect[4096];
  snprintf(expect, sizeof expect, "%s", tc_access_token(t));
  /* Another thread reads and frees this thread's (cached) handle. */
  mover m = {t, expect, 0};
  pthread_t th;
  pthread_create(&th, NULL, read_and_free, &m);
  pthread_join(th, NULL);
  CHECK(m.ok);
  m2m_token *again = tc_get(c, NULL); /* this thread's cached handle is still fine */
  CHECK_STR(tc_access_token(again), expect);
  m2m_token_free(again);
  m2m_client_free(c);
}
