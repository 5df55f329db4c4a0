/* The C conformance runner: a vector's steps, and its calls (get_token,
 * fetch_token, invalidate, call_api, build), `concurrency` of them at once
 * on threads. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"

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

static const char *const STEP_KEYS[] = {
    "call", "expect", "request", "concurrency", "label", "method", "path", "client_override",
    "faults", "api_faults", "repeat_last", "clear_faults", "sleep_ms", "shutdown_server",
    "expect_requests", "expect_api_requests", "expect_request", "expect_stats", "dpop_control", NULL};

void run_step(vec *v, const jval *step) {
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
  else if ((x = json_get(step, "expect_stats"))) expect_stats(v, x);
  else if ((x = json_get(step, "dpop_control"))) dpop_control(v, x);
  else vfail(v, "a step without an action");
}
