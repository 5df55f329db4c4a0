/* Benchmark of the C verifier (issue #13): m2m_verifier_verify +
 * m2m_claims_free, in ns per call, for an RS256 token of the dev server
 * (keys from its JWKS) and the ES256 token of the vectors (static JWKS):
 * uncached (cache_size 0: a signature check per call) and from the
 * verified-token cache (target <= 300 ns). Figures are printed, not
 * asserted. Build against the release library.
 *
 *   bench_verify [ITERATIONS]   (run from the repository; needs
 *                                $M2M_AUTH_DEVSERVER, like the tests) */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/json.h"
#include "support/testlib.h"

static m2m_verifier *verifier(const char *issuer, const char *audience, const char *jwks_uri,
                              const char *jwks, uint64_t cache_size) {
  m2m_verifier_options *o = NULL;
  m2m_verifier *v = NULL;
  m2m_error *err = NULL;
  m2m_verifier_options_new(&o);
  m2m_verifier_options_set_issuer(o, issuer);
  m2m_verifier_options_add_audience(o, audience);
  if (jwks_uri) m2m_verifier_options_set_jwks_uri(o, jwks_uri);
  if (jwks) m2m_verifier_options_set_jwks(o, jwks);
  m2m_verifier_options_set_cache_size(o, cache_size);
  if (m2m_verifier_new(o, &v, &err) != M2M_OK) {
    fprintf(stderr, "verifier: %s\n", m2m_error_message(err));
    exit(1);
  }
  m2m_verifier_options_free(o);
  return v;
}

/* ns per m2m_verifier_verify + m2m_claims_free (best of 3 rounds). */
static double ns_per_verify(m2m_verifier *v, const char *token, long n) {
  double best = 1e18;
  for (int round = 0; round < 3; round++) {
    double t0 = now_ms();
    for (long i = 0; i < n; i++) {
      m2m_claims *c = NULL;
      m2m_error *err = NULL;
      if (m2m_verifier_verify(v, token, &c, &err) != M2M_OK) {
        fprintf(stderr, "verify: %s\n", m2m_error_message(err));
        exit(1);
      }
      m2m_claims_free(c);
    }
    double ns = (now_ms() - t0) * 1e6 / (double)n;
    if (ns < best) best = ns;
  }
  return best;
}

int main(int argc, char **argv) {
  long cached_n = argc > 1 ? atol(argv[1]) : 2000000, uncached_n = cached_n / 200 + 1;
  devserver srv;
  if (devserver_start(&srv, NULL, NULL)) return 1;
  m2m_client_options *o = NULL;
  m2m_client *client = NULL;
  m2m_token *t = NULL;
  m2m_client_options_new(&o);
  m2m_client_options_set_token_url(o, srv.token_url);
  m2m_client_options_set_client_id(o, "demo-client");
  m2m_client_options_set_client_secret(o, "demo-secret");
  m2m_client_options_set_audience(o, "https://api.example.com");
  m2m_client_options_set_no_proxy(o, true);
  const char *rs256 = NULL;
  if (m2m_client_new(o, &client, NULL) != M2M_OK ||
      m2m_client_get_token(client, NULL, &t, NULL) != M2M_OK ||
      m2m_token_access_token(t, &rs256) != M2M_OK) {
    fprintf(stderr, "no token from the dev server\n");
    return 1;
  }
  m2m_client_options_free(o);
  char jwks_uri[128];
  snprintf(jwks_uri, sizeof jwks_uri, "%s/.well-known/jwks.json", srv.url);

  char *text = t_read_file("tests/verify/vectors.json"), err[128];
  jval *vectors = text ? json_parse(text, err, sizeof err) : NULL;
  const char *es256 = NULL;
  const jval *cases = json_get(vectors, "cases");
  for (size_t i = 0; cases && i < cases->len; i++)
    if (!strcmp(json_get_str(&cases->items[i], "name"), "valid-es256"))
      es256 = json_get_str(&cases->items[i], "token");
  char *jwks = vectors ? json_raw_dup(json_get(vectors, "jwks")) : NULL;
  if (!es256 || !jwks) {
    fprintf(stderr, "cannot read tests/verify/vectors.json\n");
    return 1;
  }

  struct {
    const char *name, *token, *issuer, *audience, *jwks_uri, *jwks;
  } runs[] = {
      {"RS256 (dev server)", rs256, srv.issuer, "https://api.example.com", jwks_uri, NULL},
      {"ES256 (vectors)", es256, json_get_str(vectors, "issuer"),
       json_get_str(vectors, "audience"), NULL, jwks},
  };
  for (size_t i = 0; i < 2; i++) {
    m2m_verifier *uncached = verifier(runs[i].issuer, runs[i].audience, runs[i].jwks_uri,
                                      runs[i].jwks, 0);
    m2m_verifier *cached = verifier(runs[i].issuer, runs[i].audience, runs[i].jwks_uri,
                                    runs[i].jwks, 10000);
    ns_per_verify(uncached, runs[i].token, 10); /* fetches the JWKS once */
    ns_per_verify(cached, runs[i].token, 10);
    double u = ns_per_verify(uncached, runs[i].token, uncached_n);
    double c = ns_per_verify(cached, runs[i].token, cached_n);
    printf("C m2m_verifier_verify + m2m_claims_free, %s: uncached %.0f ns/call (%.0f/s), "
           "cached %.1f ns/call (target <= 300 ns)\n",
           runs[i].name, u, 1e9 / u, c);
    m2m_verifier_free(uncached);
    m2m_verifier_free(cached);
  }
  free(jwks);
  json_free(vectors);
  free(text);
  m2m_token_free(t);
  m2m_client_free(client);
  devserver_stop(&srv);
  return 0;
}
