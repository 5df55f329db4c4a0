/* The C conformance runner: the checks of a call's outcome against its
 * `expect` (tokens, API answers, errors and their fields, timing), and the
 * canary (no error shows the client secret). */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"

static const char *label_token(vec *v, const char *name) {
  for (int i = 0; i < v->nlabels; i++)
    if (!strcmp(v->labels[i].name, name)) return v->labels[i].token;
  return NULL;
}

static void check_no_secret(vec *v, const m2m_error *err) {
  if (!err) return;
  for (size_t i = 0; i < TC_ERROR_TEXT_COUNT; i++) {
    const char *f = TC_ERROR_TEXT[i].get(err);
    for (int k = 0; f && k < v->nkey_parts; k++)
      if (strstr(f, v->key_parts[k])) vfail(v, "a part of the DPoP key appears in an error's %s", TC_ERROR_TEXT[i].name);
  }
  if (!v->secret || !*v->secret) return;
  char *encoded = form_encode(v->secret);
  for (size_t i = 0; i < TC_ERROR_TEXT_COUNT; i++) {
    const char *f = TC_ERROR_TEXT[i].get(err);
    if (f && (strstr(f, v->secret) || strstr(f, encoded)))
      vfail(v, "the client secret appears in an error: %s", f);
  }
  free(encoded);
}

static void check_elapsed(vec *v, const jval *e, const outcome *c) {
  const jval *lo = json_get(e, "elapsed_ms_at_least"), *hi = json_get(e, "elapsed_ms_at_most");
  if (lo && c->elapsed_ms < lo->num)
    vfail(v, "took %.0f ms, expected at least %.0f", c->elapsed_ms, lo->num);
  if (hi && c->elapsed_ms > hi->num) {
    if (slow_mode) v->relaxed++;
    else vfail(v, "took %.0f ms, expected at most %.0f", c->elapsed_ms, hi->num);
  }
}

static const char *const SUCCESS_KEYS[] = {
    "ok", "token_type", "expires_in_between", "scope", "extra", "same_token_as",
    "different_token_from", "status", "elapsed_ms_at_least", "elapsed_ms_at_most",
    "authorization_scheme", NULL};
static const char *const ERROR_KEYS[] = {"error", "fields", "body_max_len", "retry_after_between_s",
                                         "elapsed_ms_at_least", "elapsed_ms_at_most", NULL};

static void check_success(vec *v, const jval *e, const outcome *c) {
  if (c->result != M2M_OK) {
    FAIL_RETURN(v, "%s failed: %s (%s)", c->call, m2m_result_name(c->result),
                 m2m_error_message(c->error));
  }
  for (size_t i = 0; i < e->len; i++)
    if (!known(e->keys[i], SUCCESS_KEYS)) FAIL_RETURN(v, "unsupported expectation \"%s\"", e->keys[i]);
  const jval *x;
  if ((x = json_get(e, "status"))) {
    uint16_t st = 0;
    if (!c->response || m2m_api_response_status(c->response, &st) != M2M_OK || st != (uint16_t)x->num)
      vfail(v, "API status %u, expected %.0f", st, x->num);
  }
  check_elapsed(v, e, c);
  if (!c->token) {
    if (json_get(e, "token_type") || json_get(e, "scope") || json_get(e, "same_token_as") ||
        json_get(e, "authorization_scheme"))
      vfail(v, "%s returns no token to check", c->call);
    return;
  }
  const char *at = NULL;
  if (m2m_token_access_token(c->token, &at) != M2M_OK) FAIL_RETURN(v, "m2m_token_access_token failed");
  if ((x = json_get(e, "token_type"))) {
    const char *tt = NULL;
    m2m_token_token_type(c->token, &tt);
    if (!tt || strcmp(tt, x->str)) vfail(v, "token_type \"%s\", expected \"%s\"", tt ? tt : "", x->str);
  }
  if ((x = json_get(e, "authorization_scheme"))) {
    const char *h = NULL;
    m2m_token_authorization_header(c->token, &h);
    size_t n = h ? strcspn(h, " ") : 0;
    if (!h || x->type != J_STR || strlen(x->str) != n || strncmp(h, x->str, n))
      vfail(v, "authorization scheme \"%.*s\", expected \"%s\"", (int)n, h ? h : "", x->str ? x->str : "?");
  }
  if ((x = json_get(e, "expires_in_between"))) {
    uint64_t ms = 0;
    m2m_token_expires_in(c->token, &ms);
    uint64_t s = ms / 1000;
    if (x->len != 2 || (double)s < x->items[0].num || (double)s > x->items[1].num)
      vfail(v, "expires_in %llu s, expected within [%.0f, %.0f]", (unsigned long long)s,
            x->len == 2 ? x->items[0].num : 0, x->len == 2 ? x->items[1].num : 0);
  }
  if ((x = json_get(e, "scope"))) {
    const char *s = "unset";
    m2m_token_scope(c->token, &s);
    if (x->type == J_NULL ? s != NULL : (!s || strcmp(s, x->str)))
      vfail(v, "scope \"%s\", expected %s", s ? s : "(none)", x->type == J_NULL ? "none" : x->str);
  }
  if ((x = json_get(e, "extra"))) {
    const char *json = NULL;
    m2m_token_extra(c->token, &json);
    jval *got = json ? json_parse(json, NULL, 0) : NULL;
    for (size_t i = 0; got && i < x->len; i++) {
      const jval *have = json_get(got, x->keys[i]);
      if (!have || !json_equal(have, &x->items[i]))
        vfail(v, "extra field \"%s\" missing or different in %s", x->keys[i], json);
    }
    if (!got) vfail(v, "m2m_token_extra gave no JSON object");
    json_free(got);
  }
  if ((x = json_get(e, "same_token_as"))) {
    const char *t = label_token(v, x->str);
    if (!t) vfail(v, "no label \"%s\"", x->str);
    else if (strcmp(t, at)) vfail(v, "a different token than \"%s\"", x->str);
  }
  if ((x = json_get(e, "different_token_from"))) {
    const char *t = label_token(v, x->str);
    if (!t) vfail(v, "no label \"%s\"", x->str);
    else if (!strcmp(t, at)) vfail(v, "the same token as \"%s\"", x->str);
  }
}

