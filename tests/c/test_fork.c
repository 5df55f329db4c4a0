/* fork() with the C API (docs/design.md §8): the engine handles it, the
 * binding does nothing. A child forked while the parent holds a cached
 * token, and a child forked while a token request is in flight, each get
 * tokens with the parent's client handle as it is; the child's stats are
 * the parent's at the fork plus its own calls, and the parent's are
 * untouched by the child. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/clients.h"
#include "support/testlib.h"

static devserver srv;

static const char *CLIENTS =
    "{\"clients\": [{\"client_id\": \"fork-client\", \"client_secret\": \"fork-secret\"}]}";

static m2m_client *new_client(const char *audience) {
  return tc_build(tc_options(&srv, "fork-client", "fork-secret", audience));
}

typedef struct {
  uint64_t hits, misses, fetches, refreshes, failures;
} counts;

static counts stats_of(const m2m_client *c) {
  m2m_stats *s = NULL;
  counts n = {0};
  if (m2m_client_stats(c, &s) == M2M_OK) {
    n.hits = m2m_stats_hits(s);
    n.misses = m2m_stats_misses(s);
    n.fetches = m2m_stats_fetches(s);
    n.refreshes = m2m_stats_refreshes(s);
    n.failures = m2m_stats_failures(s);
  }
  m2m_stats_free(s);
  return n;
}

static int same(counts a, counts b) { return !memcmp(&a, &b, sizeof a); }

static counts plus(counts a, uint64_t hits, uint64_t misses, uint64_t fetches) {
  a.hits += hits;
  a.misses += misses;
  a.fetches += fetches;
  return a;
}

static void print_counts(const char *what, counts n) {
  fprintf(stderr, "  %s: hits %llu misses %llu fetches %llu refreshes %llu failures %llu\n", what,
          (unsigned long long)n.hits, (unsigned long long)n.misses, (unsigned long long)n.fetches,
          (unsigned long long)n.refreshes, (unsigned long long)n.failures);
}

/* A token's access token, copied (caller frees); NULL on failure. */
static char *get(m2m_client *c, int fetch, const char *who) {
  m2m_token *t = NULL;
  m2m_error *err = NULL;
  m2m_result r = fetch ? m2m_client_fetch_token(c, NULL, &t, &err)
                       : m2m_client_get_token(c, NULL, &t, &err);
  if (r != M2M_OK) {
    fprintf(stderr, "  %s: %s\n", who, m2m_error_message(err));
    m2m_error_free(err);
    return NULL;
  }
  const char *at = NULL;
  m2m_token_access_token(t, &at);
  char *copy = strdup(at ? at : "");
  m2m_token_free(t);
  return copy;
}

/* Runs `child(arg)` in a forked child; its exit status (0: all good). */
static int in_child(int (*child)(void *), void *arg) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) _exit(child(arg));
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

/* ---- a child forked while the parent holds a cached token ----------------- */

typedef struct {
  m2m_client *client;
  const char *cached;
  counts at_fork;
} cached_case;

/* In the child: exit status 0, or the number of the step that failed. */
static int child_with_a_cached_token(void *arg) {
  cached_case *k = arg;
  if (!same(stats_of(k->client), k->at_fork)) return 1;
  /* The cached token is served, without I/O. */
  char *t = get(k->client, 0, "child get_token");
  if (!t || strcmp(t, k->cached)) return 2;
  free(t);
  /* A call that needs the network works (the engine's runtime of the child). */
  char *fresh = get(k->client, 1, "child fetch_token");
  if (!fresh || !strcmp(fresh, k->cached)) return 3;
  t = get(k->client, 0, "child get_token after fetch");
  if (!t || strcmp(t, fresh)) return 4;
  free(t);
  free(fresh);
  /* So does a client built in the child. */
  m2m_client *own = new_client(tc_audience("f"));
  t = get(own, 0, "child's own client");
  if (!t) return 5;
  free(t);
  m2m_client_free(own);
  /* The child's stats: the parent's at the fork plus its own calls (two
   * hits; the fetch counts a miss and a fetch). */
  counts want = plus(k->at_fork, 2, 1, 1);
  if (!same(stats_of(k->client), want)) {
    print_counts("child", stats_of(k->client));
    print_counts("expected", want);
    return 6;
  }
  return 0;
}

