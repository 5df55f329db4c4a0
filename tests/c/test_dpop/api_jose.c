/* The verifier against proofs made without m2m-auth: a P-256 key made by
 * OpenSSL's libcrypto (given to the client as its dpop_key, so the dev
 * server binds the token to it), proofs written and signed here (JSON by
 * hand, ES256 with libcrypto): a good one verifies, each broken one is
 * refused with dpop_proof, a replay with dpop_replay, and in nonce mode the
 * proof needs the verifier's nonce. Then the canary: no token or proof
 * text in an error, a challenge or a log record at M2M_LOG_TRACE. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"

/* A P-256 key of libcrypto's, its PEM (PKCS#8) and its public JWK. */
typedef struct {
  EVP_PKEY *key;
  char pem[512], jwk[256];
} ec_key;

static int ec_key_new(ec_key *k) {
  memset(k, 0, sizeof *k);
  k->key = EVP_EC_gen("P-256");
  unsigned char point[65];
  size_t n = 0;
  BIO *bio = BIO_new(BIO_s_mem());
  if (!k->key || !bio || !PEM_write_bio_PrivateKey(bio, k->key, NULL, NULL, 0, NULL, NULL) ||
      !EVP_PKEY_get_octet_string_param(k->key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &n) || n != 65) {
    BIO_free(bio);
    return -1;
  }
  int len = BIO_read(bio, k->pem, sizeof k->pem - 1);
  k->pem[len > 0 ? len : 0] = 0;
  BIO_free(bio);
  char *x = b64url(point + 1, 32), *y = b64url(point + 33, 32);
  snprintf(k->jwk, sizeof k->jwk, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", x, y);
  free(x);
  free(y);
  return 0;
}

/* What a proof says (NULL members are left out). */
typedef struct {
  const char *typ, *htm, *htu, *ath, *nonce;
  long iat_offset;
  const char *jwk; /* NULL: the signing key's */
} claims_of;

/* A compact ES256 JWS of `c`, signed with `k` (malloc'd). */
static char *make_proof(const ec_key *k, const claims_of *c) {
  unsigned char rnd[16];
  RAND_bytes(rnd, sizeof rnd);
  char *jti = b64url(rnd, sizeof rnd), header[512], payload[1024], nonce[300] = "";
  if (c->nonce) snprintf(nonce, sizeof nonce, ",\"nonce\":\"%s\"", c->nonce);
  snprintf(header, sizeof header, "{\"typ\":\"%s\",\"alg\":\"ES256\",\"jwk\":%s}", c->typ ? c->typ : "dpop+jwt",
           c->jwk ? c->jwk : k->jwk);
  snprintf(payload, sizeof payload, "{\"jti\":\"%s\",\"htm\":\"%s\",\"htu\":\"%s\",\"iat\":%ld,\"ath\":\"%s\"%s}", jti,
           c->htm, c->htu, (long)time(NULL) + c->iat_offset, c->ath, nonce);
  free(jti);
  char *h = b64url((const unsigned char *)header, strlen(header));
  char *p = b64url((const unsigned char *)payload, strlen(payload));
  size_t input_len = strlen(h) + strlen(p) + 1;
  char *input = malloc(input_len + 1);
  snprintf(input, input_len + 1, "%s.%s", h, p);
  /* libcrypto signs DER; JWS wants r || s, 32 bytes each. */
  unsigned char der[80], rs[64];
  size_t der_len = sizeof der;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k->key) > 0 &&
           EVP_DigestSign(ctx, der, &der_len, (const unsigned char *)input, input_len) > 0;
  EVP_MD_CTX_free(ctx);
  const unsigned char *d = der;
  ECDSA_SIG *sig = ok ? d2i_ECDSA_SIG(NULL, &d, (long)der_len) : NULL;
  CHECK(sig != NULL);
  if (sig) {
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + 32, 32);
    ECDSA_SIG_free(sig);
  }
  char *s = b64url(rs, sizeof rs);
  char *out = malloc(input_len + strlen(s) + 2);
  sprintf(out, "%s.%s", input, s);
  free(s);
  free(input);
  free(h);
  free(p);
  return out;
}

