/* The verifier's C surface against bad input: every option setter, NULL
 * for every pointer, bytes that are not UTF-8, huge tokens (typed errors,
 * never a crash), and the RFC 6750 answers of m2m_challenge. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testlib.h"
#include "test_verifier/verifier.h"

/* The first certificate of the system bundle (malloc'd), or NULL. */
static char *system_ca_certificate(void) {
  FILE *f = fopen("/etc/ssl/certs/ca-certificates.crt", "r");
  if (!f) return NULL;
  char line[256], *pem = calloc(1, 16384);
  size_t len = 0;
  int in = 0;
  while (fgets(line, sizeof line, f) && len + sizeof line < 16384) {
    if (!strncmp(line, "-----BEGIN CERTIFICATE-----", 27)) in = 1;
    if (in) len += (size_t)sprintf(pem + len, "%s", line);
    if (in && !strncmp(line, "-----END CERTIFICATE-----", 25)) break;
  }
  fclose(f);
  if (!strstr(pem, "-----END CERTIFICATE-----")) {
    free(pem);
    return NULL;
  }
  return pem;
}

void every_option_setter_takes_a_valid_value(void) {
  m2m_verifier_options *o = NULL;
  CHECK_EQ_INT(m2m_verifier_options_new(&o), M2M_OK);
  /* In the order of tests/surface.json's verifier_options; jwks below. */
  CHECK_EQ_INT(m2m_verifier_options_set_issuer(o, "https://issuer.example/"), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_jwks_uri(o, "https://issuer.example/jwks.json"), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_add_audience(o, "https://api.example/"), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_add_audience(o, "https://a2.example/ https://a3.example/"),
               M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_add_algorithms(o, "RS256"), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_add_algorithms(o, "ES384"), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_leeway(o, 5000), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_strict_typ(o, false), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_max_token_bytes(o, 8192), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_jwks_cache_ttl(o, 120000), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_jwks_refetch_interval(o, 30000), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_timeout(o, 2000), M2M_OK);
  char *pem = system_ca_certificate();
  if (pem) CHECK_EQ_INT(m2m_verifier_options_set_ca_certs(o, pem), M2M_OK);
  free(pem);
  CHECK_EQ_INT(m2m_verifier_options_set_cache_size(o, 100), M2M_OK);
  m2m_verifier *v = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_verifier_new(o, &v, &err), M2M_OK);
  if (err) fprintf(stderr, "  %s\n", m2m_error_message(err));
  m2m_error_free(err);
  m2m_verifier_free(v);
  m2m_verifier_options_free(o);

  /* The same options by name, from text (durations in seconds). */
  o = NULL;
  m2m_verifier_options_new(&o);
  static const char *const by_name[][2] = {
      {"issuer", "https://issuer.example/"},
      {"audience", "https://api.example/, https://a2.example/"},
      {"algorithms", "RS256 ES256"},
      {"leeway", "1.5"},
      {"strict_typ", "true"},
      {"max_token_bytes", "4096"},
      {"jwks_cache_ttl", "60"},
      {"jwks_refetch_interval", "10"},
      {"timeout", "3"},
      {"cache_size", "0"},
  };
  for (size_t i = 0; i < sizeof by_name / sizeof by_name[0]; i++)
    CHECK_EQ_INT(m2m_verifier_options_set(o, by_name[i][0], by_name[i][1]), M2M_OK);
  char *jwks = json_raw_dup(json_get(vectors, "jwks"));
  /* A JWKS holds spaces and commas: text options are taken whole. */
  CHECK_EQ_INT(m2m_verifier_options_set(o, "jwks", jwks), M2M_OK);
  free(jwks);
  CHECK_EQ_INT(m2m_verifier_options_set(o, "no_such_option", "1"), M2M_CONFIG);
  CHECK_EQ_INT(m2m_verifier_options_set(o, "leeway", "soon"), M2M_CONFIG);
  CHECK_EQ_INT(m2m_verifier_options_set(o, "cache_size", "-1"), M2M_CONFIG);
  v = NULL;
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_new(o, &v, &err), M2M_OK);
  if (err) fprintf(stderr, "  %s\n", m2m_error_message(err));
  m2m_error_free(err);
  /* It verifies with those options (cache_size 0: no cache). */
  m2m_claims *claims = NULL;
  CHECK_EQ_INT(m2m_verifier_verify(v, tv_valid_token(), &claims, NULL), M2M_OK);
  CHECK_STR(m2m_claims_subject(claims), "client-123");
  m2m_claims_free(claims);
  m2m_verifier_free(v);
  m2m_verifier_options_free(o);

  /* Building fails with config, naming what is missing. */
  o = NULL;
  m2m_verifier_options_new(&o);
  err = NULL;
  v = NULL;
  CHECK_EQ_INT(m2m_verifier_new(o, &v, &err), M2M_CONFIG);
  CHECK(v == NULL);
  CHECK(strstr(m2m_error_message(err), "issuer") != NULL);
  m2m_error_free(err);
  m2m_verifier_options_free(o);
}

