/* What the API-side parts of test_dpop share (api.c, api_jose.c): a C API
 * in a few lines, as a server calls m2m_verifier_verify_http_request and
 * m2m_verifier_challenge for each request, over the dev server's keys. */
#ifndef M2M_TEST_DPOP_API_H
#define M2M_TEST_DPOP_API_H

#include <m2m_auth.h>

#include "dpop.h"

/* The URL the tests' requests address (a C server builds it from its
 * request; nothing listens there). */
#define API_URL "https://api.example.com/orders?id=1"

/* What the API answered one request. */
typedef struct {
  int status;
  char www_authenticate[1024], dpop_nonce[256]; /* "" when absent */
  char reason[64];                              /* the refusal's reason, "" if none */
} answer;

/* A verifier of the dev server's tokens for `audience` (keys through the
 * issuer's discovery), `dpop` ("allowed", "required", "off"; NULL: the
 * default) and nonce mode; NULL and a failed check on error. */
m2m_verifier *api_verifier(const char *audience, const char *dpop, bool nonce);
/* The API: verifies the request with `v`, needing `scopes`; on a refusal,
 * the answer of m2m_verifier_challenge (realm NULL); on a success, in
 * nonce mode, m2m_verifier_dpop_nonce as the DPoP-Nonce. Checks that no text of the error and no header
 * holds one of `canary` (NULL-terminated; NULL for none). Counts the
 * requests in `api_requests`. */
answer api_serve(m2m_verifier *v, const char *method, const char *url, const char *authorization,
                 const char *dpop, const char *scopes, const char *const *canary);
extern int api_requests;

/* api.c */
void api_dpop_token_and_its_proof_verify_once(void);
void api_bound_token_as_bearer_is_refused(void);
void api_nonce_mode_costs_the_client_one_retry(void);
void api_dpop_modes_decide_the_schemes(void);
void api_insufficient_scope_is_a_dpop_403(void);
/* api_jose.c */
void api_proofs_made_with_libcrypto_verify(void);
void api_no_token_or_proof_in_errors_or_logs(void);

#endif
