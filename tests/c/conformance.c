/* The C runner of the shared conformance vectors (the *.json files in tests/conformance,
 * format in tests/conformance/FORMAT.md): every step goes through the C ABI
 * (include/m2m_auth.h) and every expectation is checked on what the C ABI
 * returns.
 *
 *   conformance [--no-fork] [--slow] [--timeout-s N] FILE_OR_DIR...
 *
 * Each vector gets a fresh dev/fault server on a port no earlier vector of
 * this run used (a new port is a new cache key), and by default runs in a
 * child process of its own. --no-fork runs them all in this process (faster
 * under valgrind). --slow (or M2M_TEST_SLOW=1) is for valgrind runs, whose
 * pace no timing bound survives: "at most N ms" checks are not made, and a
 * vector with such bounds that fails anyway (its scenario raced the slowed
 * process) is reported as skipped with its failure; "at least" checks stay.
 * Prints one line per vector and "conformance: N passed, N failed, N skipped". */
#define _GNU_SOURCE
#include <dirent.h>
#include <m2m_auth.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/testlib.h"

#define DEFAULT_CLIENTS \
  "[{\"client_id\": \"conf-client\", \"client_secret\": \"conf-secret\", \"token_lifetime\": 3600}]"

static int slow_mode;
static int next_port;

/* ---- one vector's state ------------------------------------------------ */

typedef struct label {
  char *name;
  char *token;
} label;

typedef struct {
  const char *file;
  const jval *root;
  devserver srv;
  int server_up;
  long requests_at_shutdown, api_requests_at_shutdown;
  m2m_client *client;
  char *secret;          /* the client's current secret, for the leak check */
  char *default_id, *default_secret;
  label labels[64];
  int nlabels;
  int step;
  int failed;
  char msg[1024];
  int relaxed;           /* timing checks skipped in slow mode */
} vec;

static void vfail(vec *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vfail(vec *v, const char *fmt, ...) {
  if (v->failed) return;
  v->failed = 1;
  int n = snprintf(v->msg, sizeof v->msg, "step %d: ", v->step);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->msg + n, sizeof v->msg - (size_t)n, fmt, ap);
  va_end(ap);
}

#define FAIL_RETURN(...) \
  do {                   \
    vfail(__VA_ARGS__);  \
    return;              \
  } while (0)

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  size_t got = fread(s, 1, (size_t)n, f);
  fclose(f);
  s[got] = 0;
  return s;
}

/* `s` with every `from` replaced by `to` (malloc'd). */
static char *replace_all(const char *s, const char *from, const char *to) {
  size_t fl = strlen(from), tl = strlen(to), n = 0;
  for (const char *p = strstr(s, from); p; p = strstr(p + fl, from)) n++;
  char *out = malloc(strlen(s) + n * (tl > fl ? tl - fl : 0) + 1), *o = out;
  for (const char *p = s;;) {
    const char *q = strstr(p, from);
    if (!q) {
      strcpy(o, p);
      break;
    }
    memcpy(o, p, (size_t)(q - p));
    o += q - p;
    memcpy(o, to, tl);
    o += tl;
    p = q + fl;
  }
  return out;
}

static char *placeholders(const vec *v, const char *s) {
  char *a = replace_all(s, "{token_url}", v->srv.token_url);
  char *b = replace_all(a, "{issuer}", v->srv.issuer);
  char *c = replace_all(b, "{url}", v->srv.url);
  free(a);
  free(b);
  return c;
}

static char *expected_text(const char *s) {
  char *a = replace_all(s, "{version}", M2M_AUTH_VERSION);
  char *b = replace_all(a, "{language}", "c");
  free(a);
  return b;
}

/* application/x-www-form-urlencoded spelling of `s` (malloc'd). */
static char *form_encode(const char *s) {
  char *out = malloc(strlen(s) * 3 + 1), *o = out;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
        *p == '-' || *p == '.' || *p == '_' || *p == '*')
      *o++ = (char)*p;
    else if (*p == ' ')
      *o++ = '+';
    else
      o += sprintf(o, "%%%02X", *p);
  }
  *o = 0;
  return out;
}

