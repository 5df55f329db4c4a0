/* Mutual TLS (RFC 8705) with oidc-provider's https listener
 * (tests/interop/README.md, "The https listener") and the certificates of
 * tests/mtls/ named in clients.json (`mtls_clients`,
 * `mtls_refused_certificates`). Every client starts from the http issuer:
 * the library must find mtls_endpoint_aliases.token_endpoint through
 * discovery and trust the server CA (`ca_file`); the plain http token
 * endpoint refuses these clients (no certificate reaches it), so a token
 * proves the alias was used. The thumbprint a token must be bound to
 * (cnf.x5t#S256) is computed here with OpenSSL's libcrypto. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interop.h"
#include "support/clients.h"
#include "support/testlib.h"

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *jwt_segment(const char *token, int n) {
  for (; n > 0 && token; n--) {
    token = strchr(token, '.');
    if (token) token++;
  }
  if (!token) return NULL;
  size_t len = strcspn(token, ".");
  char *out = calloc(len + 1, 1);
  size_t o = 0;
  unsigned bits = 0, nbits = 0;
  for (size_t i = 0; out && i < len; i++) {
    const char *at = strchr(B64URL, token[i]);
    if (!at || !token[i]) {
      free(out);
      return NULL;
    }
    bits = (bits << 6) | (unsigned)(at - B64URL);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out[o++] = (char)((bits >> nbits) & 0xff);
    }
  }
  return out;
}

/* `name` (a clients.json file name) under certs_dir, in `out`. */
static const char *fixture(char *out, size_t cap, const char *name) {
  snprintf(out, cap, "%s/%s", certs_dir, name);
  return out;
}

/* The base64url SHA-256 of the DER of the first certificate of the PEM
 * file `name` (the leaf of a chain) in `out` (44 bytes); 0 on success. */
static int leaf_thumbprint(const char *name, char out[44]) {
  char path[640];
  FILE *f = fopen(fixture(path, sizeof path, name), "r");
  X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
  if (f) fclose(f);
  unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  int der_len = x ? i2d_X509(x, &der) : -1;
  int ok = der_len > 0 && EVP_Digest(der, (size_t)der_len, md, &md_len, EVP_sha256(), NULL) &&
           md_len == 32;
  OPENSSL_free(der);
  X509_free(x);
  if (!ok) return -1;
  size_t o = 0;
  unsigned bits = 0, nbits = 0;
  for (unsigned i = 0; i < md_len; i++) {
    bits = (bits << 8) | md[i];
    nbits += 8;
    while (nbits >= 6) {
      nbits -= 6;
      out[o++] = B64URL[(bits >> nbits) & 63];
    }
  }
  if (nbits) out[o++] = B64URL[(bits << (6 - nbits)) & 63];
  out[o] = 0; /* 43 characters: no padding */
  return 0;
}

/* The `mtls_clients` entry whose method is `method`, or NULL. */
static const jval *mtls_client(const char *method) {
  const jval *list = json_get(clients, "mtls_clients");
  for (size_t i = 0; list && list->type == J_ARR && i < list->len; i++) {
    const char *m = json_get_str(&list->items[i], "token_endpoint_auth_method");
    if (m && !strcmp(m, method)) return &list->items[i];
  }
  t_fail(__FILE__, __LINE__, "clients.json has no %s client", method);
  return NULL;
}

/* A client of `id` with `method` from the http issuer (discovery),
 * presenting the certificate (chain) file `cert` with the key file `key`. */
static m2m_client *tls_client(const char *id, const char *method, const char *cert,
                              const char *key) {
  char cert_path[640], key_path[640];
  char *ca = t_read_file(ca_file);
  CHECK(ca && strstr(ca, "BEGIN CERTIFICATE"));
  m2m_client_options *o = NULL;
  CHECK_EQ_INT(m2m_client_options_new(&o), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_issuer(o, issuer), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_id(o, id), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_auth_method(o, method), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_ca_certs(o, ca ? ca : ""), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_certificate_file(
                   o, fixture(cert_path, sizeof cert_path, cert)),
               M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_key_file(o, fixture(key_path, sizeof key_path, key)),
               M2M_OK);
  CHECK_EQ_INT(m2m_client_options_add_resource(o, json_get_str(clients, "resource")), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_no_proxy(o, true), M2M_OK);
  free(ca);
  m2m_client *c = tc_build(o);
  if (c) CHECK_STR(m2m_client_auth_method(c), method);
  return c;
}

