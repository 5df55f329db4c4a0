package dev.m2mauth;

import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.time.Duration;

/** What the client tests share: a dev server with one client whose secret is a canary, and its options. */
final class Servers {
  private Servers() {}

  /** A secret that must never show (with characters that form-encoding changes). */
  static final String SECRET = "canary-S3cr3t+/= java " + Long.toHexString(System.nanoTime());
  static final String CLIENT_ID = "java-client";

  /** A dev server whose client is {@link #CLIENT_ID} / {@link #SECRET}. */
  static DevServer start() throws IOException {
    String clients = "{\"clients\": [{\"client_id\": \"" + CLIENT_ID + "\", \"client_secret\": "
        + new JsonPrimitive(SECRET) + ", \"token_lifetime\": 3600}]}";
    return DevServer.start(clients);
  }

  /** Options for {@code server}'s client: no proxy, fast retries. */
  static ClientOptions.Builder options(DevServer server) {
    return ClientOptions.builder().tokenUrl(server.tokenUrl).clientId(CLIENT_ID).clientSecret(SECRET)
        .audience("https://api.example.com").noProxy(true).retryBaseDelay(Duration.ofMillis(20));
  }
}