static void check_field(vec *v, const m2m_error *err, const char *k, const jval *want) {
  if (!strcmp(k, "status")) {
    unsigned got = m2m_error_status(err);
    unsigned w = want->type == J_NULL ? 0 : (unsigned)want->num;
    if (got != w) vfail(v, "error status %u, expected %u", got, w);
    return;
  }
  size_t i = 0;
  while (i < TC_ERROR_TEXT_COUNT && strcmp(TC_ERROR_TEXT[i].name, k)) i++;
  if (i == TC_ERROR_TEXT_COUNT) FAIL_RETURN(v, "unsupported error field \"%s\"", k);
  const char *got = TC_ERROR_TEXT[i].get(err);
  if (want->type == J_NULL) {
    if (got) vfail(v, "error %s \"%s\", expected none", k, got);
  } else if (!got || want->type != J_STR || strcmp(got, want->str)) {
    vfail(v, "error %s \"%s\", expected \"%s\"", k, got ? got : "(none)", want->str ? want->str : "?");
  }
}

static void check_error(vec *v, const jval *e, const outcome *c) {
  const char *code = json_get_str(e, "error");
  if (c->result == M2M_OK) FAIL_RETURN(v, "%s succeeded, expected a %s error", c->call, code);
  if (strcmp(m2m_result_name(c->result), code))
    FAIL_RETURN(v, "%s error (%s), expected %s", m2m_result_name(c->result),
                 m2m_error_message(c->error), code);
  if (m2m_error_code(c->error) != c->result) vfail(v, "m2m_error_code differs from the result");
  if (!*m2m_error_message(c->error)) vfail(v, "empty error message");
  for (size_t i = 0; i < e->len; i++)
    if (!known(e->keys[i], ERROR_KEYS)) FAIL_RETURN(v, "unsupported expectation \"%s\"", e->keys[i]);
  const jval *x;
  if ((x = json_get(e, "fields")))
    for (size_t i = 0; i < x->len; i++) check_field(v, c->error, x->keys[i], &x->items[i]);
  if ((x = json_get(e, "body_max_len"))) {
    const char *b = m2m_error_body(c->error);
    if (!b || strlen(b) > (size_t)x->num)
      vfail(v, "http body excerpt of %zu bytes, expected at most %.0f", b ? strlen(b) : 0, x->num);
  }
  if ((x = json_get(e, "retry_after_between_s"))) {
    double s = (double)m2m_error_retry_after(c->error) / 1000.0;
    if (x->len != 2 || s < x->items[0].num - 0.001 || s > x->items[1].num + 0.001)
      vfail(v, "retry_after %.3f s, expected within [%g, %g]", s, x->len == 2 ? x->items[0].num : 0,
            x->len == 2 ? x->items[1].num : 0);
  }
  check_elapsed(v, e, c);
}

void check_outcome(vec *v, const jval *e, const outcome *c) {
  check_no_secret(v, c->error);
  if (!e) return;
  const jval *ok = json_get(e, "ok");
  if (ok && ok->type == J_BOOL && ok->boolean) check_success(v, e, c);
  else if (json_get_str(e, "error")) check_error(v, e, c);
  else vfail(v, "an expectation needs \"ok\": true or \"error\"");
}
