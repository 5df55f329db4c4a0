package dev.m2mauth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** {@link M2mLogging}: the engine's records reach a Java listener, none holds the secret or the token. */
class LoggingTest {
  @Test
  void recordsReachTheListenerWithoutSecrets() throws Exception {
    List<String> records = new CopyOnWriteArrayList<>();
    M2mLogging.setListener(M2mLogging.Level.TRACE, (level, target, message) -> {
      records.add(level + " " + target + " " + message);
      throw new IllegalStateException("a listener that throws changes nothing");
    });
    String accessToken;
    try (DevServer server = Servers.start(); M2mClient client = M2mClient.create(Servers.options(server).build());
        Token token = client.token()) {
      accessToken = token.accessToken();
      server.faults(null, com.google.gson.JsonParser.parseString("[{\"status\": 503}]"), false);
      client.fetchToken(null).close();
    } finally {
      M2mLogging.setListener(M2mLogging.Level.OFF, null);
    }
    System.out.println("logging: " + records.size() + " records");
    assertTrue(records.stream().anyMatch(r -> r.contains(" m2m_auth")), records.toString());
    for (String r : records) {
      assertFalse(r.contains(Servers.SECRET) || r.contains(accessToken), "a secret in " + r);
    }
  }
}
