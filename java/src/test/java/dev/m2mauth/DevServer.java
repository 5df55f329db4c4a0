package dev.m2mauth;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The dev/fault authorization server (devserver/PROTOCOL.md) as a child
 * process: started with {@code --exit-on-stdin-eof} (it dies with the test
 * JVM), its first stdout line read for the URLs and the control token, and
 * its control API (faults, stats, recorded requests).
 */
final class DevServer implements AutoCloseable {
  static final HttpClient CONTROL = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY)
      .connectTimeout(Duration.ofSeconds(5)).build();

  final Process process;
  final JsonObject info;
  final String url;
  final String tokenUrl;
  final String issuer;
  final String apiUrl;
  final String controlUrl;
  final int port;
  private final String controlToken;
  private final Path clientsFile;

  private DevServer(Process process, JsonObject info, Path clientsFile) {
    this.process = process;
    this.info = info;
    this.clientsFile = clientsFile;
    url = info.get("url").getAsString();
    tokenUrl = info.get("token_url").getAsString();
    issuer = info.get("issuer").getAsString();
    apiUrl = info.get("api_url").getAsString();
    controlUrl = info.get("control_url").getAsString();
    controlToken = info.get("control_token").getAsString();
    port = URI.create(url).getPort();
  }

  /** The repository root (system property m2m.auth.root; else the parent of the working directory). */
  static Path root() {
    String r = System.getProperty("m2m.auth.root");
    return (r == null || r.isBlank() ? Path.of("..") : Path.of(r)).toAbsolutePath().normalize();
  }

  /** The dev server binary: m2m.auth.devserver, M2M_AUTH_DEVSERVER, else target/debug/m2m-auth-devserver. */
  static String binary() {
    String b = System.getProperty("m2m.auth.devserver");
    if (b == null || b.isBlank()) b = System.getenv("M2M_AUTH_DEVSERVER");
    if (b == null || b.isBlank()) b = root().resolve("target/debug/m2m-auth-devserver").toString();
    return b;
  }

  /** Starts one with {@code clientsJson} (a clients file; null: the defaults) and extra arguments. */
  static DevServer start(String clientsJson, String... extra) throws IOException {
    Path file = null;
    List<String> cmd = new ArrayList<>(List.of(binary(), "--exit-on-stdin-eof"));
    if (clientsJson != null) {
      file = Files.createTempFile("m2m-java-clients-", ".json");
      Files.writeString(file, clientsJson);
      cmd.add("--clients");
      cmd.add(file.toString());
    }
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).directory(root().toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    try {
      line = CompletableFuture.supplyAsync(() -> {
        try {
          return out.readLine();
        } catch (IOException e) {
          return null;
        }
      }).get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      line = null;
    }
    if (line == null || !line.startsWith("{")) {
      p.destroyForcibly();
      if (file != null) Files.deleteIfExists(file);
      throw new IOException("the dev server did not start (exit " + (p.isAlive() ? "-" : p.exitValue()) + ")");
    }
    return new DevServer(p, JsonParser.parseString(line).getAsJsonObject(), file);
  }

  /** A string member of the first line (e.g. mtls_token_url, tls_ca_pem), or null. */
  String member(String name) {
    JsonElement e = info.get(name);
    return e == null || e.isJsonNull() ? null : e.getAsString();
  }

  private JsonElement control(String method, String path, String body) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(controlUrl + path)).timeout(Duration.ofSeconds(10))
          .header("Authorization", "Bearer " + controlToken).header("Content-Type", "application/json");
      b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
      HttpResponse<String> r = CONTROL.send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) throw new IllegalStateException("control " + method + " " + path + ": " + r.statusCode() + " " + r.body());
      return JsonParser.parseString(r.body());
    } catch (IOException e) {
      throw new IllegalStateException("control " + method + " " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Sets a fault script ({@code target} null: the token endpoint; "api": /api). */
  void faults(String target, JsonElement steps, boolean repeatLast) {
    JsonObject body = new JsonObject();
    body.add("steps", steps);
    body.addProperty("repeat_last", repeatLast);
    control("POST", "/faults" + (target == null ? "" : "?target=" + target), body.toString());
  }

  /** Clears a fault script. */
  void clearFaults(String target) {
    control("DELETE", "/faults" + (target == null ? "" : "?target=" + target), null);
  }

  /** POST /_control/dpop. */
  void dpop(JsonElement body) {
    control("POST", "/dpop", body.toString());
  }

  /** GET /_control/stats. */
  JsonObject stats() {
    return control("GET", "/stats", null).getAsJsonObject();
  }

  /** Token requests seen so far. */
  long tokenRequests() {
    return stats().get("token_requests").getAsLong();
  }

  /** /api requests seen so far. */
  long apiRequests() {
    return stats().get("api_requests").getAsLong();
  }

  /** Every recorded token request. */
  List<JsonObject> requests() {
    List<JsonObject> list = new ArrayList<>();
    control("GET", "/requests", null).getAsJsonArray().forEach(e -> list.add(e.getAsJsonObject()));
    return list;
  }

  /** Stops it and waits (at most 2 s) until its port refuses connections. */
  @Override
  public void close() throws IOException {
    try {
      process.getOutputStream().close();
    } catch (IOException ignored) {
      // already closed
    }
    try {
      if (!process.waitFor(3, TimeUnit.SECONDS)) {
        process.destroy();
        if (!process.waitFor(2, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    long deadline = System.nanoTime() + 2_000_000_000L;
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      } catch (IOException refused) {
        break;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (clientsFile != null) Files.deleteIfExists(clientsFile);
  }
}
