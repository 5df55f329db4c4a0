package dev.m2mauth;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checks of a conformance vector: a call's outcome against its {@code
 * expect}, the recorded token requests against {@code expect_request}, and
 * the canary (no error shows the client secret or a part of the DPoP key).
 */
final class Checks {
  private Checks() {}

  private static final Set<String> SUCCESS_KEYS = Set.of("ok", "token_type", "expires_in_between", "scope", "extra",
      "same_token_as", "different_token_from", "status", "elapsed_ms_at_least", "elapsed_ms_at_most",
      "authorization_scheme");
  private static final Set<String> ERROR_KEYS = Set.of("error", "fields", "body_max_len", "retry_after_between_s",
      "elapsed_ms_at_least", "elapsed_ms_at_most");

  /** Every text an error shows: message, toString and every text field. */
  static List<String> texts(M2mAuthException e) {
    List<String> t = new ArrayList<>();
    for (String s : new String[] {e.getMessage(), e.toString(), e.code(), e.error(), e.errorDescription(), e.errorUri(),
        e.body(), e.kind(), e.reason(), e.requiredScope()}) {
      if (s != null) t.add(s);
    }
    return t;
  }

  static void canary(Vector v, M2mAuthException e) {
    if (e == null) return;
    for (String text : texts(e)) {
      for (String part : v.keyParts) if (text.contains(part)) v.fail("a part of the DPoP key appears in an error");
      if (v.secret != null && !v.secret.isEmpty()) {
        String encoded = URLEncoder.encode(v.secret, StandardCharsets.UTF_8);
        if (text.contains(v.secret) || text.contains(encoded)) v.fail("the client secret appears in an error: " + text);
      }
    }
  }

  static void check(Vector v, JsonObject e, Vector.Outcome c) {
    canary(v, c.error());
    if (e == null) return;
    if (e.has("ok") && e.get("ok").getAsBoolean()) success(v, e, c);
    else if (e.has("error")) error(v, e, c);
    else v.fail("an expectation needs \"ok\": true or \"error\"");
  }

  private static void elapsed(Vector v, JsonObject e, Vector.Outcome c) {
    if (e.has("elapsed_ms_at_least") && c.elapsedMs() < e.get("elapsed_ms_at_least").getAsDouble()) {
      v.fail(String.format("took %.0f ms, expected at least %s", c.elapsedMs(), e.get("elapsed_ms_at_least")));
    }
    if (e.has("elapsed_ms_at_most") && c.elapsedMs() > e.get("elapsed_ms_at_most").getAsDouble()) {
      v.fail(String.format("took %.0f ms, expected at most %s", c.elapsedMs(), e.get("elapsed_ms_at_most")));
    }
  }

  private static void success(Vector v, JsonObject e, Vector.Outcome c) {
    if (c.error() != null) v.fail(c.call() + " failed: " + c.error().code() + " (" + c.error().getMessage() + ")");
    for (String k : e.keySet()) if (!SUCCESS_KEYS.contains(k)) v.fail("unsupported expectation " + k);
    if (e.has("status") && (c.status() == null || c.status() != e.get("status").getAsInt())) {
      v.fail("API status " + c.status() + ", expected " + e.get("status"));
    }
    elapsed(v, e, c);
    Token t = c.token();
    if (t == null) {
      for (String k : new String[] {"token_type", "scope", "same_token_as", "authorization_scheme"}) {
        if (e.has(k)) v.fail(c.call() + " returns no token to check");
      }
      return;
    }
    if (e.has("token_type") && !e.get("token_type").getAsString().equals(t.tokenType())) {
      v.fail("token_type " + t.tokenType() + ", expected " + e.get("token_type"));
    }
    if (e.has("authorization_scheme")) {
      String scheme = t.authorizationHeader().split(" ", 2)[0];
      if (!scheme.equals(e.get("authorization_scheme").getAsString())) v.fail("authorization scheme " + scheme);
    }
    if (e.has("expires_in_between")) {
      JsonArray r = e.getAsJsonArray("expires_in_between");
      long s = t.expiresIn().toMillis() / 1000;
      if (s < r.get(0).getAsDouble() || s > r.get(1).getAsDouble()) v.fail("expires_in " + s + " s, expected within " + r);
    }
    if (e.has("scope")) {
      JsonElement w = e.get("scope");
      if (w.isJsonNull() ? t.scope() != null : !w.getAsString().equals(t.scope())) {
        v.fail("scope " + t.scope() + ", expected " + w);
      }
    }
    if (e.has("extra")) {
      JsonObject got = JsonParser.parseString(t.extra()).getAsJsonObject();
      for (Map.Entry<String, JsonElement> x : e.getAsJsonObject("extra").entrySet()) {
        if (!x.getValue().equals(got.get(x.getKey()))) v.fail("extra field " + x.getKey() + " missing or different in " + got);
      }
    }
    if (e.has("same_token_as")) {
      String l = v.labels.get(e.get("same_token_as").getAsString());
      if (l == null || !l.equals(t.accessToken())) v.fail("not the same token as " + e.get("same_token_as"));
    }
    if (e.has("different_token_from")) {
      String l = v.labels.get(e.get("different_token_from").getAsString());
      if (l == null || l.equals(t.accessToken())) v.fail("the same token as " + e.get("different_token_from"));
    }
  }

