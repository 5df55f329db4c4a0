/* Interop of the C library with a real authorization server: oidc-provider
 * (tests/interop/server.mjs, a certified OpenID Provider whose JOSE library
 * is not ours), started here on 127.0.0.1. Every client of
 * tests/interop/clients.json gets an RS256 at+jwt token for the RFC 8707
 * resource through the C client, and the C verifier accepts it with the
 * issuer alone (keys through oidc-provider's discovery document) and refuses
 * it for another audience, with a broken signature or from the wrong issuer;
 * an ES256 token (a resource under https://es256.example.com/) verifies too.
 * The `assertion_clients` (private_key_jwt with RS256, PS256, ES256 and
 * EdDSA test keys, client_secret_jwt) get tokens, a new assertion each.
 * Mutual TLS with its https listener is in test_interop/mtls.c, DPoP-bound
 * tokens (its dpop_clients, one demanding a nonce) in test_interop/dpop.c.
 * scripts/test-c.sh installs oidc-provider (npm ci) before running this. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/clients.h"
#include "support/json.h"
#include "support/testlib.h"
#include "test_interop/interop.h"

static child_server provider;
char issuer[128], token_endpoint[160], mtls_token_endpoint[160];
char ca_file[512], certs_dir[512];
static char *clients_text;
jval *clients;

#define REPORTS "/tmp/m2m-c-node-reports"

/* Starts server.mjs once; 0 with its start line in `line`. A start that
 * prints no line in 30 s gets SIGUSR2 first (node's report: its JS and
 * native stacks, printed here) and is stopped. */
static int provider_spawn(char *line, size_t cap) {
  char *argv[] = {"node", "--report-on-signal", "--report-directory=" REPORTS,
                  "tests/interop/server.mjs", "--exit-on-stdin-eof", NULL};
  if (server_spawn(&provider, argv, line, cap)) return -1;
  if (line[0]) return 0;
  if (provider.pid > 0) {
    kill(provider.pid, SIGUSR2);
    sleep_ms(3000);
    fprintf(stderr, "oidc-provider printed no start line in 30 s; its report:\n");
    fflush(stderr);
    if (system("cat " REPORTS "/*.json 2>/dev/null | head -c 30000 >&2; rm -rf " REPORTS)) {
      /* No report: nothing more to show. */
    }
  }
  server_stop(&provider);
  return -1;
}

static int provider_start(void) {
  char line[4096], err[128];
  /* Once more after a silent start (seen rarely in CI; the report says where). */
  if (provider_spawn(line, sizeof line) && provider_spawn(line, sizeof line)) return -1;
  jval *v = json_parse(line, err, sizeof err);
  const char *iss = v ? json_get_str(v, "issuer") : NULL;
  const char *te = v ? json_get_str(v, "token_endpoint") : NULL;
  const char *mtls = v ? json_get_str(v, "mtls_token_endpoint") : NULL;
  const char *ca = v ? json_get_str(v, "ca_file") : NULL;
  const char *dir = v ? json_get_str(v, "certs_dir") : NULL;
  if (!iss || !te || !mtls || !ca || !dir) {
    fprintf(stderr, "oidc-provider: unexpected first line: %s\n", line);
    json_free(v);
    return -1;
  }
  snprintf(issuer, sizeof issuer, "%s", iss);
  snprintf(token_endpoint, sizeof token_endpoint, "%s", te);
  snprintf(mtls_token_endpoint, sizeof mtls_token_endpoint, "%s", mtls);
  snprintf(ca_file, sizeof ca_file, "%s", ca);
  snprintf(certs_dir, sizeof certs_dir, "%s", dir);
  json_free(v);
  return 0;
}

/* A client of oidc-provider for `client` (an entry of clients.json) asking
 * for `resource` (and `scope` if not NULL). */
