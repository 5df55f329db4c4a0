/* The API side of DPoP through the C API: the dev server's DPoP-bound
 * tokens and the client's proofs (m2m_client_dpop_proof) given to
 * m2m_verifier_verify_http_request as a C server gets them from its
 * request, each refusal answered with m2m_verifier_challenge: a token and
 * its proof verify once (the same proof again is a replay), a bound token
 * as Bearer is refused, nonce mode costs the client one retry
 * (m2m_client_dpop_response), the dpop option decides the schemes, and a
 * missing scope is a 403 under the DPoP scheme. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define ALGS "algs=\"ES256 ES384 EdDSA RS256 PS256\""

int api_requests;

m2m_verifier *api_verifier(const char *audience, const char *dpop, bool nonce) {
  m2m_verifier_options *o = NULL;
  m2m_verifier *v = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_verifier_options_new(&o), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_issuer(o, srv.issuer), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_add_audience(o, audience), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_timeout(o, t_slow() ? 60000 : 10000), M2M_OK);
  if (dpop) CHECK_EQ_INT(m2m_verifier_options_set_dpop(o, dpop), M2M_OK);
  CHECK_EQ_INT(m2m_verifier_options_set_dpop_nonce(o, nonce), M2M_OK);
  if (m2m_verifier_new(o, &v, &err) != M2M_OK)
    t_fail(__FILE__, __LINE__, "m2m_verifier_new: %s", m2m_error_message(err));
  m2m_error_free(err);
  m2m_verifier_options_free(o);
  return v;
}

/* Fails a check if `text` holds one of `canary`. */
static void check_canary(const char *what, const char *text, const char *const *canary) {
  for (const char *const *n = canary; n && text && *n; n++)
    if (strstr(text, *n)) t_fail(__FILE__, __LINE__, "a token or proof in the %s: %s", what, text);
}

answer api_serve(m2m_verifier *v, const char *method, const char *url, const char *authorization,
                 const char *dpop, const char *scopes, const char *const *canary) {
  answer a = {.status = 200};
  m2m_claims *claims = NULL;
  m2m_error *err = NULL;
  api_requests++;
  m2m_result rc = m2m_verifier_verify_http_request(v, method, url, authorization, dpop, scopes, &claims, &err);
  if (rc == M2M_OK) {
    CHECK(err == NULL);
    CHECK_STR(m2m_claims_client_id(claims), CLIENT_ID);
    m2m_claims_free(claims);
    char *nonce = NULL;
    CHECK_EQ_INT(m2m_verifier_dpop_nonce(v, &nonce), M2M_OK);
    snprintf(a.dpop_nonce, sizeof a.dpop_nonce, "%s", nonce ? nonce : "");
    m2m_dpop_nonce_free(nonce);
    return a;
  }
  CHECK(claims == NULL);
  uint16_t status = 0;
  const char *www = NULL, *nonce = NULL;
  CHECK_EQ_INT(m2m_verifier_challenge(v, err, authorization, NULL, &status, &www, &nonce), M2M_OK);
  a.status = status;
  snprintf(a.www_authenticate, sizeof a.www_authenticate, "%s", www ? www : "");
  snprintf(a.dpop_nonce, sizeof a.dpop_nonce, "%s", nonce ? nonce : "");
  snprintf(a.reason, sizeof a.reason, "%s", m2m_error_reason(err) ? m2m_error_reason(err) : "");
  if (canary) tc_check_no_secret(err, canary);
  check_canary("WWW-Authenticate", www, canary);
  /* The same answer again: the same borrowed strings. */
  const char *www2 = NULL, *nonce2 = NULL;
  CHECK_EQ_INT(m2m_verifier_challenge(v, err, authorization, NULL, &status, &www2, &nonce2), M2M_OK);
  CHECK(www2 == www);
  m2m_error_free(err);
  return a;
}

/* A DPoP client of CLIENT_ID for `audience`, its tokens with scope
 * read:data. */
static m2m_client *client_for(const char *audience) {
  m2m_client_options *o = tc_options(&srv, CLIENT_ID, SECRET, audience);
  CHECK_EQ_INT(m2m_client_options_set_dpop(o, true), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_add_scope(o, "read:data"), M2M_OK);
  return tc_build(o);
}

