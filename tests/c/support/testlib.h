/* Test helpers for the C suite: checks, the dev/fault server
 * (devserver/PROTOCOL.md) as a child process, and a tiny HTTP client
 * for its control API. POSIX only; no dependency beyond libc and pthreads. */
#ifndef M2M_TESTLIB_H
#define M2M_TESTLIB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "json.h"

/* ---- checks ------------------------------------------------------------ */

extern atomic_int t_current_failed;

void t_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define CHECK(cond)                                               \
  do {                                                            \
    if (!(cond)) t_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);  \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                                \
  do {                                                                                    \
    long long a_ = (long long)(a), b_ = (long long)(b);                                   \
    if (a_ != b_) t_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, a_, #b, b_); \
  } while (0)

#define CHECK_STR(a, b)                                                                   \
  do {                                                                                    \
    const char *a_ = (a), *b_ = (b);                                                      \
    if (!a_ || !b_ || strcmp(a_, b_))                                                     \
      t_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", \
             b_ ? b_ : "(null)");                                                         \
  } while (0)

/* Selects tests from the command line: NAME... runs only those,
 * --except NAME leaves one out (repeatable). */
void t_select(int argc, char **argv);
/* Runs a test function (if selected), printing "ok - name" or "not ok - name". */
#define RUN(fn) t_run(#fn, fn)
void t_run(const char *name, void (*fn)(void));
/* Prints "<suite>: N passed, N failed" and returns the exit status. */
int t_summary(const char *suite);

/* Whether the suite runs under valgrind (slow): M2M_TEST_SLOW=1. */
int t_slow(void);
/* Milliseconds on a monotonic clock. */
/* The whole file at `path` (relative paths: from the repository root),
 * NUL-terminated, malloc'd; NULL if it cannot be read. */
char *t_read_file(const char *path);

double now_ms(void);
void sleep_ms(long ms);

/* ---- the dev/fault server ---------------------------------------------- */

/* A server the tests run as a child process: it prints one line saying
 * where it listens, and stops when its stdin closes (--exit-on-stdin-eof). */
typedef struct child_server {
  pid_t pid;
  int stdin_fd;   /* closing it stops the server */
  int stdout_fd;
} child_server;

/* Starts argv[0] (a path, or a name looked up on PATH) with argv and reads
 * its first stdout line into `line` (`cap` bytes, NUL-terminated, without
 * the newline; empty if none came within 30 s). 0 once started. */
int server_spawn(child_server *c, char *const argv[], char *line, size_t cap);
/* Closes its stdin and waits for it (5 s, then SIGKILL). Idempotent. */
void server_stop(child_server *c);

typedef struct devserver {
  child_server proc;
  int port;
  char url[64], issuer[64], token_url[96], api_url[96], control_url[96];
  char control_token[80]; /* from the startup line; the control API needs it */
  char clients_file[64];
  /* With --tls / --client-ca: the https listener (empty strings, NULL
     otherwise) and the PEM that trusts it (malloc'd; freed by stop). */
  char https_url[64], mtls_token_url[96];
  char *tls_ca_pem;
} devserver;

/* Starts m2m-auth-devserver (path from $M2M_AUTH_DEVSERVER, else
 * target/debug/m2m-auth-devserver). `clients_json` is NULL (the default
 * demo-client / demo-secret) or a clients file's content. `extra_arg` is
 * NULL or one more argument (e.g. "--cheap-tokens"). 0 on success. */
int devserver_start(devserver *s, const char *clients_json, const char *extra_arg);
/* Stops the server and waits for it. Idempotent. */
void devserver_stop(devserver *s);

/* An HTTP/1.1 request to 127.0.0.1:port. Returns the status (or -1) and, if
 * `body_out`, the response body (malloc'd, NUL-terminated). */
int http_request(int port, const char *method, const char *path, const char *body,
                 char **body_out);
/* The same with an `Authorization: <authorization>` header (NULL: none). */
int http_request_auth(int port, const char *method, const char *path, const char *body,
                      const char *authorization, char **body_out);

/* The same with `headers` (NULL, or header lines each ending "\r\n") and,
 * if `head_out`, the response's status line and headers (malloc'd). */
int http_exchange(int port, const char *method, const char *path, const char *body,
                  const char *headers, char **head_out, char **body_out);
/* The value of header `name` (case-insensitive; the first) in a response
 * head from http_exchange (malloc'd), or NULL. */
char *http_header(const char *head, const char *name);

/* Control API shorthands (PROTOCOL.md), sending `Authorization: Bearer
 * <control_token>`; -1 on error. */
int ctl_faults(const devserver *s, const char *target, const char *steps_json, int repeat_last);
int ctl_clear_faults(const devserver *s, const char *target);
int ctl_add_client(const devserver *s, const char *client_json);
int ctl_reset(const devserver *s);
/* POST /_control/dpop with `body_json` (nonce mode per endpoint, rotation). */
int ctl_dpop(const devserver *s, const char *body_json);
/* The counter `name` of GET /_control/stats; -1 on error. */
long ctl_stat(const devserver *s, const char *name);
/* token_requests / api_requests from GET /_control/stats; -1 on error. */
long ctl_token_requests(const devserver *s);
long ctl_api_requests(const devserver *s);
/* GET /_control/requests parsed (free with json_free), or NULL. The text
 * behind `raw` pointers is kept in *text_out (free it after the tree). */
jval *ctl_requests(const devserver *s, char **text_out);

/* Form body value of `name` (decoded, malloc'd) or NULL. */
char *form_value(const char *body, const char *name);
/* The `index`-th value of a repeated form field, or NULL. */
char *form_value_at(const char *body, const char *name, size_t index);

#endif