static int json_equal(const jval *a, const jval *b) {
  if (!a || !b) return a == b;
  if (a->type != b->type) return 0;
  switch (a->type) {
    case J_NULL: return 1;
    case J_BOOL: return a->boolean == b->boolean;
    case J_NUM: return a->num == b->num;
    case J_STR: return a->len == b->len && !memcmp(a->str, b->str, a->len);
    case J_ARR:
      if (a->len != b->len) return 0;
      for (size_t i = 0; i < a->len; i++)
        if (!json_equal(&a->items[i], &b->items[i])) return 0;
      return 1;
    case J_OBJ:
      if (a->len != b->len) return 0;
      for (size_t i = 0; i < a->len; i++)
        if (!json_equal(&a->items[i], json_get(b, a->keys[i]))) return 0;
      return 1;
  }
  return 0;
}

/* ---- building the client -------------------------------------------------- */

static int is_key(const jval *obj, const char *k) { return json_get(obj, k) != NULL; }

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
             !strcmp(k, "audience") || !strcmp(k, "organization") || !strcmp(k, "scope")) {
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
    if (!strcmp(k, "scope")) r = m2m_client_options_set_scope(o, val->str);
  } else if (!strcmp(k, "resource")) {
    if (val->type != J_ARR) FAIL_RETURN(v, "client.resource must be a list");
    for (size_t i = 0; i < val->len && r == M2M_OK; i++)
      r = m2m_client_options_add_resource(o, val->items[i].str ? val->items[i].str : "");
  } else if (!strcmp(k, "extra")) {
    if (val->type != J_OBJ) FAIL_RETURN(v, "client.extra must be an object");
    for (size_t i = 0; i < val->len && r == M2M_OK; i++)
      r = m2m_client_options_set_extra(o, val->keys[i], val->items[i].str ? val->items[i].str : "");
  } else if (!strcmp(k, "timeout_ms")) {
    r = m2m_client_options_set_timeout_ms(o, (uint64_t)val->num);
  } else if (!strcmp(k, "connect_timeout_ms")) {
    r = m2m_client_options_set_connect_timeout_ms(o, (uint64_t)val->num);
  } else if (!strcmp(k, "leeway_ms")) {
    r = m2m_client_options_set_leeway_ms(o, (uint64_t)val->num);
  } else if (!strcmp(k, "refresh_ratio")) {
    r = m2m_client_options_set_refresh_ratio(o, val->num);
  } else if (!strcmp(k, "retry")) {
    for (size_t i = 0; i < val->len && r == M2M_OK; i++) {
      const char *rk = val->keys[i];
      double n = val->items[i].num;
      if (!strcmp(rk, "max_attempts")) r = m2m_client_options_set_retry_max_attempts(o, (uint32_t)n);
      else if (!strcmp(rk, "base_delay_ms")) r = m2m_client_options_set_retry_base_delay_ms(o, (uint64_t)n);
      else if (!strcmp(rk, "max_delay_ms")) r = m2m_client_options_set_retry_max_delay_ms(o, (uint64_t)n);
      else if (!strcmp(rk, "default_throttle_ms"))
        r = m2m_client_options_set_retry_default_throttle_ms(o, (uint64_t)n);
      else if (!strcmp(rk, "max_retry_after_s"))
        r = m2m_client_options_set_retry_max_retry_after_s(o, (uint64_t)n);
      else FAIL_RETURN(v, "unsupported client.retry field \"%s\"", rk);
    }
  } else {
    FAIL_RETURN(v, "unsupported client field \"%s\"", k);
  }
  if (r != M2M_OK) vfail(v, "setting client.%s: %s", k, m2m_result_name(r));
}

