/* The C verifier (issue #13): every case of the cross-language vectors
 * (tests/verify/vectors.json, format in tests/verify/FORMAT.md) through the
 * C API (the DPoP cases' HTTP requests through
 * m2m_verifier_verify_http_request, in order on one verifier), then
 * (tests/c/test_verifier/) tokens of the dev server verified
 * through its JWKS, bad input (NULL, invalid UTF-8, huge tokens: typed
 * errors, no abort), RFC 6750 challenges, and the DPoP options and
 * functions against bad input (the DPoP round trips are in test_dpop).
 *
 * This file: the program (main) and the vectors' runner. */
#define _GNU_SOURCE
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/json.h"
#include "support/testlib.h"
#include "test_verifier/verifier.h"

#define VECTORS_PATH "tests/verify/vectors.json"

const jval *vectors;

/* Reports a failure of case `name` (t_fail, with the case named). */
#define CASE_FAIL(name, ...)                                  \
  do {                                                        \
    char m_[512];                                             \
    snprintf(m_, sizeof m_, __VA_ARGS__);                     \
    t_fail(__FILE__, __LINE__, "case %s: %s", (name), m_);    \
    failed = 1;                                               \
  } while (0)

/* Options of a case (tests/verify/FORMAT.md "options"), plus its JWKS:
 * every option by its typed setter, durations converted to ms. NULL and a
 * failure for an option this runner does not know. */
static m2m_verifier_options *case_options(const char *name, const jval *options,
                                          const jval *jwks) {
  m2m_verifier_options *o = NULL;
  if (m2m_verifier_options_new(&o) != M2M_OK) return NULL;
  int failed = 0;
  for (size_t i = 0; options && i < options->len; i++) {
    const char *key = options->keys[i];
    const jval *v = &options->items[i];
    m2m_result rc = M2M_OK;
    if (!strcmp(key, "issuer") && v->type == J_STR) {
      rc = m2m_verifier_options_set_issuer(o, v->str);
    } else if ((!strcmp(key, "audience") || !strcmp(key, "algorithms")) && v->type == J_ARR) {
      for (size_t j = 0; j < v->len && rc == M2M_OK; j++)
        rc = key[1] == 'u' ? m2m_verifier_options_add_audience(o, v->items[j].str)
                           : m2m_verifier_options_add_algorithms(o, v->items[j].str);
    } else if (!strcmp(key, "leeway") && v->type == J_NUM) {
      rc = m2m_verifier_options_set_leeway(o, (uint64_t)(v->num * 1000.0 + 0.5));
    } else if (!strcmp(key, "strict_typ") && v->type == J_BOOL) {
      rc = m2m_verifier_options_set_strict_typ(o, v->boolean);
    } else if (!strcmp(key, "max_token_bytes") && v->type == J_NUM) {
      rc = m2m_verifier_options_set_max_token_bytes(o, (uint64_t)v->num);
    } else if (!strcmp(key, "dpop") && v->type == J_STR) {
      rc = m2m_verifier_options_set_dpop(o, v->str);
    } else if (!strcmp(key, "dpop_algorithms") && v->type == J_ARR) {
      for (size_t j = 0; j < v->len && rc == M2M_OK; j++)
        rc = m2m_verifier_options_add_dpop_algorithms(o, v->items[j].str);
    } else if (!strcmp(key, "dpop_max_age") && v->type == J_NUM) {
      rc = m2m_verifier_options_set_dpop_max_age(o, (uint64_t)(v->num * 1000.0 + 0.5));
    } else if (!strcmp(key, "dpop_replay_cache_size") && v->type == J_NUM) {
      rc = m2m_verifier_options_set_dpop_replay_cache_size(o, (uint64_t)v->num);
    } else if (!strcmp(key, "dpop_nonce") && v->type == J_BOOL) {
      rc = m2m_verifier_options_set_dpop_nonce(o, v->boolean);
    } else {
      CASE_FAIL(name, "option %s: unknown to the C runner", key);
    }
    if (rc != M2M_OK) CASE_FAIL(name, "setting option %s: %s", key, m2m_result_name(rc));
  }
  char *jwks_text = json_raw_dup(jwks);
  if (m2m_verifier_options_set_jwks(o, jwks_text) != M2M_OK) CASE_FAIL(name, "set_jwks failed");
  free(jwks_text);
  if (failed) {
    m2m_verifier_options_free(o);
    return NULL;
  }
  return o;
}

/* "a b c" from a JSON array of strings (malloc'd). */
static char *joined(const jval *list) {
  size_t n = 1;
  for (size_t i = 0; list && i < list->len; i++) n += strlen(list->items[i].str) + 1;
  char *s = calloc(1, n);
  for (size_t i = 0; list && i < list->len; i++) {
    if (i) strcat(s, " ");
    strcat(s, list->items[i].str);
  }
  return s;
}

