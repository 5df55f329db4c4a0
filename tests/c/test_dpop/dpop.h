/* What the parts of test_dpop share (tests/c/test_dpop.c is the program and
 * runs every test; tests/c/test_dpop/ holds the other parts): the dev
 * server, DPoP clients, the independent proof reader (jose.c, OpenSSL's
 * libcrypto only) and the tests each part defines. */
#ifndef M2M_TEST_DPOP_H
#define M2M_TEST_DPOP_H

#include <m2m_auth.h>
#include <stddef.h>

#include "support/clients.h"
#include "support/testlib.h"

#define CLIENT_ID "dpop-client"
#define SECRET "dpop-secret"

/* The dev server of the run (started by main). */
extern devserver srv;

/* A DPoP client of CLIENT_ID for a fresh audience; `key` (PEM or JWK text)
 * NULL for a generated key. */
m2m_client *dpop_client(const char *key);
/* The content of a file of the repository (malloc'd), or NULL. */
char *read_text(const char *path);

/* ---- jose.c: a DPoP proof read with libcrypto alone ------------------------ */

/* A compact JWS taken apart: its header and payload parsed, its signature
 * checked with the public key of its own `jwk` header. */
typedef struct {
  char *header_text, *payload_text; /* the decoded JSON (the trees point into them) */
  jval *header, *payload;
  int signature_ok;
  char jwk_thumbprint[64]; /* RFC 7638, computed here from `jwk` */
} jws;

/* Reads `compact`: 0 when it is a JWS whose header has a `jwk` of a kind
 * known here (EC P-256/P-384, OKP Ed25519, RSA), else -1 with a reason in
 * `why`. `signature_ok` says whether the signature verifies. Free with
 * jws_free. */
int jws_read(const char *compact, jws *out, char *why, size_t why_len);
void jws_free(jws *j);
/* base64url (no padding) of `len` bytes, malloc'd. */
char *b64url(const unsigned char *data, size_t len);
/* base64url of the SHA-256 of `text` (DPoP's `ath`), malloc'd. */
char *sha256_b64url(const char *text);
/* The payload of a JWT (an access token) parsed, or NULL; its text goes to
 * `*text_out` (free it after the tree). */
jval *jwt_payload(const char *jwt, char **text_out);

/* ---- the tests ----------------------------------------------------------------- */

/* proofs.c */
void tokens_are_bound_to_the_clients_key(void);
void proofs_pass_an_independent_check(void);
void dpop_response_names_the_one_retry(void);
void with_dpop_off_there_is_no_proof(void);
/* headers.c */
void request_headers_for_each_token(void);
/* nonce.c */
void the_token_endpoint_nonce_costs_one_more_request(void);
void the_api_nonce_through_call_api(void);
void the_api_nonce_by_hand(void);
/* canary.c */
void the_dpop_key_never_shows_at_trace(void);

#endif