/* `Authorization` for `t` ("DPoP <token>"), malloc'd. */
static char *authorization_of(const m2m_token *t) {
  const char *h = NULL;
  CHECK_EQ_INT(m2m_token_authorization_header(t, &h), M2M_OK);
  return strdup(h ? h : "");
}

/* A new proof of c for `method` API_URL with t's ath (free it with
 * m2m_dpop_proof_free). */
static char *proof_of(m2m_client *c, const m2m_token *t, const char *method) {
  char *proof = NULL;
  CHECK_EQ_INT(m2m_client_dpop_proof(c, method, API_URL, tc_access_token(t), &proof, NULL), M2M_OK);
  return proof;
}

void api_dpop_token_and_its_proof_verify_once(void) {
  char audience[96];
  snprintf(audience, sizeof audience, "%s", tc_audience("api"));
  m2m_client *c = client_for(audience);
  m2m_verifier *v = api_verifier(audience, NULL, false);
  m2m_token *t = tc_get(c, NULL);
  char *auth = authorization_of(t), *proof = proof_of(c, t, "GET");
  CHECK(!strncmp(auth, "DPoP ", 5));
  const char *canary[] = {tc_access_token(t), proof, NULL};
  answer a = api_serve(v, "GET", API_URL, auth, proof, "read:data", canary);
  CHECK_EQ_INT(a.status, 200);
  CHECK_STR(a.dpop_nonce, ""); /* no nonce mode */
  /* The same proof again: a replay. */
  a = api_serve(v, "GET", API_URL, auth, proof, "read:data", canary);
  CHECK_EQ_INT(a.status, 401);
  CHECK_STR(a.reason, "dpop_replay");
  CHECK_STR(a.www_authenticate, "DPoP error=\"invalid_dpop_proof\", error_description=\"dpop_replay\", " ALGS);
  /* A proof of another request: refused (and it uses nothing up). */
  char *post = proof_of(c, t, "POST");
  a = api_serve(v, "GET", API_URL, auth, post, "read:data", canary);
  CHECK_EQ_INT(a.status, 401);
  CHECK_STR(a.reason, "dpop_proof");
  CHECK(strstr(a.www_authenticate, "error=\"invalid_dpop_proof\"") != NULL);
  CHECK_EQ_INT(api_serve(v, "POST", API_URL, auth, post, "read:data", canary).status, 200);
  /* No proof, or two. */
  a = api_serve(v, "GET", API_URL, auth, NULL, NULL, canary);
  CHECK_STR(a.reason, "dpop_proof");
  char *fresh = proof_of(c, t, "GET"), two[8192];
  snprintf(two, sizeof two, "%s, %s", fresh, fresh);
  CHECK_STR(api_serve(v, "GET", API_URL, auth, two, NULL, canary).reason, "dpop_proof");
  CHECK_EQ_INT(api_serve(v, "GET", API_URL, auth, fresh, NULL, canary).status, 200);
  m2m_dpop_proof_free(fresh);
  m2m_dpop_proof_free(post);
  m2m_dpop_proof_free(proof);
  free(auth);
  m2m_token_free(t);
  m2m_verifier_free(v);
  m2m_client_free(c);
}

void api_bound_token_as_bearer_is_refused(void) {
  char audience[96];
  snprintf(audience, sizeof audience, "%s", tc_audience("api"));
  m2m_client *c = client_for(audience);
  m2m_verifier *v = api_verifier(audience, NULL, false);
  m2m_token *t = tc_get(c, NULL);
  char bearer[4096];
  snprintf(bearer, sizeof bearer, "Bearer %s", tc_access_token(t));
  const char *canary[] = {tc_access_token(t), NULL};
  answer a = api_serve(v, "GET", API_URL, bearer, NULL, NULL, canary);
  CHECK_EQ_INT(a.status, 401);
  CHECK_STR(a.reason, "dpop_bound");
  CHECK_STR(a.www_authenticate, "DPoP error=\"invalid_token\", error_description=\"dpop_bound\", " ALGS);
  /* m2m_verifier_verify_request (Bearer only) refuses it too. */
  m2m_claims *claims = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_verifier_verify_request(v, bearer, NULL, &claims, &err), M2M_INVALID_TOKEN);
  CHECK_STR(m2m_error_reason(err), "dpop_bound");
  m2m_error_free(err);
  m2m_token_free(t);
  m2m_verifier_free(v);
  m2m_client_free(c);
}

