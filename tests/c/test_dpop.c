/* DPoP (RFC 9449) through the C API against the dev server: tokens bound
 * to the client's key (cnf.jkt = m2m_client_dpop_thumbprint), proofs from
 * m2m_client_dpop_proof checked by OpenSSL's libcrypto alone (signature by
 * the proof's own jwk, typ, htm, htu, iat, jti, ath), m2m_client_dpop_response
 * and the nonce round trips at the token endpoint and at /api (through
 * m2m_client_call_api and by hand, as an HTTP client of one's own does),
 * dpop off, and no part of the DPoP key in an error or a log record at
 * TRACE; and the API side (m2m_verifier_verify_http_request,
 * m2m_verifier_challenge, m2m_verifier_dpop_nonce) on the dev server's
 * bound tokens, with the client's proofs and with proofs made by libcrypto.
 *
 * This file: the program (main) and what the parts share; the tests are in
 * tests/c/test_dpop/. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_dpop/api.h"
#include "test_dpop/dpop.h"

devserver srv;

static const char *CLIENTS = "{\"clients\": [{\"client_id\": \"" CLIENT_ID "\", \"client_secret\": \"" SECRET
                             "\", \"token_lifetime\": 3600}]}";

m2m_client *dpop_client(const char *key) {
  m2m_client_options *o = tc_options(&srv, CLIENT_ID, SECRET, tc_audience("dpop"));
  CHECK_EQ_INT(m2m_client_options_set_dpop(o, true), M2M_OK);
  if (key) CHECK_EQ_INT(m2m_client_options_set_dpop_key(o, key), M2M_OK);
  return tc_build(o);
}

char *read_text(const char *path) {
  char *s = t_read_file(path);
  if (!s) t_fail(__FILE__, __LINE__, "cannot read %s (run from the repository root)", path);
  return s;
}

int main(int argc, char **argv) {
  t_select(argc, argv);
  if (devserver_start(&srv, CLIENTS, NULL)) {
    fprintf(stderr, "cannot start the dev server\n");
    return 1;
  }
  RUN(tokens_are_bound_to_the_clients_key);
  RUN(proofs_pass_an_independent_check);
  RUN(dpop_response_names_the_one_retry);
  RUN(with_dpop_off_there_is_no_proof);
  RUN(request_headers_for_each_token);
  RUN(the_token_endpoint_nonce_costs_one_more_request);
  RUN(the_api_nonce_through_call_api);
  RUN(the_api_nonce_by_hand);
  RUN(the_dpop_key_never_shows_at_trace);
  RUN(api_dpop_token_and_its_proof_verify_once);
  RUN(api_bound_token_as_bearer_is_refused);
  RUN(api_nonce_mode_costs_the_client_one_retry);
  RUN(api_dpop_modes_decide_the_schemes);
  RUN(api_insufficient_scope_is_a_dpop_403);
  RUN(api_proofs_made_with_libcrypto_verify);
  RUN(api_no_token_or_proof_in_errors_or_logs);
  devserver_stop(&srv);
  return t_summary("test_dpop");
}
