/* The verifier's DPoP surface against bad input, without a server: the
 * DPoP option setters (typed and by name; config errors when the verifier
 * is built, never the nonce secret in a message), NULL for every pointer
 * of m2m_verifier_verify_http_request, m2m_verifier_challenge and
 * m2m_verifier_dpop_nonce, request bytes that are not UTF-8 (a 401, not a
 * C error), and Bearer requests through verify_http_request as before. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testlib.h"
#include "test_verifier/verifier.h"

#define URL "https://api.example.com/things"
/* Whether `s` starts with `prefix`. */
#define STARTS(s, prefix) ((s) && !strncmp((s), (prefix), strlen(prefix)))
#define SECRET32 "0123456789abcdef0123456789abcdef-nonce"

/* The vectors' options plus `name`=`text` by name: what m2m_verifier_new
 * returns (the verifier freed). The error must not show `secret`. */
static m2m_result build_with(const char *name, const char *text, const char *secret) {
  m2m_verifier_options *o = NULL;
  m2m_verifier *v = NULL;
  m2m_error *err = NULL;
  m2m_verifier_options_new(&o);
  m2m_verifier_options_set_issuer(o, json_get_str(vectors, "issuer"));
  m2m_verifier_options_add_audience(o, json_get_str(vectors, "audience"));
  char *jwks = json_raw_dup(json_get(vectors, "jwks"));
  m2m_verifier_options_set_jwks(o, jwks);
  free(jwks);
  m2m_result rc = m2m_verifier_options_set(o, name, text);
  if (rc == M2M_OK) rc = m2m_verifier_new(o, &v, &err);
  if (secret) CHECK(strstr(m2m_error_message(err), secret) == NULL);
  m2m_error_free(err);
  m2m_verifier_free(v);
  m2m_verifier_options_free(o);
  return rc;
}

void dpop_options_are_checked_when_built(void) {
  m2m_verifier_options *o = NULL;
  CHECK_EQ_INT(m2m_verifier_options_new(&o), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_issuer(o, "https://issuer.example/"), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_jwks_uri(o, "https://issuer.example/jwks.json"), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_add_audience(o, "https://api.example/"), M2M_OK);
  /* In the order of tests/surface.json's verifier_options. */
  CHECK_EQ_INT(m2m_verifier_options_set_dpop(o, "required"), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_add_dpop_algorithms(o, "ES256"), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_add_dpop_algorithms(o, "EdDSA"), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_dpop_max_age(o, 30000), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_dpop_replay_cache_size(o, 1000), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_dpop_nonce(o, true), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_dpop_nonce_secret(o, SECRET32), M2M_OK);
  m2m_verifier *v = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_verifier_new(o, &v, &err), M2M_OK);
  if (err) fprintf(stderr, "  %s\n", m2m_error_message(err));
  m2m_error_free(err);
  /* Nonce mode: a nonce to send; the caller's string. */
  char *nonce = NULL;
  CHECK_EQ_INT(m2m_verifier_dpop_nonce(v, &nonce), M2M_OK);
  CHECK(nonce && strlen(nonce) >= 16);
  /* The same secret makes the same nonces (processes of one API). */
  m2m_verifier *twin = NULL;
  CHECK_EQ_INT(m2m_verifier_new(o, &twin, NULL), M2M_OK);
  char *twin_nonce = NULL;
  CHECK_EQ_INT(m2m_verifier_dpop_nonce(twin, &twin_nonce), M2M_OK);
  CHECK_STR(twin_nonce, nonce);
  m2m_dpop_nonce_free(twin_nonce);
  m2m_dpop_nonce_free(nonce);
  m2m_verifier_free(twin);
  m2m_verifier_free(v);
  m2m_verifier_options_free(o);

  /* By name, from text (durations in seconds). */
  CHECK_EQ_INT(build_with("dpop", "off", NULL), M2M_OK);
  CHECK_EQ_INT(build_with("dpop_algorithms", "ES256 PS256", NULL), M2M_OK);
  CHECK_EQ_INT(build_with("dpop_max_age", "1.5", NULL), M2M_OK);
  CHECK_EQ_INT(build_with("dpop_replay_cache_size", "10", NULL), M2M_OK);
  CHECK_EQ_INT(build_with("dpop_nonce", "true", NULL), M2M_OK);
  CHECK_EQ_INT(build_with("dpop_nonce_secret", SECRET32, SECRET32), M2M_OK);
  /* What the engine refuses: M2M_CONFIG, the secret never shown. */
  CHECK_EQ_INT(build_with("dpop", "sometimes", NULL), M2M_CONFIG);
  CHECK_EQ_INT(build_with("dpop_algorithms", "HS256", NULL), M2M_CONFIG);
  CHECK_EQ_INT(build_with("dpop_algorithms", "none", NULL), M2M_CONFIG);
  CHECK_EQ_INT(build_with("dpop_max_age", "soon", NULL), M2M_CONFIG);
  CHECK_EQ_INT(build_with("dpop_nonce_secret", "short-s3cr3t", "short-s3cr3t"), M2M_CONFIG);

  /* Without nonce mode: no nonce (NULL, not an error). */
  v = tv_vectors_verifier();
  nonce = (char *)"unset";
  CHECK_EQ_INT(m2m_verifier_dpop_nonce(v, &nonce), M2M_OK);
  CHECK(nonce == NULL);
  m2m_verifier_free(v);
}

