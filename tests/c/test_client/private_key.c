/* private_key_jwt through the C API: a client built from a key file gets
 * tokens from the dev server (which verifies each assertion and refuses a
 * reused jti), a new assertion per request, and a key file that vanishes
 * is M2M_CONFIG for that call. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

/* core/tests/verify_keys/ed25519.pem and its public JWK (test keys only). */
static const char *ED25519_PEM =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIPUx72sOY1JQVoFMtBUyjsgWizUlCoh4GnMy0KFY5GfG\n"
    "-----END PRIVATE KEY-----\n";
static const char *PK_CLIENT =
    "{\"client_id\": \"c-pk-client\", \"auth_methods\": [\"private_key_jwt\"],"
    " \"jwks\": {\"keys\": [{\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"kid\": \"ed-1\","
    " \"x\": \"LC0WrMFQ-TZlpCApEZwOcI-94crys1q5YLLT3HcPy2Y\"}]}}";
#define BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

void private_key_jwt_from_a_key_file(void) {
  CHECK_EQ_INT(ctl_add_client(&srv, PK_CLIENT), 0);
  char path[] = "/tmp/m2m-c-pk-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  if (fd < 0) return;
  CHECK(write(fd, ED25519_PEM, strlen(ED25519_PEM)) == (ssize_t)strlen(ED25519_PEM));
  close(fd);
  m2m_client_options *o = NULL;
  CHECK_EQ_INT(m2m_client_options_new(&o), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_token_url(o, srv.token_url), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_id(o, "c-pk-client"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_private_key_file(o, path), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_key_id(o, "ed-1"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_audience(o, tc_audience("pk")), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_no_proxy(o, true), M2M_OK);
  m2m_client *c = tc_build(o);
  if (!c) {
    unlink(path);
    return;
  }
  CHECK_STR(m2m_client_auth_method(c), "private_key_jwt");
  for (int i = 0; i < 3; i++) {
    m2m_token *t = NULL;
    CHECK_EQ_INT(m2m_client_fetch_token(c, NULL, &t, NULL), M2M_OK);
    m2m_token_free(t);
  }
  /* The last three requests: each with its own assertion, none a secret. */
  char *text;
  jval *reqs = ctl_requests(&srv, &text);
  CHECK(reqs && reqs->type == J_ARR && reqs->len >= 3);
  if (reqs && reqs->len >= 3) {
    char *seen[3] = {0};
    for (int i = 0; i < 3; i++) {
      const char *body = json_get_str(&reqs->items[reqs->len - 3 + i], "body");
      char *type = form_value(body, "client_assertion_type");
      char *secret = form_value(body, "client_secret");
      CHECK_STR(type, BEARER);
      CHECK(secret == NULL);
      free(type);
      free(secret);
      seen[i] = form_value(body, "client_assertion");
      CHECK(seen[i] != NULL);
    }
    CHECK(seen[0] && seen[1] && seen[2] && strcmp(seen[0], seen[1]) && strcmp(seen[1], seen[2]) &&
          strcmp(seen[0], seen[2]));
    for (int i = 0; i < 3; i++) free(seen[i]);
  }
  json_free(reqs);
  free(text);
  /* The key file vanishes: that request is a config error. */
  unlink(path);
  m2m_token *t = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_fetch_token(c, NULL, &t, &err), M2M_CONFIG);
  m2m_error_free(err);
  m2m_token_free(t);
  m2m_client_free(c);
}
