/* A DPoP proof read and checked without m2m-auth: base64url, JSON (the
 * suite's reader) and OpenSSL's libcrypto, which verifies the signature with
 * the public key of the proof's own `jwk` header and hashes (`ath`, the RFC
 * 7638 thumbprint). ES256/ES384, EdDSA (Ed25519), RS256 and PS256. */
#define _GNU_SOURCE
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpop.h"

char *b64url(const unsigned char *data, size_t len) {
  static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  char *out = malloc(len * 4 / 3 + 4), *p = out;
  for (size_t i = 0; i < len; i += 3) {
    unsigned v = (unsigned)data[i] << 16 | (i + 1 < len ? (unsigned)data[i + 1] << 8 : 0) |
                 (i + 2 < len ? data[i + 2] : 0);
    *p++ = A[v >> 18 & 63];
    *p++ = A[v >> 12 & 63];
    if (i + 1 < len) *p++ = A[v >> 6 & 63];
    if (i + 2 < len) *p++ = A[v & 63];
  }
  *p = 0;
  return out;
}

/* The bytes of base64url text `s` (`n` characters; no padding), malloc'd
 * and NUL-terminated; NULL if `s` is not base64url. */
static unsigned char *unb64url(const char *s, size_t n, size_t *len_out) {
  unsigned char *out = malloc(n * 3 / 4 + 2);
  size_t k = 0;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    const char *A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *at = s[i] ? strchr(A, s[i]) : NULL;
    if (!at) {
      free(out);
      return NULL;
    }
    acc = acc << 6 | (unsigned)(at - A);
    if ((bits += 6) >= 8) out[k++] = (unsigned char)(acc >> (bits -= 8));
  }
  out[k] = 0;
  *len_out = k;
  return out;
}

/* A base64url member of `obj` decoded (malloc'd), or NULL. */
static unsigned char *member_bytes(const jval *obj, const char *key, size_t *len) {
  const char *s = json_get_str(obj, key);
  return s ? unb64url(s, strlen(s), len) : NULL;
}

char *sha256_b64url(const char *text) {
  unsigned char md[32];
  unsigned int n = 0;
  EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL);
  return b64url(md, n);
}

/* The public key of a JWK (EC, OKP Ed25519, RSA), or NULL. */
static EVP_PKEY *jwk_key(const jval *jwk) {
  const char *kty = json_get_str(jwk, "kty"), *crv = json_get_str(jwk, "crv");
  EVP_PKEY *key = NULL;
  size_t xl = 0, yl = 0;
  unsigned char *x = NULL, *y = NULL;
  if (kty && !strcmp(kty, "OKP") && crv && !strcmp(crv, "Ed25519")) {
    if ((x = member_bytes(jwk, "x", &xl))) key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xl);
  } else if (kty && (!strcmp(kty, "EC") || !strcmp(kty, "RSA"))) {
    int ec = !strcmp(kty, "EC");
    x = member_bytes(jwk, ec ? "x" : "n", &xl);
    y = member_bytes(jwk, ec ? "y" : "e", &yl);
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    BIGNUM *n = NULL, *e = NULL;
    unsigned char point[1 + 2 * 66];
    int ok = x && y && b;
    if (ok && ec) {
      ok = crv && (!strcmp(crv, "P-256") || !strcmp(crv, "P-384")) && xl == yl && xl <= 66;
      point[0] = 4; /* uncompressed: 04 || x || y */
      if (ok) {
        memcpy(point + 1, x, xl);
        memcpy(point + 1 + xl, y, yl);
      }
      ok = ok && OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, crv, 0) &&
           OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + xl + yl);
    } else if (ok) {
      n = BN_bin2bn(x, (int)xl, NULL);
      e = BN_bin2bn(y, (int)yl, NULL);
      ok = n && e && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n) &&
           OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e);
    }
    OSSL_PARAM *params = ok ? OSSL_PARAM_BLD_to_param(b) : NULL;
    EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, ec ? "EC" : "RSA", NULL) : NULL;
    if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
      key = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    BN_free(n);
    BN_free(e);
  }
  free(x);
  free(y);
  return key;
}

