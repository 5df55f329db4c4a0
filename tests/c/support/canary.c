#include "canary.h"

#include <stdio.h>

void canary_on_log(void *user_data, m2m_log_level level, const char *target, const char *message) {
  canary_sink *s = user_data;
  (void)target;
  pthread_mutex_lock(&s->lock);
  s->count++;
  if (level >= M2M_LOG_DEBUG) s->debug++;
  if (s->shows(message) && s->shown++ == 0) snprintf(s->first_shown, sizeof s->first_shown, "%s", message);
  pthread_mutex_unlock(&s->lock);
}
