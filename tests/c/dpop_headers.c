/* For the run of bindings/c/examples/verify_dpop.c (scripts/test-c.sh): a
 * DPoP-bound token of the dev server's demo-client (its DPoP key from a
 * file, so that every run binds to the same key) and a proof of METHOD URL
 * for it (m2m_client_request_headers), printed as "DPoP <token>\t<proof>", the request's headers. With
 * NONCE, the proof carries it (as after a use_dpop_nonce answer).
 *   dpop_headers TOKEN_URL AUDIENCE KEY_FILE METHOD URL [NONCE] */
#include <m2m_auth.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: %s TOKEN_URL AUDIENCE KEY_FILE METHOD URL [NONCE]\n", argv[0]);
    return 2;
  }
  const char *method = argv[4], *url = argv[5];
  m2m_client_options *o = NULL;
  m2m_client *c = NULL;
  m2m_token *t = NULL;
  m2m_error *err = NULL;
  m2m_request_headers *h = NULL;
  bool retry = false;
  m2m_client_options_new(&o);
  m2m_client_options_set_token_url(o, argv[1]);
  m2m_client_options_set_client_id(o, "demo-client");
  m2m_client_options_set_client_secret(o, "demo-secret");
  m2m_client_options_set_audience(o, argv[2]);
  m2m_client_options_set_no_proxy(o, true);
  m2m_client_options_set_dpop(o, true);
  m2m_client_options_set_dpop_key_file(o, argv[3]);
  int ok = m2m_client_new(o, &c, &err) == M2M_OK && m2m_client_get_token(c, NULL, &t, &err) == M2M_OK;
  if (ok && argc > 6)
    ok = m2m_client_dpop_response(c, url, t, 401, "DPoP error=\"use_dpop_nonce\"", argv[6], &retry) == M2M_OK;
  ok = ok && m2m_client_request_headers(c, method, url, t, &h, &err) == M2M_OK && m2m_request_headers_dpop(h);
  if (ok) printf("%s\t%s\n", m2m_request_headers_authorization(h), m2m_request_headers_dpop(h));
  else fprintf(stderr, "dpop_headers: %s\n", err ? m2m_error_message(err) : "no DPoP proof");
  m2m_request_headers_free(h);
  m2m_error_free(err);
  m2m_token_free(t);
  m2m_client_free(c);
  m2m_client_options_free(o);
  return ok ? 0 : 1;
}
