/* The API side with DPoP (RFC 9449), in C: verify each request as it
 * arrived (method, URL, Authorization and DPoP headers), Bearer or DPoP,
 * then answer as the engine says: status, WWW-Authenticate, DPoP-Nonce.
 * Here the requests come on standard input, one a line, tab-separated:
 * METHOD URL AUTHORIZATION DPOP ("-" for a header the request lacks); in a
 * server, take them from each request.
 * Build: cc -std=c11 verify_dpop.c $(pkg-config --cflags --libs m2m_auth) */
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Answers one request (prints what a server sends); its status. `url` is
 * the absolute URL the client addressed: scheme, Host header and request
 * target (behind a proxy, the public one: take X-Forwarded-Proto/-Host
 * only from a proxy you trust). `dpop` is the DPoP header (several DPoP
 * headers joined with ", ": refused). */
static unsigned answer(const m2m_verifier *verifier, const char *method, const char *url,
                       const char *authorization, const char *dpop) {
  m2m_claims *claims = NULL;
  m2m_error *err = NULL;
  m2m_result rc = m2m_verifier_verify_http_request(verifier, method, url, authorization, dpop,
                                                   "read:data", &claims, &err);
  if (rc == M2M_OK) {
    /* In nonce mode, any answer may carry the nonce to use next (NULL
     * otherwise; the string is yours: m2m_dpop_nonce_free). */
    char *nonce = NULL;
    m2m_verifier_dpop_nonce(verifier, &nonce);
    printf("HTTP 200\n");
    if (nonce) printf("DPoP-Nonce: %s\n", nonce);
    m2m_dpop_nonce_free(nonce);
    const char *client = m2m_claims_client_id(claims);
    printf("hello, %s\n", client ? client : "(no client_id)");
    m2m_claims_free(claims);
    return 200;
  }
  /* 401 (a missing or invalid token or proof, a nonce to use), 403 (a
   * missing scope), under the scheme the request used; 503 when the keys
   * cannot be fetched. Never the token or the proof in the answer. */
  uint16_t status = 500;
  const char *www_authenticate = NULL, *dpop_nonce = NULL;
  m2m_verifier_challenge(verifier, err, authorization, "api", &status, &www_authenticate,
                         &dpop_nonce);
  printf("HTTP %u\n", (unsigned)status);
  if (www_authenticate) printf("WWW-Authenticate: %s\n", www_authenticate);
  if (dpop_nonce) printf("DPoP-Nonce: %s\n", dpop_nonce);
  fprintf(stderr, "m2m-auth: %s\n", m2m_error_message(err));
  m2m_error_free(err);
  return status;
}

int main(void) {
  /* Once, at start-up: the issuer and the audience, as for Bearer tokens.
   * DPoP is "allowed" by default (Bearer tokens, and DPoP-bound tokens
   * with their proof); "required" takes DPoP-bound tokens only. */
  m2m_verifier_options *options = NULL;
  m2m_verifier *verifier = NULL;
  m2m_error *err = NULL;
  m2m_verifier_options_new(&options);
  m2m_verifier_options_set_issuer(options, getenv("ISSUER"));
  m2m_verifier_options_add_audience(options, getenv("API_AUDIENCE"));
  m2m_verifier_options_set_dpop(options, "allowed");
  /* Nonce mode, if wanted: proofs must carry a nonce this API gave. Give
   * every process of the API the same secret (32 bytes or more). */
  const char *secret = getenv("DPOP_NONCE_SECRET");
  if (secret) {
    m2m_verifier_options_set_dpop_nonce(options, true);
    m2m_verifier_options_set_dpop_nonce_secret(options, secret);
  }
  m2m_result rc = m2m_verifier_new(options, &verifier, &err);
  m2m_verifier_options_free(options);
  if (rc != M2M_OK) {
    fprintf(stderr, "m2m-auth: %s\n", m2m_error_message(err));
    m2m_error_free(err);
    return 1;
  }

  /* For each request (share the verifier between threads: it remembers
   * the proofs it took, to refuse a replay). */
  static char line[65536];
  unsigned last = 0;
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\r\n")] = 0;
    char *field[4] = {NULL, NULL, NULL, NULL}, *p = line;
    for (int i = 0; i < 4 && p; i++) {
      field[i] = p;
      p = strchr(p, '\t');
      if (p) *p++ = 0;
    }
    for (int i = 2; i < 4; i++)
      if (field[i] && !strcmp(field[i], "-")) field[i] = NULL;
    if (!field[1]) continue;
    last = answer(verifier, field[0], field[1], field[2], field[3]);
    fflush(stdout);
  }
  m2m_verifier_free(verifier);
  return last == 200 ? 0 : 3;
}
