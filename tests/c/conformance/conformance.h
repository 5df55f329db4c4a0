/* What the parts of the C conformance runner share (tests/c/conformance.c is
 * the program: it loads and runs the vectors; tests/c/conformance/ holds the
 * other parts): one vector's state, a call's outcome, and the functions of
 * each part. */
#ifndef M2M_TEST_CONFORMANCE_H
#define M2M_TEST_CONFORMANCE_H

#include <m2m_auth.h>
#include <pthread.h>

#include "support/clients.h"
#include "support/testlib.h"

/* --slow (or M2M_TEST_SLOW=1): "at most N ms" checks are not made. */
extern int slow_mode;
/* The port the next dev server tries (one block of ports per vector). */
extern int next_port;

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
  char *key_parts[64];   /* the secret parts of the client's dpop_key (PEM body
                            lines, a JWK's d), for the leak check */
  int nkey_parts;
  char *default_id, *default_secret;
  label labels[64];
  int nlabels;
  int step;
  int failed;
  char msg[1024];
  int relaxed;           /* timing checks skipped in slow mode */
} vec;

/* Fails the vector (the first failure is kept, with its step number). */
void vfail(vec *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define FAIL_RETURN(...) \
  do {                   \
    vfail(__VA_ARGS__);  \
    return;              \
  } while (0)

/* One call (or one of `concurrency` calls) and what it returned. */
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

/* text.c */
/* A client option with {token_url}, {issuer} and {url} filled in (malloc'd). */
char *placeholders(const vec *v, const char *s);
/* An expected wire value with {version} and {language} filled in (malloc'd). */
char *expected_text(const char *s);
/* application/x-www-form-urlencoded spelling of `s` (malloc'd). */
char *form_encode(const char *s);
/* Whether two JSON values are equal (objects: in any key order). */
int json_equal(const jval *a, const jval *b);
/* Whether `k` is in the NULL-terminated `list`. */
int known(const char *k, const char *const *list);

/* client.c */
/* Builds the client from `client` with `override` merged over it. */
m2m_result build_client(vec *v, const jval *override, m2m_error **err);
/* Forgets the key parts of the leak check (frees them). */
void forget_key_parts(vec *v);
/* The request of a step's "request" (NULL when absent). */
m2m_request *make_request(vec *v, const jval *r);

/* checks.c */
/* Checks a call's outcome against the step's `expect` (and the canary). */
void check_outcome(vec *v, const jval *e, const outcome *c);

/* server.c */
/* Starts the vector's server on a port no earlier vector used. */
int start_server(vec *v);
/* The steps on the server: expect_requests / expect_api_requests,
 * expect_request, expect_stats, faults / api_faults, dpop_control,
 * shutdown_server. */
void expect_count(vec *v, const jval *want, int api);
void expect_stats(vec *v, const jval *want);
void dpop_control(vec *v, const jval *body);
void expect_request(vec *v, const jval *spec);
void faults(vec *v, const jval *step, const char *key, const char *target);
void shutdown_server(vec *v);

/* steps.c */
/* Runs one step of the vector. */
void run_step(vec *v, const jval *step);

#endif