void null_arguments_are_errors_never_crashes(void) {
  m2m_verifier *v = tv_vectors_verifier();
  m2m_verifier_options *o = NULL;
  m2m_claims *claims = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_verifier_options_new(NULL), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_options_set_issuer(NULL, "x"), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_options_add_audience(NULL, "x"), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_options_set_leeway(NULL, 1), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_options_set(NULL, "issuer", "x"), M2M_NULL_ARGUMENT);
  m2m_verifier_options_new(&o);
  CHECK_EQ_INT(m2m_verifier_options_set_issuer(o, NULL), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_options_set_jwks(o, NULL), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_options_add_audience(o, NULL), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_options_set(o, NULL, "x"), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_options_set(o, "issuer", NULL), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_new(NULL, &v, &err), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_error_code(err), M2M_NULL_ARGUMENT);
  CHECK(strstr(m2m_error_message(err), "options") != NULL);
  m2m_error_free(err);
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_new(o, NULL, NULL), M2M_NULL_ARGUMENT);
  m2m_verifier_options_free(o);

  CHECK_EQ_INT(m2m_verifier_verify(NULL, tv_valid_token(), &claims, NULL), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_verify(v, NULL, &claims, &err), M2M_NULL_ARGUMENT);
  CHECK(strstr(m2m_error_message(err), "token") != NULL);
  tv_check_challenge(err, 500, NULL);
  m2m_error_free(err);
  CHECK_EQ_INT(m2m_verifier_verify(v, tv_valid_token(), NULL, NULL), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_verify_request(NULL, "Bearer x", NULL, &claims, NULL),
               M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_verify_request(v, "Bearer x", NULL, NULL, NULL), M2M_NULL_ARGUMENT);
  CHECK(claims == NULL);
  /* NULL authorization is "no header"; NULL scopes "none required". */
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_request(v, NULL, NULL, &claims, &err), M2M_INVALID_TOKEN);
  CHECK_STR(m2m_error_reason(err), "missing");
  m2m_error_free(err);
  char header[4096];
  snprintf(header, sizeof header, "Bearer %s", tv_valid_token());
  CHECK_EQ_INT(m2m_verifier_verify_request(v, header, NULL, &claims, NULL), M2M_OK);

  /* Getters of NULL: NULL, 0, false. */
  CHECK(m2m_claims_issuer(NULL) == NULL);
  CHECK(m2m_claims_subject(NULL) == NULL);
  CHECK(m2m_claims_client_id(NULL) == NULL);
  CHECK(m2m_claims_jwt_id(NULL) == NULL);
  CHECK(m2m_claims_json(NULL) == NULL);
  CHECK(m2m_claims_audience(NULL, 0) == NULL);
  CHECK(m2m_claims_scopes(NULL, 0) == NULL);
  CHECK_EQ_INT(m2m_claims_audience_count(NULL), 0);
  CHECK_EQ_INT(m2m_claims_scopes_count(NULL), 0);
  CHECK_EQ_INT(m2m_claims_expires_at(NULL), 0);
  CHECK_EQ_INT(m2m_claims_issued_at(NULL), 0);
  CHECK_EQ_INT(m2m_claims_not_before(NULL), 0);
  CHECK(!m2m_claims_has_scope(NULL, "read:things"));
  CHECK(!m2m_claims_has_scope(claims, NULL));
  CHECK(m2m_claims_audience(claims, 99) == NULL);
  CHECK(m2m_claims_scopes(claims, (size_t)-1) == NULL);
  CHECK(m2m_error_required_scope(NULL) == NULL);
  m2m_verifier_counters *n = NULL;
  CHECK_EQ_INT(m2m_verifier_stats(NULL, &n), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_stats(v, NULL), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_counters_verified(NULL), 0);
  CHECK_EQ_INT(m2m_verifier_counters_cache_hits(NULL), 0);
  CHECK_EQ_INT(m2m_verifier_counters_jwks_fetches(NULL), 0);
  CHECK_EQ_INT(m2m_verifier_counters_failures(NULL), 0);
  uint16_t status = 0;
  const char *www = NULL;
  CHECK_EQ_INT(m2m_challenge(NULL, NULL, &status, &www), M2M_NULL_ARGUMENT);
  m2m_claims_free(NULL);
  m2m_verifier_free(NULL);
  m2m_verifier_options_free(NULL);
  m2m_verifier_counters_free(NULL);
  m2m_claims_free(claims);
  m2m_verifier_free(v);
}

