/* What the parts of test_abi share (tests/c/test_abi.c is the program and
 * runs every test; tests/c/test_abi/ holds the other parts): the secret of
 * its clients, the out-parameter sentinel, EXPECT_FAIL, the options helpers,
 * and the tests each part defines. */
#ifndef M2M_TEST_ABI_H
#define M2M_TEST_ABI_H

#include <m2m_auth.h>

#include "support/testlib.h"

#define SECRET "s3cr3t+Value/&=%"
#define SECRET_FORM "s3cr3t%2BValue%2F%26%3D%25"
/* A sentinel an out-parameter must keep when a call fails. */
extern char SENTINEL_OBJ;
#define SENTINEL ((void *)&SENTINEL_OBJ)

/* Expects `call` to fail with `code`, leave `*out` alone, and (via err)
 * name `arg` without echoing any value. */
#define EXPECT_FAIL(code, call)                                                      \
  do {                                                                               \
    m2m_result r_ = (call);                                                          \
    if (r_ != (code))                                                                \
      t_fail(__FILE__, __LINE__, "%s returned %s, expected %s", #call,               \
             m2m_result_name(r_), m2m_result_name(code));                            \
  } while (0)

/* Fails a check if a text field of `err` shows the secret. */
void check_no_secret(const m2m_error *err);
/* Options with a token URL nothing listens on (127.0.0.1:9), "id", SECRET. */
m2m_client_options *base_options(void);
/* Builds a client from `o` (then frees `o`); expects M2M_CONFIG with
 * `needle` in the message. */
void expect_config(m2m_client_options *o, const char *needle, int line);

/* null_arguments.c */
void null_arguments_are_errors(void);
/* invalid_utf8.c */
void invalid_utf8_is_an_error(void);
/* options.c */
void bad_options_are_config_errors_before_io(void);
void options_are_reusable_and_copied(void);
void from_env_reads_m2m_auth_variables(void);
void options_and_parameters_by_name(void);

#endif
