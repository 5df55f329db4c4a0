/* A small JSON reader for the C tests (conformance vectors, control API
 * answers). Not a general-purpose library: enough of RFC 8259 for test data. */
#ifndef M2M_TEST_JSON_H
#define M2M_TEST_JSON_H

#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval {
  jtype type;
  int boolean;
  double num;
  char *str;            /* J_STR: decoded, NUL-terminated (may hold NULs: see len) */
  size_t len;           /* J_STR: decoded length; J_ARR/J_OBJ: item count */
  struct jval *items;   /* J_ARR/J_OBJ: the values */
  char **keys;          /* J_OBJ: the keys, decoded */
  const char *raw;      /* the value's text in the source (not NUL-terminated) */
  size_t raw_len;
} jval;

/* Parses `text` (NUL-terminated). NULL on error, with a message in `err`
 * (of `errlen` bytes). `raw` pointers point into `text`, which must outlive
 * the tree. Free with json_free. */
jval *json_parse(const char *text, char *err, size_t errlen);
void json_free(jval *v);

/* The member `key` of an object, or NULL (also when `obj` is no object). */
const jval *json_get(const jval *obj, const char *key);
/* The string value of member `key`, or NULL when absent or no string. */
const char *json_get_str(const jval *obj, const char *key);
/* A copy of a value's source text, NUL-terminated (malloc'd). */
char *json_raw_dup(const jval *v);

#endif