/* Builds the client from `client` with `override` merged over it. */
static m2m_result build_client(vec *v, const jval *override, m2m_error **err) {
  const jval *client = json_get(v->root, "client");
  m2m_client_free(v->client);
  v->client = NULL;
  free(v->secret);
  v->secret = strdup(v->default_secret);
  m2m_client_options *o = NULL;
  m2m_client_options_new(&o);
  m2m_client_options_set_no_proxy(o);
  m2m_client_options_set_retry_base_delay_ms(o, 20);
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

static m2m_request *make_request(vec *v, const jval *r) {
  if (!r) return NULL;
  m2m_request *rq = NULL;
  m2m_request_new(&rq);
  for (size_t i = 0; i < r->len; i++) {
    const char *k = r->keys[i];
    const jval *val = &r->items[i];
    m2m_result res = M2M_OK;
    if (!strcmp(k, "audience")) res = m2m_request_set_audience(rq, val->str ? val->str : "");
    else if (!strcmp(k, "scope")) res = m2m_request_set_scope(rq, val->str ? val->str : "");
    else if (!strcmp(k, "organization")) res = m2m_request_set_organization(rq, val->str ? val->str : "");
    else if (!strcmp(k, "resource")) {
      res = m2m_request_clear_resources(rq);
      for (size_t j = 0; j < val->len && res == M2M_OK; j++)
        res = m2m_request_add_resource(rq, val->items[j].str ? val->items[j].str : "");
    } else if (!strcmp(k, "extra")) {
      res = m2m_request_clear_extra(rq);
      for (size_t j = 0; j < val->len && res == M2M_OK; j++)
        res = m2m_request_set_extra(rq, val->keys[j], val->items[j].str ? val->items[j].str : "");
    } else vfail(v, "unsupported request field \"%s\"", k);
    if (res != M2M_OK) vfail(v, "request.%s: %s", k, m2m_result_name(res));
  }
  return rq;
}

/* ---- calls ------------------------------------------------------------------ */

typedef struct {
  vec *v;
  const char *call;
  const m2m_request *request;
  const char *method;
  char url[256];
  pthread_barrier_t *barrier;
  m2m_result result;
  m2m_token *token;
  m2m_api_response *response;
  m2m_error *error;
  double elapsed_ms;
} outcome;

static void *run_call(void *arg) {
  outcome *c = arg;
  if (c->barrier) pthread_barrier_wait(c->barrier);
  double t0 = now_ms();
  if (!strcmp(c->call, "get_token"))
    c->result = m2m_client_get_token(c->v->client, c->request, &c->token, &c->error);
  else if (!strcmp(c->call, "fetch_token"))
    c->result = m2m_client_fetch_token(c->v->client, c->request, &c->token, &c->error);
  else if (!strcmp(c->call, "invalidate"))
    c->result = m2m_client_invalidate(c->v->client, c->request, &c->error);
  else
    c->result = m2m_client_call_api(c->v->client, c->request, c->method, c->url, NULL, 0, NULL, 0,
                                    &c->response, &c->error);
  c->elapsed_ms = now_ms() - t0;
  return NULL;
}

static const char *label_token(vec *v, const char *name) {
  for (int i = 0; i < v->nlabels; i++)
    if (!strcmp(v->labels[i].name, name)) return v->labels[i].token;
  return NULL;
}

static void check_no_secret(vec *v, const m2m_error *err) {
  if (!err || !v->secret || !*v->secret) return;
  char *encoded = form_encode(v->secret);
  const char *fields[] = {m2m_error_message(err), m2m_error_oauth_error(err),
                          m2m_error_oauth_error_description(err), m2m_error_oauth_error_uri(err),
                          m2m_error_http_body(err)};
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
    if (fields[i] && (strstr(fields[i], v->secret) || strstr(fields[i], encoded)))
      vfail(v, "the client secret appears in an error: %s", fields[i]);
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
    "different_token_from", "status", "elapsed_ms_at_least", "elapsed_ms_at_most", NULL};
static const char *const ERROR_KEYS[] = {"error", "fields", "body_max_len", "retry_after_between_s",
                                         "elapsed_ms_at_least", "elapsed_ms_at_most", NULL};

static int known(const char *k, const char *const *list) {
  for (; *list; list++)
    if (!strcmp(k, *list)) return 1;
  return 0;
}

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
    if (json_get(e, "token_type") || json_get(e, "scope") || json_get(e, "same_token_as"))
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
  if ((x = json_get(e, "expires_in_between"))) {
    uint64_t s = 0;
    m2m_token_expires_in(c->token, &s);
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
    m2m_token_extra_json(c->token, &json);
    jval *got = json ? json_parse(json, NULL, 0) : NULL;
    for (size_t i = 0; got && i < x->len; i++) {
      const jval *have = json_get(got, x->keys[i]);
      if (!have || !json_equal(have, &x->items[i]))
        vfail(v, "extra field \"%s\" missing or different in %s", x->keys[i], json);
    }
    if (!got) vfail(v, "m2m_token_extra_json gave no JSON object");
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
  const char *got = !strcmp(k, "error")               ? m2m_error_oauth_error(err)
                    : !strcmp(k, "error_description") ? m2m_error_oauth_error_description(err)
                    : !strcmp(k, "error_uri")         ? m2m_error_oauth_error_uri(err)
                    : !strcmp(k, "kind")              ? m2m_error_transport_kind(err)
                                                      : (vfail(v, "unsupported error field \"%s\"", k), NULL);
  if (v->failed) return;
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
    const char *b = m2m_error_http_body(c->error);
    if (!b || strlen(b) > (size_t)x->num)
      vfail(v, "http body excerpt of %zu bytes, expected at most %.0f", b ? strlen(b) : 0, x->num);
  }
  if ((x = json_get(e, "retry_after_between_s"))) {
    double s = (double)m2m_error_retry_after_ms(c->error) / 1000.0;
    if (x->len != 2 || s < x->items[0].num - 0.001 || s > x->items[1].num + 0.001)
      vfail(v, "retry_after %.3f s, expected within [%g, %g]", s, x->len == 2 ? x->items[0].num : 0,
            x->len == 2 ? x->items[1].num : 0);
  }
  check_elapsed(v, e, c);
}