  private static void error(Vector v, JsonObject e, Vector.Outcome c) {
    String code = e.get("error").getAsString();
    M2mAuthException x = c.error();
    if (x == null) v.fail(c.call() + " succeeded, expected a " + code + " error");
    if (!x.code().equals(code)) v.fail(x.code() + " error (" + x.getMessage() + "), expected " + code);
    if (x.getMessage() == null || x.getMessage().isEmpty()) v.fail("empty error message");
    for (String k : e.keySet()) if (!ERROR_KEYS.contains(k)) v.fail("unsupported expectation " + k);
    if (e.has("fields")) {
      for (Map.Entry<String, JsonElement> f : e.getAsJsonObject("fields").entrySet()) {
        JsonElement want = f.getValue();
        if (f.getKey().equals("status")) {
          int w = want.isJsonNull() ? 0 : want.getAsInt();
          if (x.status() != w) v.fail("error status " + x.status() + ", expected " + w);
          continue;
        }
        String got = switch (f.getKey()) {
          case "error" -> x.error();
          case "error_description" -> x.errorDescription();
          case "error_uri" -> x.errorUri();
          case "kind" -> x.kind();
          case "body" -> x.body();
          case "reason" -> x.reason();
          case "required_scope" -> x.requiredScope();
          case "message" -> x.getMessage();
          case "code" -> x.code();
          default -> {
            v.fail("unsupported error field " + f.getKey());
            yield null;
          }
        };
        if (want.isJsonNull() ? got != null : !want.getAsString().equals(got)) {
          v.fail("error " + f.getKey() + " " + got + ", expected " + want);
        }
      }
    }
    if (e.has("body_max_len")) {
      int len = x.body() == null ? -1 : x.body().getBytes(StandardCharsets.UTF_8).length;
      if (len < 0 || len > e.get("body_max_len").getAsInt()) v.fail("http body excerpt of " + len + " bytes");
    }
    if (e.has("retry_after_between_s")) {
      JsonArray r = e.getAsJsonArray("retry_after_between_s");
      double s = x.retryAfter() == null ? 0 : x.retryAfter().toMillis() / 1000.0;
      if (s < r.get(0).getAsDouble() - 0.001 || s > r.get(1).getAsDouble() + 0.001) {
        v.fail("retry_after " + s + " s, expected within " + r);
      }
    }
    elapsed(v, e, c);
  }

  private static List<String> formValues(String body, String name) {
    List<String> out = new ArrayList<>();
    if (body == null || body.isEmpty()) return out;
    for (String pair : body.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      if (k.equals(name)) out.add(eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return out;
  }

  private static String header(JsonObject headers, String name) {
    for (Map.Entry<String, JsonElement> h : headers.entrySet()) {
      if (h.getKey().equalsIgnoreCase(name)) return h.getValue().getAsString();
    }
    return null;
  }

  /** The expected wire text: {version} the library's, {language} the C library's ("c": Java goes through it). */
  private static String expected(String s) {
    return s.replace("{version}", M2mClient.version()).replace("{language}", "c");
  }

  static void expectRequest(Vector v, JsonObject spec) {
    if (!v.serverUp) v.fail("expect_request after shutdown_server");
    List<JsonObject> reqs = v.server.requests();
    int index = spec.has("index") ? spec.get("index").getAsInt() : 0;
    final int i = index < 0 ? index + reqs.size() : index;
    if (i < 0 || i >= reqs.size()) v.fail("no recorded token request #" + i + " (" + reqs.size() + " recorded)");
    JsonObject r = reqs.get(i);
    String body = r.has("body") ? r.get("body").getAsString() : "";
    JsonObject headers = r.has("headers") ? r.getAsJsonObject("headers") : new JsonObject();
    for (Map.Entry<String, JsonElement> k : spec.entrySet()) {
      JsonElement val = k.getValue();
      switch (k.getKey()) {
        case "index" -> { }
        case "form" -> {
          for (Map.Entry<String, JsonElement> f : val.getAsJsonObject().entrySet()) {
            List<String> got = formValues(body, f.getKey());
            List<String> want = new ArrayList<>();
            if (f.getValue().isJsonArray()) f.getValue().getAsJsonArray().forEach(w -> want.add(expected(w.getAsString())));
            else want.add(expected(f.getValue().getAsString()));
            List<String> rest = new ArrayList<>(got);
            boolean match = got.size() == want.size();
            for (String w : want) match &= rest.remove(w);
            if (!match) v.fail("request #" + i + " form field " + f.getKey() + ": expected " + f.getValue() + ", got " + got);
          }
        }
        case "headers" -> {
          for (Map.Entry<String, JsonElement> h : val.getAsJsonObject().entrySet()) {
            String want = expected(h.getValue().getAsString());
            String got = header(headers, h.getKey());
            if (!want.equals(got)) v.fail("request #" + i + " header " + h.getKey() + " = " + got + ", expected " + want);
          }
        }
        case "headers_present" -> val.getAsJsonArray().forEach(h -> {
          if (header(headers, h.getAsString()) == null) v.fail("request #" + i + " has no header " + h.getAsString());
        });
        case "form_absent" -> val.getAsJsonArray().forEach(h -> {
          if (!formValues(body, h.getAsString()).isEmpty()) v.fail("request #" + i + " has form field " + h.getAsString());
        });
        case "headers_absent" -> val.getAsJsonArray().forEach(h -> {
          if (header(headers, h.getAsString()) != null) v.fail("request #" + i + " has header " + h.getAsString());
        });
        default -> v.fail("unsupported expect_request field " + k.getKey());
      }
    }
  }
}
