/* Mutual TLS (RFC 8705) through the C API, against a dev server with its
 * https listener and core's fixtures (core/tests/mtls_keys, made by
 * core/tests/mtls_keys/make-certs.sh): tls_client_auth from certificate and key
 * files; a certificate registered nowhere is M2M_OAUTH invalid_client; a
 * key of another certificate is M2M_CONFIG at build, without key text; and
 * the canary: no line of a client key in an error or a log record at TRACE. */
#include <m2m_auth.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define KEYS "core/tests/mtls_keys/"
static const char *MTLS_CLIENTS =
    "{\"clients\": ["
    "{\"client_id\": \"c-mtls\", \"auth_methods\": [\"tls_client_auth\"],"
    " \"tls_client_auth_subject_dn\": \"CN=mtls-client,O=m2m-auth tests\"}]}";

/* The canary's needles: the base64 body lines of the client keys used. */
#define MAX_NEEDLES 64
static char needle_text[MAX_NEEDLES][128];
static const char *needles[MAX_NEEDLES + 1];

/* Adds the body lines of the PEM fixture `name` to `needles`. */
static void add_key_lines(const char *name) {
  char path[128], line[128];
  snprintf(path, sizeof path, KEYS "%s", name);
  FILE *f = fopen(path, "r");
  CHECK(f != NULL);
  size_t n = 0;
  while (needles[n]) n++;
  while (f && n < MAX_NEEDLES && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (line[0] == 0 || strncmp(line, "-----", 5) == 0) continue;
    snprintf(needle_text[n], sizeof needle_text[n], "%s", line);
    needles[n] = needle_text[n];
    n++;
  }
  if (f) fclose(f);
}

typedef struct {
  pthread_mutex_t lock;
  int count, shown;
} key_sink;

static void on_log(void *user_data, m2m_log_level level, const char *target, const char *message) {
  key_sink *s = user_data;
  (void)level;
  (void)target;
  pthread_mutex_lock(&s->lock);
  s->count++;
  for (const char *const *n = needles; *n; n++) s->shown += strstr(message, *n) != NULL;
  pthread_mutex_unlock(&s->lock);
}

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
  add_key_lines("client.sec1.key");
  add_key_lines("other.key");
  key_sink sink = {.lock = PTHREAD_MUTEX_INITIALIZER};
  CHECK_EQ_INT(m2m_set_log_callback(on_log, &sink, M2M_LOG_TRACE), M2M_OK);
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
    tc_check_no_secret(err, needles);
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
  tc_check_no_secret(err, needles);
  m2m_error_free(err);
  m2m_client_options_free(o);
  CHECK_EQ_INT(m2m_set_log_callback(NULL, NULL, M2M_LOG_OFF), M2M_OK);
  CHECK(sink.count > 0);
  CHECK_EQ_INT(sink.shown, 0);
  devserver_stop(&tls);
}