static void check_outcome(vec *v, const jval *e, const outcome *c) {
  check_no_secret(v, c->error);
  if (!e) return;
  const jval *ok = json_get(e, "ok");
  if (ok && ok->type == J_BOOL && ok->boolean) check_success(v, e, c);
  else if (json_get_str(e, "error")) check_error(v, e, c);
  else vfail(v, "an expectation needs \"ok\": true or \"error\"");
}

static void do_call(vec *v, const jval *step, const char *call) {
  const jval *expect = json_get(step, "expect");
  if (!strcmp(call, "build")) {
    m2m_error *err = NULL;
    outcome c = {.v = v, .call = "build"};
    c.result = build_client(v, json_get(step, "client_override"), &err);
    c.error = err;
    check_outcome(v, expect, &c);
    m2m_error_free(err);
    return;
  }
  if (strcmp(call, "get_token") && strcmp(call, "fetch_token") && strcmp(call, "invalidate") &&
      strcmp(call, "call_api"))
    FAIL_RETURN(v, "unsupported call \"%s\"", call);
  if (!v->client) {
    /* Built before the first call; a build failure is this call's outcome. */
    m2m_error *err = NULL;
    outcome c = {.v = v, .call = call};
    c.result = build_client(v, NULL, &err);
    c.error = err;
    if (c.result != M2M_OK) {
      check_outcome(v, expect, &c);
      if (!expect) vfail(v, "building the client failed: %s", m2m_error_message(err));
      m2m_error_free(err);
      return;
    }
  }
  const jval *conc = json_get(step, "concurrency");
  int n = conc ? (int)conc->num : 1;
  if (n < 1) n = 1;
  m2m_request *rq = make_request(v, json_get(step, "request"));
  outcome *cs = calloc((size_t)n, sizeof *cs);
  pthread_t *th = calloc((size_t)n, sizeof *th);
  pthread_barrier_t barrier;
  if (n > 1) pthread_barrier_init(&barrier, NULL, (unsigned)n);
  const char *method = json_get_str(step, "method");
  const char *path = json_get_str(step, "path");
  for (int i = 0; i < n; i++) {
    cs[i].v = v;
    cs[i].call = call;
    cs[i].request = rq;
    cs[i].method = method ? method : "GET";
    snprintf(cs[i].url, sizeof cs[i].url, "%s%s", v->srv.url, path ? path : "/api");
    cs[i].barrier = n > 1 ? &barrier : NULL;
  }
  if (n == 1) run_call(&cs[0]);
  else {
    for (int i = 0; i < n; i++) pthread_create(&th[i], NULL, run_call, &cs[i]);
    for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&barrier);
  }
  for (int i = 0; i < n; i++) check_outcome(v, expect, &cs[i]);
  const char *lbl = json_get_str(step, "label");
  if (lbl && cs[0].token && v->nlabels < 64) {
    const char *at = NULL;
    m2m_token_access_token(cs[0].token, &at);
    v->labels[v->nlabels].name = strdup(lbl);
    v->labels[v->nlabels].token = strdup(at ? at : "");
    v->nlabels++;
  } else if (lbl && !cs[0].token) {
    vfail(v, "label \"%s\" on a call that returned no token", lbl);
  }
  for (int i = 0; i < n; i++) {
    m2m_token_free(cs[i].token);
    m2m_api_response_free(cs[i].response);
    m2m_error_free(cs[i].error);
  }
  free(cs);
  free(th);
  m2m_request_free(rq);
}

