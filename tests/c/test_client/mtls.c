/* Mutual TLS (RFC 8705) through the C API, against a dev server with its
 * https listener and core's fixtures (core/tests/mtls_keys, made by
 * core/tests/mtls_keys/make-certs.sh): tls_client_auth from certificate and key
 * files; a certificate registered nowhere is M2M_OAUTH invalid_client; a
 * key of another certificate is M2M_CONFIG at build, without key text. */
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define KEYS "core/tests/mtls_keys/"
static const char *MTLS_CLIENTS =
    "{\"clients\": ["
    "{\"client_id\": \"c-mtls\", \"auth_methods\": [\"tls_client_auth\"],"
    " \"tls_client_auth_subject_dn\": \"CN=mtls-client,O=m2m-auth tests\"}]}";

/* Options for `id` presenting `cert` / `key` (fixture names) to `s`. */
static m2m_client_options *mtls_options(const devserver *s, const char *id, const char *cert,
                                        const char *key) {
  char cert_path[128], key_path[128];
  snprintf(cert_path, sizeof cert_path, KEYS "%s", cert);
  snprintf(key_path, sizeof key_path, KEYS "%s", key);
  m2m_client_options *o = NULL;
  CHECK_EQ_INT(m2m_client_options_new(&o), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_token_url(o, s->mtls_token_url), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_id(o, id), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_ca_certs(o, s->tls_ca_pem), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_certificate_file(o, cert_path), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_key_file(o, key_path), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_no_proxy(o, true), M2M_OK);
  return o;
}

void mutual_tls_with_certificate_files(void) {
  devserver tls;
  if (devserver_start(&tls, MTLS_CLIENTS, "--client-ca=" KEYS "client-ca.pem")) {
    t_fail(__FILE__, __LINE__, "the dev server does not start with --client-ca");
    return;
  }
  CHECK(tls.tls_ca_pem && strstr(tls.tls_ca_pem, "BEGIN CERTIFICATE"));
  m2m_client *c = tc_build(mtls_options(&tls, "c-mtls", "client.pem", "client.sec1.key"));
  if (c) {
    CHECK_STR(m2m_client_auth_method(c), "tls_client_auth");
    m2m_token *t = NULL;
    CHECK_EQ_INT(m2m_client_fetch_token(c, NULL, &t, NULL), M2M_OK);
    m2m_token_free(t);
    CHECK_EQ_INT(ctl_token_requests(&tls), 1);
    m2m_client_free(c);
  }
  c = tc_build(mtls_options(&tls, "c-mtls", "other.pem", "other.key"));
  if (c) {
    m2m_token *t = NULL;
    m2m_error *err = NULL;
    CHECK_EQ_INT(m2m_client_fetch_token(c, NULL, &t, &err), M2M_OAUTH);
    CHECK_STR(m2m_error_error(err), "invalid_client");
    m2m_error_free(err);
    m2m_client_free(c);
  }
  m2m_client_options *o = mtls_options(&tls, "c-mtls", "client.pem", "other.key");
  m2m_client *bad = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_new(o, &bad, &err), M2M_CONFIG);
  const char *message = err ? m2m_error_message(err) : "";
  CHECK(strstr(message, "does not match") != NULL);
  CHECK(strstr(message, "PRIVATE KEY") == NULL);
  m2m_error_free(err);
  m2m_client_options_free(o);
  devserver_stop(&tls);
}