void invalid_utf8_is_a_typed_error(void) {
  m2m_verifier *v = tv_vectors_verifier();
  m2m_claims *claims = NULL;
  m2m_error *err = NULL;
  /* A token from the network: invalid_token (malformed), a 401. */
  CHECK_EQ_INT(m2m_verifier_verify(v, "\xff\xfe.\xc3\x28.abc", &claims, &err), M2M_INVALID_TOKEN);
  CHECK_STR(m2m_error_reason(err), "malformed");
  tv_check_challenge(err, 401, "error=\"invalid_token\"");
  m2m_error_free(err);
  /* A valid token with one byte broken. */
  char broken[4096];
  snprintf(broken, sizeof broken, "%s", tv_valid_token());
  broken[strlen(broken) - 3] = (char)0xff;
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify(v, broken, &claims, &err), M2M_INVALID_TOKEN);
  CHECK(m2m_error_reason(err) != NULL);
  m2m_error_free(err);
  /* The same in an Authorization header. */
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_request(v, "Bearer \xff\xff", "", &claims, &err),
               M2M_INVALID_TOKEN);
  CHECK_STR(m2m_error_reason(err), "malformed");
  m2m_error_free(err);
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_request(v, "\xff\xff token", "", &claims, &err),
               M2M_INVALID_TOKEN);
  CHECK_STR(m2m_error_reason(err), "missing");
  m2m_error_free(err);
  /* The program's own strings: invalid_utf8, a 500. */
  char header[4096];
  snprintf(header, sizeof header, "Bearer %s", tv_valid_token());
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_request(v, header, "read:things \xff", &claims, &err),
               M2M_INVALID_UTF8);
  tv_check_challenge(err, 500, NULL);
  m2m_error_free(err);
  CHECK(claims == NULL);
  m2m_verifier_options *o = NULL;
  m2m_verifier_options_new(&o);
  CHECK_EQ_INT(m2m_verifier_options_set_issuer(o, "https://\xff/"), M2M_INVALID_UTF8);
  CHECK_EQ_INT(m2m_verifier_options_add_audience(o, "\xc3"), M2M_INVALID_UTF8);
  CHECK_EQ_INT(m2m_verifier_options_set(o, "issuer\xff", "x"), M2M_INVALID_UTF8);
  m2m_verifier_options_free(o);
  uint16_t status = 0;
  const char *www = NULL;
  err = NULL;
  m2m_verifier_verify(v, "x.y.z", &claims, &err);
  CHECK_EQ_INT(m2m_challenge(err, "api\xff", &status, &www), M2M_INVALID_UTF8);
  m2m_error_free(err);
  m2m_verifier_free(v);
}

