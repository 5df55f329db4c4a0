/* What the parts of test_client share (tests/c/test_client.c is the program
 * and runs every test; tests/c/test_client/ holds the other parts): the dev
 * server, the client under test and its secret, and the tests each part
 * defines. */
#ifndef M2M_TEST_CLIENT_H
#define M2M_TEST_CLIENT_H

#include <m2m_auth.h>

#include "support/clients.h"
#include "support/testlib.h"

#define CLIENT_ID "c-client"
#define SECRET "c-secret+/&=%"
#define SECRET_FORM "c-secret%2B%2F%26%3D%25"
/* How the dev server records SECRET (devserver/PROTOCOL.md): "sha256:" and
 * the first 16 hex digits of the SHA-256 of SECRET. */
#define SECRET_FINGERPRINT "sha256:a7bc9d78523e29a1"

/* The dev server of the run (started by main). */
extern devserver srv;

/* A client of CLIENT_ID / SECRET for `audience` (NULL: none). */
m2m_client *client_for(const char *audience);
/* Fails a check if a text field of `err` shows the secret. */
void check_no_secret(const m2m_error *err);

/* errors.c */
void oauth_errors_carry_their_fields_and_no_secret(void);
void http_errors_then_throttling(void);
void invalid_responses_and_timeouts(void);
void call_api_renews_the_token_once_on_401(void);
/* private_key.c */
void private_key_jwt_from_a_key_file(void);
/* key_canary.c */
void keys_and_assertions_never_show_at_trace(void);
/* provider.c */
void a_provider_callback_supplies_every_attempt(void);
void a_failing_provider_callback_is_a_config_error_and_no_request(void);
/* mtls.c */
void mutual_tls_with_certificate_files(void);
/* redis_tls.c */
void rediss_with_ca_certs_shares_one_token(void);
/* threads.c */
void sixty_four_threads_on_a_cold_cache_make_one_request(void);
void threads_share_one_client_on_the_fast_path(void);
void a_token_handle_can_move_between_threads(void);

#endif
