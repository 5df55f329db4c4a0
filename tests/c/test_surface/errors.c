/* test_surface: every error field, on real errors of every kind. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <string.h>

#include "surface.h"

/* `present` lists the text fields the error must have (all others NULL). */
static void check_fields(const m2m_error *err, m2m_result code, const char *const *present,
                         int line) {
  if (m2m_error_code(err) != code)
    t_fail(__FILE__, line, "code %s, expected %s", m2m_result_name(m2m_error_code(err)),
           m2m_result_name(code));
  const char *msg = m2m_error_message(err);
  if (strncmp(msg, m2m_result_name(code), strlen(m2m_result_name(code))))
    t_fail(__FILE__, line, "message \"%s\" does not start with its code", msg);
  for (size_t i = 1; i < TC_ERROR_TEXT_COUNT; i++) { /* all but the message */
    const char *name = TC_ERROR_TEXT[i].name, *got = TC_ERROR_TEXT[i].get(err);
    int want = 0;
    for (const char *const *p = present; *p; p++) want |= !strcmp(*p, name);
    if (want && (!got || !*got)) t_fail(__FILE__, line, "no %s", name);
    if (!want && got) t_fail(__FILE__, line, "%s \"%s\", expected none", name, got);
  }
  tc_check_no_secret(err, (const char *const[]){SECRET, "surface-secret", NULL});
}

static m2m_error *fail_with(m2m_client *c, const char *target, const char *faults) {
  if (faults) CHECK_EQ_INT(ctl_faults(&srv, target, faults, 0), 0);
  m2m_token *t = NULL;
  m2m_error *err = NULL;
  CHECK(m2m_client_get_token(c, NULL, &t, &err) != M2M_OK);
  CHECK(t == NULL && err != NULL);
  if (faults) ctl_clear_faults(&srv, target);
  return err;
}

void every_error_field_on_real_errors(void) {
  m2m_client_options *o = tc_options(&srv, CLIENT_ID, SECRET, tc_audience("s"));
  m2m_client_options_set_max_attempts(o, 1);
  m2m_client_options_set_default_throttle(o, 4000);
  m2m_client *c = tc_build(o);

  m2m_error *err = fail_with(c, NULL,
                             "[{\"status\": 400, \"json\": {\"error\": \"invalid_scope\","
                             " \"error_description\": \"no such scope\","
                             " \"error_uri\": \"https://docs.example.com/e\"}}]");
  check_fields(err, M2M_OAUTH, (const char *[]){"error", "error_description", "error_uri", NULL},
               __LINE__);
  CHECK_STR(m2m_error_error(err), "invalid_scope");
  CHECK_STR(m2m_error_error_description(err), "no such scope");
  CHECK_STR(m2m_error_error_uri(err), "https://docs.example.com/e");
  CHECK_EQ_INT(m2m_error_status(err), 400);
  CHECK_EQ_INT(m2m_error_retry_after(err), 0);
  m2m_error_free(err);

  err = fail_with(c, NULL, "[{\"token\": {\"token_type\": \"mac\"}}]");
  check_fields(err, M2M_INVALID_RESPONSE, (const char *[]){"reason", NULL}, __LINE__);
  CHECK(strstr(m2m_error_reason(err), "mac") || strstr(m2m_error_reason(err), "token_type"));
  CHECK_EQ_INT(m2m_error_status(err), 0);
  m2m_error_free(err);

  o = tc_options(&srv, CLIENT_ID, SECRET, tc_audience("s"));
  m2m_client_options_set_max_attempts(o, 1);
  m2m_client_options_set_timeout(o, 300);
  m2m_client *slow = tc_build(o);
  err = fail_with(slow, NULL, "[{\"delay_ms\": 2000}]");
  check_fields(err, M2M_TRANSPORT, (const char *[]){"kind", NULL}, __LINE__);
  CHECK_STR(m2m_error_kind(err), "timeout");
  m2m_error_free(err);
  m2m_client_free(slow);

  err = fail_with(c, NULL, "[{\"status\": 502, \"body\": \"bad gateway\"}]");
  check_fields(err, M2M_HTTP, (const char *[]){"body", NULL}, __LINE__);
  CHECK_STR(m2m_error_body(err), "bad gateway");
  CHECK_EQ_INT(m2m_error_status(err), 502);
  m2m_error_free(err);

  err = fail_with(c, NULL, NULL); /* the key is throttled now: no request */
  check_fields(err, M2M_THROTTLED, (const char *[]){NULL}, __LINE__);
  CHECK(m2m_error_retry_after(err) > 2000 && m2m_error_retry_after(err) <= 4000);
  CHECK_EQ_INT(m2m_error_status(err), 0);
  m2m_error_free(err);
  m2m_client_free(c);
}