void huge_tokens_are_too_large(void) {
  m2m_verifier *v = tv_vectors_verifier();
  /* 8 MiB: refused by size before any parsing, as a token and as a header. */
  size_t n = 8u << 20;
  char *huge = malloc(n + 8);
  memcpy(huge, "Bearer ", 7);
  memset(huge + 7, 'a', n);
  huge[n + 7] = 0;
  for (size_t i = 7; i < n; i += 4096) huge[i] = '.';
  m2m_claims *claims = NULL;
  m2m_error *err = NULL;
  double t0 = now_ms();
  CHECK_EQ_INT(m2m_verifier_verify(v, huge + 7, &claims, &err), M2M_INVALID_TOKEN);
  CHECK_STR(m2m_error_reason(err), "too_large");
  CHECK(strlen(m2m_error_message(err)) < 200);
  tv_check_challenge(err, 401, "error_description=\"too_large\"");
  m2m_error_free(err);
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_request(v, huge, "", &claims, &err), M2M_INVALID_TOKEN);
  CHECK_STR(m2m_error_reason(err), "too_large");
  m2m_error_free(err);
  CHECK(claims == NULL);
  /* Quick even under valgrind: no parsing of 8 MiB. */
  CHECK(now_ms() - t0 < (t_slow() ? 20000 : 2000));
  free(huge);
  m2m_verifier_free(v);
}

void challenges_follow_rfc_6750(void) {
  m2m_verifier *v = tv_vectors_verifier();
  m2m_claims *claims = NULL;
  m2m_error *err = NULL;
  uint16_t status = 0;
  const char *www = NULL, *again = NULL;
  const char *expired = tv_case_token("expired");
  CHECK_EQ_INT(m2m_verifier_verify(v, expired, &claims, &err), M2M_INVALID_TOKEN);
  CHECK_EQ_INT(m2m_challenge(err, NULL, &status, &www), M2M_OK);
  CHECK_EQ_INT(status, 401);
  CHECK_STR(www, "Bearer error=\"invalid_token\", error_description=\"expired\"");
  CHECK_EQ_INT(m2m_challenge(err, "api", &status, &www), M2M_OK);
  CHECK_STR(www, "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"expired\"");
  /* Borrowed from the error: the same string for the same realm. */
  CHECK_EQ_INT(m2m_challenge(err, "api", &status, &again), M2M_OK);
  CHECK(again == www);
  CHECK_EQ_INT(m2m_challenge(err, NULL, &status, NULL), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_challenge(err, NULL, NULL, &www), M2M_NULL_ARGUMENT);
  m2m_error_free(err);

  /* No token sent: a bare Bearer challenge (RFC 6750 §3.1). */
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_request(v, "Basic dXNlcjpwYXNz", "", &claims, &err),
               M2M_INVALID_TOKEN);
  CHECK_EQ_INT(m2m_challenge(err, NULL, &status, &www), M2M_OK);
  CHECK_EQ_INT(status, 401);
  CHECK_STR(www, "Bearer");
  m2m_error_free(err);

  /* A scope missing: 403 with every required scope. */
  char header[4096];
  snprintf(header, sizeof header, "bearer   %s", tv_valid_token());
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_request(v, header, "read:things admin:things", &claims, &err),
               M2M_INSUFFICIENT_SCOPE);
  CHECK_STR(m2m_result_name(m2m_error_code(err)), "insufficient_scope");
  CHECK_EQ_INT(m2m_challenge(err, "api", &status, &www), M2M_OK);
  CHECK_EQ_INT(status, 403);
  CHECK_STR(www,
            "Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"read:things admin:things\"");
  m2m_error_free(err);
  CHECK(claims == NULL);
  m2m_verifier_free(v);
}
