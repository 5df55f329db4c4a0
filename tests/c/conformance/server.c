/* The C conformance runner: the dev/fault server of a vector (started on a
 * port no earlier vector used), the fault scripts, and what it recorded. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"

#define DEFAULT_CLIENTS \
  "[{\"client_id\": \"conf-client\", \"client_secret\": \"conf-secret\", \"token_lifetime\": 3600}]"

/* Starts the vector's server on a port no earlier vector used. */
int start_server(vec *v) {
  const jval *server = json_get(v->root, "server");
  const jval *clients = json_get(server, "clients");
  char *list = clients ? json_raw_dup(clients) : strdup(DEFAULT_CLIENTS);
  /* Mutual TLS (FORMAT.md): `tls`, and `client_ca_file` (relative to the
     repository root, the runner's working directory) as --client-ca. */
  const jval *tls = json_get(server, "tls");
  /* DPoP nonce mode on both endpoints from the start (PROTOCOL.md "DPoP"). */
  const jval *nonce = json_get(server, "dpop_nonce");
  const char *ca_file = json_get_str(server, "client_ca_file");
  char ca_arg[256] = "";
  if (ca_file) snprintf(ca_arg, sizeof ca_arg, "--client-ca=%s", ca_file);
  size_t n = strlen(list) + 96;
  char *file = malloc(n);
  char err[128];
  jval *parsed = json_parse(list, err, sizeof err);
  const jval *first = parsed && parsed->type == J_ARR && parsed->len ? &parsed->items[0] : NULL;
  v->default_id = strdup(first && json_get_str(first, "client_id") ? json_get_str(first, "client_id") : "conf-client");
  v->default_secret = strdup(first && json_get_str(first, "client_secret") ? json_get_str(first, "client_secret") : "");
  json_free(parsed);
  int rc = -1;
  for (int attempt = 0; attempt < 20 && rc; attempt++) {
    /* The port goes in the clients file: the one extra argument may be
       --client-ca. */
    snprintf(file, n, "{\"clients\": %s, \"port\": %d, \"tls\": %s, \"dpop_nonce\": %s}", list,
             next_port++, tls && tls->type == J_BOOL && tls->boolean ? "true" : "false",
             nonce && nonce->type == J_BOOL && nonce->boolean ? "true" : "false");
    rc = devserver_start(&v->srv, file, ca_file ? ca_arg : NULL);
  }
  free(list);
  free(file);
  v->server_up = rc == 0;
  return rc;
}

void expect_count(vec *v, const jval *want, int api) {
  long got = v->server_up ? (api ? ctl_api_requests(&v->srv) : ctl_token_requests(&v->srv))
                          : (api ? v->api_requests_at_shutdown : v->requests_at_shutdown);
  if (got != (long)want->num)
    vfail(v, "the server saw %ld %s requests, expected %.0f", got, api ? "API" : "token", want->num);
}

void expect_stats(vec *v, const jval *want) {
  if (!v->server_up) FAIL_RETURN(v, "expect_stats after shutdown_server");
  if (want->type != J_OBJ) FAIL_RETURN(v, "expect_stats must be an object");
  for (size_t i = 0; i < want->len; i++) {
    long got = ctl_stat(&v->srv, want->keys[i]);
    if (got != (long)want->items[i].num)
      vfail(v, "the server's %s is %ld, expected %.0f", want->keys[i], got, want->items[i].num);
  }
}

void dpop_control(vec *v, const jval *body) {
  if (!v->server_up) FAIL_RETURN(v, "dpop_control after shutdown_server");
  char *json = json_raw_dup(body);
  if (ctl_dpop(&v->srv, json)) vfail(v, "the control API refused dpop_control %s", json);
  free(json);
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

void expect_request(vec *v, const jval *spec) {
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
      } else if (!strcmp(key, "headers_present")) {
        for (size_t j = 0; j < val->len; j++) {
          const char *name = val->items[j].str ? val->items[j].str : "";
          if (!header_value(headers, name)) vfail(v, "request #%ld has no header %s", i, name);
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

void faults(vec *v, const jval *step, const char *key, const char *target) {
  if (!v->server_up) FAIL_RETURN(v, "%s after shutdown_server", key);
  char *steps = json_raw_dup(json_get(step, key));
  const jval *rl = json_get(step, "repeat_last");
  if (ctl_faults(&v->srv, target, steps, rl && rl->type == J_BOOL && rl->boolean))
    vfail(v, "the control API refused %s", key);
  free(steps);
}

void shutdown_server(vec *v) {
  if (!v->server_up) return;
  v->requests_at_shutdown = ctl_token_requests(&v->srv);
  v->api_requests_at_shutdown = ctl_api_requests(&v->srv);
  devserver_stop(&v->srv);
  v->server_up = 0;
}
