/* Call your API with a DPoP-bound token (RFC 9449), in C with libcurl: the
 * token is bound to a key this client holds, so a leaked token alone is
 * useless. Every request carries "authorization: DPoP <token>" and a new
 * proof, "dpop: <proof>", signed with that key. An API may ask for a nonce
 * (401, WWW-Authenticate: DPoP error="use_dpop_nonce"): the request goes
 * once more with a new proof. m2m_client_call_api does all of this too.
 * Build: cc -std=c11 dpop.c $(pkg-config --cflags --libs m2m_auth libcurl) */
#include <curl/curl.h>
#include <m2m_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *env(const char *name) {
  const char *value = getenv(name);
  if (!value) {
    fprintf(stderr, "set %s\n", name);
    exit(2);
  }
  return value;
}

/* The two response headers DPoP reads ("" when absent). */
typedef struct {
  char www_authenticate[512], dpop_nonce[256];
} answer;

static void keep(char *to, size_t cap, const char *line, size_t len, size_t name_len) {
  while (name_len < len && line[name_len] == ' ') name_len++;
  while (len > name_len && (line[len - 1] == '\r' || line[len - 1] == '\n')) len--;
  snprintf(to, cap, "%.*s", (int)(len - name_len), line + name_len);
}

static size_t on_header(char *line, size_t size, size_t n, void *user_data) {
  answer *a = user_data;
  size_t len = size * n;
  if (len > 17 && !strncasecmp(line, "www-authenticate:", 17))
    keep(a->www_authenticate, sizeof a->www_authenticate, line, len, 17);
  if (len > 11 && !strncasecmp(line, "dpop-nonce:", 11)) keep(a->dpop_nonce, sizeof a->dpop_nonce, line, len, 11);
  return len;
}

static size_t print_body(char *data, size_t size, size_t n, void *unused) {
  (void)unused;
  return fwrite(data, size, n, stdout);
}

/* One GET of `url` with `token`; the HTTP status, or -1. */
static long send_once(m2m_client *client, CURL *curl, const char *url, const m2m_token *token, answer *a) {
  /* The engine's headers for this request: Authorization ("DPoP eyJ..."),
   * and a new DPoP proof for a DPoP token (NULL for a Bearer token). */
  m2m_request_headers *h = NULL;
  if (m2m_client_request_headers(client, "GET", url, token, &h, NULL) != M2M_OK) return -1;
  const char *authorization = m2m_request_headers_authorization(h), *proof = m2m_request_headers_dpop(h);
  char *auth_line = malloc(strlen(authorization) + 32), *proof_line = NULL;
  sprintf(auth_line, "authorization: %s", authorization);
  struct curl_slist *headers = curl_slist_append(NULL, auth_line);
  if (proof) {
    proof_line = malloc(strlen(proof) + 16);
    sprintf(proof_line, "dpop: %s", proof);
    headers = curl_slist_append(headers, proof_line);
  }
  memset(a, 0, sizeof *a);
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, a);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, print_body);
  long status = -1;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  free(auth_line);
  free(proof_line);
  m2m_request_headers_free(h); /* zeroes both headers */
  return status;
}

/* GET `url` with the client's token: once more with a new proof when the API
 * asks for a nonce, then once more with a new token after a 401. */
static long call_api(m2m_client *client, CURL *curl, const char *url) {
  m2m_token *token = NULL;
  long status = -1;
  int nonce_sent = 0, renewed = 0;
  while (m2m_client_get_token(client, NULL, &token, NULL) == M2M_OK) {
    answer a;
    printf("API answered: ");
    status = send_once(client, curl, url, token, &a);
    printf("\nHTTP status %ld\n", status);
    bool retry = false; /* whether the answer asks for a nonce; remembers it either way */
    if (status > 0)
      m2m_client_dpop_response(client, url, token, (uint16_t)status, a.www_authenticate[0] ? a.www_authenticate : NULL,
                               a.dpop_nonce[0] ? a.dpop_nonce : NULL, &retry);
    if (retry && !nonce_sent) {
      nonce_sent = 1; /* the same token, a new proof with the nonce */
    } else if (status == 401 && !renewed) {
      renewed = 1; /* the API refused the token: drop it from the cache */
      const char *access_token;
      m2m_token_access_token(token, &access_token);
      m2m_client_invalidate_rejected(client, NULL, access_token, NULL);
    } else {
      break;
    }
    m2m_token_free(token);
    token = NULL;
  }
  m2m_token_free(token);
  return status;
}

int main(void) {
  /* Your Auth0 application's domain, client id and secret, and your API's
   * identifier; DPoP on (the API must accept DPoP tokens). A P-256 key is
   * generated for the client (or set your own: m2m_client_options_set_dpop_key). */
  m2m_client_options *options = NULL;
  m2m_client *client = NULL;
  m2m_token *token = NULL;
  m2m_error *err = NULL;
  m2m_client_options_new(&options);
  m2m_client_options_set_domain(options, env("AUTH0_DOMAIN")); /* your-tenant.us.auth0.com */
  m2m_client_options_set_client_id(options, env("AUTH0_CLIENT_ID"));
  m2m_client_options_set_client_secret(options, env("AUTH0_CLIENT_SECRET"));
  m2m_client_options_set_audience(options, env("API_AUDIENCE")); /* https://quickstarts/api */
  m2m_client_options_set_dpop(options, true);
  m2m_result rc = m2m_client_new(options, &client, &err);
  m2m_client_options_free(options);

  /* 1. A token bound to the client's key (cached and refreshed for you). */
  if (rc == M2M_OK) rc = m2m_client_get_token(client, NULL, &token, &err);
  if (rc != M2M_OK) {
    fprintf(stderr, "m2m-auth: %s\n", m2m_error_message(err)); /* never holds the secret or the key */
    m2m_error_free(err);
    m2m_client_free(client);
    return 1;
  }
  const char *type;
  uint64_t expires_in_ms;
  m2m_token_token_type(token, &type);
  m2m_token_expires_in(token, &expires_in_ms);
  printf("%s token, expires in %llu s\n", type, (unsigned long long)(expires_in_ms / 1000));
  printf("bound to key %s (its cnf.jkt)\n", m2m_client_dpop_thumbprint(client));
  m2m_token_free(token);

  /* 2. Call your API with it. */
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL *curl = curl_easy_init();
  long status = call_api(client, curl, env("API_URL")); /* http://localhost:3010/api/private */
  curl_easy_cleanup(curl);
  curl_global_cleanup();
  m2m_client_free(client);
  return status == 200 ? 0 : 1;
}
