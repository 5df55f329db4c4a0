/* The C API against the dev/fault server: tokens and their getters, the
 * cache, per-call requests, errors of every kind (with no secret in them),
 * call_api's one renewal on 401, threads: 64 threads on a cold cache
 * make one token request, and private_key_jwt from a key file; no key or
 * assertion in an error or a log record at TRACE (test_client/key_canary.c).
 *
 * This file: the program (main), tokens, the cache and per-call requests;
 * errors, call_api and threads are in tests/c/test_client/. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/clients.h"
#include "support/testlib.h"
#include "test_client/client.h"

devserver srv;

static const char *CLIENTS =
    "{\"clients\": ["
    " {\"client_id\": \"" CLIENT_ID "\", \"client_secret\": \"" SECRET "\", \"token_lifetime\": 3600},"
    " {\"client_id\": \"scoped\", \"client_secret\": \"scoped-secret\","
    "  \"scopes\": [\"read:data\", \"write:data\"]}"
    "]}";

m2m_client *client_for(const char *audience) {
  return tc_build(tc_options(&srv, CLIENT_ID, SECRET, audience));
}

void check_no_secret(const m2m_error *err) {
  tc_check_no_secret(err, (const char *const[]){SECRET, SECRET_FORM, "c-secret", NULL});
}

static void gets_a_token_and_reads_it(void) {
  const char *aud = tc_audience("t");
  m2m_client *c = client_for(aud);
  long before = ctl_token_requests(&srv);
  m2m_token *t = tc_get(c, NULL);
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
  CHECK_EQ_INT(m2m_token_extra(t, &extra), M2M_OK);
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
  CHECK(expires_in > 3500000 && expires_in <= 3600000); /* milliseconds */
  CHECK(expires_at > 1700000000000LL);                   /* ms since the epoch */
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
    CHECK_STR(v, SECRET_FINGERPRINT);
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
  m2m_client *c = client_for(tc_audience("t"));
  long before = ctl_token_requests(&srv);
  m2m_token *a = tc_get(c, NULL);
  m2m_token *b = tc_get(c, NULL);
  m2m_token *d = tc_get(c, NULL);
  CHECK_STR(tc_access_token(a), tc_access_token(b));
  CHECK_STR(tc_access_token(b), tc_access_token(d));
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 1);
  /* Handles are independent: freeing one leaves the others readable. */
  m2m_token_free(b);
  CHECK_STR(tc_access_token(a), tc_access_token(d));
  m2m_stats *st = NULL;
  CHECK_EQ_INT(m2m_client_stats(c, &st), M2M_OK);
  CHECK_EQ_INT(m2m_stats_fetches(st), 1);
  CHECK_EQ_INT(m2m_stats_misses(st), 1);
  CHECK(m2m_stats_hits(st) >= 2);
  CHECK_EQ_INT(m2m_stats_throttles(st), 0);
  /* No quota reported: the reading is absent. */
  CHECK(m2m_stats_quota_remaining(st) == UINT64_MAX);
  m2m_stats_free(st);
  m2m_token_free(a);
  m2m_client_free(c);
  /* A token outlives its client. */
  CHECK(strlen(tc_access_token(d)) > 20);
  m2m_token_free(d);
}

static void clients_with_the_same_key_share_tokens(void) {
  const char *aud = tc_audience("t");
  m2m_client *a = client_for(aud), *b = client_for(aud);
  long before = ctl_token_requests(&srv);
  m2m_token *ta = tc_get(a, NULL);
  m2m_token *tb = tc_get(b, NULL);
  CHECK_STR(tc_access_token(ta), tc_access_token(tb));
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 1);
  m2m_token_free(ta);
  m2m_token_free(tb);
  m2m_client_free(a);
  m2m_client_free(b);
}

