/* The C API against the dev/fault server: tokens and their getters, the
 * cache, per-call requests, errors of every kind (with no secret in them),
 * call_api's one renewal on 401, and threads: 64 threads on a cold cache
 * make one token request. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/testlib.h"

#define CLIENT_ID "c-client"
#define SECRET "c-secret+/&=%"
#define SECRET_FORM "c-secret%2B%2F%26%3D%25"

static devserver srv;
static int audience_seq;

static const char *CLIENTS =
    "{\"clients\": ["
    " {\"client_id\": \"" CLIENT_ID "\", \"client_secret\": \"" SECRET "\", \"token_lifetime\": 3600},"
    " {\"client_id\": \"scoped\", \"client_secret\": \"scoped-secret\","
    "  \"scopes\": [\"read:data\", \"write:data\"]}"
    "]}";

/* A fresh cache key for each test: the cache is process-wide. */
static const char *next_audience(void) {
  static char buf[64];
  snprintf(buf, sizeof buf, "https://api.example.com/t%d", ++audience_seq);
  return buf;
}

static m2m_client_options *options(const char *id, const char *secret, const char *audience) {
  m2m_client_options *o = NULL;
  CHECK_EQ_INT(m2m_client_options_new(&o), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_token_url(o, srv.token_url), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_id(o, id), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_secret(o, secret), M2M_OK);
  if (audience) CHECK_EQ_INT(m2m_client_options_set_audience(o, audience), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_no_proxy(o), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_retry_base_delay_ms(o, 20), M2M_OK);
  return o;
}

static m2m_client *build(m2m_client_options *o) {
  m2m_client *c = NULL;
  m2m_error *err = NULL;
  if (m2m_client_new(o, &c, &err) != M2M_OK)
    t_fail(__FILE__, __LINE__, "m2m_client_new: %s", m2m_error_message(err));
  m2m_error_free(err);
  m2m_client_options_free(o);
  return c;
}

static m2m_client *client_for(const char *audience) {
  return build(options(CLIENT_ID, SECRET, audience));
}

static void check_no_secret(const m2m_error *err) {
  const char *fields[] = {m2m_error_message(err), m2m_error_oauth_error(err),
                          m2m_error_oauth_error_description(err), m2m_error_oauth_error_uri(err),
                          m2m_error_http_body(err)};
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
    if (!fields[i]) continue;
    if (strstr(fields[i], SECRET) || strstr(fields[i], SECRET_FORM) || strstr(fields[i], "c-secret"))
      t_fail(__FILE__, __LINE__, "secret in error text: %s", fields[i]);
  }
}

/* get_token that must succeed; returns the token (caller frees). */
static m2m_token *must_get(m2m_client *c, const m2m_request *rq) {
  m2m_token *t = NULL;
  m2m_error *err = NULL;
  m2m_result r = m2m_client_get_token(c, rq, &t, &err);
  if (r != M2M_OK) t_fail(__FILE__, __LINE__, "get_token: %s", m2m_error_message(err));
  m2m_error_free(err);
  return t;
}

static const char *access_token(const m2m_token *t) {
  const char *s = NULL;
  CHECK_EQ_INT(m2m_token_access_token(t, &s), M2M_OK);
  return s ? s : "";
}