/* Compares a text getter's value with the expected string or null. */
static int same_text(const char *got, const jval *want) {
  if (!want || want->type == J_NULL) return got == NULL;
  return got && want->type == J_STR && !strcmp(got, want->str);
}

/* Compares an instant getter's ms with expected seconds (null = 0). */
static int same_instant(int64_t got_ms, const jval *want) {
  if (!want || want->type == J_NULL) return got_ms == 0;
  return want->type == J_NUM && got_ms == (int64_t)(want->num * 1000.0);
}

/* Checks every field of `c` against `want` (FORMAT.md "expect").
 * Returns 1 on a mismatch. */
static int check_claims(const char *name, const m2m_claims *c, const jval *want) {
  int failed = 0;
  static const struct {
    const char *field;
    const char *(*get)(const m2m_claims *);
  } texts[] = {{"issuer", m2m_claims_issuer},
               {"subject", m2m_claims_subject},
               {"client_id", m2m_claims_client_id},
               {"jwt_id", m2m_claims_jwt_id}};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    const char *got = texts[i].get(c);
    if (!same_text(got, json_get(want, texts[i].field)))
      CASE_FAIL(name, "%s is %s", texts[i].field, got ? got : "NULL");
  }
  static const struct {
    const char *field;
    size_t (*count)(const m2m_claims *);
    const char *(*get)(const m2m_claims *, size_t);
  } lists[] = {{"audience", m2m_claims_audience_count, m2m_claims_audience},
               {"scopes", m2m_claims_scopes_count, m2m_claims_scopes}};
  for (size_t i = 0; i < 2; i++) {
    const jval *w = json_get(want, lists[i].field);
    size_t n = lists[i].count(c);
    if (!w || w->type != J_ARR || n != w->len) {
      CASE_FAIL(name, "%s has %zu entries", lists[i].field, n);
      continue;
    }
    for (size_t j = 0; j < n; j++)
      if (!same_text(lists[i].get(c, j), &w->items[j]))
        CASE_FAIL(name, "%s[%zu] is %s", lists[i].field, j, lists[i].get(c, j));
    if (lists[i].get(c, n) != NULL) CASE_FAIL(name, "%s[%zu] is not NULL", lists[i].field, n);
  }
  const jval *scopes = json_get(want, "scopes");
  for (size_t j = 0; scopes && j < scopes->len; j++)
    if (!m2m_claims_has_scope(c, scopes->items[j].str))
      CASE_FAIL(name, "has_scope(%s) is false", scopes->items[j].str);
  if (m2m_claims_has_scope(c, "no-such-scope")) CASE_FAIL(name, "has_scope(no-such-scope)");
  static const struct {
    const char *field;
    int64_t (*get)(const m2m_claims *);
  } instants[] = {{"expires_at", m2m_claims_expires_at},
                  {"issued_at", m2m_claims_issued_at},
                  {"not_before", m2m_claims_not_before}};
  for (size_t i = 0; i < 3; i++)
    if (!same_instant(instants[i].get(c), json_get(want, instants[i].field)))
      CASE_FAIL(name, "%s is %lld ms", instants[i].field, (long long)instants[i].get(c));
  /* Every claim as JSON: it parses and holds iss. */
  char err[128];
  jval *all = json_parse(m2m_claims_json(c), err, sizeof err);
  if (!all || !same_text(json_get_str(all, "iss"), json_get(want, "issuer")))
    CASE_FAIL(name, "m2m_claims_json does not hold iss: %s", m2m_claims_json(c));
  json_free(all);
  return failed;
}

/* Checks a failed verification against `expect`. Returns 1 on a mismatch. */
static int check_failure(const char *name, m2m_result rc, const m2m_error *err,
                         const jval *expect, const char *token) {
  int failed = 0;
  const char *code = json_get_str(expect, "code");
  if (!code || strcmp(m2m_result_name(rc), code))
    CASE_FAIL(name, "code %s (%s), expected %s", m2m_result_name(rc), m2m_error_message(err), code);
  if (m2m_error_code(err) != rc) CASE_FAIL(name, "m2m_error_code differs from the result");
  const char *reason = json_get_str(expect, "reason");
  if (reason && !same_text(m2m_error_reason(err), json_get(expect, "reason")))
    CASE_FAIL(name, "reason %s, expected %s (%s)", m2m_error_reason(err), reason,
              m2m_error_message(err));
  const jval *required = json_get(expect, "required_scope");
  if (required && !same_text(m2m_error_required_scope(err), required))
    CASE_FAIL(name, "required_scope %s", m2m_error_required_scope(err));
  /* Neither the message nor the challenge quotes the token's signature. */
  const char *dot = token ? strrchr(token, '.') : NULL;
  if (dot && strlen(dot) > 16 && strstr(m2m_error_message(err), dot + 1))
    CASE_FAIL(name, "the error message holds the token");
  uint16_t status = 0;
  const char *header = NULL;
  if (m2m_challenge(err, NULL, &status, &header) != M2M_OK) CASE_FAIL(name, "m2m_challenge failed");
  int want_status = rc == M2M_INSUFFICIENT_SCOPE ? 403 : rc == M2M_INVALID_TOKEN ? 401 : 503;
  if (status != want_status) CASE_FAIL(name, "challenge status %u", status);
  if (header && dot && strlen(dot) > 16 && strstr(header, dot + 1))
    CASE_FAIL(name, "the challenge holds the token");
  return failed;
}

