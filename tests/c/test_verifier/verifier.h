/* What the parts of test_verifier share (tests/c/test_verifier.c is the
 * program and runs every test; tests/c/test_verifier/ holds the other
 * parts): the conformance vectors, the dev server, and the tests each part
 * defines. */
#ifndef M2M_TEST_VERIFIER_H
#define M2M_TEST_VERIFIER_H

#include <m2m_auth.h>

#include "support/json.h"
#include "support/testlib.h"

/* tests/verify/vectors.json, parsed (by main); its text outlives it. */
extern const jval *vectors;

/* A verifier for the vectors' issuer and audience over their JWKS (no I/O),
 * or NULL and a failed check. */
m2m_verifier *tv_vectors_verifier(void);
/* The token of the vectors' case `name` ("" and a failed check if none). */
const char *tv_case_token(const char *name);
/* A token of the vectors that verifies (the case "valid-rs256"). */
const char *tv_valid_token(void);
/* Checks that m2m_challenge answers `status` for `err`, with a header
 * holding `needle` (NULL: no header). */
void tv_check_challenge(const m2m_error *err, int status, const char *needle);

/* devserver.c: a token from the dev server, through its JWKS */
void dev_server_token_verifies_through_its_jwks(void);
void dev_server_token_verifies_through_discovery(void);
void concurrent_verifications_fetch_the_jwks_once(void);
void an_unreachable_jwks_is_a_transport_error_and_503(void);
/* bad_input.c */
void every_option_setter_takes_a_valid_value(void);
void null_arguments_are_errors_never_crashes(void);
void invalid_utf8_is_a_typed_error(void);
void huge_tokens_are_too_large(void);
void challenges_follow_rfc_6750(void);
/* dpop_input.c */
void dpop_options_are_checked_when_built(void);
void dpop_null_arguments_are_errors(void);
void dpop_request_bytes_are_judged_not_rejected(void);

#endif
