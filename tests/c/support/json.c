#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *s;
  const char *p;
  char *err;
  size_t errlen;
  int failed;
  int depth;
} parser;

static void fail(parser *ps, const char *fmt, ...) {
  if (ps->failed) return;
  ps->failed = 1;
  char msg[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (ps->err && ps->errlen)
    snprintf(ps->err, ps->errlen, "JSON at offset %ld: %s", (long)(ps->p - ps->s), msg);
}

static void ws(parser *ps) {
  while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r') ps->p++;
}

static void free_children(jval *v) {
  if (v->type == J_STR) free(v->str);
  if (v->type == J_ARR || v->type == J_OBJ) {
    for (size_t i = 0; i < v->len; i++) {
      free_children(&v->items[i]);
      if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
  }
}

void json_free(jval *v) {
  if (!v) return;
  free_children(v);
  free(v);
}

static int hex4(parser *ps, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = *ps->p++;
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else {
      fail(ps, "bad \\u escape");
      return -1;
    }
  }
  *out = v;
  return 0;
}

static void put_utf8(char *buf, size_t *n, unsigned cp) {
  if (cp < 0x80) buf[(*n)++] = (char)cp;
  else if (cp < 0x800) {
    buf[(*n)++] = (char)(0xC0 | (cp >> 6));
    buf[(*n)++] = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    buf[(*n)++] = (char)(0xE0 | (cp >> 12));
    buf[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[(*n)++] = (char)(0x80 | (cp & 0x3F));
  } else {
    buf[(*n)++] = (char)(0xF0 | (cp >> 18));
    buf[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
    buf[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[(*n)++] = (char)(0x80 | (cp & 0x3F));
  }
}

/* At the opening quote; decodes into a new buffer. */
static char *string(parser *ps, size_t *len_out) {
  ps->p++;
  const char *start = ps->p;
  size_t cap = 16;
  while (*ps->p && *ps->p != '"') {
    if (*ps->p == '\\' && ps->p[1]) ps->p++;
    ps->p++;
    cap++;
  }
  if (*ps->p != '"') {
    fail(ps, "unterminated string");
    return NULL;
  }
  ps->p = start;
  char *buf = malloc(cap * 4 + 1);
  size_t n = 0;
  while (*ps->p != '"') {
    unsigned char c = (unsigned char)*ps->p++;
    if (c < 0x20) {
      fail(ps, "control character in string");
      free(buf);
      return NULL;
    }
    if (c != '\\') {
      buf[n++] = (char)c;
      continue;
    }
    char e = *ps->p++;
    switch (e) {
      case '"': buf[n++] = '"'; break;
      case '\\': buf[n++] = '\\'; break;
      case '/': buf[n++] = '/'; break;
      case 'b': buf[n++] = '\b'; break;
      case 'f': buf[n++] = '\f'; break;
      case 'n': buf[n++] = '\n'; break;
      case 'r': buf[n++] = '\r'; break;
      case 't': buf[n++] = '\t'; break;
      case 'u': {
        unsigned cp;
        if (hex4(ps, &cp)) {
          free(buf);
          return NULL;
        }
        if (cp >= 0xD800 && cp < 0xDC00 && ps->p[0] == '\\' && ps->p[1] == 'u') {
          const char *save = ps->p;
          unsigned lo;
          ps->p += 2;
          if (hex4(ps, &lo)) {
            free(buf);
            return NULL;
          }
          if (lo >= 0xDC00 && lo < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          else ps->p = save;
        }
        put_utf8(buf, &n, cp);
        break;
      }
      default:
        fail(ps, "bad escape");
        free(buf);
        return NULL;
    }
  }
  ps->p++;
  buf[n] = 0;
  *len_out = n;
  return buf;
}

static int value(parser *ps, jval *v);

static int push(parser *ps, jval *v, size_t *cap, char *key) {
  if (v->len == *cap) {
    *cap = *cap ? *cap * 2 : 4;
    v->items = realloc(v->items, *cap * sizeof *v->items);
    if (v->type == J_OBJ) v->keys = realloc(v->keys, *cap * sizeof *v->keys);
  }
  jval *item = &v->items[v->len];
  memset(item, 0, sizeof *item);
  if (v->type == J_OBJ) v->keys[v->len] = key;
  v->len++;
  return value(ps, item);
}

static int value(parser *ps, jval *v) {
  if (++ps->depth > 64) {
    fail(ps, "nested too deep");
    return -1;
  }
  ws(ps);
  v->raw = ps->p;
  char c = *ps->p;
  if (c == '{' || c == '[') {
    v->type = c == '{' ? J_OBJ : J_ARR;
    char close = c == '{' ? '}' : ']';
    size_t cap = 0;
    ps->p++;
    ws(ps);
    if (*ps->p == close) ps->p++;
    else {
      for (;;) {
        char *key = NULL;
        if (v->type == J_OBJ) {
          ws(ps);
          if (*ps->p != '"') {
            fail(ps, "expected a key");
            return -1;
          }
          size_t kl;
          key = string(ps, &kl);
          if (!key) return -1;
          ws(ps);
          if (*ps->p != ':') {
            free(key);
            fail(ps, "expected ':'");
            return -1;
          }
          ps->p++;
        }
        if (push(ps, v, &cap, key)) return -1;
        ws(ps);
        if (*ps->p == ',') {
          ps->p++;
          continue;
        }
        if (*ps->p == close) {
          ps->p++;
          break;
        }
        fail(ps, "expected ',' or '%c'", close);
        return -1;
      }
    }
  } else if (c == '"') {
    v->type = J_STR;
    v->str = string(ps, &v->len);
    if (!v->str) return -1;
  } else if (!strncmp(ps->p, "true", 4) || !strncmp(ps->p, "false", 5)) {
    v->type = J_BOOL;
    v->boolean = c == 't';
    ps->p += v->boolean ? 4 : 5;
  } else if (!strncmp(ps->p, "null", 4)) {
    v->type = J_NULL;
    ps->p += 4;
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    char *end;
    v->type = J_NUM;
    v->num = strtod(ps->p, &end);
    ps->p = end;
  } else {
    fail(ps, "unexpected character '%c'", c ? c : '0');
    return -1;
  }
  v->raw_len = (size_t)(ps->p - v->raw);
  ps->depth--;
  return 0;
}

jval *json_parse(const char *text, char *err, size_t errlen) {
  parser ps = {text, text, err, errlen, 0, 0};
  jval *v = calloc(1, sizeof *v);
  if (value(&ps, v) == 0) {
    ws(&ps);
    if (*ps.p) fail(&ps, "trailing characters");
  }
  if (ps.failed) {
    json_free(v);
    return NULL;
  }
  return v;
}

const jval *json_get(const jval *obj, const char *key) {
  if (!obj || obj->type != J_OBJ) return NULL;
  for (size_t i = 0; i < obj->len; i++)
    if (!strcmp(obj->keys[i], key)) return &obj->items[i];
  return NULL;
}

const char *json_get_str(const jval *obj, const char *key) {
  const jval *v = json_get(obj, key);
  return v && v->type == J_STR ? v->str : NULL;
}

char *json_raw_dup(const jval *v) {
  char *s = malloc(v->raw_len + 1);
  memcpy(s, v->raw, v->raw_len);
  s[v->raw_len] = 0;
  return s;
}