/* One request of c with t as an HTTP client of one's own sends it: a new
 * proof, the answer handed to m2m_client_dpop_response, once more when it
 * says so. */
static answer send_request(m2m_client *c, m2m_verifier *v, const m2m_token *t) {
  char *auth = authorization_of(t);
  answer a = {0};
  bool retry = true;
  for (int attempt = 0; retry && attempt < 2; attempt++) {
    char *proof = proof_of(c, t, "GET");
    const char *canary[] = {tc_access_token(t), proof, NULL};
    a = api_serve(v, "GET", API_URL, auth, proof, NULL, canary);
    CHECK_EQ_INT(m2m_client_dpop_response(c, API_URL, t, (uint16_t)a.status, a.www_authenticate[0] ? a.www_authenticate : NULL,
                                          a.dpop_nonce[0] ? a.dpop_nonce : NULL, &retry),
                 M2M_OK);
    m2m_dpop_proof_free(proof);
  }
  free(auth);
  return a;
}

void api_nonce_mode_costs_the_client_one_retry(void) {
  char audience[96];
  snprintf(audience, sizeof audience, "%s", tc_audience("api"));
  m2m_client *c = client_for(audience);
  m2m_verifier *v = api_verifier(audience, NULL, true);
  m2m_token *t = tc_get(c, NULL);
  char *nonce = NULL;
  CHECK_EQ_INT(m2m_verifier_dpop_nonce(v, &nonce), M2M_OK);
  CHECK(nonce && strlen(nonce) >= 16);
  /* The first request: 401 use_dpop_nonce with the nonce, then 200. */
  int before = api_requests;
  char *auth = authorization_of(t), *proof = proof_of(c, t, "GET");
  answer a = api_serve(v, "GET", API_URL, auth, proof, NULL, NULL);
  CHECK_EQ_INT(a.status, 401);
  CHECK_STR(a.reason, "dpop_nonce");
  CHECK_STR(a.www_authenticate, "DPoP error=\"use_dpop_nonce\", error_description=\"dpop_nonce\", " ALGS);
  CHECK_STR(a.dpop_nonce, nonce ? nonce : "");
  m2m_dpop_proof_free(proof);
  before = api_requests;
  a = send_request(c, v, t);
  CHECK_EQ_INT(a.status, 200);
  CHECK_EQ_INT(api_requests - before, 2);
  CHECK_STR(a.dpop_nonce, nonce ? nonce : ""); /* successes carry it too */
  /* The nonce is remembered: one request. */
  before = api_requests;
  CHECK_EQ_INT(send_request(c, v, t).status, 200);
  CHECK_EQ_INT(api_requests - before, 1);
  /* Another verifier (its own random secret): one retry again. A shared
   * secret makes every process of an API take the same nonces. */
  m2m_verifier *other = api_verifier(audience, NULL, true);
  before = api_requests;
  CHECK_EQ_INT(send_request(c, other, t).status, 200);
  CHECK_EQ_INT(api_requests - before, 2);
  m2m_verifier_free(other);
  free(auth);
  m2m_dpop_nonce_free(nonce);
  m2m_token_free(t);
  m2m_verifier_free(v);
  m2m_client_free(c);
}

