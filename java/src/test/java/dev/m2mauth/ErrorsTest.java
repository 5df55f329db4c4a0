package dev.m2mauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * One exception class per error code, with the C error's fields; and no secret
 * (client secret, access token) in any exception's message, field or
 * toString, nor in the toString of options, requests, tokens, headers or the
 * client.
 */
class ErrorsTest {
  /** Runs {@code call}, expects {@code type} with {@code code}, and checks it shows no secret. */
  private static <T extends M2mAuthException> T expect(Class<T> type, String code, Executable call) {
    T e = assertThrows(type, call);
    assertEquals(code, e.code());
    assertNoSecret(e);
    return e;
  }

  static void assertNoSecret(M2mAuthException e) {
    String encoded = URLEncoder.encode(Servers.SECRET, StandardCharsets.UTF_8);
    for (String text : Checks.texts(e)) {
      assertFalse(text.contains(Servers.SECRET) || text.contains(encoded), "the secret appears in " + e.getClass());
    }
    assertFalse(e.getMessage().isEmpty());
  }

  @Test
  void config() {
    ConfigException e = expect(ConfigException.class, "config", () -> M2mClient.create(ClientOptions.builder()
        .tokenUrl("http://127.0.0.1:1/oauth/token").clientId("x").clientSecret(Servers.SECRET).authMethod("nope").build()));
    assertTrue(e.getMessage().contains("auth_method"), e.getMessage());
    // https only, http on loopback only
    expect(ConfigException.class, "config", () -> M2mClient.create(ClientOptions.builder()
        .tokenUrl("http://auth.example.com/oauth/token").clientId("x").clientSecret(Servers.SECRET).build()));
    // an unknown option by name, and a value that does not parse
    expect(ConfigException.class, "config", () -> M2mClient.create(ClientOptions.builder().set("no_such_option", "1").build()));
    expect(ConfigException.class, "config", () -> M2mClient.create(ClientOptions.builder().set("timeout", Servers.SECRET).build()));
  }

  @Test
  void oauthHttpInvalidResponseThrottled() throws Exception {
    try (DevServer server = Servers.start()) {
      try (M2mClient wrong = M2mClient.create(Servers.options(server).clientSecret(Servers.SECRET + "x").build())) {
        OAuthException e = expect(OAuthException.class, "oauth", wrong::token);
        assertEquals("invalid_client", e.error());
        assertEquals(401, e.status());
      }
      try (M2mClient client = M2mClient.create(Servers.options(server).maxAttempts(1).build())) {
        server.faults(null, JsonParser.parseString("[{\"status\": 403, \"body\": \"forbidden\"}]"), false);
        HttpException h = expect(HttpException.class, "http", client::token);
        assertEquals(403, h.status());
        assertEquals("forbidden", h.body());
        server.faults(null, JsonParser.parseString("[{\"status\": 200, \"body\": \"not json\"}]"), false);
        expect(InvalidResponseException.class, "invalid_response", client::token);
        server.faults(null, JsonParser.parseString("[{\"status\": 429, \"headers\": {\"Retry-After\": \"30\"}}]"), false);
        expect(HttpException.class, "http", client::token);
        ThrottledException t = expect(ThrottledException.class, "throttled", client::token);
        assertNotNull(t.retryAfter());
        assertTrue(t.retryAfter().compareTo(Duration.ofSeconds(31)) <= 0, t.retryAfter().toString());
        assertTrue(client.stats().throttles() >= 1);
      }
    }
  }

  @Test
  void transport() throws Exception {
    String url;
    try (DevServer server = Servers.start()) {
      url = server.tokenUrl;
    }
    try (M2mClient client = M2mClient.create(ClientOptions.builder().tokenUrl(url).clientId("x")
        .clientSecret(Servers.SECRET).noProxy(true).maxAttempts(1).build())) {
      TransportException e = expect(TransportException.class, "transport", client::token);
      assertEquals("connect", e.kind());
    }
  }

  @Test
  void cache() throws Exception {
    try (DevServer server = Servers.start(); M2mClient client = M2mClient.create(Servers.options(server)
        .cache("redis://127.0.0.1:9").cacheStrict(true).storeTimeout(Duration.ofMillis(300)).maxAttempts(1).build())) {
      expect(CacheException.class, "cache", client::token);
    }
  }

  @Test
  void nothingPrintsASecret() throws Exception {
    ClientOptions options;
    try (DevServer server = Servers.start()) {
      options = Servers.options(server).privateKey("-----BEGIN PRIVATE KEY-----").build();
      assertFalse(options.toString().contains(Servers.SECRET), options.toString());
      assertTrue(options.toString().contains("client_secret"), options.toString());
      try (M2mClient client = M2mClient.create(Servers.options(server).build()); Token token = client.token()) {
        String at = token.accessToken();
        for (String text : new String[] {token.toString(), client.toString(),
            client.requestHeaders("GET", server.apiUrl, token).toString(),
            new M2mHttpClient(client, java.net.http.HttpClient.newHttpClient()).toString(),
            TokenRequest.builder().audience("a").extra("k", Servers.SECRET).build().toString()}) {
          assertFalse(text.contains(at) || text.contains(Servers.SECRET), text);
        }
        assertEquals("Bearer " + at, token.authorizationHeader());
        assertEquals("Bearer " + at, client.requestHeaders("GET", server.apiUrl, token).authorization());
      }
    }
  }

  @Test
  void handlesCloseOnceAndRefuseUseAfterClose() throws Exception {
    try (DevServer server = Servers.start()) {
      M2mClient client = M2mClient.create(Servers.options(server).build());
      Token token = client.token();
      token.close();
      token.close();
      assertThrows(IllegalStateException.class, () -> client.requestHeaders("GET", server.apiUrl, token));
      assertTrue(token.fingerprint() != null, "the fields stay readable");
      client.close();
      client.close();
      assertThrows(IllegalStateException.class, client::token);
      assertEquals("M2mClient[closed]", client.toString());
    }
  }

  @Test
  void tokenFieldsStatsAndRequests() throws Exception {
    try (DevServer server = Servers.start();
        M2mClient client = M2mClient.create(Servers.options(server).set("timeout", "5").scope("read:data").build())) {
      try (Token t = client.token()) {
        assertEquals("Bearer", t.tokenType());
        assertTrue(t.expiresIn().toSeconds() > 3500, t.expiresIn().toString());
        assertTrue(t.refreshAt().isBefore(t.expiresAt()));
        assertEquals("read:data", t.scope());
        assertTrue(t.extra().startsWith("{"), t.extra());
      }
      try (Token t = client.token(TokenRequest.builder().audience("https://other.example.com").build())) {
        assertEquals("Bearer", t.tokenType());
      }
      client.invalidate(null);
      client.token().close();
      Stats s = client.stats();
      assertEquals(3, s.fetches());
      assertEquals(3, server.tokenRequests());
      assertEquals(-1, s.quotaRemaining(), "UINT64_MAX: no quota reported");
      assertEquals(Servers.CLIENT_ID, client.clientId());
      assertEquals("client_secret_post", client.authMethod());
      assertTrue(client.quota().isEmpty());
      assertTrue(M2mClient.version().matches("\\d+\\.\\d+\\.\\d+.*"));
    }
  }
}
