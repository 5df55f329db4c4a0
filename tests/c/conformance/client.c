/* The C conformance runner: the client under test, built through the C ABI
 * from a vector's `client` options (and a step's `client_override`), and
 * the per-call requests. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"

static int is_key(const jval *obj, const char *k) { return json_get(obj, k) != NULL; }

void forget_key_parts(vec *v) {
  for (int i = 0; i < v->nkey_parts; i++) free(v->key_parts[i]);
  v->nkey_parts = 0;
}

/* The parts of a DPoP key (PEM or JWK text) that must never show: each PEM
 * body line, or the JWK's private members. */
static void remember_key_parts(vec *v, const char *key) {
  if (key[strspn(key, " \t\r\n")] == '{') {
    jval *jwk = json_parse(key, NULL, 0);
    static const char *const PRIVATE[] = {"d", "p", "q", "dp", "dq", "qi", NULL};
    for (const char *const *m = PRIVATE; *m && v->nkey_parts < 64; m++)
      if (json_get_str(jwk, *m)) v->key_parts[v->nkey_parts++] = strdup(json_get_str(jwk, *m));
    json_free(jwk);
    return;
  }
  char *lines = strdup(key);
  for (char *line = strtok(lines, "\r\n"); line && v->nkey_parts < 64; line = strtok(NULL, "\r\n")) {
    line += strspn(line, " \t");
    size_t n = strlen(line);
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\t')) line[--n] = 0;
    if (n && strncmp(line, "-----", 5)) v->key_parts[v->nkey_parts++] = strdup(line);
  }
  free(lines);
}

/* Applies one `client` field to the options. */
static void apply_option(vec *v, m2m_client_options *o, const char *k, const jval *val) {
  m2m_result r = M2M_OK;
  if (!strcmp(k, "token_url") || !strcmp(k, "issuer") || !strcmp(k, "domain")) {
    if (val->type != J_STR) FAIL_RETURN(v, "client.%s must be a string", k);
    char *s = placeholders(v, val->str);
    r = !strcmp(k, "token_url") ? m2m_client_options_set_token_url(o, s)
        : !strcmp(k, "issuer")  ? m2m_client_options_set_issuer(o, s)
                                : m2m_client_options_set_domain(o, s);
    free(s);
  } else if (!strcmp(k, "client_id") || !strcmp(k, "client_secret") || !strcmp(k, "auth_method") ||
             !strcmp(k, "audience") || !strcmp(k, "organization") || !strcmp(k, "scope") ||
             !strcmp(k, "private_key") || !strcmp(k, "key_id") || !strcmp(k, "signing_alg") ||
             !strcmp(k, "dpop_key") ||
             !strcmp(k, "client_certificate_file") || !strcmp(k, "client_key_file")) {
    if (val->type != J_STR) FAIL_RETURN(v, "client.%s must be a string", k);
    if (!strcmp(k, "client_id")) r = m2m_client_options_set_client_id(o, val->str);
    if (!strcmp(k, "client_secret")) {
      r = m2m_client_options_set_client_secret(o, val->str);
      free(v->secret);
      v->secret = strdup(val->str);
    }
    if (!strcmp(k, "auth_method")) r = m2m_client_options_set_auth_method(o, val->str);
    if (!strcmp(k, "audience")) r = m2m_client_options_set_audience(o, val->str);
    if (!strcmp(k, "organization")) r = m2m_client_options_set_organization(o, val->str);
    if (!strcmp(k, "scope")) r = m2m_client_options_add_scope(o, val->str);
    if (!strcmp(k, "private_key")) r = m2m_client_options_set_private_key(o, val->str);
    if (!strcmp(k, "key_id")) r = m2m_client_options_set_key_id(o, val->str);
    if (!strcmp(k, "signing_alg")) r = m2m_client_options_set_signing_alg(o, val->str);
    if (!strcmp(k, "dpop_key")) {
      r = m2m_client_options_set_dpop_key(o, val->str);
      remember_key_parts(v, val->str);
    }
    /* Fixture paths are relative to the repository root, the working
       directory of the runner. */
    if (!strcmp(k, "client_certificate_file"))
      r = m2m_client_options_set_client_certificate_file(o, val->str);
    if (!strcmp(k, "client_key_file")) r = m2m_client_options_set_client_key_file(o, val->str);
  } else if (!strcmp(k, "dpop") || !strcmp(k, "dpop_accept_bearer")) {
    if (val->type != J_BOOL) FAIL_RETURN(v, "client.%s must be a boolean", k);
    r = !strcmp(k, "dpop") ? m2m_client_options_set_dpop(o, val->boolean)
                           : m2m_client_options_set_dpop_accept_bearer(o, val->boolean);
  } else if (!strcmp(k, "resource")) {
    if (val->type != J_ARR) FAIL_RETURN(v, "client.resource must be a list");
    for (size_t i = 0; i < val->len && r == M2M_OK; i++)
      r = m2m_client_options_add_resource(o, val->items[i].str ? val->items[i].str : "");
  } else if (!strcmp(k, "extra")) {
    if (val->type != J_OBJ) FAIL_RETURN(v, "client.extra must be an object");
    for (size_t i = 0; i < val->len && r == M2M_OK; i++)
      r = m2m_client_options_add_extra(o, val->keys[i], val->items[i].str ? val->items[i].str : "");
  } else if (!strcmp(k, "timeout_ms")) {
    r = m2m_client_options_set_timeout(o, (uint64_t)val->num);
  } else if (!strcmp(k, "connect_timeout_ms")) {
    r = m2m_client_options_set_connect_timeout(o, (uint64_t)val->num);
  } else if (!strcmp(k, "leeway_ms")) {
    r = m2m_client_options_set_leeway(o, (uint64_t)val->num);
  } else if (!strcmp(k, "refresh_ratio")) {
    r = m2m_client_options_set_refresh_ratio(o, val->num);
  } else if (!strcmp(k, "retry")) {
    for (size_t i = 0; i < val->len && r == M2M_OK; i++) {
      const char *rk = val->keys[i];
      double n = val->items[i].num;
      if (!strcmp(rk, "max_attempts")) r = m2m_client_options_set_max_attempts(o, (uint64_t)n);
      else if (!strcmp(rk, "base_delay_ms")) r = m2m_client_options_set_retry_base_delay(o, (uint64_t)n);
      else if (!strcmp(rk, "max_delay_ms")) r = m2m_client_options_set_retry_max_delay(o, (uint64_t)n);
      else if (!strcmp(rk, "default_throttle_ms"))
        r = m2m_client_options_set_default_throttle(o, (uint64_t)n);
      else if (!strcmp(rk, "max_retry_after_s"))
        r = m2m_client_options_set_max_retry_after(o, (uint64_t)(n * 1000));
      else FAIL_RETURN(v, "unsupported client.retry field \"%s\"", rk);
    }
  } else {
    FAIL_RETURN(v, "unsupported client field \"%s\"", k);
  }
  if (r != M2M_OK) vfail(v, "setting client.%s: %s", k, m2m_result_name(r));
}

