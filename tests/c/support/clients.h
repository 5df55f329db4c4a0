/* Helpers shared by the C tests that talk to the dev server: options for a
 * dev-server client, building it, getting tokens that must come. Each
 * failure is reported with t_fail (testlib.h). */
#ifndef M2M_TEST_CLIENTS_H
#define M2M_TEST_CLIENTS_H

#include <m2m_auth.h>
#include <stddef.h>

#include "testlib.h"

/* Options for `id`/`secret` at the server's token endpoint, with `audience`
 * (if not NULL), no proxy and a 20 ms retry backoff (fast tests). */
m2m_client_options *tc_options(const devserver *s, const char *id, const char *secret,
                               const char *audience);
/* Builds a client from `o` (then frees `o`); NULL, and a failed check, on
 * error. */
m2m_client *tc_build(m2m_client_options *o);
/* m2m_client_get_token, which must succeed (the token, or NULL and a failed
 * check). */
m2m_token *tc_get(m2m_client *c, const m2m_request *rq);
/* The token's access token ("" and a failed check if unreadable). */
const char *tc_access_token(const m2m_token *t);
/* A new audience on each call ("https://api.example.com/<tag><n>"): the
 * cache is process-wide, so each test takes keys of its own. Static buffer. */
const char *tc_audience(const char *tag);

/* The text fields of an error (tests/surface.json's error_fields other
 * than code and status), each with its getter m2m_error_<name>. */
typedef struct {
  const char *name;
  const char *(*get)(const m2m_error *);
} tc_text_field;
extern const tc_text_field TC_ERROR_TEXT[];
extern const size_t TC_ERROR_TEXT_COUNT;
/* Fails a check if one of `needles` (NULL-terminated) is in a text field
 * of `err` (NULL: no error, nothing to check). */
void tc_check_no_secret(const m2m_error *err, const char *const *needles);

#endif