static void a_request_overrides_the_defaults(void) {
  const char *aud = tc_audience("t");
  m2m_client *c = client_for(aud);
  long before = ctl_token_requests(&srv);
  m2m_token *def = tc_get(c, NULL);
  m2m_request *rq = NULL;
  CHECK_EQ_INT(m2m_request_new(&rq), M2M_OK);
  CHECK_EQ_INT(m2m_request_set_audience(rq, "https://other.example.com"), M2M_OK);
  CHECK_EQ_INT(m2m_request_add_scope(rq, "b a a"), M2M_OK);
  CHECK_EQ_INT(m2m_request_add_extra(rq, "custom", "x y"), M2M_OK);
  m2m_token *other = tc_get(c, rq);
  m2m_token *again = tc_get(c, rq);
  CHECK(strcmp(tc_access_token(def), tc_access_token(other)) != 0);
  CHECK_STR(tc_access_token(other), tc_access_token(again));
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
  m2m_token *t3 = tc_get(c, same);
  CHECK_STR(tc_access_token(t3), tc_access_token(def));
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
  m2m_client *c = client_for(tc_audience("t"));
  long before = ctl_token_requests(&srv);
  m2m_token *a = tc_get(c, NULL);
  m2m_token *b = NULL;
  CHECK_EQ_INT(m2m_client_fetch_token(c, NULL, &b, NULL), M2M_OK);
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 2);
  m2m_token *cached = tc_get(c, NULL);
  CHECK_STR(tc_access_token(cached), tc_access_token(b)); /* the fetched token replaced it */
  CHECK_EQ_INT(m2m_client_invalidate(c, NULL, NULL), M2M_OK);
  m2m_token *d = tc_get(c, NULL);
  CHECK_EQ_INT(ctl_token_requests(&srv) - before, 3);
  CHECK(strcmp(tc_access_token(d), tc_access_token(b)) != 0);
  m2m_token_free(a);
  m2m_token_free(b);
  m2m_token_free(cached);
  m2m_token_free(d);
  m2m_client_free(c);
}

static void client_secret_basic_sends_an_authorization_header(void) {
  m2m_client_options *o = tc_options(&srv, CLIENT_ID, SECRET, tc_audience("t"));
  CHECK_EQ_INT(m2m_client_options_set_auth_method(o, "client_secret_basic"), M2M_OK);
  m2m_client *c = tc_build(o);
  m2m_token *t = tc_get(c, NULL);
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
/* m2m_client_quota_count / _bucket: the buckets the server's quota
 * headers reported (docs/design.md §5, "Token quotas"). */
static void quota_returns_the_buckets_the_server_sent(void) {
  m2m_client *c = client_for(tc_audience("quota"));
  CHECK_EQ_INT(m2m_client_quota_count(c), 0);
  CHECK_EQ_INT(ctl_faults(&srv, NULL,
                          "[{\"headers\": {\"Auth0-Client-Quota-Limit\":"
                          " \"b=per_hour;q=100;r=99;t=3000,b=per_day;q=1000;r=999;t=80000\","
                          " \"Auth0-Organization-Quota-Limit\": \"b=per_hour;q=500;r=400;t=1200\"}}]",
                          0),
               0);
  m2m_token *t = tc_get(c, NULL);
  int64_t issued = 0;
  CHECK_EQ_INT(m2m_token_expires_at(t, &issued), M2M_OK);
  issued -= 3600 * 1000; /* the dev server's 3600 s tokens: about now */
  CHECK_EQ_INT(m2m_client_quota_count(c), 3);
  m2m_quota_bucket b;
  CHECK_EQ_INT(m2m_client_quota_bucket(c, 0, &b), M2M_OK);
  CHECK_STR(b.scope, "client");
  CHECK_STR(b.bucket, "per_hour");
  CHECK_EQ_INT(b.quota, 100);
  CHECK_EQ_INT(b.remaining, 99);
  CHECK(b.reset_at - issued > 2990 * 1000 && b.reset_at - issued < 3010 * 1000);
  CHECK_EQ_INT(m2m_client_quota_bucket(c, 1, &b), M2M_OK);
  CHECK_STR(b.bucket, "per_day");
  CHECK_EQ_INT(b.quota, 1000);
  CHECK_EQ_INT(m2m_client_quota_bucket(c, 2, &b), M2M_OK);
  CHECK_STR(b.scope, "organization");
  CHECK_EQ_INT(b.remaining, 400);
  CHECK_EQ_INT(m2m_client_quota_bucket(c, 3, &b), M2M_NOT_FOUND);
  CHECK_EQ_INT(m2m_client_quota_bucket(c, 0, NULL), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_client_quota_bucket(NULL, 0, &b), M2M_NULL_ARGUMENT);
  CHECK_EQ_INT(m2m_client_quota_count(NULL), 0);
  m2m_token_free(t);
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
  RUN(private_key_jwt_from_a_key_file);
  RUN(keys_and_assertions_never_show_at_trace);
  RUN(a_provider_callback_supplies_every_attempt);
  RUN(a_failing_provider_callback_is_a_config_error_and_no_request);
  RUN(mutual_tls_with_certificate_files);
  RUN(quota_returns_the_buckets_the_server_sent);
  RUN(rediss_with_ca_certs_shares_one_token);
  devserver_stop(&srv);
  return t_summary("test_client");
}