static m2m_client *interop_client(const jval *client, const char *resource, const char *scope) {
  m2m_client_options *o = NULL;
  CHECK_EQ_INT(m2m_client_options_new(&o), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_token_url(o, token_endpoint), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_id(o, json_get_str(client, "client_id")), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_secret(o, json_get_str(client, "client_secret")),
               M2M_OK);
  CHECK_EQ_INT(
      m2m_client_options_set_auth_method(o, json_get_str(client, "token_endpoint_auth_method")),
      M2M_OK);
  CHECK_EQ_INT(m2m_client_options_add_resource(o, resource), M2M_OK);
  if (scope) CHECK_EQ_INT(m2m_client_options_add_scope(o, scope), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_no_proxy(o, true), M2M_OK);
  return tc_build(o);
}

/* A verifier of oidc-provider's tokens for `audience`: the issuer alone, so
 * the keys come through its discovery document. */
static m2m_verifier *interop_verifier(const char *iss, const char *audience) {
  m2m_verifier_options *o = NULL;
  m2m_verifier *v = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_verifier_options_new(&o), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_issuer(o, iss), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_add_audience(o, audience), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_timeout(o, t_slow() ? 60000 : 10000), M2M_OK);
  if (m2m_verifier_new(o, &v, &err) != M2M_OK)
    t_fail(__FILE__, __LINE__, "m2m_verifier_new: %s", m2m_error_message(err));
  m2m_error_free(err);
  m2m_verifier_options_free(o);
  return v;
}

/* `token` fails verification by `v` with reason `reason`. */
static void check_refused(m2m_verifier *v, const char *token, const char *reason) {
  m2m_claims *claims = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify(v, token, &claims, &err), M2M_INVALID_TOKEN);
  CHECK(claims == NULL);
  CHECK_STR(m2m_error_reason(err), reason);
  CHECK(err && !strstr(m2m_error_message(err), token));
  m2m_error_free(err);
}

static void every_client_gets_a_token_the_verifier_accepts(void) {
  const char *resource = json_get_str(clients, "resource");
  const jval *list = json_get(clients, "clients");
  CHECK(resource && list && list->type == J_ARR && list->len >= 4);
  m2m_verifier *v = interop_verifier(issuer, resource);
  for (size_t i = 0; v && list && i < list->len; i++) {
    const jval *client = &list->items[i];
    const char *id = json_get_str(client, "client_id");
    m2m_client *c = interop_client(client, resource, NULL);
    m2m_token *t = c ? tc_get(c, NULL) : NULL;
    const char *type = NULL;
    if (t) {
      CHECK_EQ_INT(m2m_token_token_type(t, &type), M2M_OK);
      CHECK_STR(type, "Bearer");
      m2m_claims *claims = NULL;
      m2m_error *err = NULL;
      if (m2m_verifier_verify(v, tc_access_token(t), &claims, &err) != M2M_OK)
        t_fail(__FILE__, __LINE__, "%s: verify: %s (reason %s)", id, m2m_error_message(err),
               m2m_error_reason(err));
      if (claims) {
        CHECK_STR(m2m_claims_issuer(claims), issuer);
        CHECK_STR(m2m_claims_client_id(claims), id);
        CHECK_EQ_INT(m2m_claims_audience_count(claims), 1);
        CHECK_STR(m2m_claims_audience(claims, 0), resource);
      }
      m2m_claims_free(claims);
      m2m_error_free(err);
    }
    m2m_token_free(t);
    m2m_client_free(c);
  }
  m2m_verifier_counters *n = NULL;
  CHECK_EQ_INT(m2m_verifier_stats(v, &n), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_counters_jwks_fetches(n), 1);
  m2m_verifier_counters_free(n);
  m2m_verifier_free(v);
}

