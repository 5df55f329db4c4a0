/* DPoP (RFC 9449) with oidc-provider through the C client: its
 * `dpop_clients` of tests/interop/clients.json (one of which must first be
 * sent `use_dpop_nonce`), each with a generated key, core's P-256 JWK and
 * core's Ed25519 PEM. Three tokens in a row per client and key, each a new
 * `DPoP` token whose `cnf.jkt` is m2m_client_dpop_thumbprint, and for the
 * given keys the RFC 7638 thumbprint computed here with libcrypto from the
 * public key's members. The nonce client's demands show in the engine's
 * debug records. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interop.h"
#include "support/clients.h"
#include "support/testlib.h"

/* The public members of the test keys (core/tests/assertion_keys/p256.jwk.json,
 * core/tests/verify_keys/public_jwks.json's ed25519) as RFC 7638 wants them:
 * required members only, in lexicographic order, no white space. */
#define P256_MEMBERS                                                                        \
  "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"6ODTJSTHR_x9zPRll1X946dUCEgvfI5Fr333r8VrEWk\"," \
  "\"y\":\"gQU7LQIzx4t32TKCH8iG0kc98xfdk27DFT6wH_w7uIo\"}"
#define ED25519_MEMBERS \
  "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"LC0WrMFQ-TZlpCApEZwOcI-94crys1q5YLLT3HcPy2Y\"}"

/* base64url (no padding) of the SHA-256 of `members` into `out`. */
static void thumbprint(const char *members, char out[64]) {
  unsigned char md[32], b64[64];
  unsigned int n = 0;
  EVP_Digest(members, strlen(members), md, &n, EVP_sha256(), NULL);
  int len = EVP_EncodeBlock(b64, md, (int)n);
  for (int i = 0; i < len; i++) b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
  while (len > 0 && b64[len - 1] == '=') len--;
  snprintf(out, 64, "%.*s", len, (const char *)b64);
}

static pthread_mutex_t demands_lock = PTHREAD_MUTEX_INITIALIZER;
static int demands;

/* Counts the engine's record of a token endpoint's nonce demand. */
static void on_log(void *user_data, m2m_log_level level, const char *target, const char *message) {
  (void)user_data, (void)level, (void)target;
  if (!strstr(message, "token endpoint asked for a DPoP nonce")) return;
  pthread_mutex_lock(&demands_lock);
  demands++;
  pthread_mutex_unlock(&demands_lock);
}

static int demands_now(void) {
  pthread_mutex_lock(&demands_lock);
  int n = demands;
  pthread_mutex_unlock(&demands_lock);
  return n;
}

void dpop_tokens_are_bound_to_the_key_with_and_without_nonces(void) {
  const jval *list = json_get(clients, "dpop_clients");
  const char *resource = json_get_str(clients, "resource");
  CHECK(list && list->type == J_ARR && list->len >= 2 && resource);
  char *p256_jwk = t_read_file("core/tests/assertion_keys/p256.jwk.json");
  char *ed25519_pem = t_read_file("core/tests/verify_keys/ed25519.pem");
  CHECK(p256_jwk && ed25519_pem);
  const char *keys[] = {NULL, p256_jwk, ed25519_pem};
  char want[3][64] = {""};
  thumbprint(P256_MEMBERS, want[1]);
  thumbprint(ED25519_MEMBERS, want[2]);
  CHECK_EQ_INT(m2m_set_log_callback(on_log, NULL, M2M_LOG_DEBUG), M2M_OK);
  for (size_t i = 0; list && resource && i < list->len; i++) {
    const jval *client = &list->items[i];
    const char *id = json_get_str(client, "client_id");
    const jval *nonce = json_get(client, "require_nonce");
    int before = demands_now();
    for (int k = 0; k < 3; k++) {
      m2m_client_options *o = NULL;
      CHECK_EQ_INT(m2m_client_options_new(&o), M2M_OK);
      m2m_client_options_set_token_url(o, token_endpoint);
      m2m_client_options_set_client_id(o, id);
      m2m_client_options_set_client_secret(o, json_get_str(client, "client_secret"));
      m2m_client_options_set_auth_method(o, json_get_str(client, "token_endpoint_auth_method"));
      m2m_client_options_add_resource(o, resource);
      m2m_client_options_set_no_proxy(o, true);
      CHECK_EQ_INT(m2m_client_options_set_dpop(o, true), M2M_OK);
      if (keys[k]) CHECK_EQ_INT(m2m_client_options_set_dpop_key(o, keys[k]), M2M_OK);
      m2m_client *c = tc_build(o);
      if (!c) continue;
      const char *jkt = m2m_client_dpop_thumbprint(c);
      if (want[k][0]) CHECK_STR(jkt, want[k]);
      char previous[4096] = "";
      for (int n = 0; n < 3; n++) {
        m2m_token *t = NULL;
        m2m_error *err = NULL;
        if (m2m_client_fetch_token(c, NULL, &t, &err) != M2M_OK) {
          t_fail(__FILE__, __LINE__, "%s, key %d: request %d: %s", id, k, n, m2m_error_message(err));
          m2m_error_free(err);
          continue;
        }
        const char *type = NULL, *at = tc_access_token(t);
        m2m_token_token_type(t, &type);
        CHECK_STR(type, "DPoP");
        char *claims_text = jwt_segment(at, 1);
        jval *claims = claims_text ? json_parse(claims_text, NULL, 0) : NULL;
        CHECK_STR(json_get_str(json_get(claims, "cnf"), "jkt"), jkt);
        CHECK(strcmp(previous, at) != 0); /* a new token (and proof) each time */
        snprintf(previous, sizeof previous, "%s", at);
        json_free(claims);
        free(claims_text);
        m2m_token_free(t);
      }
      m2m_client_free(c);
    }
    /* The nonce client was asked for a nonce (at least once per key). */
    if (nonce && nonce->type == J_BOOL && nonce->boolean) CHECK(demands_now() - before >= 3);
    else CHECK_EQ_INT(demands_now() - before, 0);
  }
  CHECK_EQ_INT(m2m_set_log_callback(NULL, NULL, M2M_LOG_OFF), M2M_OK);
  free(p256_jwk);
  free(ed25519_pem);
}
