/* Helpers shared by the C tests that talk to the dev server (clients.h). */
#include "clients.h"

#include <stdio.h>
#include <string.h>

m2m_client_options *tc_options(const devserver *s, const char *id, const char *secret,
                               const char *audience) {
  m2m_client_options *o = NULL;
  CHECK_EQ_INT(m2m_client_options_new(&o), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_token_url(o, s->token_url), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_id(o, id), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_client_secret(o, secret), M2M_OK);
  if (audience) CHECK_EQ_INT(m2m_client_options_set_audience(o, audience), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_no_proxy(o, true), M2M_OK);
  CHECK_EQ_INT(m2m_client_options_set_retry_base_delay(o, 20), M2M_OK);
  return o;
}

m2m_client *tc_build(m2m_client_options *o) {
  m2m_client *c = NULL;
  m2m_error *err = NULL;
  if (m2m_client_new(o, &c, &err) != M2M_OK)
    t_fail(__FILE__, __LINE__, "m2m_client_new: %s", m2m_error_message(err));
  m2m_error_free(err);
  m2m_client_options_free(o);
  return c;
}

m2m_token *tc_get(m2m_client *c, const m2m_request *rq) {
  m2m_token *t = NULL;
  m2m_error *err = NULL;
  if (m2m_client_get_token(c, rq, &t, &err) != M2M_OK)
    t_fail(__FILE__, __LINE__, "get_token: %s", m2m_error_message(err));
  m2m_error_free(err);
  return t;
}

const char *tc_access_token(const m2m_token *t) {
  const char *s = NULL;
  CHECK_EQ_INT(m2m_token_access_token(t, &s), M2M_OK);
  return s ? s : "";
}

const char *tc_audience(const char *tag) {
  static int seq;
  static char buf[96];
  snprintf(buf, sizeof buf, "https://api.example.com/%s%d", tag, ++seq);
  return buf;
}

const tc_text_field TC_ERROR_TEXT[] = {
    {"message", m2m_error_message}, {"error", m2m_error_error},
    {"error_description", m2m_error_error_description}, {"error_uri", m2m_error_error_uri},
    {"body", m2m_error_body}, {"kind", m2m_error_kind}, {"reason", m2m_error_reason}};
const size_t TC_ERROR_TEXT_COUNT = sizeof TC_ERROR_TEXT / sizeof *TC_ERROR_TEXT;

void tc_check_no_secret(const m2m_error *err, const char *const *needles) {
  for (size_t i = 0; err && i < TC_ERROR_TEXT_COUNT; i++) {
    const char *text = TC_ERROR_TEXT[i].get(err);
    for (const char *const *n = needles; text && *n; n++)
      if (strstr(text, *n))
        t_fail(__FILE__, __LINE__, "a secret in the error's %s: %s", TC_ERROR_TEXT[i].name, text);
  }
}