/* Runs the requests of an http_requests case in order on `v` (a replay is
 * refused only by the verifier that took the proof); 1 on a failure. */
static int run_http_requests(const char *name, m2m_verifier *v, const jval *steps,
                             const char *token) {
  int failed = 0;
  size_t refused = 0;
  for (size_t i = 0; steps && i < steps->len; i++) {
    const jval *step = &steps->items[i], *expect = json_get(step, "expect");
    const jval *ok = json_get(expect, "ok");
    char *scopes = joined(json_get(step, "scopes"));
    const char *dpop = json_get_str(step, "dpop");
    m2m_claims *claims = NULL;
    m2m_error *err = NULL;
    m2m_result rc = m2m_verifier_verify_http_request(
        v, json_get_str(step, "method"), json_get_str(step, "url"),
        json_get_str(step, "authorization"), dpop, scopes, &claims, &err);
    if (ok && ok->type == J_BOOL && ok->boolean) {
      if (rc != M2M_OK)
        CASE_FAIL(name, "request %zu: %s: %s (reason %s)", i, m2m_result_name(rc),
                  m2m_error_message(err), m2m_error_reason(err));
      else
        failed |= check_claims(name, claims, json_get(expect, "claims"));
    } else {
      refused += json_get_str(expect, "reason") != NULL;
      if (rc == M2M_OK) CASE_FAIL(name, "request %zu: verified, expected a failure", i);
      else failed |= check_failure(name, rc, err, expect, token);
      /* Nor the proof's signature (nor its private jwk member). */
      const char *dot = dpop ? strrchr(dpop, '.') : NULL;
      if (rc != M2M_OK && dot && strlen(dot) > 16 && strstr(m2m_error_message(err), dot + 1))
        CASE_FAIL(name, "request %zu: the error message holds the proof", i);
      if (claims) CASE_FAIL(name, "claims written on failure");
    }
    m2m_claims_free(claims);
    m2m_error_free(err);
    free(scopes);
  }
  m2m_verifier_counters *counters = NULL;
  if (m2m_verifier_stats(v, &counters) != M2M_OK ||
      m2m_verifier_counters_failures(counters) != refused)
    CASE_FAIL(name, "failures counted: %llu, expected %zu",
              (unsigned long long)m2m_verifier_counters_failures(counters), refused);
  m2m_verifier_counters_free(counters);
  return failed;
}

/* Runs one case; 1 on a failure. */
static int run_case(const jval *c) {
  const char *name = json_get_str(c, "name");
  const jval *expect = json_get(c, "expect");
  const jval *jwks = json_get(c, "jwks") ? json_get(c, "jwks") : json_get(vectors, "jwks");
  const char *token = json_get_str(c, "token");
  const jval *ok = json_get(expect, "ok");
  int failed = 0, want_ok = ok && ok->type == J_BOOL && ok->boolean;
  m2m_verifier_options *o = case_options(name, json_get(c, "options"), jwks);
  if (!o) return 1;
  m2m_verifier *v = NULL;
  m2m_error *err = NULL;
  m2m_result rc = m2m_verifier_new(o, &v, &err);
  m2m_verifier_options_free(o);
  const char *code = json_get_str(expect, "code");
  if (code && !strcmp(code, "config")) {
    if (rc != M2M_CONFIG) CASE_FAIL(name, "m2m_verifier_new: %s, expected config", m2m_result_name(rc));
    if (v) CASE_FAIL(name, "a verifier was written");
    m2m_error_free(err);
    m2m_verifier_free(v);
    return failed;
  }
  if (rc != M2M_OK) {
    CASE_FAIL(name, "m2m_verifier_new: %s", m2m_error_message(err));
    m2m_error_free(err);
    return failed;
  }
  if (json_get(c, "http_requests")) {
    failed |= run_http_requests(name, v, json_get(c, "http_requests"), token);
    m2m_verifier_free(v);
    return failed;
  }
  const jval *request = json_get(c, "request");
  char *scopes = request ? joined(json_get(request, "scopes")) : NULL;
  /* Twice: the second answer may come from the verified-token cache and
   * must be the same. */
  for (int round = 0; round < 2 && !failed; round++) {
    m2m_claims *claims = NULL;
    err = NULL;
    if (request)
      rc = m2m_verifier_verify_request(v, json_get_str(request, "authorization"), scopes, &claims,
                                       &err);
    else
      rc = m2m_verifier_verify(v, token, &claims, &err);
    if (want_ok) {
      if (rc != M2M_OK)
        CASE_FAIL(name, "round %d: %s: %s (reason %s)", round, m2m_result_name(rc),
                  m2m_error_message(err), m2m_error_reason(err));
      else
        failed |= check_claims(name, claims, json_get(expect, "claims"));
    } else {
      if (rc == M2M_OK) CASE_FAIL(name, "round %d: verified, expected a failure", round);
      else failed |= check_failure(name, rc, err, expect, token);
      if (claims) CASE_FAIL(name, "claims written on failure");
    }
    m2m_claims_free(claims);
    m2m_error_free(err);
  }
  free(scopes);
  m2m_verifier_free(v);
  return failed;
}