/* ---- server-side steps ------------------------------------------------------- */

static void expect_count(vec *v, const jval *want, int api) {
  long got = v->server_up ? (api ? ctl_api_requests(&v->srv) : ctl_token_requests(&v->srv))
                          : (api ? v->api_requests_at_shutdown : v->requests_at_shutdown);
  if (got != (long)want->num)
    vfail(v, "the server saw %ld %s requests, expected %.0f", got, api ? "API" : "token", want->num);
}

/* A recorded header (names are recorded in lower case; compared
 * case-insensitively). */
static const char *header_value(const jval *headers, const char *name) {
  if (!headers || headers->type != J_OBJ) return NULL;
  for (size_t i = 0; i < headers->len; i++)
    if (!strcasecmp(headers->keys[i], name)) return headers->items[i].str;
  return NULL;
}

/* A value's source text for a message (valid until the next call). */
static const char *json_raw_dup_tmp(const jval *v) {
  static char buf[512];
  snprintf(buf, sizeof buf, "%.*s", (int)(v->raw_len < 500 ? v->raw_len : 500), v->raw);
  return buf;
}

static void expect_request(vec *v, const jval *spec) {
  if (!v->server_up) FAIL_RETURN(v, "expect_request after shutdown_server");
  char *text = NULL;
  jval *reqs = ctl_requests(&v->srv, &text);
  if (!reqs || reqs->type != J_ARR) {
    vfail(v, "cannot read /_control/requests");
    json_free(reqs);
    free(text);
    return;
  }
  const jval *ix = json_get(spec, "index");
  long i = ix ? (long)ix->num : 0;
  if (i < 0) i += (long)reqs->len;
  if (i < 0 || i >= (long)reqs->len) {
    vfail(v, "no recorded token request #%ld (%zu recorded)", i, reqs->len);
  } else {
    const jval *r = &reqs->items[i];
    const char *body = json_get_str(r, "body");
    const jval *headers = json_get(r, "headers");
    for (size_t k = 0; k < spec->len; k++) {
      const char *key = spec->keys[k];
      const jval *val = &spec->items[k];
      if (!strcmp(key, "index")) continue;
      if (!strcmp(key, "form")) {
        /* A string: the field occurs exactly once with that value; a list:
         * exactly that many times with those values, in any order. */
        for (size_t j = 0; j < val->len; j++) {
          const jval *w = &val->items[j];
          size_t want_n = w->type == J_ARR ? w->len : 1, got_n = 0;
          char *got[64];
          for (char *fv; got_n < 64 && (fv = form_value_at(body ? body : "", val->keys[j], got_n));)
            got[got_n++] = fv;
          int match = got_n == want_n;
          for (size_t m = 0; match && m < want_n; m++) {
            const jval *item = w->type == J_ARR ? &w->items[m] : w;
            char *expect = expected_text(item->str ? item->str : "");
            int found = 0;
            for (size_t q = 0; q < got_n && !found; q++)
              if (got[q] && !strcmp(got[q], expect)) {
                free(got[q]);
                got[q] = NULL; /* each occurrence matches once */
                found = 1;
              }
            match = found;
            free(expect);
          }
          if (!match)
            vfail(v, "request #%ld form field %s: expected %s, got %zu occurrence(s)%s%s", i, val->keys[j],
                  json_raw_dup_tmp(w), got_n, got_n ? ", the first " : "", got_n && got[0] ? got[0] : "");
          for (size_t q = 0; q < got_n; q++) free(got[q]);
        }
      } else if (!strcmp(key, "headers")) {
        for (size_t j = 0; j < val->len; j++) {
          char *want = expected_text(val->items[j].str ? val->items[j].str : "");
          const char *got = header_value(headers, val->keys[j]);
          if (!got || strcmp(got, want))
            vfail(v, "request #%ld header %s = \"%s\", expected \"%s\"", i, val->keys[j],
                  got ? got : "(absent)", want);
          free(want);
        }
      } else if (!strcmp(key, "form_absent") || !strcmp(key, "headers_absent")) {
        int form = !strcmp(key, "form_absent");
        for (size_t j = 0; j < val->len; j++) {
          const char *name = val->items[j].str ? val->items[j].str : "";
          char *fv = form ? form_value(body ? body : "", name) : NULL;
          int present = form ? fv != NULL : header_value(headers, name) != NULL;
          if (present) vfail(v, "request #%ld has %s %s", i, form ? "form field" : "header", name);
          free(fv);
        }
      } else {
        vfail(v, "unsupported expect_request field \"%s\"", key);
      }
    }
  }
  json_free(reqs);
  free(text);
}