void api_dpop_modes_decide_the_schemes(void) {
  char audience[96];
  snprintf(audience, sizeof audience, "%s", tc_audience("api"));
  m2m_client *c = client_for(audience);
  m2m_client *plain = tc_build(tc_options(&srv, CLIENT_ID, SECRET, audience));
  m2m_token *t = tc_get(c, NULL), *bt = tc_get(plain, NULL);
  char bearer[4096], *auth = authorization_of(t);
  snprintf(bearer, sizeof bearer, "Bearer %s", tc_access_token(bt));
  m2m_verifier *allowed = api_verifier(audience, "allowed", false), *required = api_verifier(audience, "required", false),
               *off = api_verifier(audience, "off", false);
  /* No token: every scheme the API takes is offered. */
  CHECK_STR(api_serve(allowed, "GET", API_URL, NULL, NULL, NULL, NULL).www_authenticate, "Bearer, DPoP " ALGS);
  CHECK_STR(api_serve(required, "GET", API_URL, NULL, NULL, NULL, NULL).www_authenticate, "DPoP " ALGS);
  CHECK_STR(api_serve(off, "GET", API_URL, NULL, NULL, NULL, NULL).www_authenticate, "Bearer");
  /* An unbound token as Bearer: taken unless DPoP is required. */
  CHECK_EQ_INT(api_serve(allowed, "GET", API_URL, bearer, NULL, NULL, NULL).status, 200);
  CHECK_EQ_INT(api_serve(off, "GET", API_URL, bearer, NULL, NULL, NULL).status, 200);
  answer a = api_serve(required, "GET", API_URL, bearer, NULL, NULL, NULL);
  CHECK_EQ_INT(a.status, 401);
  CHECK_STR(a.reason, "dpop_bound");
  CHECK_STR(a.www_authenticate, "DPoP error=\"invalid_token\", error_description=\"dpop_bound\", " ALGS);
  /* A DPoP token: taken unless DPoP is off (then it is no token). */
  char *proof = proof_of(c, t, "GET");
  CHECK_EQ_INT(api_serve(required, "GET", API_URL, auth, proof, NULL, NULL).status, 200);
  m2m_dpop_proof_free(proof);
  proof = proof_of(c, t, "GET");
  a = api_serve(off, "GET", API_URL, auth, proof, NULL, NULL);
  CHECK_EQ_INT(a.status, 401);
  CHECK_STR(a.reason, "missing");
  CHECK_STR(a.www_authenticate, "Bearer");
  m2m_dpop_proof_free(proof);
  /* A DPoP request refused for a reason of its token: the DPoP scheme. */
  char broken[4096];
  snprintf(broken, sizeof broken, "%sx", auth);
  proof = proof_of(c, t, "GET");
  a = api_serve(allowed, "GET", API_URL, broken, proof, NULL, NULL);
  CHECK_EQ_INT(a.status, 401);
  CHECK(!strncmp(a.www_authenticate, "DPoP error=\"invalid_token\"", 26));
  m2m_dpop_proof_free(proof);
  m2m_verifier_free(allowed);
  m2m_verifier_free(required);
  m2m_verifier_free(off);
  free(auth);
  m2m_token_free(t);
  m2m_token_free(bt);
  m2m_client_free(c);
  m2m_client_free(plain);
}

void api_insufficient_scope_is_a_dpop_403(void) {
  char audience[96];
  snprintf(audience, sizeof audience, "%s", tc_audience("api"));
  m2m_client *c = client_for(audience);
  m2m_verifier *v = api_verifier(audience, NULL, true);
  m2m_token *t = tc_get(c, NULL);
  char *auth = authorization_of(t), *nonce = NULL;
  m2m_verifier_dpop_nonce(v, &nonce);
  CHECK_EQ_INT(send_request(c, v, t).status, 200); /* the nonce learnt */
  char *proof = proof_of(c, t, "GET");
  answer a = api_serve(v, "GET", API_URL, auth, proof, "read:data admin:data", NULL);
  CHECK_EQ_INT(a.status, 403);
  CHECK_STR(a.www_authenticate, "DPoP error=\"insufficient_scope\", scope=\"read:data admin:data\", " ALGS);
  CHECK_STR(a.dpop_nonce, ""); /* a 403: not a nonce challenge */
  /* The server may still send the current nonce on any answer. */
  char *now = NULL;
  CHECK_EQ_INT(m2m_verifier_dpop_nonce(v, &now), M2M_OK);
  CHECK_STR(now, nonce);
  m2m_dpop_nonce_free(now);
  m2m_dpop_nonce_free(nonce);
  m2m_dpop_proof_free(proof);
  free(auth);
  m2m_token_free(t);
  m2m_verifier_free(v);
  m2m_client_free(c);
}