static void every_vector_case(void) {
  const jval *cases = json_get(vectors, "cases");
  CHECK(cases && cases->type == J_ARR && cases->len >= 144);
  size_t failures = 0, n = cases ? cases->len : 0;
  for (size_t i = 0; i < n; i++) failures += (size_t)run_case(&cases->items[i]);
  printf("  vectors: %zu cases, %zu failed\n", n, failures);
}

m2m_verifier *tv_vectors_verifier(void) {
  m2m_verifier_options *o = NULL;
  m2m_verifier *v = NULL;
  m2m_error *err = NULL;
  m2m_verifier_options_new(&o);
  m2m_verifier_options_set_issuer(o, json_get_str(vectors, "issuer"));
  m2m_verifier_options_add_audience(o, json_get_str(vectors, "audience"));
  char *jwks = json_raw_dup(json_get(vectors, "jwks"));
  m2m_verifier_options_set_jwks(o, jwks);
  free(jwks);
  if (m2m_verifier_new(o, &v, &err) != M2M_OK)
    t_fail(__FILE__, __LINE__, "m2m_verifier_new: %s", m2m_error_message(err));
  m2m_error_free(err);
  m2m_verifier_options_free(o);
  return v;
}

const char *tv_case_token(const char *name) {
  const jval *cases = json_get(vectors, "cases");
  for (size_t i = 0; cases && i < cases->len; i++)
    if (!strcmp(json_get_str(&cases->items[i], "name"), name))
      return json_get_str(&cases->items[i], "token");
  t_fail(__FILE__, __LINE__, "no case %s", name);
  return "";
}

const char *tv_valid_token(void) { return tv_case_token("valid-rs256"); }

void tv_check_challenge(const m2m_error *err, int status, const char *needle) {
  uint16_t got = 0;
  const char *header = "unset";
  CHECK_EQ_INT(m2m_challenge(err, NULL, &got, &header), M2M_OK);
  CHECK_EQ_INT(got, status);
  if (needle) {
    CHECK(header && strstr(header, needle));
    if (header && !strstr(header, needle)) fprintf(stderr, "  header: %s\n", header);
  } else {
    CHECK(header == NULL);
  }
}

int main(int argc, char **argv) {
  t_select(argc, argv);
  char *text = t_read_file(VECTORS_PATH);
  char err[256] = "";
  jval *root = text ? json_parse(text, err, sizeof err) : NULL;
  if (!root) {
    fprintf(stderr, "cannot read %s: %s\n", VECTORS_PATH, text ? err : "no such file");
    free(text);
    return 1;
  }
  vectors = root;
  RUN(every_vector_case);
  RUN(challenges_follow_rfc_6750);
  RUN(every_option_setter_takes_a_valid_value);
  RUN(null_arguments_are_errors_never_crashes);
  RUN(invalid_utf8_is_a_typed_error);
  RUN(huge_tokens_are_too_large);
  RUN(dpop_options_are_checked_when_built);
  RUN(dpop_null_arguments_are_errors);
  RUN(dpop_request_bytes_are_judged_not_rejected);
  RUN(dev_server_token_verifies_through_its_jwks);
  RUN(dev_server_token_verifies_through_discovery);
  RUN(concurrent_verifications_fetch_the_jwks_once);
  RUN(an_unreachable_jwks_is_a_transport_error_and_503);
  json_free(root);
  free(text);
  return t_summary("test_verifier");
}