static void a_wrong_secret_is_invalid_client(void) {
  const jval *list = json_get(clients, "clients");
  const jval *client = list && list->len ? &list->items[0] : NULL;
  if (!client) {
    t_fail(__FILE__, __LINE__, "no client in clients.json");
    return;
  }
  const char *secret = "not-the-secret-0123456789";
  m2m_client_options *o = NULL;
  CHECK_EQ_INT(m2m_client_options_new(&o), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_token_url(o, token_endpoint), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_id(o, json_get_str(client, "client_id")), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_secret(o, secret), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_add_resource(o, json_get_str(clients, "resource")), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_no_proxy(o, true), M2M_OK);
  m2m_client *c = tc_build(o);
  m2m_token *t = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, &err), M2M_OAUTH);
  CHECK(t == NULL);
  CHECK_STR(m2m_error_error(err), "invalid_client");
  CHECK_EQ_INT(m2m_error_status(err), 401);
  const char *needles[] = {secret, NULL};
  tc_check_no_secret(err, needles);
  m2m_error_free(err);
  m2m_client_free(c);
}

static void the_verifier_checks_audience_scope_signature_and_issuer(void) {
  const jval *list = json_get(clients, "clients");
  const char *api = "https://verified.example.com/";
  m2m_client *c = list && list->len ? interop_client(&list->items[0], api, "read:data") : NULL;
  m2m_token *t = c ? tc_get(c, NULL) : NULL;
  if (!t) {
    m2m_client_free(c);
    return;
  }
  const char *token = tc_access_token(t);
  m2m_verifier *v = interop_verifier(issuer, api);
  char header[8192];
  snprintf(header, sizeof header, "Bearer %s", token);
  m2m_claims *claims = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_request(v, header, "read:data", &claims, &err), M2M_OK);
  CHECK(claims && m2m_claims_has_scope(claims, "read:data"));
  m2m_claims_free(claims);
  m2m_error_free(err);

  /* The last signature character changed: a bad signature. */
  char *forged = strdup(token);
  size_t len = strlen(forged);
  forged[len - 2] = forged[len - 2] == 'A' ? 'B' : 'A';
  check_refused(v, forged, "bad_signature");
  free(forged);

  m2m_verifier *other = interop_verifier(issuer, "https://other.example.com/");
  check_refused(other, token, "wrong_audience");
  m2m_verifier_free(other);

  /* Another issuer that serves the same keys: the token names oidc-provider. */
  char wrong[160];
  snprintf(wrong, sizeof wrong, "%s/", issuer);
  m2m_verifier_options *o = NULL;
  char jwks_uri[192];
  snprintf(jwks_uri, sizeof jwks_uri, "%s/jwks", issuer);
  CHECK_EQ_INT(m2m_verifier_options_new(&o), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_issuer(o, wrong), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_jwks_uri(o, jwks_uri), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_add_audience(o, api), M2M_OK);
  m2m_verifier *by_uri = NULL;
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_new(o, &by_uri, &err), M2M_OK);
  m2m_error_free(err);
  m2m_verifier_options_free(o);
  if (by_uri) check_refused(by_uri, token, "wrong_issuer");
  m2m_verifier_free(by_uri);

  m2m_verifier_free(v);
  m2m_token_free(t);
  m2m_client_free(c);
}

static void an_es256_token_verifies(void) {
  const jval *list = json_get(clients, "clients");
  const char *api = "https://es256.example.com/orders";
  m2m_client *c = list && list->len ? interop_client(&list->items[1], api, "write:data") : NULL;
  m2m_token *t = c ? tc_get(c, NULL) : NULL;
  m2m_verifier *v = t ? interop_verifier(issuer, api) : NULL;
  m2m_claims *claims = NULL;
  m2m_error *err = NULL;
  if (v && m2m_verifier_verify(v, tc_access_token(t), &claims, &err) != M2M_OK)
    t_fail(__FILE__, __LINE__, "verify: %s (reason %s)", m2m_error_message(err),
           m2m_error_reason(err));
  if (claims) {
    /* oidc-provider signed it with its P-256 key. */
    char *header = jwt_segment(tc_access_token(t), 0);
    CHECK(header && strstr(header, "\"alg\":\"ES256\""));
    free(header);
    CHECK_STR(m2m_claims_client_id(claims), json_get_str(&list->items[1], "client_id"));
    CHECK(m2m_claims_has_scope(claims, "write:data"));
  }
  m2m_claims_free(claims);
  m2m_error_free(err);
  m2m_verifier_free(v);
  m2m_token_free(t);
  m2m_client_free(c);
}