static void faults(vec *v, const jval *step, const char *key, const char *target) {
  if (!v->server_up) FAIL_RETURN(v, "%s after shutdown_server", key);
  char *steps = json_raw_dup(json_get(step, key));
  const jval *rl = json_get(step, "repeat_last");
  if (ctl_faults(&v->srv, target, steps, rl && rl->type == J_BOOL && rl->boolean))
    vfail(v, "the control API refused %s", key);
  free(steps);
}

static void shutdown_server(vec *v) {
  if (!v->server_up) return;
  v->requests_at_shutdown = ctl_token_requests(&v->srv);
  v->api_requests_at_shutdown = ctl_api_requests(&v->srv);
  devserver_stop(&v->srv);
  v->server_up = 0;
}

static const char *const STEP_KEYS[] = {
    "call", "expect", "request", "concurrency", "label", "method", "path", "client_override",
    "faults", "api_faults", "repeat_last", "clear_faults", "sleep_ms", "shutdown_server",
    "expect_requests", "expect_api_requests", "expect_request", NULL};

static void run_step(vec *v, const jval *step) {
  for (size_t i = 0; i < step->len; i++)
    if (!known(step->keys[i], STEP_KEYS)) FAIL_RETURN(v, "unsupported step field \"%s\"", step->keys[i]);
  const jval *x;
  if ((x = json_get(step, "call"))) do_call(v, step, x->str ? x->str : "");
  else if (json_get(step, "faults")) faults(v, step, "faults", NULL);
  else if (json_get(step, "api_faults")) faults(v, step, "api_faults", "api");
  else if (json_get(step, "clear_faults")) {
    if (!v->server_up || ctl_clear_faults(&v->srv, NULL) || ctl_clear_faults(&v->srv, "api"))
      vfail(v, "cannot clear the fault scripts");
  } else if ((x = json_get(step, "sleep_ms"))) sleep_ms((long)x->num);
  else if (json_get(step, "shutdown_server")) shutdown_server(v);
  else if ((x = json_get(step, "expect_requests"))) expect_count(v, x, 0);
  else if ((x = json_get(step, "expect_api_requests"))) expect_count(v, x, 1);
  else if ((x = json_get(step, "expect_request"))) expect_request(v, x);
  else vfail(v, "a step without an action");
}

