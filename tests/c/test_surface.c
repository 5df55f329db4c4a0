/* The C surface against the dev/fault server, item by item of the engine's
 * declaration (tests/surface.json; tests/c/check_parity.py checks the
 * header): every option setter with a valid value (and what reaches the
 * wire), every stat, every error field on real errors, every token field,
 * every client method (invalidate_rejected, client_id, auth_method), and
 * engine logs through the log callback.
 *
 * This file: the program (main), the options, the token fields and the
 * client methods; stats, errors and logs are in tests/c/test_surface/. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/clients.h"
#include "support/testlib.h"
#include "test_surface/surface.h"

devserver srv;

static const char *CLIENTS =
    "{\"clients\": ["
    " {\"client_id\": \"" CLIENT_ID "\", \"client_secret\": \"" SECRET "\", \"token_lifetime\": 3600},"
    " {\"client_id\": \"short\", \"client_secret\": \"short-secret\", \"token_lifetime\": 20}"
    "]}";

/* The form body of the last token request the server saw (malloc'd). */
static char *last_form(void) {
  char *text = NULL, *body = NULL;
  jval *reqs = ctl_requests(&srv, &text);
  if (reqs && reqs->type == J_ARR && reqs->len) {
    const char *b = json_get_str(&reqs->items[reqs->len - 1], "body");
    body = b ? strdup(b) : NULL;
  }
  json_free(reqs);
  free(text);
  return body;
}

#define CHECK_FORM(body, name, want)        \
  do {                                      \
    char *v_ = form_value((body), (name));  \
    CHECK_STR(v_, (want));                  \
    free(v_);                               \
  } while (0)

/* One CA certificate in PEM: the system bundle's first, else a made-up one
 * (parsed, never used: the dev server is plain http on loopback). */
static char *a_ca_certificate(void) {
  FILE *f = fopen("/etc/ssl/certs/ca-certificates.crt", "r");
  char line[256], *pem = calloc(1, 16384);
  size_t len = 0;
  int in = 0;
  while (f && fgets(line, sizeof line, f) && len + sizeof line < 16384) {
    if (!strncmp(line, "-----BEGIN CERTIFICATE-----", 27)) in = 1;
    if (in) len += (size_t)sprintf(pem + len, "%s", line);
    if (in && !strncmp(line, "-----END CERTIFICATE-----", 25)) break;
  }
  if (f) fclose(f);
  if (!strstr(pem, "-----END CERTIFICATE-----"))
    strcpy(pem, "-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----\n");
  return pem;
}