static void gets_a_token_and_reads_it(void) {
  const char *aud = next_audience();
  m2m_client *c = client_for(aud);
  long before = ctl_token_requests(&srv);
  m2m_token *t = must_get(c, NULL);
  CHECK(t != NULL);
  if (!t) return;
  const char *at = NULL, *type = NULL, *hdr = NULL, *scope = "x", *fp = NULL, *extra = NULL;
  uint64_t expires_in = 0;
  int64_t expires_at = 0;
  CHECK_EQ_INT(m2m_token_access_token(t, &at), M2M_OK);
  CHECK_EQ_INT(m2m_token_token_type(t, &type), M2M_OK);
  CHECK_EQ_INT(m2m_token_authorization_header(t, &hdr), M2M_OK);
  CHECK_EQ_INT(m2m_token_scope(t, &scope), M2M_OK);
  CHECK_EQ_INT(m2m_token_fingerprint(t, &fp), M2M_OK);
  CHECK_EQ_INT(m2m_token_extra_json(t, &extra), M2M_OK);
  CHECK_EQ_INT(m2m_token_expires_in(t, &expires_in), M2M_OK);
  CHECK_EQ_INT(m2m_token_expires_at(t, &expires_at), M2M_OK);
  CHECK(at && strlen(at) > 20);
  CHECK_STR(type, "Bearer");
  char want[4096];
  snprintf(want, sizeof want, "Bearer %s", at);
  CHECK_STR(hdr, want);
  CHECK(scope == NULL); /* the server grants "as requested" and none was requested */
  CHECK(fp && strlen(fp) > 0 && !strstr(at, fp));
  CHECK_STR(extra, "{}");
  CHECK(expires_in > 3500 && expires_in <= 3600);
  CHECK(expires_at > 1700000000);
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 1);

  /* The wire: form body and User-Agent "(c)". */
  char *text;
  jval *reqs = ctl_requests(&srv, &text);
  CHECK(reqs && reqs->type == J_ARR && reqs->len > 0);
  if (reqs && reqs->len) {
    const jval *last = &reqs->items[reqs->len - 1];
    const char *body = json_get_str(last, "body");
    const jval *headers = json_get(last, "headers");
    char *v = form_value(body, "grant_type");
    CHECK_STR(v, "client_credentials");
    free(v);
    v = form_value(body, "audience");
    CHECK_STR(v, aud);
    free(v);
    v = form_value(body, "client_secret");
    CHECK_STR(v, SECRET);
    free(v);
    char ua[64];
    snprintf(ua, sizeof ua, "m2m-auth/%s (c)", M2M_AUTH_VERSION);
    CHECK_STR(json_get_str(headers, "user-agent"), ua);
  }
  json_free(reqs);
  free(text);
  m2m_token_free(t);
  m2m_client_free(c);
}

static void the_second_call_is_served_from_the_cache(void) {
  m2m_client *c = client_for(next_audience());
  long before = ctl_token_requests(&srv);
  m2m_token *a = must_get(c, NULL);
  m2m_token *b = must_get(c, NULL);
  m2m_token *d = must_get(c, NULL);
  CHECK_STR(access_token(a), access_token(b));
  CHECK_STR(access_token(b), access_token(d));
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 1);
  /* Handles are independent: freeing one leaves the others readable. */
  m2m_token_free(b);
  CHECK_STR(access_token(a), access_token(d));
  m2m_stats st;
  CHECK_EQ_INT(m2m_client_stats(c, &st), M2M_OK);
  CHECK_EQ_INT(st.fetches, 1);
  CHECK_EQ_INT(st.misses, 1);
  CHECK(st.hits >= 2);
  m2m_token_free(a);
  m2m_client_free(c);
  /* A token outlives its client. */
  CHECK(strlen(access_token(d)) > 20);
  m2m_token_free(d);
}

static void clients_with_the_same_key_share_tokens(void) {
  const char *aud = next_audience();
  m2m_client *a = client_for(aud), *b = client_for(aud);
  long before = ctl_token_requests(&srv);
  m2m_token *ta = must_get(a, NULL);
  m2m_token *tb = must_get(b, NULL);
  CHECK_STR(access_token(ta), access_token(tb));
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 1);
  m2m_token_free(ta);
  m2m_token_free(tb);
  m2m_client_free(a);
  m2m_client_free(b);
}

static void a_request_overrides_the_defaults(void) {
  const char *aud = next_audience();
  m2m_client *c = client_for(aud);
  long before = ctl_token_requests(&srv);
  m2m_token *def = must_get(c, NULL);
  m2m_request *rq = NULL;
  CHECK_EQ_INT(m2m_request_new(&rq), M2M_OK);
  CHECK_EQ_INT(m2m_request_set_audience(rq, "https://other.example.com"), M2M_OK);
  CHECK_EQ_INT(m2m_request_set_scope(rq, "b a a"), M2M_OK);
  CHECK_EQ_INT(m2m_request_set_extra(rq, "custom", "x y"), M2M_OK);
  m2m_token *other = must_get(c, rq);
  m2m_token *again = must_get(c, rq);
  CHECK(strcmp(access_token(def), access_token(other)) != 0);
  CHECK_STR(access_token(other), access_token(again));
  const char *scope = NULL;
  CHECK_EQ_INT(m2m_token_scope(other, &scope), M2M_OK);
  CHECK_STR(scope, "a b"); /* as requested: deduplicated, sorted */
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 2);

  char *text;
  jval *reqs = ctl_requests(&srv, &text);
  if (reqs && reqs->len) {
    const char *body = json_get_str(&reqs->items[reqs->len - 1], "body");
    char *v = form_value(body, "audience");
    CHECK_STR(v, "https://other.example.com");
    free(v);
    v = form_value(body, "scope");
    CHECK_STR(v, "a b");
    free(v);
    v = form_value(body, "custom");
    CHECK_STR(v, "x y");
    free(v);
  }
  json_free(reqs);
  free(text);

  /* A request equal to the defaults uses the default key. */
  m2m_request *same = NULL;
  m2m_request_new(&same);
  m2m_request_set_audience(same, aud);
  m2m_token *t3 = must_get(c, same);
  CHECK_STR(access_token(t3), access_token(def));
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 2);
  m2m_token_free(t3);
  m2m_request_free(same);

  /* A bad override is a config error, before any I/O. */
  m2m_request *bad = NULL;
  m2m_request_new(&bad);
  m2m_request_add_resource(bad, "relative/path");
  m2m_token *t = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_get_token(c, bad, &t, &err), M2M_CONFIG);
  CHECK(t == NULL);
  CHECK(strstr(m2m_error_message(err), "resource") != NULL);
  m2m_error_free(err);
  m2m_request_free(bad);

  m2m_token_free(def);
  m2m_token_free(other);
  m2m_token_free(again);
  m2m_request_free(rq);
  m2m_client_free(c);
}