/* Starts the vector's server on a port no earlier vector used. */
static int start_server(vec *v) {
  const jval *server = json_get(v->root, "server");
  const jval *clients = json_get(server, "clients");
  char *list = clients ? json_raw_dup(clients) : strdup(DEFAULT_CLIENTS);
  size_t n = strlen(list) + 32;
  char *file = malloc(n);
  snprintf(file, n, "{\"clients\": %s}", list);
  char err[128];
  jval *parsed = json_parse(list, err, sizeof err);
  const jval *first = parsed && parsed->type == J_ARR && parsed->len ? &parsed->items[0] : NULL;
  v->default_id = strdup(first && json_get_str(first, "client_id") ? json_get_str(first, "client_id") : "conf-client");
  v->default_secret = strdup(first && json_get_str(first, "client_secret") ? json_get_str(first, "client_secret") : "");
  json_free(parsed);
  free(list);
  int rc = -1;
  for (int attempt = 0; attempt < 20 && rc; attempt++) {
    char port[32];
    snprintf(port, sizeof port, "--port=%d", next_port++);
    rc = devserver_start(&v->srv, file, port);
  }
  free(file);
  v->server_up = rc == 0;
  return rc;
}

/* Runs one vector: 0 passed, 1 failed, 2 skipped (prints its line). */
static int run_vector(const char *path) {
  double t0 = now_ms();
  vec v;
  memset(&v, 0, sizeof v);
  v.file = path;
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  char *text = read_file(path);
  char err[256] = "";
  jval *root = text ? json_parse(text, err, sizeof err) : NULL;
  if (!root) {
    printf("not ok - %s: cannot read or parse: %s\n", base, text ? err : "unreadable");
    free(text);
    return 1;
  }
  v.root = root;
  static const char *const TOP_KEYS[] = {"name", "design", "description", "server", "client",
                                         "steps", "skip", NULL};
  char *stem = strdup(base);
  if (strlen(stem) > 5) stem[strlen(stem) - 5] = 0;
  const char *problem = NULL;
  for (size_t i = 0; root->type == J_OBJ && i < root->len && !problem; i++)
    if (!known(root->keys[i], TOP_KEYS)) problem = root->keys[i];
  const jval *server_obj = json_get(root, "server");
  for (size_t i = 0; server_obj && i < server_obj->len && !problem; i++)
    if (strcmp(server_obj->keys[i], "clients")) problem = server_obj->keys[i];
  if (root->type != J_OBJ || problem || !json_get_str(root, "name") ||
      strcmp(json_get_str(root, "name"), stem) || !json_get_str(root, "design") ||
      !json_get_str(root, "description")) {
    printf("not ok - %s: malformed vector (%s%s)\n", base,
           problem ? "unknown field " : "name must equal the file name; design and description strings",
           problem ? problem : "");
    free(stem);
    json_free(root);
    free(text);
    return 1;
  }
  free(stem);
  const char *skip = json_get_str(json_get(root, "skip"), "c");
  if (skip) {
    printf("ok - %s # SKIP %s\n", base, skip);
    json_free(root);
    free(text);
    return 2;
  }
  if (start_server(&v)) {
    vfail(&v, "cannot start the dev server");
  } else {
    const jval *steps = json_get(root, "steps");
    if (!steps || steps->type != J_ARR) vfail(&v, "no steps");
    for (size_t i = 0; steps && i < steps->len && !v.failed; i++) {
      v.step = (int)i + 1;
      run_step(&v, &steps->items[i]);
    }
  }
  m2m_client_free(v.client);
  if (v.server_up) devserver_stop(&v.srv);
  double dt = now_ms() - t0;
  int timing = strstr(text, "\"elapsed_ms_at_most\"") != NULL;
  if (v.failed && slow_mode && timing) {
    /* Its timing cannot hold under valgrind; it ran for the memory checks. */
    printf("ok - %s # SKIP timing-sensitive vector in slow mode: %s\n", base, v.msg);
    v.failed = 2;
  } else if (v.failed) printf("not ok - %s: %s\n", base, v.msg);
  else if (v.relaxed) printf("ok - %s (%.0f ms; %d timing upper bound(s) not checked: slow mode)\n", base, dt, v.relaxed);
  else printf("ok - %s (%.0f ms)\n", base, dt);
  fflush(stdout);
  for (int i = 0; i < v.nlabels; i++) {
    free(v.labels[i].name);
    free(v.labels[i].token);
  }
  free(v.secret);
  free(v.default_id);
  free(v.default_secret);
  json_free(root);
  free(text);
  return v.failed;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds FILE, or DIR's *.json sorted, to the list. */
static void collect(const char *arg, char ***files, size_t *n) {
  DIR *d = opendir(arg);
  if (!d) {
    *files = realloc(*files, (*n + 1) * sizeof **files);
    (*files)[(*n)++] = strdup(arg);
    return;
  }
  size_t start = *n;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len < 5 || strcmp(e->d_name + len - 5, ".json")) continue;
    *files = realloc(*files, (*n + 1) * sizeof **files);
    size_t plen = strlen(arg) + len + 2;
    char *p = malloc(plen);
    snprintf(p, plen, "%s/%s", arg, e->d_name);
    (*files)[(*n)++] = p;
  }
  closedir(d);
  qsort(*files + start, *n - start, sizeof **files, cmp_str);
}

