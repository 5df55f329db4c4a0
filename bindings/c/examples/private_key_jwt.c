/* Call your API using the Client Credentials Flow, authenticating with a
 * private key (private_key_jwt) instead of a client secret: request a token
 * for your API's audience, then call the API with "authorization: Bearer
 * <token>" (here through m2m_client_call_api, which adds the header).
 * Build: cc -std=c11 private_key_jwt.c $(pkg-config --cflags --libs m2m_auth) */
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>

static const char *env(const char *name) {
  const char *value = getenv(name);
  if (!value) {
    fprintf(stderr, "set %s\n", name);
    exit(2);
  }
  return value;
}

int main(void) {
  /* Your Auth0 application's domain and client id, the private key whose
   * public half you registered with it, and your API's identifier. No
   * secret: each token request carries a new assertion signed with the key. */
  m2m_client_options *options = NULL;
  m2m_client *client = NULL;
  m2m_token *token = NULL;
  m2m_api_response *response = NULL;
  m2m_error *err = NULL;
  m2m_client_options_new(&options);
  m2m_client_options_set_domain(options, env("AUTH0_DOMAIN")); /* your-tenant.us.auth0.com */
  m2m_client_options_set_client_id(options, env("AUTH0_CLIENT_ID"));
  m2m_client_options_set_private_key_file(options, env("AUTH0_PRIVATE_KEY_FILE")); /* PEM */
  m2m_client_options_set_key_id(options, env("AUTH0_KEY_ID")); /* the credential's kid */
  m2m_client_options_set_signing_alg(options, "RS256"); /* the credential's algorithm */
  m2m_client_options_set_audience(options, env("API_AUDIENCE")); /* https://quickstarts/api */
  m2m_result rc = m2m_client_new(options, &client, &err);
  m2m_client_options_free(options);

  /* 1. Request a token (cached and refreshed for you from then on). */
  if (rc == M2M_OK) rc = m2m_client_get_token(client, NULL, &token, &err);
  if (rc == M2M_OK) {
    const char *type;
    uint64_t expires_in_ms;
    m2m_token_token_type(token, &type);
    m2m_token_expires_in(token, &expires_in_ms);
    printf("%s token, expires in %llu s\n", type, (unsigned long long)(expires_in_ms / 1000));
    m2m_token_free(token);

    /* 2. Call your API with it: "authorization: Bearer <token>" (renewed
     * once if the API answers 401). */
    rc = m2m_client_call_api(client, NULL, "GET", env("API_URL"), NULL, 0, NULL, 0, &response, &err);
  }
  if (rc != M2M_OK) {
    fprintf(stderr, "m2m-auth: %s\n", m2m_error_message(err)); /* never holds the key */
    m2m_error_free(err);
    m2m_client_free(client);
    return 1;
  }
  uint16_t status = 0;
  const uint8_t *body;
  size_t len;
  m2m_api_response_status(response, &status);
  m2m_api_response_body(response, &body, &len);
  printf("API answered %u: %s\n", (unsigned)status, (const char *)body);
  m2m_api_response_free(response);
  m2m_client_free(client);
  return status == 200 ? 0 : 1;
}
