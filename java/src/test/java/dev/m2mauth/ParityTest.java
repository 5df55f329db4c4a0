package dev.m2mauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every option, request parameter, stat, error field and token field of the
 * engine's surface (tests/surface.json) reaches Java under the same word in
 * camelCase; every client option is also settable by its surface name.
 */
class ParityTest {
  /** Surface items Java does not offer yet (none). */
  private static final Set<String> NOT_YET = Set.of();

  static String camel(String snake) {
    StringBuilder b = new StringBuilder();
    boolean up = false;
    for (char c : snake.toCharArray()) {
      if (c == '_') up = true;
      else {
        b.append(up ? Character.toUpperCase(c) : c);
        up = false;
      }
    }
    return b.toString();
  }

  private static List<String> names(String section) throws Exception {
    JsonObject surface = JsonParser.parseString(Files.readString(DevServer.root().resolve("tests/surface.json")))
        .getAsJsonObject();
    List<String> out = new ArrayList<>();
    for (JsonElement e : surface.getAsJsonArray(section)) out.add(e.getAsJsonObject().get("name").getAsString());
    return out;
  }

  private static Set<String> methods(Class<?> c) {
    return Arrays.stream(c.getMethods()).map(Method::getName).collect(Collectors.toSet());
  }

  @Test
  void clientOptions() throws Exception {
    Set<String> builder = methods(ClientOptions.Builder.class);
    List<String> missing = new ArrayList<>();
    for (String name : names("client_options")) {
      if (!NOT_YET.contains(name) && !builder.contains(camel(name))) missing.add(name);
    }
    assertEquals(List.of(), missing, "options without a ClientOptions.Builder method");
  }

  @Test
  void everyOptionBySurfaceName() throws Exception {
    JsonObject surface = JsonParser.parseString(Files.readString(DevServer.root().resolve("tests/surface.json")))
        .getAsJsonObject();
    for (JsonElement e : surface.getAsJsonArray("client_options")) {
      String name = e.getAsJsonObject().get("name").getAsString();
      String type = e.getAsJsonObject().get("type").getAsString();
      if (NOT_YET.contains(name) || type.equals("callback")) continue; // a callback has no text form
      String text = switch (type) {
        case "duration", "fraction" -> "0.5";
        case "count" -> "3";
        case "flag" -> "true";
        case "map" -> "a=b";
        default -> "x";
      };
      // set(name, text) is accepted; building may still fail on the value's meaning (not on the name).
      try {
        M2mClient.create(ClientOptions.builder().set(name, text).build()).close();
      } catch (ConfigException x) {
        assertTrue(!x.getMessage().contains("option " + name + " refused"), name + ": " + x.getMessage());
      }
    }
    ConfigException unknown = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
        () -> M2mClient.create(ClientOptions.builder().set("no_such_option", "1").build()));
    assertTrue(unknown.getMessage().contains("option no_such_option refused"), unknown.getMessage());
  }

  @Test
  void requestParameters() throws Exception {
    Set<String> builder = methods(TokenRequest.Builder.class);
    for (String name : names("request_parameters")) assertTrue(builder.contains(camel(name)), name);
  }

  @Test
  void stats() throws Exception {
    List<String> components = Arrays.stream(Stats.class.getRecordComponents()).map(RecordComponent::getName).toList();
    assertEquals(names("stats").stream().map(ParityTest::camel).toList(), components);
  }

  @Test
  void errorFields() throws Exception {
    Set<String> m = methods(M2mAuthException.class);
    for (String name : names("error_fields")) {
      String java = name.equals("message") ? "getMessage" : camel(name);
      assertTrue(m.contains(java), name);
    }
  }

  @Test
  void verifier() throws Exception {
    Set<String> builder = methods(VerifierOptions.Builder.class);
    for (String name : names("verifier_options")) assertTrue(builder.contains(camel(name)), name);
    List<String> claims = Arrays.stream(Claims.class.getRecordComponents()).map(RecordComponent::getName).toList();
    for (String name : names("claims_fields")) assertTrue(claims.contains(camel(name)), name);
    List<String> stats = Arrays.stream(VerifierStats.class.getRecordComponents()).map(RecordComponent::getName).toList();
    assertEquals(names("verifier_stats").stream().map(ParityTest::camel).toList(), stats);
  }

  @Test
  void tokenFields() throws Exception {
    Set<String> m = methods(Token.class);
    for (String name : names("token_fields")) assertTrue(m.contains(camel(name)), name);
  }
}