int main(int argc, char **argv) {
  int fork_each = 1;
  long timeout_s = 120;
  slow_mode = t_slow();
  char **files = NULL;
  size_t n = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--no-fork")) fork_each = 0;
    else if (!strcmp(argv[i], "--slow")) slow_mode = 1;
    else if (!strcmp(argv[i], "--timeout-s") && i + 1 < argc) timeout_s = atol(argv[++i]);
    else collect(argv[i], &files, &n);
  }
  if (!n) {
    fprintf(stderr, "usage: %s [--no-fork] [--slow] [--timeout-s N] FILE_OR_DIR...\n", argv[0]);
    return 2;
  }
  /* Ports from a per-run random base, one block per vector. */
  srand((unsigned)(time(NULL) ^ getpid()));
  int base = 20000 + rand() % 30000;
  int passed = 0, failed = 0, skipped = 0;
  for (size_t i = 0; i < n; i++) {
    next_port = base + (int)i * 20;
    int r;
    if (!fork_each) {
      r = run_vector(files[i]);
    } else {
      fflush(stdout);
      pid_t pid = fork();
      if (pid == 0) {
        int rc = run_vector(files[i]);
        fflush(stdout);
        exit(rc);
      }
      int status = 0;
      double deadline = now_ms() + timeout_s * 1000.0;
      while (waitpid(pid, &status, WNOHANG) == 0) {
        if (now_ms() > deadline) {
          kill(pid, SIGKILL);
          waitpid(pid, &status, 0);
          printf("not ok - %s: no result within %ld s\n", files[i], timeout_s);
          break;
        }
        sleep_ms(10);
      }
      r = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
      if (WIFSIGNALED(status)) printf("not ok - %s: killed by signal %d\n", files[i], WTERMSIG(status));
      if (r > 2) {
        printf("not ok - %s: exit status %d (valgrind errors?)\n", files[i], r);
        r = 1;
      }
    }
    if (r == 0) passed++;
    else if (r == 2) skipped++;
    else failed++;
    fflush(stdout);
  }
  for (size_t i = 0; i < n; i++) free(files[i]);
  free(files);
  printf("conformance: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed ? 1 : 0;
}