/* The proof of `c` sent to `v` with `auth`: the answer. */
static answer send_proof(m2m_verifier *v, const ec_key *k, const char *auth, const claims_of *c,
                         const char *const *canary) {
  char *proof = make_proof(k, c);
  answer a = api_serve(v, "GET", API_URL, auth, proof, NULL, canary);
  free(proof);
  return a;
}

void api_proofs_made_with_libcrypto_verify(void) {
  ec_key k, other;
  if (ec_key_new(&k) || ec_key_new(&other)) {
    t_fail(__FILE__, __LINE__, "libcrypto could not make a P-256 key");
    return;
  }
  char audience[96];
  snprintf(audience, sizeof audience, "%s", tc_audience("jose"));
  m2m_client_options *o = tc_options(&srv, CLIENT_ID, SECRET, audience);
  CHECK_EQ_INT(m2m_client_options_set_dpop(o, true), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_dpop_key(o, k.pem), M2M_OK);
  m2m_client *c = tc_build(o);
  m2m_token *t = tc_get(c, NULL);
  m2m_verifier *v = api_verifier(audience, NULL, false);
  char auth[4096], *ath = sha256_b64url(tc_access_token(t)), *wrong_ath = sha256_b64url("another token");
  snprintf(auth, sizeof auth, "DPoP %s", tc_access_token(t));
  const char *htu = "https://api.example.com/orders";
  claims_of good = {.htm = "GET", .htu = htu, .ath = ath};
  /* A good proof, once; then its replay. */
  char *proof = make_proof(&k, &good);
  CHECK_EQ_INT(api_serve(v, "GET", API_URL, auth, proof, NULL, NULL).status, 200);
  answer a = api_serve(v, "GET", API_URL, auth, proof, NULL, NULL);
  CHECK_EQ_INT(a.status, 401);
  CHECK_STR(a.reason, "dpop_replay");
  free(proof);
  /* Each broken one: dpop_proof, invalid_dpop_proof. */
  const claims_of broken[] = {
      {.typ = "JWT", .htm = "GET", .htu = htu, .ath = ath},
      {.htm = "POST", .htu = htu, .ath = ath},
      {.htm = "GET", .htu = "https://api.example.com/other", .ath = ath},
      {.htm = "GET", .htu = htu, .ath = wrong_ath},
      {.htm = "GET", .htu = htu, .ath = ath, .iat_offset = -600},
      {.htm = "GET", .htu = htu, .ath = ath, .iat_offset = 600},
      {.htm = "GET", .htu = htu, .ath = ath, .jwk = other.jwk}, /* the jwk is not the signer */
  };
  for (size_t i = 0; i < sizeof broken / sizeof *broken; i++) {
    a = send_proof(v, &k, auth, &broken[i], NULL);
    if (strcmp(a.reason, "dpop_proof")) t_fail(__FILE__, __LINE__, "broken proof %zu: reason %s", i, a.reason);
    CHECK(!strncmp(a.www_authenticate, "DPoP error=\"invalid_dpop_proof\"", 31));
  }
  /* A good proof of another key: not the token's (cnf.jkt). */
  CHECK_STR(send_proof(v, &other, auth, &good, NULL).reason, "dpop_proof");
  /* Nonce mode: the verifier's nonce, or use_dpop_nonce. */
  m2m_verifier *nv = api_verifier(audience, NULL, true);
  char *nonce = NULL;
  CHECK_EQ_INT(m2m_verifier_dpop_nonce(nv, &nonce), M2M_OK);
  a = send_proof(nv, &k, auth, &good, NULL);
  CHECK_STR(a.reason, "dpop_nonce");
  CHECK_STR(a.dpop_nonce, nonce ? nonce : "");
  claims_of with_nonce = good, stale = good;
  with_nonce.nonce = nonce;
  stale.nonce = "AAAA.not-a-nonce";
  CHECK_STR(send_proof(nv, &k, auth, &stale, NULL).reason, "dpop_nonce");
  CHECK_EQ_INT(send_proof(nv, &k, auth, &with_nonce, NULL).status, 200);
  m2m_dpop_nonce_free(nonce);
  m2m_verifier_free(nv);
  free(ath);
  free(wrong_ath);
  m2m_verifier_free(v);
  m2m_token_free(t);
  m2m_client_free(c);
  EVP_PKEY_free(k.key);
  EVP_PKEY_free(other.key);
}