/* private_key_jwt and client_secret_jwt: oidc-provider checks every
 * assertion and refuses a reused jti, so three requests in a row need three
 * new assertions. */
static void every_assertion_method_gets_tokens(void) {
  const jval *list = json_get(clients, "assertion_clients");
  CHECK(list && list->type == J_ARR && list->len >= 5);
  for (size_t i = 0; list && i < list->len; i++) {
    const jval *client = &list->items[i];
    const char *id = json_get_str(client, "client_id");
    const char *key = json_get_str(client, "key");
    m2m_client_options *o = NULL;
    CHECK_EQ_INT(m2m_client_options_new(&o), M2M_OK);
    CHECK_EQ_INT(m2m_client_options_set_token_url(o, token_endpoint), M2M_OK);
    CHECK_EQ_INT(m2m_client_options_set_client_id(o, id), M2M_OK);
    CHECK_EQ_INT(
        m2m_client_options_set_auth_method(o, json_get_str(client, "token_endpoint_auth_method")),
        M2M_OK);
    CHECK_EQ_INT(m2m_client_options_set_signing_alg(o, json_get_str(client, "signing_alg")), M2M_OK);
    if (key) {
      char path[256];
      snprintf(path, sizeof path, "core/tests/verify_keys/%s.pem", key);
      CHECK_EQ_INT(m2m_client_options_set_private_key_file(o, path), M2M_OK);
    } else {
      CHECK_EQ_INT(m2m_client_options_set_client_secret(o, json_get_str(client, "client_secret")),
                   M2M_OK);
    }
    CHECK_EQ_INT(m2m_client_options_set_no_proxy(o, true), M2M_OK);
    m2m_client *c = tc_build(o);
    for (int n = 0; c && n < 3; n++) {
      m2m_token *t = NULL;
      m2m_error *err = NULL;
      if (m2m_client_fetch_token(c, NULL, &t, &err) != M2M_OK)
        t_fail(__FILE__, __LINE__, "%s: request %d: %s", id, n, m2m_error_message(err));
      m2m_error_free(err);
      m2m_token_free(t);
    }
    m2m_client_free(c);
  }
}

int main(int argc, char **argv) {
  t_select(argc, argv);
  clients_text = t_read_file("tests/interop/clients.json");
  char err[128];
  clients = clients_text ? json_parse(clients_text, err, sizeof err) : NULL;
  if (!clients) {
    fprintf(stderr, "test_interop: cannot read tests/interop/clients.json (run from the repository root)\n");
    return 1;
  }
  if (provider_start()) {
    fprintf(stderr, "test_interop: oidc-provider did not start (npm ci in tests/interop)\n");
    server_stop(&provider);
    return 1;
  }
  RUN(every_client_gets_a_token_the_verifier_accepts);
  RUN(a_wrong_secret_is_invalid_client);
  RUN(the_verifier_checks_audience_scope_signature_and_issuer);
  RUN(an_es256_token_verifies);
  RUN(every_assertion_method_gets_tokens);
  RUN(mtls_tls_client_auth_with_each_key_and_the_chain_through_discovery);
  RUN(mtls_self_signed_tls_client_auth_with_each_key_through_discovery);
  RUN(mtls_refused_certificates_are_oauth_invalid_client);
  RUN(mtls_three_fetches_in_a_row_on_one_tls_client);
  RUN(dpop_tokens_are_bound_to_the_key_with_and_without_nonces);
  server_stop(&provider);
  json_free(clients);
  free(clients_text);
  return t_summary("test_interop");
}
