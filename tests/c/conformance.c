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
 * Prints one line per vector and "conformance: N passed, N failed, N skipped".
 *
 * This file: the program (main), loading the vectors and running each; the
 * steps, the client, the checks and the server are in tests/c/conformance/. */
#define _GNU_SOURCE
#include <dirent.h>
#include <m2m_auth.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conformance/conformance.h"
#include "support/clients.h"
#include "support/testlib.h"

int slow_mode;
int next_port;

void vfail(vec *v, const char *fmt, ...) {
  if (v->failed) return;
  v->failed = 1;
  int n = snprintf(v->msg, sizeof v->msg, "step %d: ", v->step);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->msg + n, sizeof v->msg - (size_t)n, fmt, ap);
  va_end(ap);
}

/* Runs one vector: 0 passed, 1 failed, 2 skipped (prints its line). */
static int run_vector(const char *path) {
  double t0 = now_ms();
  vec v;
  memset(&v, 0, sizeof v);
  v.file = path;
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  char *text = t_read_file(path);
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
  /* tls and client_ca_file: mutual TLS; dpop_nonce: DPoP nonce mode (server.c). */
  static const char *const SERVER_KEYS[] = {"clients", "tls", "client_ca_file", "dpop_nonce", NULL};
  const jval *server_obj = json_get(root, "server");
  for (size_t i = 0; server_obj && i < server_obj->len && !problem; i++)
    if (!known(server_obj->keys[i], SERVER_KEYS)) problem = server_obj->keys[i];
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
  forget_key_parts(&v);
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
