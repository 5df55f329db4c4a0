/* Call your API using the Client Credentials Flow, in C: request a token for
 * your API's audience, then call the API with "authorization: Bearer <token>"
 * (here with libcurl).
 * Build: cc -std=c11 quickstart.c $(pkg-config --cflags --libs m2m_auth libcurl) */
#include <curl/curl.h>
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env(const char *name) {
  const char *value = getenv(name);
  if (!value) {
    fprintf(stderr, "set %s\n", name);
    exit(2);
  }
  return value;
}

static size_t print_body(char *data, size_t size, size_t n, void *unused) {
  (void)unused;
  return fwrite(data, size, n, stdout);
}

int main(void) {
  /* Your Auth0 application's domain, client id and secret, and your API's
   * identifier (its audience). Keep the secret out of the code. */
  m2m_client_options *options = NULL;
  m2m_client *client = NULL;
  m2m_token *token = NULL;
  m2m_error *err = NULL;
  m2m_client_options_new(&options);
  m2m_client_options_set_domain(options, env("AUTH0_DOMAIN")); /* your-tenant.us.auth0.com */
  m2m_client_options_set_client_id(options, env("AUTH0_CLIENT_ID"));
  m2m_client_options_set_client_secret(options, env("AUTH0_CLIENT_SECRET"));
  m2m_client_options_set_audience(options, env("API_AUDIENCE")); /* https://quickstarts/api */
  m2m_result rc = m2m_client_new(options, &client, &err);
  m2m_client_options_free(options);

  /* 1. Request a token (cached and refreshed for you from then on). */
  if (rc == M2M_OK) rc = m2m_client_get_token(client, NULL, &token, &err);
  if (rc != M2M_OK) {
    fprintf(stderr, "m2m-auth: %s\n", m2m_error_message(err)); /* never holds the secret */
    m2m_error_free(err);
    m2m_client_free(client);
    return 1;
  }
  const char *type, *authorization;
  uint64_t expires_in_ms;
  m2m_token_token_type(token, &type);
  m2m_token_expires_in(token, &expires_in_ms);
  printf("%s token, expires in %llu s\n", type, (unsigned long long)(expires_in_ms / 1000));

  /* 2. Call your API with it: "authorization: Bearer <token>". (After a 401,
   * m2m_client_invalidate_rejected() and ask again; m2m_client_call_api does
   * both.) */
  m2m_token_authorization_header(token, &authorization);
  char *header = malloc(strlen(authorization) + 32);
  sprintf(header, "authorization: %s", authorization);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL *curl = curl_easy_init();
  struct curl_slist *headers = curl_slist_append(NULL, header);
  headers = curl_slist_append(headers, "content-type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, env("API_URL")); /* http://localhost:3010/api/private */
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, print_body);
  printf("API answered: ");
  CURLcode res = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  printf("\nHTTP status %ld\n", status);

  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  curl_global_cleanup();
  free(header);
  m2m_token_free(token);
  m2m_client_free(client);
  return res == CURLE_OK && status == 200 ? 0 : 1;
}
