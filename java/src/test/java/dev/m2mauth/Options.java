package dev.m2mauth;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.time.Duration;
import java.util.Map;

/**
 * A conformance vector's {@code client} options (with a step's {@code
 * client_override} merged over them) as {@link ClientOptions}, and its
 * per-call requests as {@link TokenRequest}s: each field through the builder
 * method of the same name in camelCase.
 */
final class Options {
  private Options() {}

  static ClientOptions client(Vector v, JsonObject override) {
    JsonObject client = v.root.has("client") ? v.root.getAsJsonObject("client") : new JsonObject();
    ClientOptions.Builder b = ClientOptions.builder().noProxy(true).retryBaseDelay(Duration.ofMillis(20));
    String ca = v.server.member("tls_ca_pem");
    if (ca != null) b.caCerts(ca);
    boolean endpoint = false;
    boolean id = false;
    boolean secret = false;
    for (JsonObject layer : new JsonObject[] {client, override}) {
      if (layer == null) continue;
      for (Map.Entry<String, JsonElement> e : layer.entrySet()) {
        String k = e.getKey();
        if (layer == client && override != null && override.has(k)) continue; // the override wins
        endpoint |= k.equals("token_url") || k.equals("issuer") || k.equals("domain");
        id |= k.equals("client_id");
        secret |= k.equals("client_secret");
        apply(v, b, k, e.getValue());
      }
    }
    if (!endpoint) b.tokenUrl(v.server.tokenUrl);
    if (!id) b.clientId(v.defaultId);
    if (!secret) b.clientSecret(v.defaultSecret);
    return b.build();
  }

  private static String placeholders(Vector v, String s) {
    String mtls = v.server.member("mtls_token_url");
    return s.replace("{token_url}", v.server.tokenUrl).replace("{issuer}", v.server.issuer)
        .replace("{url}", v.server.url).replace("{mtls_token_url}", mtls == null ? "{mtls_token_url}" : mtls);
  }

  private static void apply(Vector v, ClientOptions.Builder b, String k, JsonElement val) {
    switch (k) {
      case "token_url" -> b.tokenUrl(placeholders(v, val.getAsString()));
      case "issuer" -> b.issuer(placeholders(v, val.getAsString()));
      case "domain" -> b.domain(placeholders(v, val.getAsString()));
      case "client_id" -> b.clientId(val.getAsString());
      case "client_secret" -> {
        b.clientSecret(val.getAsString());
        v.secret = val.getAsString();
      }
      case "auth_method" -> b.authMethod(val.getAsString());
      case "audience" -> b.audience(val.getAsString());
      case "organization" -> b.organization(val.getAsString());
      case "scope" -> b.scope(val.getAsString());
      case "private_key" -> b.privateKey(val.getAsString());
      case "key_id" -> b.keyId(val.getAsString());
      case "signing_alg" -> b.signingAlg(val.getAsString());
      case "dpop_key" -> {
        b.dpopKey(val.getAsString());
        rememberKeyParts(v, val.getAsString());
      }
      case "client_certificate_file" -> b.clientCertificateFile(DevServer.root().resolve(val.getAsString()).toString());
      case "client_key_file" -> b.clientKeyFile(DevServer.root().resolve(val.getAsString()).toString());
      case "dpop" -> b.dpop(val.getAsBoolean());
      case "dpop_accept_bearer" -> b.dpopAcceptBearer(val.getAsBoolean());
      case "resource" -> val.getAsJsonArray().forEach(r -> b.resource(r.getAsString()));
      case "extra" -> val.getAsJsonObject().entrySet().forEach(e -> b.extra(e.getKey(), e.getValue().getAsString()));
      case "timeout_ms" -> b.timeout(Duration.ofMillis(val.getAsLong()));
      case "connect_timeout_ms" -> b.connectTimeout(Duration.ofMillis(val.getAsLong()));
      case "leeway_ms" -> b.leeway(Duration.ofMillis(val.getAsLong()));
      case "refresh_ratio" -> b.refreshRatio(val.getAsDouble());
      case "retry" -> {
        for (Map.Entry<String, JsonElement> r : val.getAsJsonObject().entrySet()) {
          double n = r.getValue().getAsDouble();
          switch (r.getKey()) {
            case "max_attempts" -> b.maxAttempts((long) n);
            case "base_delay_ms" -> b.retryBaseDelay(Duration.ofMillis((long) n));
            case "max_delay_ms" -> b.retryMaxDelay(Duration.ofMillis((long) n));
            case "default_throttle_ms" -> b.defaultThrottle(Duration.ofMillis((long) n));
            case "max_retry_after_s" -> b.maxRetryAfter(Duration.ofMillis((long) (n * 1000)));
            default -> v.fail("unsupported client.retry field " + r.getKey());
          }
        }
      }
      default -> v.fail("unsupported client field " + k);
    }
  }

  /** The parts of a DPoP key (PEM or JWK text) that must never show. */
  private static void rememberKeyParts(Vector v, String key) {
    if (key.strip().startsWith("{")) {
      JsonObject jwk = JsonParser.parseString(key).getAsJsonObject();
      for (String m : new String[] {"d", "p", "q", "dp", "dq", "qi"}) {
        if (jwk.has(m)) v.keyParts.add(jwk.get(m).getAsString());
      }
      return;
    }
    for (String line : key.split("[\r\n]+")) {
      String t = line.strip();
      if (!t.isEmpty() && !t.startsWith("-----")) v.keyParts.add(t);
    }
  }

  static TokenRequest request(Vector v, JsonObject r) {
    TokenRequest.Builder b = TokenRequest.builder();
    for (Map.Entry<String, JsonElement> e : r.entrySet()) {
      JsonElement val = e.getValue();
      switch (e.getKey()) {
        case "audience" -> b.audience(val.getAsString());
        case "scope" -> b.scope(val.getAsString());
        case "organization" -> b.organization(val.getAsString());
        case "resource" -> {
          String[] list = new String[val.getAsJsonArray().size()];
          for (int i = 0; i < list.length; i++) list[i] = val.getAsJsonArray().get(i).getAsString();
          b.resource(list);
        }
        case "extra" -> {
          b.set("extra", "");
          val.getAsJsonObject().entrySet().forEach(x -> b.extra(x.getKey(), x.getValue().getAsString()));
        }
        default -> v.fail("unsupported request field " + e.getKey());
      }
    }
    return b.build();
  }
}
