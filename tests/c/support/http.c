/* Test helpers for the C suite (declared in testlib.h): a tiny HTTP/1.1
 * client for the dev server (its API and its control API), the control API
 * shorthands, and reading form bodies. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"

/* ---- HTTP client ---------------------------------------------------------- */

static char *dechunk(const char *p) {
  size_t cap = strlen(p) + 1, n = 0;
  char *out = malloc(cap);
  for (;;) {
    char *end;
    unsigned long size = strtoul(p, &end, 16);
    const char *data = strstr(end, "\r\n");
    if (!data || size == 0) break;
    data += 2;
    if (n + size >= cap) break;
    memcpy(out + n, data, size);
    n += size;
    p = data + size;
    if (!strncmp(p, "\r\n", 2)) p += 2;
  }
  out[n] = 0;
  return out;
}

int http_request(int port, const char *method, const char *path, const char *body,
                 char **body_out) {
  return http_request_auth(port, method, path, body, NULL, body_out);
}

int http_request_auth(int port, const char *method, const char *path, const char *body,
                      const char *authorization, char **body_out) {
  if (!authorization) return http_exchange(port, method, path, body, NULL, NULL, body_out);
  size_t n = strlen(authorization) + 32;
  char *line = malloc(n);
  snprintf(line, n, "Authorization: %s\r\n", authorization);
  int status = http_exchange(port, method, path, body, line, NULL, body_out);
  free(line);
  return status;
}

int http_exchange(int port, const char *method, const char *path, const char *body,
                  const char *headers, char **head_out, char **body_out) {
  if (head_out) *head_out = NULL;
  if (body_out) *body_out = NULL;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
    close(fd);
    return -1;
  }
  size_t blen = body ? strlen(body) : 0;
  size_t head_cap = 512 + strlen(path) + (headers ? strlen(headers) : 0);
  char *req = malloc(blen + head_cap);
  int hlen = snprintf(req, head_cap,
                      "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n%s"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                      method, path, port, headers ? headers : "", blen);
  if (hlen < 0 || (size_t)hlen >= head_cap) {
    free(req);
    close(fd);
    return -1;
  }
  if (blen) memcpy(req + hlen, body, blen);
  size_t total = (size_t)hlen + blen, sent = 0;
  while (sent < total) {
    ssize_t w = send(fd, req + sent, total - sent, MSG_NOSIGNAL);
    if (w <= 0) break;
    sent += (size_t)w;
  }
  free(req);
  size_t cap = 4096, n = 0;
  char *resp = malloc(cap);
  for (;;) {
    if (n + 1024 > cap) resp = realloc(resp, cap *= 2);
    ssize_t r = recv(fd, resp + n, cap - n - 1, 0);
    if (r <= 0) break;
    n += (size_t)r;
  }
  close(fd);
  resp[n] = 0;
  int status = -1;
  if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1) status = -1;
  char *hdr_end = strstr(resp, "\r\n\r\n");
  if (hdr_end) {
    *hdr_end = 0;
    if (head_out) *head_out = strdup(resp);
    int chunked = strcasestr(resp, "transfer-encoding: chunked") != NULL;
    if (body_out) *body_out = chunked ? dechunk(hdr_end + 4) : strdup(hdr_end + 4);
  }
  free(resp);
  return status;
}

char *http_header(const char *head, const char *name) {
  size_t len = strlen(name);
  for (const char *line = head ? strstr(head, "\r\n") : NULL; line; line = strstr(line + 2, "\r\n")) {
    const char *p = line + 2;
    if (strncasecmp(p, name, len) || p[len] != ':') continue;
    p += len + 1;
    while (*p == ' ' || *p == '\t') p++;
    size_t vlen = strcspn(p, "\r\n");
    while (vlen && (p[vlen - 1] == ' ' || p[vlen - 1] == '\t')) vlen--;
    return strndup(p, vlen);
  }
  return NULL;
}

