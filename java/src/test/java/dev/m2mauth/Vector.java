package dev.m2mauth;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * One conformance vector (tests/conformance/FORMAT.md) run through the Java
 * API: its dev server, the client built from its {@code client} options, its
 * steps, and the checks of each outcome ({@link Checks}). Throws
 * AssertionError on the first failed expectation, naming the step.
 */
final class Vector implements AutoCloseable {
  static final HttpClient HTTP = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY)
      .connectTimeout(Duration.ofSeconds(10)).build();
  private static final Set<String> STEP_KEYS = Set.of("call", "expect", "request", "concurrency", "label", "method",
      "path", "client_override", "faults", "api_faults", "repeat_last", "clear_faults", "sleep_ms", "shutdown_server",
      "expect_requests", "expect_api_requests", "expect_request", "expect_stats", "dpop_control");
  private static final String DEFAULT_CLIENTS =
      "[{\"client_id\": \"conf-client\", \"client_secret\": \"conf-secret\", \"token_lifetime\": 3600}]";

  final JsonObject root;
  final Map<String, String> labels = new HashMap<>();
  final List<String> keyParts = new ArrayList<>();
  DevServer server;
  boolean serverUp;
  long tokenRequestsAtShutdown;
  long apiRequestsAtShutdown;
  M2mClient client;
  String secret;
  String defaultId;
  String defaultSecret;
  int step;

  Vector(JsonObject root) {
    this.root = root;
  }

  /** One outcome of a call: a token, an API status, or an exception, and its wall time. */
  record Outcome(String call, Token token, Integer status, M2mAuthException error, double elapsedMs) {}

  /** Starts the server on {@code port} (or the next ones), then runs every step. */
  void run(int port) throws Exception {
    JsonObject srv = root.has("server") ? root.getAsJsonObject("server") : new JsonObject();
    for (String k : srv.keySet()) {
      if (!Set.of("clients", "tls", "client_ca_file", "dpop_nonce").contains(k)) fail("unknown server field " + k);
    }
    String clients = srv.has("clients") ? srv.get("clients").toString() : DEFAULT_CLIENTS;
    JsonArray list = com.google.gson.JsonParser.parseString(clients).getAsJsonArray();
    JsonObject first = list.isEmpty() ? new JsonObject() : list.get(0).getAsJsonObject();
    defaultId = first.has("client_id") ? first.get("client_id").getAsString() : "conf-client";
    defaultSecret = first.has("client_secret") ? first.get("client_secret").getAsString() : "";
    boolean tls = srv.has("tls") && srv.get("tls").getAsBoolean();
    boolean nonce = srv.has("dpop_nonce") && srv.get("dpop_nonce").getAsBoolean();
    String[] extra = srv.has("client_ca_file")
        ? new String[] {"--client-ca=" + DevServer.root().resolve(srv.get("client_ca_file").getAsString())}
        : new String[0];
    IOException last = null;
    for (int attempt = 0; attempt < 20 && server == null; attempt++) {
      String file = "{\"clients\": " + clients + ", \"port\": " + (port + attempt) + ", \"tls\": " + tls
          + ", \"dpop_nonce\": " + nonce + "}";
      try {
        server = DevServer.start(file, extra);
      } catch (IOException e) {
        last = e;
      }
    }
    if (server == null) throw new IllegalStateException("cannot start the dev server", last);
    serverUp = true;
    JsonArray steps = root.getAsJsonArray("steps");
    for (int i = 0; i < steps.size(); i++) {
      step = i + 1;
      runStep(steps.get(i).getAsJsonObject());
    }
  }

  void fail(String message) {
    throw new AssertionError("step " + step + ": " + message);
  }

  private void runStep(JsonObject s) throws Exception {
    for (String k : s.keySet()) if (!STEP_KEYS.contains(k)) fail("unsupported step field " + k);
    if (s.has("call")) call(s, s.get("call").getAsString());
    else if (s.has("faults")) upServer("faults").faults(null, s.get("faults"), flag(s, "repeat_last"));
    else if (s.has("api_faults")) upServer("api_faults").faults("api", s.get("api_faults"), flag(s, "repeat_last"));
    else if (s.has("clear_faults")) {
      upServer("clear_faults").clearFaults(null);
      server.clearFaults("api");
    } else if (s.has("sleep_ms")) Thread.sleep(s.get("sleep_ms").getAsLong());
    else if (s.has("shutdown_server")) {
      if (serverUp) {
        tokenRequestsAtShutdown = server.tokenRequests();
        apiRequestsAtShutdown = server.apiRequests();
        server.close();
        serverUp = false;
      }
    } else if (s.has("expect_requests")) count(s.get("expect_requests").getAsLong(), false);
    else if (s.has("expect_api_requests")) count(s.get("expect_api_requests").getAsLong(), true);
    else if (s.has("expect_request")) Checks.expectRequest(this, s.getAsJsonObject("expect_request"));
    else if (s.has("expect_stats")) {
      JsonObject stats = upServer("expect_stats").stats();
      for (Map.Entry<String, JsonElement> e : s.getAsJsonObject("expect_stats").entrySet()) {
        if (!stats.has(e.getKey())) fail("the server has no counter " + e.getKey());
        long got = stats.get(e.getKey()).getAsLong();
        if (got != e.getValue().getAsLong()) fail("the server's " + e.getKey() + " is " + got + ", expected " + e.getValue());
      }
    } else if (s.has("dpop_control")) upServer("dpop_control").dpop(s.get("dpop_control"));
    else fail("a step without an action");
  }

  private static boolean flag(JsonObject o, String k) {
    return o.has(k) && o.get(k).getAsBoolean();
  }

  private DevServer upServer(String what) {
    if (!serverUp) fail(what + " after shutdown_server");
    return server;
  }

  private void count(long want, boolean api) {
    long got = serverUp ? (api ? server.apiRequests() : server.tokenRequests())
        : (api ? apiRequestsAtShutdown : tokenRequestsAtShutdown);
    if (got != want) fail("the server saw " + got + (api ? " API" : " token") + " requests, expected " + want);
  }

  private void call(JsonObject s, String call) throws Exception {
    JsonObject expect = s.has("expect") ? s.getAsJsonObject("expect") : null;
    if (call.equals("build")) {
      Checks.check(this, expect, build(s.has("client_override") ? s.getAsJsonObject("client_override") : null));
      return;
    }
    if (!Set.of("get_token", "fetch_token", "invalidate", "call_api").contains(call)) fail("unsupported call " + call);
    if (client == null) {
      Outcome built = build(null);
      if (built.error() != null) {
        Checks.check(this, expect, new Outcome(call, null, null, built.error(), 0));
        if (expect == null) fail("building the client failed: " + built.error().getMessage());
        return;
      }
    }
    TokenRequest request = s.has("request") ? Options.request(this, s.getAsJsonObject("request")) : null;
    int n = s.has("concurrency") ? Math.max(1, s.get("concurrency").getAsInt()) : 1;
    String url = server.url + (s.has("path") ? s.get("path").getAsString() : "/api");
    String method = s.has("method") ? s.get("method").getAsString() : "GET";
    Outcome[] outcomes = new Outcome[n];
    if (n == 1) {
      outcomes[0] = once(call, request, method, url);
    } else {
      CountDownLatch start = new CountDownLatch(1);
      Thread[] threads = new Thread[n];
      for (int i = 0; i < n; i++) {
        int k = i;
        threads[i] = Thread.ofPlatform().start(() -> {
          try {
            start.await();
            outcomes[k] = once(call, request, method, url);
          } catch (Exception e) {
            outcomes[k] = new Outcome(call, null, null, null, -1);
          }
        });
      }
      start.countDown();
      for (Thread t : threads) t.join(120_000);
    }
    try {
      for (Outcome o : outcomes) {
        if (o == null || o.elapsedMs() < 0) fail("a concurrent caller did not finish");
        Checks.check(this, expect, o);
      }
      if (s.has("label")) {
        String label = s.get("label").getAsString();
        if (outcomes[0].token() == null) fail("label \"" + label + "\" on a call that returned no token");
        labels.put(label, outcomes[0].token().accessToken());
      }
    } finally {
      for (Outcome o : outcomes) if (o != null && o.token() != null) o.token().close();
    }
  }

  private Outcome once(String call, TokenRequest request, String method, String url) throws Exception {
    long t0 = System.nanoTime();
    Token token = null;
    Integer status = null;
    M2mAuthException error = null;
    try {
      switch (call) {
        case "get_token" -> token = client.token(request);
        case "fetch_token" -> token = client.fetchToken(request);
        case "invalidate" -> client.invalidate(request);
        default -> {
          M2mHttpClient api = new M2mHttpClient(client, HTTP, request);
          HttpRequest r = HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.noBody())
              .timeout(Duration.ofSeconds(30)).build();
          status = api.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
        }
      }
    } catch (M2mAuthException e) {
      error = e;
    }
    return new Outcome(call, token, status, error, (System.nanoTime() - t0) / 1e6);
  }

  private Outcome build(JsonObject override) {
    if (client != null) client.close();
    client = null;
    secret = defaultSecret;
    keyParts.clear();
    try {
      client = M2mClient.create(Options.client(this, override));
      return new Outcome("build", null, null, null, 0);
    } catch (M2mAuthException e) {
      return new Outcome("build", null, null, e, 0);
    }
  }

  @Override
  public void close() throws IOException {
    if (client != null) client.close();
    if (serverUp) server.close();
    serverUp = false;
  }
}
