/* What the parts of test_interop share (tests/c/test_interop.c is the
 * program: it starts oidc-provider and runs every test; tests/c/test_interop/
 * holds the other parts): the server's start line, tests/interop/clients.json,
 * helpers, and the tests each part defines. */
#ifndef M2M_TEST_INTEROP_H
#define M2M_TEST_INTEROP_H

#include "support/json.h"

/* From oidc-provider's start line (tests/interop/README.md): the http
 * issuer and token endpoint, the https (mutual TLS) token endpoint, the CA
 * of its certificate, and tests/mtls/ (clients.json's `*_file` names are
 * relative to it). */
extern char issuer[128], token_endpoint[160], mtls_token_endpoint[160];
extern char ca_file[512], certs_dir[512];
/* tests/interop/clients.json. */
extern jval *clients;

/* Segment `n` of a compact JWS (0: JOSE header, 1: claims), base64url
 * decoded and NUL-terminated (malloc'd), or NULL. */
char *jwt_segment(const char *token, int n);

/* mtls.c: oidc-provider's mutual TLS listener (RFC 8705). */
void mtls_tls_client_auth_with_each_key_and_the_chain_through_discovery(void);
void mtls_self_signed_tls_client_auth_with_each_key_through_discovery(void);
void mtls_refused_certificates_are_oauth_invalid_client(void);
void mtls_three_fetches_in_a_row_on_one_tls_client(void);

/* dpop.c: DPoP-bound tokens (RFC 9449), with and without nonces. */
void dpop_tokens_are_bound_to_the_key_with_and_without_nonces(void);

#endif
