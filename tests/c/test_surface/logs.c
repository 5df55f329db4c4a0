/* test_surface: engine logs through the log callback (levels, threshold,
 * unset, no secret). */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "surface.h"

typedef struct {
  pthread_mutex_t lock;
  int count, warnings, bad_level, secret_seen;
  char target[128], message[1024];
} log_sink;

static void on_log(void *user_data, m2m_log_level level, const char *target, const char *message) {
  log_sink *s = user_data;
  pthread_mutex_lock(&s->lock);
  s->count++;
  if (level < M2M_LOG_ERROR || level > M2M_LOG_TRACE) s->bad_level++;
  if (strstr(message, "surface-secret") || strstr(message, "wrong-secret")) s->secret_seen++;
  if (level == M2M_LOG_WARN) {
    s->warnings++;
    snprintf(s->target, sizeof s->target, "%s", target);
    snprintf(s->message, sizeof s->message, "%s", message);
  }
  pthread_mutex_unlock(&s->lock);
  (void)m2m_version(); /* calling the library back is allowed */
}

void the_log_callback_gets_a_warning_for_a_failed_request(void) {
  static log_sink sink = {.lock = PTHREAD_MUTEX_INITIALIZER};
  CHECK_EQ_INT(m2m_set_log_callback(on_log, &sink, M2M_LOG_WARN), M2M_OK);
  m2m_client *c = tc_build(tc_options(&srv, CLIENT_ID, "wrong-secret", tc_audience("s")));
  m2m_token *t = NULL;
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, NULL), M2M_OAUTH);
  /* Delivered before the call returned, on this thread. */
  pthread_mutex_lock(&sink.lock);
  CHECK(sink.warnings >= 1);
  CHECK(!strncmp(sink.target, "m2m_auth", 8));
  CHECK(strstr(sink.message, "token request failed") != NULL);
  CHECK(strstr(sink.message, CLIENT_ID) != NULL);
  CHECK_EQ_INT(sink.bad_level, 0);
  CHECK_EQ_INT(sink.secret_seen, 0);
  int count = sink.count;
  pthread_mutex_unlock(&sink.lock);

  /* Unset: no more records. */
  CHECK_EQ_INT(m2m_set_log_callback(NULL, NULL, M2M_LOG_WARN), M2M_OK);
  CHECK_EQ_INT(m2m_client_fetch_token(c, NULL, &t, NULL), M2M_OAUTH);
  sleep_ms(120);
  pthread_mutex_lock(&sink.lock);
  CHECK_EQ_INT(sink.count, count);
  pthread_mutex_unlock(&sink.lock);

  /* A threshold of error leaves warnings out. */
  CHECK_EQ_INT(m2m_set_log_callback(on_log, &sink, M2M_LOG_ERROR), M2M_OK);
  CHECK_EQ_INT(m2m_client_fetch_token(c, NULL, &t, NULL), M2M_OAUTH);
  sleep_ms(120);
  pthread_mutex_lock(&sink.lock);
  CHECK_EQ_INT(sink.count, count);
  pthread_mutex_unlock(&sink.lock);
  CHECK_EQ_INT(m2m_set_log_callback(NULL, NULL, M2M_LOG_OFF), M2M_OK);
  m2m_client_free(c);
}
