/* One C process of the cross-language shared-cache test: 16 threads call
 * m2m_client_get_token at once with the cache given on the command line and
 * print one JSON line: the token fingerprints seen and the errors.
 *
 * usage: worker TOKEN_URL CLIENT_ID CACHE   (secret in M2M_AUTH_CLIENT_SECRET;
 * a TLS Redis's CA, PEM, in CROSS_CA_PEM and a store_timeout in
 * CROSS_STORE_TIMEOUT_MS, if any) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2m_auth.h"

#define CALLERS 16

static struct m2m_client *client;
static char seen[CALLERS][64];
static int failed[CALLERS];

static void *call(void *arg) {
  int i = (int)(size_t)arg;
  struct m2m_token *token = NULL;
  struct m2m_error *err = NULL;
  if (m2m_client_get_token(client, NULL, &token, &err) != M2M_OK) {
    failed[i] = 1;
    fprintf(stderr, "c worker: %s\n", err ? m2m_error_message(err) : "error");
    m2m_error_free(err);
    return NULL;
  }
  const char *fp = NULL;
  m2m_token_fingerprint(token, &fp);
  snprintf(seen[i], sizeof seen[i], "%s", fp ? fp : "");
  m2m_token_free(token);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4 || !getenv("M2M_AUTH_CLIENT_SECRET")) {
    fprintf(stderr, "usage: worker TOKEN_URL CLIENT_ID CACHE (secret in M2M_AUTH_CLIENT_SECRET)\n");
    return 2;
  }
  struct m2m_client_options *o = NULL;
  struct m2m_error *err = NULL;
  if (m2m_client_options_new(&o) != M2M_OK ||
      m2m_client_options_set_token_url(o, argv[1]) != M2M_OK ||
      m2m_client_options_set_client_id(o, argv[2]) != M2M_OK ||
      m2m_client_options_set_client_secret(o, getenv("M2M_AUTH_CLIENT_SECRET")) != M2M_OK ||
      m2m_client_options_set_cache(o, argv[3]) != M2M_OK ||
      m2m_client_options_set_no_proxy(o, true) != M2M_OK ||
      (getenv("CROSS_CA_PEM") && *getenv("CROSS_CA_PEM") &&
       m2m_client_options_set_ca_certs(o, getenv("CROSS_CA_PEM")) != M2M_OK) ||
      (getenv("CROSS_STORE_TIMEOUT_MS") && *getenv("CROSS_STORE_TIMEOUT_MS") &&
       m2m_client_options_set_store_timeout(
           o, strtoull(getenv("CROSS_STORE_TIMEOUT_MS"), NULL, 10)) != M2M_OK) ||
      m2m_client_new(o, &client, &err) != M2M_OK) {
    fprintf(stderr, "c worker: %s\n", err ? m2m_error_message(err) : "bad options");
    return 1;
  }
  m2m_client_options_free(o);
  pthread_t threads[CALLERS];
  for (int i = 0; i < CALLERS; i++) pthread_create(&threads[i], NULL, call, (void *)(size_t)i);
  for (int i = 0; i < CALLERS; i++) pthread_join(threads[i], NULL);
  printf("{\"language\":\"c\",\"tokens\":[");
  int first = 1, errors = 0;
  for (int i = 0; i < CALLERS; i++) {
    errors += failed[i];
    if (failed[i]) continue;
    int dup = 0;
    for (int j = 0; j < i; j++) dup |= !failed[j] && strcmp(seen[i], seen[j]) == 0;
    if (dup) continue;
    printf("%s\"%s\"", first ? "" : ",", seen[i]);
    first = 0;
  }
  printf("],\"errors\":%d}\n", errors);
  m2m_client_free(client);
  return errors ? 1 : 0;
}