static void a_child_forked_with_a_cached_token_gets_tokens(void) {
  m2m_client *c = new_client(tc_audience("f"));
  char *cached = get(c, 0, "parent get_token");
  CHECK(cached != NULL);
  if (!cached) return;
  char *again = get(c, 0, "parent get_token");
  CHECK(again && !strcmp(again, cached));
  free(again);
  cached_case k = {c, cached, stats_of(c)};
  CHECK_EQ_INT(k.at_fork.misses, 1);
  CHECK_EQ_INT(k.at_fork.fetches, 1);
  CHECK_EQ_INT(k.at_fork.hits, 1);
  long before = ctl_token_requests(&srv);
  CHECK_EQ_INT(in_child(child_with_a_cached_token, &k), 0);
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 2); /* the child's fetch, its own client */
  /* The parent: unaffected (its stats, its cached token). */
  CHECK(same(stats_of(c), k.at_fork));
  char *t = get(c, 0, "parent after the child");
  CHECK(t && !strcmp(t, cached));
  free(t);
  CHECK(same(stats_of(c), plus(k.at_fork, 1, 0, 0)));
  /* And it still makes requests of its own. */
  t = get(c, 1, "parent fetch_token");
  CHECK(t != NULL);
  free(t);
  free(cached);
  m2m_client_free(c);
}

/* ---- a child forked while a token request is in flight -------------------- */

typedef struct {
  m2m_client *client;
  char *token;
} waiter;

/* fetch_token, not get_token: what this thread held is told apart from the
 * child's own calls in tests/c/valgrind-fork-child.supp. */
static void *wait_for_token(void *arg) {
  waiter *w = arg;
  w->token = get(w->client, 1, "parent's waiting thread");
  return NULL;
}

typedef struct {
  m2m_client *client;
  counts at_fork;
} inflight_case;

static int child_during_a_request(void *arg) {
  inflight_case *k = arg;
  if (!same(stats_of(k->client), k->at_fork)) return 1;
  /* The parent's request in flight is not the child's: it makes its own. */
  double t0 = now_ms();
  char *t = get(k->client, 0, "child get_token");
  if (!t) return 2;
  if (now_ms() - t0 > (t_slow() ? 20000 : 5000)) return 3;
  char *again = get(k->client, 0, "child get_token again");
  if (!again || strcmp(again, t)) return 4;
  free(t);
  free(again);
  counts want = plus(k->at_fork, 1, 1, 1);
  if (!same(stats_of(k->client), want)) {
    print_counts("child", stats_of(k->client));
    print_counts("expected", want);
    return 5;
  }
  return 0;
}

static void a_child_forked_during_a_request_gets_tokens(void) {
  m2m_client *c = new_client(tc_audience("f"));
  /* The parent's request waits at the server. */
  CHECK_EQ_INT(ctl_faults(&srv, NULL, "[{\"delay_ms\": 1500}]", 0), 0);
  long before = ctl_token_requests(&srv);
  waiter w = {c, NULL};
  pthread_t th;
  CHECK_EQ_INT(pthread_create(&th, NULL, wait_for_token, &w), 0);
  for (int i = 0; i < 500 && ctl_token_requests(&srv) == before; i++) sleep_ms(5);
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 1);
  inflight_case k = {c, stats_of(c)};
  CHECK_EQ_INT(k.at_fork.misses, 1);
  CHECK_EQ_INT(k.at_fork.fetches, 1);
  CHECK_EQ_INT(in_child(child_during_a_request, &k), 0);
  pthread_join(th, NULL);
  CHECK(w.token != NULL);
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 2); /* the parent's, the child's */
  /* The parent's call completed as if nothing happened; its stats are its own. */
  CHECK(same(stats_of(c), k.at_fork));
  char *t = get(c, 0, "parent after the child");
  CHECK(t && w.token && !strcmp(t, w.token));
  CHECK(same(stats_of(c), plus(k.at_fork, 1, 0, 0)));
  free(t);
  free(w.token);
  ctl_clear_faults(&srv, NULL);
  m2m_client_free(c);
}

int main(int argc, char **argv) {
  t_select(argc, argv);
  if (devserver_start(&srv, CLIENTS, NULL)) {
    fprintf(stderr, "cannot start the dev server\n");
    return 1;
  }
  RUN(a_child_forked_with_a_cached_token_gets_tokens);
  RUN(a_child_forked_during_a_request_gets_tokens);
  devserver_stop(&srv);
  return t_summary("test_fork");
}
