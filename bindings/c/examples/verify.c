/* The API side, in C: verify the access token of a request's Authorization
 * header (RFC 9068) and require a scope, then answer as RFC 6750 says.
 * Here the header comes from the command line; in a server, pass the
 * header of each request (NULL when it has none).
 * Build: cc -std=c11 verify.c $(pkg-config --cflags --libs m2m_auth) */
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  /* Once, at start-up: your authorization server (its issuer URL, e.g.
   * "https://tenant.auth0.com/") and your API's identifier (the audience
   * its tokens carry). The keys come from the issuer's JWKS, found through
   * its metadata, fetched on first use and cached. */
  m2m_verifier_options *options = NULL;
  m2m_verifier *verifier = NULL;
  m2m_error *err = NULL;
  m2m_verifier_options_new(&options);
  m2m_verifier_options_set_issuer(options, getenv("ISSUER"));
  m2m_verifier_options_add_audience(options, getenv("API_AUDIENCE"));
  m2m_result rc = m2m_verifier_new(options, &verifier, &err);
  m2m_verifier_options_free(options);
  if (rc != M2M_OK) {
    fprintf(stderr, "m2m-auth: %s\n", m2m_error_message(err));
    m2m_error_free(err);
    return 1;
  }

  /* For each request (share the verifier between threads): its
   * Authorization header, "Bearer eyJ...", and the scope it needs. */
  const char *authorization = argc > 1 ? argv[1] : NULL;
  m2m_claims *claims = NULL;
  rc = m2m_verifier_verify_request(verifier, authorization, "read:data", &claims, &err);
  if (rc == M2M_OK) {
    const char *client = m2m_claims_client_id(claims);
    printf("HTTP 200\nhello, %s\n", client ? client : "(no client_id)");
    m2m_claims_free(claims);
  } else {
    /* 401 for a missing or invalid token, 403 for a missing scope, 503
     * when the keys cannot be fetched; never the token in the answer. */
    uint16_t status = 500;
    const char *www_authenticate = NULL;
    m2m_challenge(err, "api", &status, &www_authenticate);
    printf("HTTP %u\n", (unsigned)status);
    if (www_authenticate) printf("WWW-Authenticate: %s\n", www_authenticate);
    fprintf(stderr, "m2m-auth: %s\n", m2m_error_message(err));
    m2m_error_free(err);
  }
  m2m_verifier_free(verifier);
  return rc == M2M_OK ? 0 : 3;
}
