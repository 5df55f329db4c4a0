/* A log sink for the canary tests: counts the engine's log records and
 * remembers the first that shows something it must not (a key, a secret,
 * an assertion), as told by the test's own predicate. */
#ifndef M2M_TEST_CANARY_H
#define M2M_TEST_CANARY_H

#include <m2m_auth.h>
#include <pthread.h>

typedef struct {
  pthread_mutex_t lock;
  /* Whether `text` shows something that must never show. */
  int (*shows)(const char *text);
  int count, debug, shown;
  char first_shown[512];
} canary_sink;

/* A sink using `predicate`, for a static initializer. */
#define CANARY_SINK(predicate) {.lock = PTHREAD_MUTEX_INITIALIZER, .shows = (predicate)}

/* An m2m_log_callback: `user_data` is a canary_sink. */
void canary_on_log(void *user_data, m2m_log_level level, const char *target, const char *message);

#endif
