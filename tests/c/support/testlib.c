#define _GNU_SOURCE
#include "testlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

atomic_int t_current_failed;
static int t_passed, t_failed;

void t_fail(const char *file, int line, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "  %s:%d: %s\n", file, line, msg);
  atomic_store(&t_current_failed, 1);
}

static char **t_only, **t_except;
static int t_nonly, t_nexcept;

void t_select(int argc, char **argv) {
  t_only = calloc((size_t)argc, sizeof *t_only);
  t_except = calloc((size_t)argc, sizeof *t_except);
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--except") && i + 1 < argc) t_except[t_nexcept++] = argv[++i];
    else t_only[t_nonly++] = argv[i];
  }
}

static int t_selected(const char *name) {
  for (int i = 0; i < t_nexcept; i++)
    if (!strcmp(t_except[i], name)) return 0;
  if (!t_nonly) return 1;
  for (int i = 0; i < t_nonly; i++)
    if (!strcmp(t_only[i], name)) return 1;
  return 0;
}

void t_run(const char *name, void (*fn)(void)) {
  if (!t_selected(name)) return;
  atomic_store(&t_current_failed, 0);
  double t0 = now_ms();
  fn();
  double dt = now_ms() - t0;
  if (atomic_load(&t_current_failed)) {
    t_failed++;
    printf("not ok - %s (%.0f ms)\n", name, dt);
  } else {
    t_passed++;
    printf("ok - %s (%.0f ms)\n", name, dt);
  }
  fflush(stdout);
}

int t_summary(const char *suite) {
  free(t_only);
  free(t_except);
  printf("%s: %d passed, %d failed\n", suite, t_passed, t_failed);
  return t_failed ? 1 : 0;
}

int t_slow(void) {
  const char *s = getenv("M2M_TEST_SLOW");
  return s && *s && strcmp(s, "0");
}

double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) && errno == EINTR) {
  }
}

/* ---- dev server ---------------------------------------------------------- */

static void copy_str(char *dst, size_t n, const char *src) {
  snprintf(dst, n, "%s", src ? src : "");
}

int server_spawn(child_server *c, char *const argv[], char *line, size_t cap) {
  c->pid = -1;
  c->stdin_fd = c->stdout_fd = -1;
  signal(SIGPIPE, SIG_IGN);
  int in[2], out[2];
  if (cap == 0 || pipe2(in, O_CLOEXEC)) return -1;
  if (pipe2(out, O_CLOEXEC)) {
    close(in[0]);
    close(in[1]);
    return -1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  /* posix_spawnp: a bare name ("node") is looked up on PATH. */
  int rc = posix_spawnp(&c->pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  c->stdin_fd = in[1];
  c->stdout_fd = out[0];
  if (rc) {
    fprintf(stderr, "cannot start %s: %s\n", argv[0], strerror(rc));
    c->pid = -1;
    server_stop(c);
    return -1;
  }
  /* The first line says where the server listens (30 s at most). */
  size_t n = 0;
  double deadline = now_ms() + 30000;
  while (n < cap - 1) {
    struct pollfd p = {c->stdout_fd, POLLIN, 0};
    if (poll(&p, 1, 1000) <= 0) {
      if (now_ms() > deadline) break;
      continue;
    }
    ssize_t r = read(c->stdout_fd, line + n, 1);
    if (r <= 0) break;
    if (line[n] == '\n') break;
    n++;
  }
  line[n] = 0;
  return 0;
}

void server_stop(child_server *c) {
  if (c->stdin_fd >= 0) close(c->stdin_fd);
  c->stdin_fd = -1;
  if (c->pid > 0) {
    int status;
    double deadline = now_ms() + 5000;
    while (waitpid(c->pid, &status, WNOHANG) == 0) {
      if (now_ms() > deadline) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, &status, 0);
        break;
      }
      sleep_ms(5);
    }
  }
  c->pid = -1;
  if (c->stdout_fd >= 0) close(c->stdout_fd);
  c->stdout_fd = -1;
}

int devserver_start(devserver *s, const char *clients_json, const char *extra_arg) {
  memset(s, 0, sizeof *s);
  s->proc.pid = -1;
  s->proc.stdin_fd = s->proc.stdout_fd = -1;
  const char *bin = getenv("M2M_AUTH_DEVSERVER");
  if (!bin || !*bin) bin = "target/debug/m2m-auth-devserver";
  char *argv[8];
  int argc = 0;
  argv[argc++] = (char *)bin;
  argv[argc++] = "--exit-on-stdin-eof";
  if (clients_json) {
    snprintf(s->clients_file, sizeof s->clients_file, "/tmp/m2m-c-clients-XXXXXX");
    int fd = mkstemp(s->clients_file);
    if (fd < 0) return -1;
    size_t len = strlen(clients_json);
    if (write(fd, clients_json, len) != (ssize_t)len) {
      close(fd);
      return -1;
    }
    close(fd);
    argv[argc++] = "--clients";
    argv[argc++] = s->clients_file;
  }
  if (extra_arg) argv[argc++] = (char *)extra_arg;
  argv[argc] = NULL;

  /* The first line is one JSON object with the URLs (and with TLS, the
     listener's certificate as PEM). */
  char line[8192];
  if (server_spawn(&s->proc, argv, line, sizeof line)) {
    devserver_stop(s);
    return -1;
  }
  char err[128];
  jval *v = json_parse(line, err, sizeof err);
  if (!v || !json_get_str(v, "url")) {
    fprintf(stderr, "devserver: unexpected first line: %s\n", line);
    json_free(v);
    devserver_stop(s);
    return -1;
  }
  copy_str(s->url, sizeof s->url, json_get_str(v, "url"));
  copy_str(s->issuer, sizeof s->issuer, json_get_str(v, "issuer"));
  copy_str(s->token_url, sizeof s->token_url, json_get_str(v, "token_url"));
  copy_str(s->api_url, sizeof s->api_url, json_get_str(v, "api_url"));
  copy_str(s->control_url, sizeof s->control_url, json_get_str(v, "control_url"));
  copy_str(s->control_token, sizeof s->control_token, json_get_str(v, "control_token"));
  if (json_get_str(v, "https_url")) {
    copy_str(s->https_url, sizeof s->https_url, json_get_str(v, "https_url"));
    copy_str(s->mtls_token_url, sizeof s->mtls_token_url, json_get_str(v, "mtls_token_url"));
    s->tls_ca_pem = strdup(json_get_str(v, "tls_ca_pem") ? json_get_str(v, "tls_ca_pem") : "");
  }
  json_free(v);
  if (!s->control_token[0]) {
    fprintf(stderr, "devserver: no control_token in the first line\n");
    devserver_stop(s);
    return -1;
  }
  const char *colon = strrchr(s->url, ':');
  s->port = colon ? atoi(colon + 1) : 0;
  return s->port > 0 ? 0 : -1;
}

void devserver_stop(devserver *s) {
  server_stop(&s->proc);
  if (s->clients_file[0]) unlink(s->clients_file);
  s->clients_file[0] = 0;
  free(s->tls_ca_pem);
  s->tls_ca_pem = NULL;
}

char *t_read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *s = malloc(cap);
  for (size_t r; s && (r = fread(s + n, 1, cap - n - 1, f)) > 0;)
    if ((n += r) + 1 >= cap) {
      char *grown = realloc(s, cap *= 2);
      if (!grown) free(s);
      s = grown;
    }
  fclose(f);
  if (s) s[n] = 0;
  return s;
}