/* Whether `sig` over `input` verifies with `key` for JWS algorithm `alg`. */
static int verify(EVP_PKEY *key, const char *alg, const char *input, const unsigned char *sig, size_t sig_len) {
  const EVP_MD *md = !strcmp(alg, "EdDSA") ? NULL : !strcmp(alg, "ES384") ? EVP_sha384() : EVP_sha256();
  unsigned char *der = NULL;
  int der_len = 0;
  if (alg[0] == 'E' && alg[1] == 'S') {
    /* JWS: r || s, each the curve's size; libcrypto wants DER. */
    size_t half = sig_len / 2;
    ECDSA_SIG *es = ECDSA_SIG_new();
    ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)half, NULL), BN_bin2bn(sig + half, (int)half, NULL));
    der_len = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);
    if (der_len <= 0) return 0;
    sig = der;
    sig_len = (size_t)der_len;
  }
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  int ok = EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key) > 0;
  if (ok && !strcmp(alg, "PS256"))
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
  ok = ok && EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)input, strlen(input)) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  return ok;
}

/* The RFC 7638 thumbprint of `jwk`: SHA-256 of its required members in
 * lexicographic order, no white space. */
static void thumbprint(const jval *jwk, char out[64]) {
  const char *kty = json_get_str(jwk, "kty");
  char members[2048];
  if (kty && !strcmp(kty, "EC"))
    snprintf(members, sizeof members, "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
             json_get_str(jwk, "crv"), json_get_str(jwk, "x"), json_get_str(jwk, "y"));
  else if (kty && !strcmp(kty, "OKP"))
    snprintf(members, sizeof members, "{\"crv\":\"%s\",\"kty\":\"OKP\",\"x\":\"%s\"}", json_get_str(jwk, "crv"),
             json_get_str(jwk, "x"));
  else
    snprintf(members, sizeof members, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", json_get_str(jwk, "e"),
             json_get_str(jwk, "n"));
  char *t = sha256_b64url(members);
  snprintf(out, 64, "%s", t);
  free(t);
}

/* Decodes and parses one base64url JSON part. */
static jval *part(const char *s, size_t n, char **text_out) {
  size_t len = 0;
  *text_out = (char *)unb64url(s, n, &len);
  return *text_out ? json_parse(*text_out, NULL, 0) : NULL;
}

jval *jwt_payload(const char *jwt, char **text_out) {
  const char *a = strchr(jwt, '.'), *b = a ? strchr(a + 1, '.') : NULL;
  *text_out = NULL;
  return b ? part(a + 1, (size_t)(b - a - 1), text_out) : NULL;
}

int jws_read(const char *compact, jws *out, char *why, size_t why_len) {
  memset(out, 0, sizeof *out);
  const char *a = strchr(compact, '.'), *b = a ? strchr(a + 1, '.') : NULL;
  if (!b || strchr(b + 1, '.')) {
    snprintf(why, why_len, "not a compact JWS");
    return -1;
  }
  out->header = part(compact, (size_t)(a - compact), &out->header_text);
  out->payload = part(a + 1, (size_t)(b - a - 1), &out->payload_text);
  const jval *jwk = json_get(out->header, "jwk");
  const char *alg = json_get_str(out->header, "alg");
  if (!out->header || !out->payload || !jwk || !alg) {
    snprintf(why, why_len, "header or payload unreadable, or no jwk or alg");
    return -1;
  }
  EVP_PKEY *key = jwk_key(jwk);
  if (!key) {
    const char *kty = json_get_str(jwk, "kty");
    snprintf(why, why_len, "OpenSSL cannot read the jwk (kty %s)", kty ? kty : "missing");
    return -1;
  }
  size_t sig_len = 0;
  unsigned char *sig = unb64url(b + 1, strlen(b + 1), &sig_len);
  char *input = strndup(compact, (size_t)(b - compact));
  out->signature_ok = sig && verify(key, alg, input, sig, sig_len);
  thumbprint(jwk, out->jwk_thumbprint);
  free(input);
  free(sig);
  EVP_PKEY_free(key);
  return 0;
}

void jws_free(jws *j) {
  json_free(j->header);
  json_free(j->payload);
  free(j->header_text);
  free(j->payload_text);
  memset(j, 0, sizeof *j);
}