void dpop_null_arguments_are_errors(void) {
  m2m_verifier *v = tv_vectors_verifier();
  m2m_verifier_options *o = NULL;
  m2m_verifier_options_new(&o);
  CHECK_EQ_INT(m2m_verifier_options_set_dpop(NULL, "off"), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_options_set_dpop(o, NULL), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_options_add_dpop_algorithms(NULL, "ES256"), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_options_add_dpop_algorithms(o, NULL), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_options_set_dpop_max_age(NULL, 1), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_options_set_dpop_replay_cache_size(NULL, 1), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_options_set_dpop_nonce(NULL, true), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_options_set_dpop_nonce_secret(NULL, SECRET32), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_options_set_dpop_nonce_secret(o, NULL), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_options_set_dpop(o, "\xff"), M2M_INVALID_UTF8);
  m2m_verifier_options_free(o);

  m2m_claims *claims = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_http_request(NULL, "GET", URL, NULL, NULL, NULL, &claims, NULL),
               M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_verify_http_request(v, NULL, URL, NULL, NULL, NULL, &claims, &err), M2M_NULL_ARGUMENT);
  CHECK(strstr(m2m_error_message(err), "method") != NULL);
  /* An error of the C library: 500, no header, no nonce. */
  uint16_t status = 0;
  const char *www = "unset", *nonce = "unset";
  CHECK_EQ_INT(m2m_verifier_challenge(v, err, NULL, NULL, &status, &www, &nonce), M2M_OK);
  CHECK_EQ_INT(status, 500);
  CHECK(www == NULL && nonce == NULL);
  m2m_error_free(err);
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_http_request(v, "GET", NULL, NULL, NULL, NULL, &claims, &err), M2M_NULL_ARGUMENT);
  CHECK(strstr(m2m_error_message(err), "url") != NULL);
  m2m_error_free(err);
  CHECK_EQ_INT(m2m_verifier_verify_http_request(v, "GET", URL, NULL, NULL, NULL, NULL, NULL), M2M_NULL_ARGUMENT);
  CHECK(claims == NULL);
  /* NULL headers are absent headers; NULL scopes none required. */
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_http_request(v, "GET", URL, NULL, NULL, NULL, &claims, &err), M2M_INVALID_TOKEN);
  CHECK_STR(m2m_error_reason(err), "missing");
  CHECK_EQ_INT(m2m_verifier_challenge(NULL, err, NULL, NULL, &status, &www, &nonce), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_challenge(v, NULL, NULL, NULL, &status, &www, &nonce), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_challenge(v, err, NULL, NULL, NULL, &www, &nonce), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_challenge(v, err, NULL, NULL, &status, NULL, &nonce), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_challenge(v, err, NULL, NULL, &status, &www, NULL), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_challenge(v, err, NULL, "api\xff", &status, &www, &nonce), M2M_INVALID_UTF8);
  CHECK_EQ_INT(m2m_verifier_challenge(v, err, NULL, "api", &status, &www, &nonce), M2M_OK);
  CHECK_EQ_INT(status, 401);
  CHECK_STR(www, "Bearer realm=\"api\", DPoP realm=\"api\", algs=\"ES256 ES384 EdDSA RS256 PS256\"");
  CHECK(nonce == NULL);
  m2m_error_free(err);
  char *n = NULL;
  CHECK_EQ_INT(m2m_verifier_dpop_nonce(NULL, &n), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_verifier_dpop_nonce(v, NULL), M2M_NULL_ARGUMENT);
  m2m_dpop_nonce_free(NULL);
  m2m_verifier_free(v);
}

