/* A TLS Redis as the shared cache (docs/design.md §4, issue #16) through the
 * C API: a TLS-only redis-server with a CA made for this run
 * (tests/cross/redis_topology.py), reached through rediss:// and trusted
 * through ca_certs. Two clients with memory caches of their own make one
 * token request; without ca_certs a strict client fails with M2M_CACHE
 * naming the certificate, and a default one still gets a token. */
#include <m2m_auth.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* A client of CLIENT_ID for `audience` with `cache`, a memory cache of its
 * own (as another process), trusting `ca_pem` (NULL: the OS store only). */
static m2m_client *tls_client(const char *audience, const char *cache, const char *ca_pem,
                              bool strict) {
  m2m_client_options *o = tc_options(&srv, CLIENT_ID, SECRET, audience);
  CHECK_EQ_INT(m2m_client_options_set_cache(o, cache), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_max_cache_keys(o, 16), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_store_timeout(o, 5000), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_cache_strict(o, strict), M2M_OK);
  if (ca_pem) CHECK_EQ_INT(m2m_client_options_set_ca_certs(o, ca_pem), M2M_OK);
  return tc_build(o);
}

static uint64_t stat_of(const m2m_client *c, uint64_t (*get)(const m2m_stats *)) {
  m2m_stats *st = NULL;
  CHECK_EQ_INT(m2m_client_stats(c, &st), M2M_OK);
  uint64_t v = st ? get(st) : 0;
  m2m_stats_free(st);
  return v;
}

void rediss_with_ca_certs_shares_one_token(void) {
  child_server redis;
  char line[512] = "", url[256] = "", ca_file[256] = "";
  char *argv[] = {"python3", "tests/cross/redis_topology.py", "tls", "--exit-on-stdin-eof", NULL};
  if (server_spawn(&redis, argv, line, sizeof line) || sscanf(line, "%255s %255s", url, ca_file) != 2) {
    t_fail(__FILE__, __LINE__, "the TLS redis-server does not start (tests/cross/redis_topology.py tls)");
    server_stop(&redis);
    return;
  }
  char *ca_pem = t_read_file(ca_file);
  CHECK(ca_pem != NULL);

  char audience[96];
  snprintf(audience, sizeof audience, "%s", tc_audience("tls"));
  long before = ctl_token_requests(&srv);
  m2m_client *a = tls_client(audience, url, ca_pem, false);
  m2m_client *b = tls_client(audience, url, ca_pem, false);
  m2m_token *ta = a ? tc_get(a, NULL) : NULL, *tb = b ? tc_get(b, NULL) : NULL;
  if (ta && tb) CHECK_STR(tc_access_token(tb), tc_access_token(ta));
  long requests = ctl_token_requests(&srv) - before;
  printf("c rediss://: 2 clients -> %ld token request(s)\n", requests);
  CHECK_EQ_INT(requests, 1);
  if (b) CHECK_EQ_INT(stat_of(b, m2m_stats_shared_hits), 1);
  if (a && b) CHECK_EQ_INT(stat_of(a, m2m_stats_store_errors) + stat_of(b, m2m_stats_store_errors), 0);
  m2m_token_free(ta);
  m2m_token_free(tb);
  m2m_client_free(a);
  m2m_client_free(b);

  /* No ca_certs: the run's CA is unknown. */
  m2m_client *strict = tls_client(tc_audience("tls"), url, NULL, true);
  m2m_token *t = NULL;
  m2m_error *err = NULL;
  if (strict) {
    CHECK_EQ_INT(m2m_client_get_token(strict, NULL, &t, &err), M2M_CACHE);
    CHECK(err && strstr(m2m_error_message(err), "certificate"));
    check_no_secret(err);
  }
  m2m_error_free(err);
  m2m_token_free(t);
  m2m_client_free(strict);
  m2m_client *lenient = tls_client(tc_audience("tls"), url, NULL, false);
  if (lenient) {
    m2m_token_free(tc_get(lenient, NULL));
    CHECK(stat_of(lenient, m2m_stats_store_errors) > 0);
  }
  m2m_client_free(lenient);
  free(ca_pem);
  server_stop(&redis);
}
