package dev.m2mauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * java/README.md's examples are java/examples/*.java verbatim (each after its
 * marker), and each runs with the {@code java} launcher (source-file mode,
 * this module's classes on the class path) against the dev server.
 */
class QuickstartTest {
  private static final Path JAVA_DIR = DevServer.root().resolve("java");

  /** The first java block after {@code marker} in java/README.md. */
  private static String readmeBlock(String marker) throws IOException {
    List<String> lines = Files.readAllLines(JAVA_DIR.resolve("README.md"));
    StringBuilder b = new StringBuilder();
    boolean on = false;
    boolean inside = false;
    for (String line : lines) {
      if (line.startsWith("<!-- " + marker)) on = true;
      else if (on && !inside && line.equals("```java")) inside = true;
      else if (inside && line.equals("```")) return b.toString();
      else if (inside) b.append(line).append('\n');
    }
    throw new AssertionError("no java block after " + marker);
  }

  /** Runs examples/NAME.java with {@code env}; its output (exit status 0 required). */
  private static String run(String name, Map<String, String> env) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED"));
    String lib = System.getProperty("m2m.auth.library");
    if (lib != null && !lib.isBlank()) cmd.add("-Dm2m.auth.library=" + lib);
    String libPath = System.getProperty("java.library.path");
    if (libPath != null) cmd.add("-Djava.library.path=" + libPath);
    cmd.addAll(List.of("-cp", JAVA_DIR.resolve("target/classes").toString(),
        JAVA_DIR.resolve("examples/" + name + ".java").toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("M2M_AUTH_") && !k.equals("M2M_AUTH_LIBRARY"));
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), name + " did not finish");
    assertEquals(0, p.exitValue(), name + " failed:\n" + out);
    return out;
  }

  @Test
  void readmeQuickstartIsTheExampleAndRuns() throws Exception {
    assertEquals(Files.readString(JAVA_DIR.resolve("examples/Quickstart.java")), readmeBlock("java-quickstart"));
    try (DevServer server = Servers.start()) {
      String out = run("Quickstart", Map.of("AUTH0_DOMAIN", server.url, "AUTH0_CLIENT_ID", Servers.CLIENT_ID,
          "AUTH0_CLIENT_SECRET", Servers.SECRET, "API_AUDIENCE", "https://api.example.com", "API_URL", server.apiUrl,
          "no_proxy", "127.0.0.1", "NO_PROXY", "127.0.0.1"));
      System.out.print("quickstart: " + out);
      assertTrue(out.matches("(?s)Bearer token, expires in 3[56]\\d\\d s\\nAPI answered 200: \\{.*\"ok\":true.*"), out);
      assertFalse(out.contains(Servers.SECRET));
      assertEquals(1, server.tokenRequests());
      assertEquals(1, server.apiRequests());
    }
  }

  @Test
  void readmeHttpClientExampleIsTheExampleAndRuns() throws Exception {
    assertEquals(Files.readString(JAVA_DIR.resolve("examples/CallApi.java")), readmeBlock("java-call-api"));
    try (DevServer server = Servers.start()) {
      String out = run("CallApi", Map.of("M2M_AUTH_TOKEN_URL", server.tokenUrl, "M2M_AUTH_CLIENT_ID", Servers.CLIENT_ID,
          "M2M_AUTH_CLIENT_SECRET", Servers.SECRET, "M2M_AUTH_AUDIENCE", "https://api.example.com",
          "M2M_AUTH_NO_PROXY", "true", "API_URL", server.apiUrl));
      System.out.print("call-api example: " + out);
      assertEquals(2, out.split("API answered 200").length - 1, out);
      assertTrue(out.contains("token requests made: 1"), out);
      assertEquals(1, server.tokenRequests(), "the second call used the cached token");
      assertEquals(2, server.apiRequests());
    }
  }
}
