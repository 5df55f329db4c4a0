package dev.m2mauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Verifier} on the dev server's tokens (keys from its JWKS): claims,
 * scopes, refusals with their reason and challenge, DPoP-bound tokens with
 * their proofs (a replayed proof refused), counters; no token in an error.
 */
class VerifierTest {
  private static final String AUDIENCE = "https://api.example.com";

  private static Verifier verifier(DevServer server) {
    return Verifier.create(VerifierOptions.builder().issuer(server.issuer).audience(AUDIENCE)
        .jwksUri(server.member("jwks_uri")).timeout(Duration.ofSeconds(10)).build());
  }

  private static M2mClient demoClient(DevServer server, boolean dpop) {
    return M2mClient.create(ClientOptions.builder().tokenUrl(server.tokenUrl).clientId("demo-client")
        .clientSecret("demo-secret").audience(AUDIENCE).dpop(dpop).noProxy(true).build());
  }

  @Test
  void verifiesTheDevServersTokens() throws Exception {
    try (DevServer server = DevServer.start(null); M2mClient client = demoClient(server, false);
        Token token = client.token(); Verifier verifier = verifier(server)) {
      Claims c = verifier.verify(token.accessToken());
      assertEquals(server.issuer, c.issuer());
      assertEquals("demo-client", c.subject());
      assertEquals("demo-client", c.clientId());
      assertEquals(List.of(AUDIENCE), c.audience());
      assertTrue(c.hasScope("read:data") && c.hasScope("write:data"), c.scopes().toString());
      assertNotNull(c.jwtId());
      assertTrue(c.expiresAt().isAfter(Instant.now()));
      assertTrue(c.issuedAt().isBefore(Instant.now().plusSeconds(1)));
      assertTrue(c.json().contains("\"gty\":\"client-credentials\""), c.json());
      assertEquals("demo-client", verifier.verifyRequest(token.authorizationHeader(), "read:data").clientId());

      InsufficientScopeException scope = assertThrows(InsufficientScopeException.class,
          () -> verifier.verifyRequest(token.authorizationHeader(), "admin"));
      assertEquals("insufficient_scope", scope.code());
      assertEquals("admin", scope.requiredScope());
      assertEquals(403, scope.challenge().status());
      assertTrue(scope.challenge().wwwAuthenticate().contains("insufficient_scope"), scope.challenge().toString());

      String forged = token.accessToken().substring(0, token.accessToken().length() - 4) + "AAAA";
      InvalidTokenException bad = assertThrows(InvalidTokenException.class, () -> verifier.verify(forged));
      assertNotNull(bad.reason());
      assertEquals(401, bad.challenge().status());
      assertTrue(bad.challenge().wwwAuthenticate().startsWith("Bearer"), bad.challenge().wwwAuthenticate());
      for (String text : Checks.texts(bad)) assertFalse(text.contains(forged) || text.contains(token.accessToken()));

      InvalidTokenException missing = assertThrows(InvalidTokenException.class, () -> verifier.verifyRequest(null, null));
      assertEquals("missing", missing.reason());
      assertEquals(401, missing.challenge().status());

      VerifierStats s = verifier.stats();
      assertEquals(3, s.verified(), "the insufficient_scope token verified too");
      assertEquals(1, s.jwksFetches());
      assertTrue(s.failures() >= 2, s.toString());
      assertNull(verifier.dpopNonce(), "no nonce mode");
    }
  }

  @Test
  void dpopBoundTokensWithTheirProofs() throws Exception {
    try (DevServer server = DevServer.start(null); M2mClient client = demoClient(server, true);
        Token token = client.token(); Verifier verifier = verifier(server)) {
      assertEquals("DPoP", token.tokenType());
      assertNotNull(client.dpopThumbprint());
      String url = server.apiUrl;
      RequestHeaders h = client.requestHeaders("GET", url, token);
      assertTrue(h.authorization().startsWith("DPoP "));
      assertNotNull(h.dpop());
      Claims c = verifier.verifyHttpRequest("GET", url, h.authorization(), h.dpop(), "read:data");
      assertEquals("demo-client", c.clientId());
      InvalidTokenException replay = assertThrows(InvalidTokenException.class,
          () -> verifier.verifyHttpRequest("GET", url, h.authorization(), h.dpop(), null));
      assertEquals("dpop_replay", replay.reason());
      assertTrue(replay.challenge().wwwAuthenticate().startsWith("DPoP"), replay.challenge().toString());
      // Without its proof, the bound token is refused.
      assertThrows(InvalidTokenException.class, () -> verifier.verifyHttpRequest("GET", url, h.authorization(), null, null));
    }
  }

  @Test
  void badOptionsAreConfigErrors() {
    assertThrows(ConfigException.class, () -> Verifier.create(VerifierOptions.builder().audience(AUDIENCE).build()));
    assertThrows(ConfigException.class, () -> Verifier.create(VerifierOptions.builder().issuer("https://i.example/")
        .audience(AUDIENCE).algorithms("none").build()));
    assertThrows(ConfigException.class, () -> Verifier.create(VerifierOptions.builder().set("no_such", "1").build()));
    Verifier v = Verifier.create(VerifierOptions.builder().issuer("https://i.example/").audience(AUDIENCE)
        .set("leeway", "30").build());
    v.close();
    v.close();
    assertThrows(IllegalStateException.class, () -> v.verify("x"));
  }
}