static void fetch_token_and_invalidate_make_new_requests(void) {
  m2m_client *c = client_for(next_audience());
  long before = ctl_token_requests(&srv);
  m2m_token *a = must_get(c, NULL);
  m2m_token *b = NULL;
  CHECK_EQ_INT(m2m_client_fetch_token(c, NULL, &b, NULL), M2M_OK);
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 2);
  m2m_token *cached = must_get(c, NULL);
  CHECK_STR(access_token(cached), access_token(b)); /* the fetched token replaced it */
  CHECK_EQ_INT(m2m_client_invalidate(c, NULL, NULL), M2M_OK);
  m2m_token *d = must_get(c, NULL);
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 3);
  CHECK(strcmp(access_token(d), access_token(b)) != 0);
  m2m_token_free(a);
  m2m_token_free(b);
  m2m_token_free(cached);
  m2m_token_free(d);
  m2m_client_free(c);
}

static void client_secret_basic_sends_an_authorization_header(void) {
  m2m_client_options *o = options(CLIENT_ID, SECRET, next_audience());
  CHECK_EQ_INT(m2m_client_options_set_auth_method(o, "client_secret_basic"), M2M_OK);
  m2m_client *c = build(o);
  m2m_token *t = must_get(c, NULL);
  char *text;
  jval *reqs = ctl_requests(&srv, &text);
  if (reqs && reqs->len) {
    const jval *last = &reqs->items[reqs->len - 1];
    const char *auth = json_get_str(json_get(last, "headers"), "authorization");
    CHECK(auth && !strncmp(auth, "Basic ", 6));
    char *v = form_value(json_get_str(last, "body"), "client_secret");
    CHECK(v == NULL);
    free(v);
  }
  json_free(reqs);
  free(text);
  m2m_token_free(t);
  m2m_client_free(c);
}

static void oauth_errors_carry_their_fields_and_no_secret(void) {
  m2m_client *c = build(options(CLIENT_ID, "c-secret-wrong", next_audience()));
  m2m_token *t = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, &err), M2M_OAUTH);
  CHECK(t == NULL);
  CHECK_EQ_INT(m2m_error_code(err), M2M_OAUTH);
  CHECK_STR(m2m_error_oauth_error(err), "invalid_client");
  CHECK_EQ_INT(m2m_error_status(err), 401);
  CHECK(!strncmp(m2m_error_message(err), "oauth: invalid_client", 21));
  CHECK(!strstr(m2m_error_message(err), "c-secret-wrong"));
  m2m_error_free(err);
  m2m_client_free(c);

  /* A server that echoes the secret back: scrubbed everywhere. */
  c = client_for(next_audience());
  CHECK_EQ_INT(ctl_faults(&srv, NULL,
                          "[{\"status\": 400, \"json\": {\"error\": \"invalid_request\","
                          " \"error_description\": \"secret " SECRET " or " SECRET_FORM " is bad\","
                          " \"error_uri\": \"https://docs.example.com/errors\"}}]",
                          0),
               0);
  err = NULL;
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, &err), M2M_OAUTH);
  CHECK_STR(m2m_error_oauth_error(err), "invalid_request");
  CHECK_STR(m2m_error_oauth_error_uri(err), "https://docs.example.com/errors");
  CHECK(m2m_error_oauth_error_description(err) != NULL);
  CHECK_EQ_INT(m2m_error_status(err), 400);
  check_no_secret(err);
  m2m_error_free(err);
  ctl_clear_faults(&srv, NULL);
  m2m_client_free(c);
}