/* Every log record's message, one a line (checked once the token and
 * proof to look for are known). */
typedef struct {
  pthread_mutex_t lock;
  int count;
  char *text;
  size_t len;
} log_sink;

static void on_log(void *user_data, m2m_log_level level, const char *target, const char *message) {
  log_sink *s = user_data;
  (void)level;
  (void)target;
  pthread_mutex_lock(&s->lock);
  s->count++;
  size_t n = strlen(message);
  s->text = realloc(s->text, s->len + n + 2);
  memcpy(s->text + s->len, message, n);
  s->len += n;
  s->text[s->len++] = '\n';
  s->text[s->len] = 0;
  pthread_mutex_unlock(&s->lock);
}

void api_no_token_or_proof_in_errors_or_logs(void) {
  /* Records from the start: the client's token request and proof too (the
   * verifier itself logs only a JWKS fetch that fails). */
  static log_sink sink = {.lock = PTHREAD_MUTEX_INITIALIZER};
  CHECK_EQ_INT(m2m_set_log_callback(on_log, &sink, M2M_LOG_TRACE), M2M_OK);
  char audience[96];
  snprintf(audience, sizeof audience, "%s", tc_audience("canary"));
  m2m_client_options *o = tc_options(&srv, CLIENT_ID, SECRET, audience);
  CHECK_EQ_INT(m2m_client_options_set_dpop(o, true), M2M_OK);
  m2m_client *c = tc_build(o);
  m2m_token *t = tc_get(c, NULL);
  const char *token = tc_access_token(t), *auth = NULL;
  m2m_token_authorization_header(t, &auth);
  char *proof = NULL;
  CHECK_EQ_INT(m2m_client_dpop_proof(c, "GET", API_URL, token, &proof, NULL), M2M_OK);
  if (!proof || !auth) return;
  /* The token and proof whole, and their signatures alone. */
  const char *canary[] = {token, strrchr(token, '.') + 1, proof, strrchr(proof, '.') + 1, NULL};
  m2m_verifier *v = api_verifier(audience, NULL, false), *nv = api_verifier(audience, NULL, true);
  char bearer[4096], broken[4096], two[8192];
  snprintf(bearer, sizeof bearer, "Bearer %s", token);
  snprintf(broken, sizeof broken, "%sx", auth);
  snprintf(two, sizeof two, "%s, %s", proof, proof);
  CHECK_EQ_INT(api_serve(nv, "GET", API_URL, auth, proof, NULL, canary).status, 401); /* dpop_nonce */
  CHECK_EQ_INT(api_serve(v, "GET", API_URL, auth, proof, NULL, canary).status, 200);
  CHECK_EQ_INT(api_serve(v, "GET", API_URL, auth, proof, NULL, canary).status, 401); /* replay */
  CHECK_EQ_INT(api_serve(v, "POST", API_URL, auth, proof, NULL, canary).status, 401);
  CHECK_EQ_INT(api_serve(v, "GET", API_URL, auth, two, NULL, canary).status, 401);
  CHECK_EQ_INT(api_serve(v, "GET", API_URL, broken, proof, NULL, canary).status, 401);
  CHECK_EQ_INT(api_serve(v, "GET", API_URL, bearer, NULL, NULL, canary).status, 401);
  CHECK_EQ_INT(api_serve(v, "GET", API_URL, auth, token, NULL, canary).status, 401); /* the token as proof */
  CHECK_EQ_INT(api_serve(v, "GET", API_URL, auth, NULL, "admin:data", canary).status, 401);
  CHECK_EQ_INT(m2m_set_log_callback(NULL, NULL, M2M_LOG_OFF), M2M_OK);
  pthread_mutex_lock(&sink.lock);
  CHECK(sink.count > 0);
  for (const char *const *n = canary; sink.text && *n; n++)
    if (strstr(sink.text, *n)) t_fail(__FILE__, __LINE__, "a log record shows a token or proof");
  free(sink.text);
  sink.text = NULL;
  sink.len = 0;
  pthread_mutex_unlock(&sink.lock);
  m2m_verifier_free(v);
  m2m_verifier_free(nv);
  m2m_dpop_proof_free(proof);
  m2m_token_free(t);
  m2m_client_free(c);
}