/* Builds the client from `client` with `override` merged over it. */
m2m_result build_client(vec *v, const jval *override, m2m_error **err) {
  const jval *client = json_get(v->root, "client");
  m2m_client_free(v->client);
  v->client = NULL;
  free(v->secret);
  v->secret = strdup(v->default_secret);
  forget_key_parts(v);
  m2m_client_options *o = NULL;
  m2m_client_options_new(&o);
  m2m_client_options_set_no_proxy(o, true);
  m2m_client_options_set_retry_base_delay(o, 20);
  /* A server with TLS is trusted (FORMAT.md). */
  if (v->srv.tls_ca_pem) m2m_client_options_set_ca_certs(o, v->srv.tls_ca_pem);
  const jval *layers[2] = {client, override};
  int has_endpoint = 0, has_id = 0, has_secret = 0;
  for (int l = 0; l < 2; l++) {
    const jval *obj = layers[l];
    if (!obj) continue;
    for (size_t i = 0; i < obj->len; i++) {
      const char *k = obj->keys[i];
      if (l == 0 && is_key(override, k)) continue; /* the override wins */
      has_endpoint |= !strcmp(k, "token_url") || !strcmp(k, "issuer") || !strcmp(k, "domain");
      has_id |= !strcmp(k, "client_id");
      has_secret |= !strcmp(k, "client_secret");
      apply_option(v, o, k, &obj->items[i]);
    }
  }
  if (!has_endpoint) m2m_client_options_set_token_url(o, v->srv.token_url);
  if (!has_id) m2m_client_options_set_client_id(o, v->default_id);
  if (!has_secret) m2m_client_options_set_client_secret(o, v->default_secret);
  m2m_result r = m2m_client_new(o, &v->client, err);
  m2m_client_options_free(o);
  return r;
}

m2m_request *make_request(vec *v, const jval *r) {
  if (!r) return NULL;
  m2m_request *rq = NULL;
  m2m_request_new(&rq);
  for (size_t i = 0; i < r->len; i++) {
    const char *k = r->keys[i];
    const jval *val = &r->items[i];
    m2m_result res = M2M_OK;
    if (!strcmp(k, "audience")) res = m2m_request_set_audience(rq, val->str ? val->str : "");
    else if (!strcmp(k, "scope")) res = m2m_request_add_scope(rq, val->str ? val->str : "");
    else if (!strcmp(k, "organization")) res = m2m_request_set_organization(rq, val->str ? val->str : "");
    else if (!strcmp(k, "resource")) {
      res = m2m_request_set(rq, "resource", ""); /* the call's list replaces the default */
      for (size_t j = 0; j < val->len && res == M2M_OK; j++)
        res = m2m_request_add_resource(rq, val->items[j].str ? val->items[j].str : "");
    } else if (!strcmp(k, "extra")) {
      res = m2m_request_set(rq, "extra", "");
      for (size_t j = 0; j < val->len && res == M2M_OK; j++)
        res = m2m_request_add_extra(rq, val->keys[j], val->items[j].str ? val->items[j].str : "");
    } else vfail(v, "unsupported request field \"%s\"", k);
    if (res != M2M_OK) vfail(v, "request.%s: %s", k, m2m_result_name(res));
  }
  return rq;
}