void dpop_request_bytes_are_judged_not_rejected(void) {
  m2m_verifier *v = tv_vectors_verifier();
  m2m_claims *claims = NULL;
  m2m_error *err = NULL;
  char bearer[4096], dpop[4096];
  snprintf(bearer, sizeof bearer, "Bearer %s", tv_valid_token());
  snprintf(dpop, sizeof dpop, "DPoP %s", tv_valid_token());
  /* Bearer as before: the URL, the method and a DPoP header do not matter. */
  CHECK_EQ_INT(m2m_verifier_verify_http_request(v, "GET", URL, bearer, NULL, "", &claims, NULL), M2M_OK);
  CHECK_STR(m2m_claims_subject(claims), "client-123");
  m2m_claims_free(claims);
  claims = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_http_request(v, "\xff", "\xfe\xff", bearer, "\xff", NULL, &claims, NULL), M2M_OK);
  m2m_claims_free(claims);
  claims = NULL;
  /* The vectors' tokens are not bound: as DPoP, dpop_bound. */
  CHECK_EQ_INT(m2m_verifier_verify_http_request(v, "GET", URL, dpop, "x.y.z", NULL, &claims, &err), M2M_INVALID_TOKEN);
  CHECK_STR(m2m_error_reason(err), "dpop_bound");
  uint16_t status = 0;
  const char *www = NULL, *nonce = NULL;
  CHECK_EQ_INT(m2m_verifier_challenge(v, err, dpop, NULL, &status, &www, &nonce), M2M_OK);
  CHECK_EQ_INT(status, 401);
  CHECK(STARTS(www, "DPoP error=\"invalid_token\", error_description=\"dpop_bound\""));
  CHECK(www && !strstr(www, tv_valid_token()));
  m2m_error_free(err);
  /* Bytes that are not UTF-8 in the request: judged (401), not a C error. */
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_http_request(v, "GET", URL, "DPoP \xff\xff", "\xff", NULL, &claims, &err),
               M2M_INVALID_TOKEN);
  CHECK_STR(m2m_error_reason(err), "malformed");
  CHECK_EQ_INT(m2m_verifier_challenge(v, err, "DPoP \xff\xff", NULL, &status, &www, &nonce), M2M_OK);
  CHECK_EQ_INT(status, 401);
  CHECK(STARTS(www, "DPoP error=\"invalid_token\", error_description=\"malformed\""));
  m2m_error_free(err);
  /* The program's own scopes: invalid_utf8, a 500. */
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_http_request(v, "GET", URL, bearer, NULL, "read:things \xff", &claims, &err),
               M2M_INVALID_UTF8);
  tv_check_challenge(err, 500, NULL);
  m2m_error_free(err);
  /* A Bearer refusal answered by the verifier: the Bearer scheme, as m2m_challenge. */
  err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_http_request(v, "GET", URL, bearer, NULL, "admin:things", &claims, &err),
               M2M_INSUFFICIENT_SCOPE);
  CHECK_EQ_INT(m2m_verifier_challenge(v, err, bearer, "api", &status, &www, &nonce), M2M_OK);
  CHECK_EQ_INT(status, 403);
  CHECK_STR(www, "Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"admin:things\"");
  m2m_error_free(err);
  CHECK(claims == NULL);
  m2m_verifier_free(v);
}
