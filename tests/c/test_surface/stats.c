/* test_surface: every stat counts (hits, misses, fetches, refreshes,
 * failures, shared_hits, store_errors). */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "surface.h"

/* Stats: one opaque snapshot, a getter per counter. */
typedef struct {
  uint64_t hits, misses, fetches, refreshes, failures, shared_hits, store_errors;
} counts;

static counts stats_of(const m2m_client *c) {
  m2m_stats *s = NULL;
  counts n = {0};
  CHECK_EQ_INT(m2m_client_stats(c, &s), M2M_OK);
  n.hits = m2m_stats_hits(s);
  n.misses = m2m_stats_misses(s);
  n.fetches = m2m_stats_fetches(s);
  n.refreshes = m2m_stats_refreshes(s);
  n.failures = m2m_stats_failures(s);
  n.shared_hits = m2m_stats_shared_hits(s);
  n.store_errors = m2m_stats_store_errors(s);
  m2m_stats_free(s);
  return n;
}

void every_stat_counts(void) {
  /* hits, misses, fetches, failures */
  m2m_client *bad = tc_build(tc_options(&srv, CLIENT_ID, "wrong-secret", tc_audience("s")));
  m2m_token *t = NULL;
  CHECK_EQ_INT(m2m_client_get_token(bad, NULL, &t, NULL), M2M_OAUTH);
  counts n = stats_of(bad);
  CHECK(n.hits == 0 && n.misses == 1 && n.fetches == 1 && n.failures == 1);
  m2m_client_free(bad);

  /* refreshes: a 20 s token refreshed after 1 s (refresh_ratio 0.05) */
  m2m_client_options *o = tc_options(&srv, "short", "short-secret", tc_audience("s"));
  m2m_client_options_set_refresh_ratio(o, 0.05);
  m2m_client *c = tc_build(o);
  m2m_token *first = tc_get(c, NULL);
  sleep_ms(1300);
  m2m_token *stale = tc_get(c, NULL); /* returned at once; renewed in the background */
  CHECK_STR(tc_access_token(stale), tc_access_token(first));
  /* Until the renewed token is in the cache (the refresh has landed). */
  for (int i = 0; i < 300; i++) {
    m2m_token *now = tc_get(c, NULL);
    int renewed = strcmp(tc_access_token(now), tc_access_token(first)) != 0;
    m2m_token_free(now);
    if (renewed) break;
    sleep_ms(10);
  }
  n = stats_of(c);
  CHECK(n.misses == 1 && n.fetches == 2 && n.refreshes == 1 && n.hits >= 1 && n.failures == 0);
  m2m_token_free(first);
  m2m_token_free(stale);
  m2m_client_free(c);

  /* shared_hits: two clients with separate memory caches and one store */
  char dir[64];
  snprintf(dir, sizeof dir, "file:/tmp/m2m-c-surface-%d", (int)getpid());
  const char *aud = tc_audience("s");
  m2m_client *a = NULL, *b = NULL;
  o = tc_options(&srv, CLIENT_ID, SECRET, aud);
  m2m_client_options_set_cache(o, dir);
  m2m_client_options_set_max_cache_keys(o, 101);
  a = tc_build(o);
  o = tc_options(&srv, CLIENT_ID, SECRET, aud);
  m2m_client_options_set_cache(o, dir);
  m2m_client_options_set_max_cache_keys(o, 102);
  b = tc_build(o);
  long before = ctl_token_requests(&srv);
  m2m_token *ta = tc_get(a, NULL), *tb = tc_get(b, NULL);
  CHECK_STR(tc_access_token(ta), tc_access_token(tb));
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 1); /* b read a's token from the store */
  CHECK_EQ_INT(stats_of(a).shared_hits, 0);
  CHECK_EQ_INT(stats_of(b).shared_hits, 1);
  m2m_token_free(ta);
  m2m_token_free(tb);
  m2m_client_free(a);
  m2m_client_free(b);
  char cmd[96];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir + 5);
  CHECK_EQ_INT(system(cmd), 0);

  /* store_errors: a store that cannot work; strict mode makes it an error */
  o = tc_options(&srv, CLIENT_ID, SECRET, tc_audience("s"));
  m2m_client_options_set_cache(o, "file:/dev/null/m2m");
  c = tc_build(o);
  t = tc_get(c, NULL); /* degraded: the in-process cache */
  CHECK(stats_of(c).store_errors >= 1);
  m2m_token_free(t);
  m2m_client_free(c);
  o = tc_options(&srv, CLIENT_ID, SECRET, tc_audience("s"));
  m2m_client_options_set_cache(o, "file:/dev/null/m2m");
  m2m_client_options_set_cache_strict(o, true);
  c = tc_build(o);
  t = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, &err), M2M_CACHE);
  CHECK(t == NULL && stats_of(c).store_errors >= 1);
  m2m_error_free(err);
  m2m_client_free(c);
}