static void http_errors_then_throttling(void) {
  m2m_client_options *o = options(CLIENT_ID, SECRET, next_audience());
  m2m_client_options_set_retry_max_attempts(o, 1);
  m2m_client_options_set_retry_default_throttle_ms(o, 5000);
  m2m_client *c = build(o);
  CHECK_EQ_INT(ctl_faults(&srv, NULL, "[{\"status\": 503, \"body\": \"down for maintenance\"}]", 0), 0);
  long before = ctl_token_requests(&srv);
  m2m_token *t = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, &err), M2M_HTTP);
  CHECK_EQ_INT(m2m_error_status(err), 503);
  CHECK_STR(m2m_error_http_body(err), "down for maintenance");
  CHECK(m2m_error_oauth_error(err) == NULL);
  m2m_error_free(err);
  err = NULL;
  /* Now the key is throttled: no I/O, a throttled error. */
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, &err), M2M_THROTTLED);
  CHECK(m2m_error_retry_after_ms(err) > 3000 && m2m_error_retry_after_ms(err) <= 5000);
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 1);
  m2m_error_free(err);
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, NULL), M2M_THROTTLED); /* err_out optional */
  CHECK(t == NULL);
  ctl_clear_faults(&srv, NULL);
  m2m_client_free(c);
}

static void invalid_responses_and_timeouts(void) {
  m2m_client *c = client_for(next_audience());
  CHECK_EQ_INT(ctl_faults(&srv, NULL, "[{\"token\": {\"token_type\": \"mac\"}}]", 0), 0);
  m2m_token *t = NULL;
  m2m_error *err = NULL;
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, &err), M2M_INVALID_RESPONSE);
  CHECK(!strncmp(m2m_error_message(err), "invalid_response", 16));
  m2m_error_free(err);
  m2m_client_free(c);

  m2m_client_options *o = options(CLIENT_ID, SECRET, next_audience());
  m2m_client_options_set_timeout_ms(o, 300);
  c = build(o);
  CHECK_EQ_INT(ctl_faults(&srv, NULL, "[{\"delay_ms\": 3000, \"count\": 5}]", 0), 0);
  err = NULL;
  double t0 = now_ms();
  CHECK_EQ_INT(m2m_client_get_token(c, NULL, &t, &err), M2M_TRANSPORT);
  double dt = now_ms() - t0;
  CHECK_STR(m2m_error_transport_kind(err), "timeout");
  CHECK(dt >= 250 && dt < (t_slow() ? 5000 : 2000));
  m2m_error_free(err);
  ctl_clear_faults(&srv, NULL);
  m2m_client_free(c);
}

static void call_api_renews_the_token_once_on_401(void) {
  m2m_client *c = client_for(next_audience());
  m2m_token *t = must_get(c, NULL);
  long tok_before = ctl_token_requests(&srv), api_before = ctl_api_requests(&srv);
  CHECK_EQ_INT(ctl_faults(&srv, "api", "[{\"status\": 401, \"json\": {\"error\": \"invalid_token\"}}]", 0), 0);
  const char *headers[] = {"Accept: application/json", "X-Trace:  abc "};
  m2m_api_response *resp = NULL;
  m2m_error *err = NULL;
  m2m_result r = m2m_client_call_api(c, NULL, "GET", srv.api_url, headers, 2, NULL, 0, &resp, &err);
  CHECK_EQ_INT(r, M2M_OK);
  if (r != M2M_OK) fprintf(stderr, "  call_api: %s\n", m2m_error_message(err));
  m2m_error_free(err);
  uint16_t status = 0;
  const uint8_t *body = NULL;
  size_t len = 0;
  const char *ct = NULL, *missing = "untouched";
  CHECK_EQ_INT(m2m_api_response_status(resp, &status), M2M_OK);
  CHECK_EQ_INT(status, 200);
  CHECK_EQ_INT(m2m_api_response_body(resp, &body, &len), M2M_OK);
  CHECK(body && len > 0 && strlen((const char *)body) == len);
  CHECK(body && strstr((const char *)body, "\"ok\":true"));
  CHECK_EQ_INT(m2m_api_response_header(resp, "Content-Type", &ct), M2M_OK);
  CHECK(ct && strstr(ct, "application/json"));
  CHECK_EQ_INT(m2m_api_response_header(resp, "x-none", &missing), M2M_NOT_FOUND);
  CHECK_STR(missing, "untouched");
  CHECK_EQ_INT(ctl_token_requests(&srv) - tok_before, 1);
  CHECK_EQ_INT(ctl_api_requests(&srv) - api_before, 2);
  m2m_api_response_free(resp);

  /* A second 401 is returned as is (one renewal only). */
  CHECK_EQ_INT(ctl_faults(&srv, "api", "[{\"status\": 401, \"count\": 2}]", 0), 0);
  resp = NULL;
  CHECK_EQ_INT(m2m_client_call_api(c, NULL, "POST", srv.api_url, NULL, 0, (const uint8_t *)"{}", 2,
                                   &resp, NULL),
               M2M_OK);
  CHECK_EQ_INT(m2m_api_response_status(resp, &status), M2M_OK);
  CHECK_EQ_INT(status, 401);
  m2m_api_response_free(resp);
  ctl_clear_faults(&srv, "api");

  /* The API URL follows the https rule. */
  err = NULL;
  resp = NULL;
  CHECK_EQ_INT(m2m_client_call_api(c, NULL, "GET", "http://api.example.com/x", NULL, 0, NULL, 0,
                                   &resp, &err),
               M2M_CONFIG);
  CHECK(resp == NULL);
  m2m_error_free(err);
  m2m_token_free(t);
  m2m_client_free(c);
}