static void every_option_setter_takes_a_valid_value(void) {
  const char *aud = tc_audience("s");
  char *pem = a_ca_certificate();
  m2m_client_options *o = NULL;
  m2m_client_options_new(&o);
  /* In the order of tests/surface.json; domain and issuer below. */
  CHECK_EQ_INT(m2m_client_options_set_token_url(o, srv.token_url), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_id(o, CLIENT_ID), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_secret(o, SECRET), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_auth_method(o, "client_secret_post"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_audience(o, aud), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_add_scope(o, "write:data"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_add_scope(o, "read:data admin"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_organization(o, "org_surface"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_add_resource(o, "https://r1.example.com/"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_add_resource(o, "https://r2.example.com/"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_add_extra(o, "custom", "x y"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_add_extra(o, "other", "1"), M2M_OK);
  /* (the CA certificates make a connection pool of its own: loading the
   * system trust store for it is slow under valgrind) */
  CHECK_EQ_INT(m2m_client_options_set_timeout(o, t_slow() ? 120000 : 20000), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_connect_timeout(o, 10000), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_max_response_bytes(o, 65536), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_ca_certs(o, pem), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_ca_certs(o, pem), M2M_OK); /* adds */
  CHECK_EQ_INT(m2m_client_options_set_proxy(o, "http://127.0.0.1:9"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_no_proxy(o, true), M2M_OK); /* wins over proxy */
  CHECK_EQ_INT(m2m_client_options_set_leeway(o, 30000), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_refresh_ratio(o, 0.5), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_default_expires_in(o, 600000), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_max_attempts(o, 2), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_retry_base_delay(o, 20), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_retry_max_delay(o, 1000), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_retry_jitter(o, 0.2), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_default_throttle(o, 1000), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_max_retry_after(o, 60000), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_cache(o, "memory"), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_cache_strict(o, false), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_lease_ttl(o, 5000), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_store_timeout(o, 300), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_max_cache_keys(o, 500), M2M_OK);
  m2m_client *c = tc_build(o);
  CHECK_STR(m2m_client_client_id(c), CLIENT_ID);
  CHECK_STR(m2m_client_auth_method(c), "client_secret_post");

  double before_ms = (double)time(NULL) * 1000.0;
  m2m_token *t = tc_get(c, NULL);
  char *form = last_form();
  CHECK_FORM(form, "audience", aud);
  CHECK_FORM(form, "scope", "admin read:data write:data");
  CHECK_FORM(form, "organization", "org_surface");
  CHECK_FORM(form, "custom", "x y");
  CHECK_FORM(form, "other", "1");
  char *r1 = form_value_at(form, "resource", 0), *r2 = form_value_at(form, "resource", 1);
  CHECK(r1 && r2 && strcmp(r1, r2) && strstr(r1, "example.com") && strstr(r2, "example.com"));
  free(r1);
  free(r2);
  free(form);

  /* Token fields in C's units: ms, and ms since the epoch. */
  uint64_t expires_in = 0;
  int64_t expires_at = 0, refresh_at = 0;
  CHECK_EQ_INT(m2m_token_expires_in(t, &expires_in), M2M_OK);
  CHECK_EQ_INT(m2m_token_expires_at(t, &expires_at), M2M_OK);
  CHECK_EQ_INT(m2m_token_refresh_at(t, &refresh_at), M2M_OK);
  CHECK(expires_in > 3590000 && expires_in <= 3600000);
  CHECK(expires_at > before_ms + 3590000 && expires_at < before_ms + 3610000);
  /* refresh_ratio 0.5 of 3600 s */
  CHECK(refresh_at > before_ms + 1790000 && refresh_at < before_ms + 1810000);
  CHECK(refresh_at < expires_at);
  const char *extra = NULL, *scope = NULL;
  CHECK_EQ_INT(m2m_token_extra(t, &extra), M2M_OK);
  CHECK_STR(extra, "{}");
  CHECK_EQ_INT(m2m_token_scope(t, &scope), M2M_OK);
  CHECK_STR(scope, "admin read:data write:data");
  m2m_token_free(t);
  m2m_client_free(c);
  free(pem);

  /* domain (a URL with a scheme for the dev server) and issuer */
  const char *endpoints[] = {srv.url, srv.issuer};
  for (int i = 0; i < 2; i++) {
    o = NULL;
    m2m_client_options_new(&o);
    m2m_result (*set)(m2m_client_options *, const char *) =
        i ? m2m_client_options_set_issuer : m2m_client_options_set_domain;
    CHECK_EQ_INT(set(o, endpoints[i]), M2M_OK);
    m2m_client_options_set_client_id(o, CLIENT_ID);
    m2m_client_options_set_client_secret(o, SECRET);
    m2m_client_options_set_audience(o, tc_audience("s"));
    m2m_client_options_set_no_proxy(o, true);
    c = tc_build(o);
    t = tc_get(c, NULL);
    CHECK(strlen(tc_access_token(t)) > 20);
    m2m_token_free(t);
    m2m_client_free(c);
  }
}

static void client_secret_basic_is_named(void) {
  m2m_client_options *o = tc_options(&srv, CLIENT_ID, SECRET, tc_audience("s"));
  m2m_client_options_set_auth_method(o, "client_secret_basic");
  m2m_client *c = tc_build(o);
  CHECK_STR(m2m_client_auth_method(c), "client_secret_basic");
  m2m_client_free(c);
}
/* ---- client methods ------------------------------------------------------ */

static void invalidate_rejected_drops_only_the_refused_token(void) {
  m2m_client *c = tc_build(tc_options(&srv, CLIENT_ID, SECRET, tc_audience("s")));
  m2m_request *rq = NULL;
  m2m_request_new(&rq);
  m2m_request_add_scope(rq, "read:data");
  const m2m_request *requests[] = {NULL, rq};
  for (int i = 0; i < 2; i++) {
    long before = ctl_token_requests(&srv);
    m2m_token *t1 = tc_get(c, requests[i]);
    char refused[4096];
    snprintf(refused, sizeof refused, "%s", tc_access_token(t1));
    m2m_error *err = NULL;
    CHECK_EQ_INT(m2m_client_invalidate_rejected(c, requests[i], refused, &err), M2M_OK);
    m2m_token *t2 = tc_get(c, requests[i]);
    CHECK(strcmp(tc_access_token(t2), refused) != 0);
    CHECK_EQ_INT(ctl_token_requests(&srv) - before, 2);
    /* A late 401 for the old token keeps the renewed one. */
    CHECK_EQ_INT(m2m_client_invalidate_rejected(c, requests[i], refused, NULL), M2M_OK);
    m2m_token *t3 = tc_get(c, requests[i]);
    CHECK_STR(tc_access_token(t3), tc_access_token(t2));
    CHECK_EQ_INT(ctl_token_requests(&srv) - before, 2);
    m2m_token_free(t1);
    m2m_token_free(t2);
    m2m_token_free(t3);
  }
  m2m_request_free(rq);
  m2m_client_free(c);
}
int main(int argc, char **argv) {
  t_select(argc, argv);
  if (devserver_start(&srv, CLIENTS, NULL)) {
    fprintf(stderr, "cannot start the dev server\n");
    return 1;
  }
  RUN(every_option_setter_takes_a_valid_value);
  RUN(client_secret_basic_is_named);
  RUN(every_stat_counts);
  RUN(every_error_field_on_real_errors);
  RUN(invalidate_rejected_drops_only_the_refused_token);
  RUN(the_log_callback_gets_a_warning_for_a_failed_request);
  devserver_stop(&srv);
  return t_summary("test_surface");
}