/* A control API request, with the server's control token. */
static int ctl_request(const devserver *s, const char *method, const char *path,
                       const char *body, char **body_out) {
  char auth[96];
  snprintf(auth, sizeof auth, "Bearer %s", s->control_token);
  return http_request_auth(s->port, method, path, body, auth, body_out);
}

int ctl_faults(const devserver *s, const char *target, const char *steps_json, int repeat_last) {
  size_t n = strlen(steps_json) + 64;
  char *body = malloc(n);
  snprintf(body, n, "{\"steps\":%s,\"repeat_last\":%s}", steps_json, repeat_last ? "true" : "false");
  char path[64];
  snprintf(path, sizeof path, "/_control/faults%s%s", target ? "?target=" : "", target ? target : "");
  char *resp;
  int st = ctl_request(s, "POST", path, body, &resp);
  if (st != 200) fprintf(stderr, "control API: POST %s -> %d %s\n", path, st, resp ? resp : "");
  free(resp);
  free(body);
  return st == 200 ? 0 : -1;
}

int ctl_clear_faults(const devserver *s, const char *target) {
  char path[64];
  snprintf(path, sizeof path, "/_control/faults%s%s", target ? "?target=" : "", target ? target : "");
  return ctl_request(s, "DELETE", path, NULL, NULL) == 200 ? 0 : -1;
}

int ctl_add_client(const devserver *s, const char *client_json) {
  char *resp;
  int st = ctl_request(s, "POST", "/_control/clients", client_json, &resp);
  if (st != 200) fprintf(stderr, "control API: add client -> %d %s\n", st, resp ? resp : "");
  free(resp);
  return st == 200 ? 0 : -1;
}

int ctl_reset(const devserver *s) {
  return ctl_request(s, "POST", "/_control/reset", "", NULL) == 200 ? 0 : -1;
}

long ctl_stat(const devserver *s, const char *name) {
  char *body;
  if (ctl_request(s, "GET", "/_control/stats", NULL, &body) != 200) {
    free(body);
    return -1;
  }
  jval *v = json_parse(body, NULL, 0);
  const jval *n = json_get(v, name);
  long r = n && n->type == J_NUM ? (long)n->num : -1;
  json_free(v);
  free(body);
  return r;
}

int ctl_dpop(const devserver *s, const char *body_json) {
  char *resp;
  int st = ctl_request(s, "POST", "/_control/dpop", body_json, &resp);
  if (st != 200) fprintf(stderr, "control API: POST /_control/dpop -> %d %s\n", st, resp ? resp : "");
  free(resp);
  return st == 200 ? 0 : -1;
}

long ctl_token_requests(const devserver *s) { return ctl_stat(s, "token_requests"); }
long ctl_api_requests(const devserver *s) { return ctl_stat(s, "api_requests"); }

jval *ctl_requests(const devserver *s, char **text_out) {
  *text_out = NULL;
  if (ctl_request(s, "GET", "/_control/requests", NULL, text_out) != 200) return NULL;
  return json_parse(*text_out, NULL, 0);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static char *form_decode(const char *p, size_t n) {
  char *out = malloc(n + 1);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '+') out[k++] = ' ';
    else if (p[i] == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
      out[k++] = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
      i += 2;
    } else out[k++] = p[i];
  }
  out[k] = 0;
  return out;
}

char *form_value(const char *body, const char *name) { return form_value_at(body, name, 0); }

char *form_value_at(const char *body, const char *name, size_t index) {
  const char *p = body;
  while (p && *p) {
    const char *amp = strchr(p, '&');
    size_t n = amp ? (size_t)(amp - p) : strlen(p);
    const char *eq = memchr(p, '=', n);
    size_t kn = eq ? (size_t)(eq - p) : n;
    char *key = form_decode(p, kn);
    int match = !strcmp(key, name);
    free(key);
    if (match && index-- == 0) return eq ? form_decode(eq + 1, n - kn - 1) : strdup("");
    p = amp ? amp + 1 : NULL;
  }
  return NULL;
}
