package dev.m2mauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * {@link ClientAssertionProvider} through the C callback: asked for every
 * attempt (the dev server verifies each HS256 assertion and refuses a reused
 * jti); an exception fails the call with {@code config} and sends no request,
 * its message not passed on; the library releases the provider once.
 */
class AssertionProviderTest {
  private static final String ID = "java-provider";
  private static final String KEY = "a secret the assertion maker signs with, long enough";

  private static String b64(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  /** An HS256 client assertion (client_secret_jwt, RFC 7523). */
  static String assertion(String clientId, String audience) throws Exception {
    long now = System.currentTimeMillis() / 1000;
    String input = b64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + b64("{\"iss\":\"" + clientId + "\",\"sub\":\""
        + clientId + "\",\"aud\":\"" + audience + "\",\"iat\":" + now + ",\"exp\":" + (now + 60) + ",\"jti\":\""
        + UUID.randomUUID() + "\"}");
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(input.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void everyAttemptAsksTheProvider() throws Exception {
    String clients = "{\"clients\": [{\"client_id\": \"" + ID + "\", \"client_secret\": \"" + KEY
        + "\", \"auth_methods\": [\"client_secret_jwt\"], \"token_lifetime\": 3600}]}";
    int before = AssertionUpcalls.registered();
    try (DevServer server = DevServer.start(clients)) {
      List<String> asked = new CopyOnWriteArrayList<>();
      ClientAssertionProvider provider = (clientId, audience, endpoint) -> {
        asked.add(clientId + " " + audience + " " + endpoint);
        return assertion(clientId, audience);
      };
      try (M2mClient client = M2mClient.create(ClientOptions.builder().tokenUrl(server.tokenUrl).clientId(ID)
          .clientAssertionProvider(provider).audience("https://api.example.com").noProxy(true)
          .retryBaseDelay(Duration.ofMillis(10)).build())) {
        client.fetchToken(null).close();
        client.fetchToken(null).close();
        assertEquals(2, asked.size());
        assertEquals(2, server.tokenRequests());
        assertTrue(asked.get(0).startsWith(ID + " "), asked.get(0));
        assertTrue(asked.get(0).endsWith(" " + server.tokenUrl), asked.get(0));
        // A 503 then a token: the retry gets an assertion of its own (a reused jti would be refused).
        server.faults(null, com.google.gson.JsonParser.parseString("[{\"status\": 503}]"), false);
        client.fetchToken(null).close();
        assertEquals(4, asked.size());
        assertEquals(4, server.tokenRequests());
      }
      assertEquals(before, AssertionUpcalls.registered(), "the library released the provider");
    }
  }

  @Test
  void aFailingProviderIsAConfigErrorAndNoRequest() throws Exception {
    String canary = "provider-canary-" + UUID.randomUUID();
    try (DevServer server = Servers.start();
        M2mClient client = M2mClient.create(ClientOptions.builder().tokenUrl(server.tokenUrl).clientId(ID)
            .clientAssertionProvider((id, aud, url) -> {
              throw new IllegalStateException(canary);
            }).noProxy(true).build())) {
      ConfigException e = assertThrows(ConfigException.class, () -> client.fetchToken(null));
      assertTrue(e.getMessage().contains("client_assertion_provider failed"), e.getMessage());
      assertFalse(e.getMessage().contains(canary));
      assertEquals(0, server.tokenRequests());
    }
    try (DevServer server = Servers.start();
        M2mClient client = M2mClient.create(ClientOptions.builder().tokenUrl(server.tokenUrl).clientId(ID)
            .clientAssertionProvider((id, aud, url) -> null).noProxy(true).build())) {
      assertThrows(ConfigException.class, () -> client.fetchToken(null));
      assertEquals(0, server.tokenRequests());
    }
  }

  @Test
  void aClientNeverClosedIsFreedByTheCleaner() throws Exception {
    int before = AssertionUpcalls.registered();
    unclosedClient();
    assertEquals(before + 1, AssertionUpcalls.registered(), "the client holds its provider");
    // Unreachable now: the cleaner frees the native client, which releases the provider (bounded wait).
    for (int i = 0; i < 100 && AssertionUpcalls.registered() > before; i++) {
      System.gc();
      Thread.sleep(50);
    }
    assertEquals(before, AssertionUpcalls.registered(), "freed by the cleaner");
  }

  private static void unclosedClient() {
    M2mClient.create(ClientOptions.builder().tokenUrl("http://127.0.0.1:9/oauth/token").clientId(ID)
        .clientAssertionProvider((id, aud, url) -> "x").build());
  }
}