/* ---- threads --------------------------------------------------------- */

#define COLD_THREADS 64

typedef struct {
  m2m_client *client;
  pthread_barrier_t *barrier;
  m2m_result result;
  char token[4096];
  long iterations;
  int bad;
} worker;

static void *cold_worker(void *arg) {
  worker *w = arg;
  pthread_barrier_wait(w->barrier);
  m2m_token *t = NULL;
  w->result = m2m_client_get_token(w->client, NULL, &t, NULL);
  if (w->result == M2M_OK) {
    const char *at = NULL;
    m2m_token_access_token(t, &at);
    snprintf(w->token, sizeof w->token, "%s", at ? at : "");
  }
  m2m_token_free(t);
  return NULL;
}

static void sixty_four_threads_on_a_cold_cache_make_one_request(void) {
  m2m_client *c = client_for(next_audience());
  /* Slow the endpoint down so that every thread arrives while in flight. */
  CHECK_EQ_INT(ctl_faults(&srv, NULL, "[{\"delay_ms\": 300}]", 0), 0);
  long before = ctl_token_requests(&srv);
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, COLD_THREADS);
  static worker w[COLD_THREADS];
  pthread_t th[COLD_THREADS];
  for (int i = 0; i < COLD_THREADS; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].client = c;
    w[i].barrier = &barrier;
    CHECK_EQ_INT(pthread_create(&th[i], NULL, cold_worker, &w[i]), 0);
  }
  for (int i = 0; i < COLD_THREADS; i++) pthread_join(th[i], NULL);
  pthread_barrier_destroy(&barrier);
  for (int i = 0; i < COLD_THREADS; i++) {
    CHECK_EQ_INT(w[i].result, M2M_OK);
    CHECK_STR(w[i].token, w[0].token);
  }
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 1);
  ctl_clear_faults(&srv, NULL);
  m2m_client_free(c);
}

static void *hot_worker(void *arg) {
  worker *w = arg;
  pthread_barrier_wait(w->barrier);
  for (long i = 0; i < w->iterations; i++) {
    m2m_token *t = NULL;
    const char *hdr = NULL;
    if (m2m_client_get_token(w->client, NULL, &t, NULL) != M2M_OK ||
        m2m_token_authorization_header(t, &hdr) != M2M_OK || strncmp(hdr, "Bearer ", 7) ||
        strcmp(hdr + 7, w->token))
      w->bad++;
    m2m_token_free(t);
  }
  return NULL;
}

static void threads_share_one_client_on_the_fast_path(void) {
  m2m_client *c = client_for(next_audience());
  m2m_token *first = must_get(c, NULL);
  enum { THREADS = 8 };
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, THREADS);
  static worker w[THREADS];
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].client = c;
    w[i].barrier = &barrier;
    w[i].iterations = t_slow() ? 500 : 20000;
    snprintf(w[i].token, sizeof w[i].token, "%s", access_token(first));
    pthread_create(&th[i], NULL, hot_worker, &w[i]);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  pthread_barrier_destroy(&barrier);
  for (int i = 0; i < THREADS; i++) CHECK_EQ_INT(w[i].bad, 0);
  m2m_stats st;
  m2m_client_stats(c, &st);
  CHECK_EQ_INT(st.fetches, 1);
  m2m_token_free(first);
  m2m_client_free(c);
}

