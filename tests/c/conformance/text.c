/* The C conformance runner: text and JSON helpers (placeholders, expected
 * wire values, form encoding, JSON equality). */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"

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

char *placeholders(const vec *v, const char *s) {
  char *a = replace_all(s, "{token_url}", v->srv.token_url);
  char *b = replace_all(a, "{issuer}", v->srv.issuer);
  char *c = replace_all(b, "{url}", v->srv.url);
  char *d = replace_all(c, "{mtls_token_url}", v->srv.mtls_token_url[0] ? v->srv.mtls_token_url : "{mtls_token_url}");
  free(a);
  free(b);
  free(c);
  return d;
}

char *expected_text(const char *s) {
  char *a = replace_all(s, "{version}", M2M_AUTH_VERSION);
  char *b = replace_all(a, "{language}", "c");
  free(a);
  return b;
}

/* application/x-www-form-urlencoded spelling of `s` (malloc'd). */
char *form_encode(const char *s) {
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

int json_equal(const jval *a, const jval *b) {
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

int known(const char *k, const char *const *list) {
  for (; *list; list++)
    if (!strcmp(k, *list)) return 1;
  return 0;
}
