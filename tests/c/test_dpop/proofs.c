/* DPoP tokens and proofs through the C API: a token bound to the client's
 * key, every proof (at the token endpoint and from m2m_client_dpop_proof,
 * for each kind of key) verified by jose.c with libcrypto alone, what
 * m2m_client_dpop_response says for each kind of answer, and dpop off. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dpop.h"

/* The keys of the checks: a file of the repository (NULL: the generated
 * key) and the alg its proofs carry. */
typedef struct {
  const char *file, *alg;
} key_case;
static const key_case KEYS[] = {
    {NULL, "ES256"},
    {"core/tests/verify_keys/p256.pem", "ES256"},
    {"core/tests/verify_keys/ed25519.pem", "EdDSA"},
    {"core/tests/assertion_keys/p256.jwk.json", "ES256"},
    {"core/tests/verify_keys/rsa2048.pem", "RS256"},
};
#define NKEYS (sizeof KEYS / sizeof *KEYS)

/* Checks `proof` as a DPoP proof of `key` for `method` `htu`, with `ath` of
 * `access_token` (NULL: none) and `nonce` (NULL: none); `jti_out` (64
 * bytes) gets its jti. */
static void check_proof(const char *proof, const char *alg, const char *thumbprint, const char *method,
                        const char *htu, const char *access_token, const char *nonce, char *jti_out) {
  jws j;
  char why[256];
  if (!proof || jws_read(proof, &j, why, sizeof why)) {
    t_fail(__FILE__, __LINE__, "not a readable proof: %s", proof ? why : "NULL");
    return;
  }
  CHECK(j.signature_ok); /* signed by the key of its own jwk */
  CHECK_STR(json_get_str(j.header, "typ"), "dpop+jwt");
  CHECK_STR(json_get_str(j.header, "alg"), alg);
  static const char *const PRIVATE[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
  for (size_t i = 0; i < sizeof PRIVATE / sizeof *PRIVATE; i++)
    if (json_get(json_get(j.header, "jwk"), PRIVATE[i])) t_fail(__FILE__, __LINE__, "jwk has %s", PRIVATE[i]);
  CHECK_STR(j.jwk_thumbprint, thumbprint);
  CHECK_STR(json_get_str(j.payload, "htm"), method);
  CHECK_STR(json_get_str(j.payload, "htu"), htu);
  const jval *iat = json_get(j.payload, "iat");
  double now = (double)time(NULL);
  CHECK(iat && iat->type == J_NUM && iat->num > now - 60 && iat->num < now + 60);
  const char *jti = json_get_str(j.payload, "jti");
  CHECK(jti && strlen(jti) >= 16);
  if (jti_out) snprintf(jti_out, 64, "%s", jti ? jti : "");
  if (access_token) {
    char *ath = sha256_b64url(access_token);
    CHECK_STR(json_get_str(j.payload, "ath"), ath);
    free(ath);
  } else {
    CHECK(json_get(j.payload, "ath") == NULL);
  }
  if (nonce) CHECK_STR(json_get_str(j.payload, "nonce"), nonce);
  else CHECK(json_get(j.payload, "nonce") == NULL);
  jws_free(&j);
}

/* A client for KEYS[i] (its key read from the repository). */
static m2m_client *client_for_key(size_t i) {
  char *key = KEYS[i].file ? read_text(KEYS[i].file) : NULL;
  m2m_client *c = KEYS[i].file && !key ? NULL : dpop_client(key);
  free(key);
  return c;
}

void tokens_are_bound_to_the_clients_key(void) {
  for (size_t i = 0; i < NKEYS; i++) {
    m2m_client *c = client_for_key(i);
    if (!c) continue;
    const char *jkt = m2m_client_dpop_thumbprint(c);
    CHECK(jkt && strlen(jkt) == 43); /* base64url of 32 bytes */
    CHECK(m2m_client_dpop_thumbprint(c) == jkt); /* borrowed from the client */
    m2m_token *t = tc_get(c, NULL);
    const char *type = NULL, *header = NULL, *at = tc_access_token(t);
    CHECK_EQ_INT(m2m_token_token_type(t, &type), M2M_OK);
    CHECK_STR(type, "DPoP");
    CHECK_EQ_INT(m2m_token_authorization_header(t, &header), M2M_OK);
    char want[4096];
    snprintf(want, sizeof want, "DPoP %s", at);
    CHECK_STR(header, want);
    char *text = NULL;
    jval *claims = jwt_payload(at, &text);
    CHECK_STR(json_get_str(json_get(claims, "cnf"), "jkt"), jkt);
    json_free(claims);
    free(text);
    /* The proof the token request carried. */
    jval *reqs = ctl_requests(&srv, &text);
    const jval *last = reqs && reqs->type == J_ARR && reqs->len ? &reqs->items[reqs->len - 1] : NULL;
    check_proof(json_get_str(json_get(last, "headers"), "dpop"), KEYS[i].alg, jkt, "POST", srv.token_url, NULL,
                NULL, NULL);
    json_free(reqs);
    free(text);
    m2m_token_free(t);
    m2m_client_free(c);
  }
}

void proofs_pass_an_independent_check(void) {
  char url[160];
  snprintf(url, sizeof url, "%s?page=2#top", srv.api_url); /* htu drops query and fragment */
  for (size_t i = 0; i < NKEYS; i++) {
    m2m_client *c = client_for_key(i);
    if (!c) continue;
    const char *jkt = m2m_client_dpop_thumbprint(c);
    m2m_token *t = tc_get(c, NULL);
    const char *at = tc_access_token(t);
    char *proof = NULL, *again = NULL, *bare = NULL;
    char jti[64] = "", jti_again[64] = "";
    m2m_error *err = NULL;
    CHECK_EQ_INT(m2m_client_dpop_proof(c, "GET", url, at, &proof, &err), M2M_OK);
    CHECK(err == NULL);
    check_proof(proof, KEYS[i].alg, jkt, "GET", srv.api_url, at, NULL, jti);
    CHECK_EQ_INT(m2m_client_dpop_proof(c, "GET", url, at, &again, NULL), M2M_OK);
    check_proof(again, KEYS[i].alg, jkt, "GET", srv.api_url, at, NULL, jti_again);
    CHECK(strcmp(jti, jti_again) != 0); /* a new jti for every proof */
    /* Without a token: no ath (a proof for a token request). */
    CHECK_EQ_INT(m2m_client_dpop_proof(c, "POST", srv.token_url, NULL, &bare, NULL), M2M_OK);
    check_proof(bare, KEYS[i].alg, jkt, "POST", srv.token_url, NULL, NULL, NULL);
    /* The dev server, which checks proofs on its own, takes it at /api. */
    char headers[8192];
    snprintf(headers, sizeof headers, "Authorization: DPoP %s\r\nDPoP: %s\r\n", at, proof ? proof : "");
    CHECK_EQ_INT(http_exchange(srv.port, "GET", "/api?page=2", NULL, headers, NULL, NULL), 200);
    m2m_dpop_proof_free(proof);
    m2m_dpop_proof_free(again);
    m2m_dpop_proof_free(bare);
    m2m_token_free(t);
    m2m_client_free(c);
  }
}

/* The nonce of a proof for `url` ("" when none; static buffer). */
static const char *proof_nonce(m2m_client *c, const char *url) {
  static char nonce[128];
  char *proof = NULL, why[128];
  jws j;
  nonce[0] = 0;
  CHECK_EQ_INT(m2m_client_dpop_proof(c, "GET", url, NULL, &proof, NULL), M2M_OK);
  if (proof && !jws_read(proof, &j, why, sizeof why)) {
    const char *n = json_get_str(j.payload, "nonce");
    snprintf(nonce, sizeof nonce, "%s", n ? n : "");
    jws_free(&j);
  }
  m2m_dpop_proof_free(proof);
  return nonce;
}

/* m2m_client_dpop_response's answer for token t (it must succeed). */
static int retry_for(m2m_client *c, const m2m_token *t, const char *url, uint16_t status, const char *challenge,
                     const char *nonce) {
  bool r = true;
  CHECK_EQ_INT(m2m_client_dpop_response(c, url, t, status, challenge, nonce, &r), M2M_OK);
  return r;
}

void dpop_response_names_the_one_retry(void) {
  m2m_client *c = dpop_client(NULL);
  if (!c) return;
  m2m_token *t = tc_get(c, NULL);
#define retry(c, ...) retry_for(c, t, __VA_ARGS__)
  const char *api = "https://api.example.com/orders", *same_origin = "https://api.example.com/other";
  const char *use_nonce = "DPoP error=\"use_dpop_nonce\", error_description=\"Resource server requires nonce\"";
  CHECK_STR(proof_nonce(c, api), "");
  CHECK(retry(c, api, 401, use_nonce, "nonce-1"));
  CHECK_STR(proof_nonce(c, same_origin), "nonce-1"); /* remembered for the origin */
  CHECK_STR(proof_nonce(c, "https://elsewhere.example.com/orders"), "");
  /* Every answer's nonce is remembered; only that challenge is a retry. */
  CHECK(!retry(c, api, 200, NULL, "nonce-2"));
  CHECK_STR(proof_nonce(c, api), "nonce-2");
  CHECK(!retry(c, api, 401, use_nonce, NULL));                                  /* no nonce to use */
  CHECK(!retry(c, api, 401, use_nonce, ""));                                     /* nor an empty one */
  CHECK(!retry(c, api, 401, "Bearer error=\"invalid_token\"", "nonce-3"));        /* no DPoP challenge */
  CHECK(!retry(c, api, 401, "DPoP error=\"invalid_dpop_proof\"", "nonce-4"));     /* another error */
  CHECK(!retry(c, api, 400, use_nonce, "nonce-5"));                              /* not a 401 */
  CHECK_STR(proof_nonce(c, api), "nonce-5");
  /* What is not a request: config errors, the out-parameter untouched. */
  char *proof = (char *)"untouched";
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_dpop_proof(c, "GET", "not a url", NULL, &proof, &err), M2M_CONFIG);
  CHECK(err && strstr(m2m_error_message(err), "url"));
  m2m_error_free(err);
  err = NULL;
  CHECK_EQ_INT(m2m_client_dpop_proof(c, "GE T", api, NULL, &proof, &err), M2M_CONFIG);
  CHECK(err && strstr(m2m_error_message(err), "method"));
  m2m_error_free(err);
  CHECK_STR(proof, "untouched");
#undef retry
  m2m_token_free(t);
  m2m_client_free(c);
}

void with_dpop_off_there_is_no_proof(void) {
  m2m_client *c = tc_build(tc_options(&srv, CLIENT_ID, SECRET, tc_audience("bearer")));
  if (!c) return;
  CHECK(m2m_client_dpop_thumbprint(c) == NULL);
  CHECK(m2m_client_dpop_thumbprint(NULL) == NULL);
  char *proof = (char *)"untouched";
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_dpop_proof(c, "GET", srv.api_url, NULL, &proof, &err), M2M_CONFIG);
  CHECK_EQ_INT(m2m_error_code(err), M2M_CONFIG);
  CHECK(err && strstr(m2m_error_message(err), "dpop"));
  CHECK_STR(proof, "untouched");
  m2m_error_free(err);
  /* Bearer, as before; no DPoP answer is read for it. */
  m2m_token *t = tc_get(c, NULL);
  CHECK(!retry_for(c, t, srv.api_url, 401, "DPoP error=\"use_dpop_nonce\"", "n"));
  const char *type = NULL;
  CHECK_EQ_INT(m2m_token_token_type(t, &type), M2M_OK);
  CHECK_STR(type, "Bearer");
  m2m_token_free(t);
  m2m_client_free(c);
}