typedef struct {
  m2m_token *token;
  const char *expect;
  int ok;
} mover;

static void *read_and_free(void *arg) {
  mover *m = arg;
  const char *at = NULL;
  m->ok = m2m_token_access_token(m->token, &at) == M2M_OK && !strcmp(at, m->expect);
  m2m_token_free(m->token);
  return NULL;
}

static void a_token_handle_can_move_between_threads(void) {
  m2m_client *c = client_for(next_audience());
  m2m_token *t = must_get(c, NULL);
  char expect[4096];
  snprintf(expect, sizeof expect, "%s", access_token(t));
  /* Another thread reads and frees this thread's (cached) handle. */
  mover m = {t, expect, 0};
  pthread_t th;
  pthread_create(&th, NULL, read_and_free, &m);
  pthread_join(th, NULL);
  CHECK(m.ok);
  m2m_token *again = must_get(c, NULL); /* this thread's cached handle is still fine */
  CHECK_STR(access_token(again), expect);
  m2m_token_free(again);
  m2m_client_free(c);
}

/* In the child, exit status: 0 all good, 1 + which step failed. */
static int child_after_fork(m2m_client *parent_client, const char *expected) {
  m2m_token *t = NULL;
  /* The cached token is still served (no I/O). */
  if (m2m_client_get_token(parent_client, NULL, &t, NULL) != M2M_OK) return 1;
  const char *at = NULL;
  if (m2m_token_access_token(t, &at) != M2M_OK || strcmp(at, expected)) return 2;
  m2m_token_free(t);
  /* A call that needs the network runs on the child's own runtime. */
  m2m_token *fresh = NULL;
  m2m_error *err = NULL;
  if (m2m_client_fetch_token(parent_client, NULL, &fresh, &err) != M2M_OK) {
    fprintf(stderr, "  child fetch_token: %s\n", m2m_error_message(err));
    m2m_error_free(err);
    return 3;
  }
  m2m_token_free(fresh);
  m2m_client *own = client_for(next_audience());
  if (m2m_client_get_token(own, NULL, &fresh, &err) != M2M_OK) {
    fprintf(stderr, "  child get_token: %s\n", m2m_error_message(err));
    m2m_error_free(err);
    return 4;
  }
  m2m_token_free(fresh);
  m2m_client_free(own);
  return 0;
}

static void a_forked_child_gets_tokens_on_its_own_runtime(void) {
  m2m_client *c = client_for(next_audience());
  m2m_token *t = must_get(c, NULL);
  char expected[4096];
  snprintf(expected, sizeof expected, "%s", access_token(t));
  m2m_token_free(t);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) _exit(child_after_fork(c, expected));
  int status = 0;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK_EQ_INT(WEXITSTATUS(status), 0);
  /* The parent is unaffected. */
  m2m_token *again = NULL;
  CHECK_EQ_INT(m2m_client_fetch_token(c, NULL, &again, NULL), M2M_OK);
  m2m_token_free(again);
  m2m_client_free(c);
}

int main(int argc, char **argv) {
  t_select(argc, argv);
  if (devserver_start(&srv, CLIENTS, NULL)) {
    fprintf(stderr, "cannot start the dev server\n");
    return 1;
  }
  RUN(gets_a_token_and_reads_it);
  RUN(the_second_call_is_served_from_the_cache);
  RUN(clients_with_the_same_key_share_tokens);
  RUN(a_request_overrides_the_defaults);
  RUN(fetch_token_and_invalidate_make_new_requests);
  RUN(client_secret_basic_sends_an_authorization_header);
  RUN(oauth_errors_carry_their_fields_and_no_secret);
  RUN(http_errors_then_throttling);
  RUN(invalid_responses_and_timeouts);
  RUN(call_api_renews_the_token_once_on_401);
  RUN(sixty_four_threads_on_a_cold_cache_make_one_request);
  RUN(threads_share_one_client_on_the_fast_path);
  RUN(a_token_handle_can_move_between_threads);
  RUN(a_forked_child_gets_tokens_on_its_own_runtime);
  devserver_stop(&srv);
  return t_summary("test_client");
}