/* `c` gets a token for the resource, bound to the leaf of `cert`. */
static void check_bound_token(m2m_client *c, const char *cert, const char *what) {
  char thumb[44];
  if (leaf_thumbprint(cert, thumb)) {
    t_fail(__FILE__, __LINE__, "%s: cannot read the certificate %s", what, cert);
    return;
  }
  m2m_token *t = NULL;
  m2m_error *err = NULL;
  if (m2m_client_fetch_token(c, NULL, &t, &err) != M2M_OK) {
    t_fail(__FILE__, __LINE__, "%s: %s", what, m2m_error_message(err));
    m2m_error_free(err);
    return;
  }
  char *payload = jwt_segment(tc_access_token(t), 1), jerr[128];
  jval *claims = payload ? json_parse(payload, jerr, sizeof jerr) : NULL;
  const char *bound = claims ? json_get_str(json_get(claims, "cnf"), "x5t#S256") : NULL;
  if (!bound || strcmp(bound, thumb))
    t_fail(__FILE__, __LINE__, "%s: cnf.x5t#S256 %s, expected %s", what,
           bound ? bound : "(none)", thumb);
  CHECK_STR(claims ? json_get_str(claims, "aud") : NULL, json_get_str(clients, "resource"));
  CHECK_STR(claims ? json_get_str(claims, "iss") : NULL, issuer);
  json_free(claims);
  free(payload);
  m2m_token_free(t);
}

/* Each key file (PKCS#8, then PKCS#1 or SEC1) and the chain file, if any,
 * of `method`'s client get tokens bound to its certificate. */
static void every_key_and_chain_gets_bound_tokens(const char *method) {
  const jval *m = mtls_client(method);
  if (!m) return;
  const char *id = json_get_str(m, "client_id"), *cert = json_get_str(m, "certificate_file");
  const char *key = json_get_str(m, "key_file"), *chain = json_get_str(m, "chain_file");
  const char *pairs[][2] = {{cert, key}, {cert, json_get_str(m, "legacy_key_file")}, {chain, key}};
  for (size_t i = 0; i < 3; i++) {
    if (!pairs[i][0] || !pairs[i][1]) {
      CHECK(i == 2); /* only the chain is optional */
      continue;
    }
    char what[256];
    snprintf(what, sizeof what, "%s (%s) with %s + %s", id, method, pairs[i][0], pairs[i][1]);
    m2m_client *c = tls_client(id, method, pairs[i][0], pairs[i][1]);
    if (c) check_bound_token(c, pairs[i][0], what);
    m2m_client_free(c);
  }
}

void mtls_tls_client_auth_with_each_key_and_the_chain_through_discovery(void) {
  every_key_and_chain_gets_bound_tokens("tls_client_auth");
}

void mtls_self_signed_tls_client_auth_with_each_key_through_discovery(void) {
  every_key_and_chain_gets_bound_tokens("self_signed_tls_client_auth");
}

/* Every refused certificate, for every mTLS client: oidc-provider's 401
 * invalid_client, M2M_OAUTH, never retried. */
void mtls_refused_certificates_are_oauth_invalid_client(void) {
  const jval *list = json_get(clients, "mtls_clients");
  const jval *refused = json_get(clients, "mtls_refused_certificates");
  CHECK(list && list->type == J_ARR && list->len >= 2);
  CHECK(refused && refused->type == J_ARR && refused->len >= 2);
  for (size_t i = 0; list && refused && i < list->len; i++) {
    const char *id = json_get_str(&list->items[i], "client_id");
    const char *method = json_get_str(&list->items[i], "token_endpoint_auth_method");
    for (size_t j = 0; j < refused->len; j++) {
      const char *cert = json_get_str(&refused->items[j], "certificate_file");
      m2m_client *c = tls_client(id, method, cert, json_get_str(&refused->items[j], "key_file"));
      if (!c) continue;
      m2m_token *t = NULL;
      m2m_error *err = NULL;
      m2m_result r = m2m_client_fetch_token(c, NULL, &t, &err);
      if (r != M2M_OAUTH)
        t_fail(__FILE__, __LINE__, "%s with %s: result %d (%s), expected M2M_OAUTH", id, cert,
               (int)r, err ? m2m_error_message(err) : "a token");
      CHECK(t == NULL);
      CHECK_STR(m2m_error_error(err), "invalid_client");
      CHECK_EQ_INT(m2m_error_status(err), 401);
      m2m_stats *s = NULL;
      CHECK_EQ_INT(m2m_client_stats(c, &s), M2M_OK);
      CHECK_EQ_INT(s ? m2m_stats_fetches(s) : 0, 1); /* never retried */
      m2m_stats_free(s);
      m2m_token_free(t);
      m2m_error_free(err);
      m2m_client_free(c);
    }
  }
}

/* Three token requests in a row on one client: the kept TLS connection (or
 * a resumed session) still authenticates the client each time. */
void mtls_three_fetches_in_a_row_on_one_tls_client(void) {
  const jval *m = mtls_client("tls_client_auth");
  if (!m) return;
  const char *id = json_get_str(m, "client_id"), *cert = json_get_str(m, "certificate_file");
  m2m_client *c = tls_client(id, "tls_client_auth", cert, json_get_str(m, "key_file"));
  for (int n = 1; c && n <= 3; n++) {
    char what[128];
    snprintf(what, sizeof what, "%s: request %d", id, n);
    check_bound_token(c, cert, what);
  }
  m2m_stats *s = NULL;
  if (c) CHECK_EQ_INT(m2m_client_stats(c, &s), M2M_OK);
  if (s) {
    CHECK_EQ_INT(m2m_stats_fetches(s), 3);
    CHECK_EQ_INT(m2m_stats_failures(s), 0);
  }
  m2m_stats_free(s);
  m2m_client_free(c);
}
