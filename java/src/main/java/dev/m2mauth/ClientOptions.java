package dev.m2mauth;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The options of an {@link M2mClient}, built with {@link #builder()}. Every
 * option of the engine's surface (tests/surface.json) is set by its surface
 * name with {@link Builder#set(String, String)} (text as in its {@code
 * M2M_AUTH_<NAME>} variable: durations in seconds) or by the builder method of
 * the same name in camelCase (durations as {@link Duration}). Immutable and
 * reusable; {@link #toString()} names the options set, never their values.
 */
public final class ClientOptions {
  private final List<Setting> settings;

  private ClientOptions(List<Setting> settings) {
    this.settings = List.copyOf(settings);
  }

  /** A new builder with no option set. */
  public static Builder builder() {
    return new Builder();
  }

  /** Makes the native options (the caller frees them with m2m_client_options_free). */
  MemorySegment toNative() {
    return Native.options("m2m_client_options", settings);
  }

  /** The names of the options set, in order (no value). */
  @Override
  public String toString() {
    return "ClientOptions" + settings;
  }

  /** Builds {@link ClientOptions}; each call records one setting, applied in order. */
  public static final class Builder {
    private final List<Setting> settings = new ArrayList<>();

    private Builder() {}

    private Builder add(String function, String name, Object... args) {
      settings.add(new Setting(function, name, List.of(args)));
      return this;
    }

    private Builder text(String name, String value) {
      return add("m2m_client_options_set_" + name, name, value);
    }

    private Builder ms(String name, Duration value) {
      return add("m2m_client_options_set_" + name, name, value.toMillis());
    }

    /**
     * Sets the option called {@code name} (its surface name, e.g. {@code "timeout"}) from text written
     * as in its environment variable {@code M2M_AUTH_<NAME>}: durations in seconds, flags {@code
     * true}/{@code false}, lists separated by spaces or commas, maps as {@code name=value&...}.
     */
    public Builder set(String name, String text) {
      return add("m2m_client_options_set", name, name, text);
    }

    /** Every option an {@code M2M_AUTH_*} environment variable gives, over those set before. */
    public Builder fromEnv() {
      return add("m2m_client_options_from_env", "from_env");
    }

    /** Option {@code token_url}: the token endpoint. */
    public Builder tokenUrl(String value) { return text("token_url", value); }

    /** Option {@code domain}: an Auth0 domain ({@code https://DOMAIN/oauth/token}). */
    public Builder domain(String value) { return text("domain", value); }

    /** Option {@code issuer}: an issuer whose discovery document names the token endpoint. */
    public Builder issuer(String value) { return text("issuer", value); }

    /** Option {@code client_id}. */
    public Builder clientId(String value) { return text("client_id", value); }

    /** Option {@code client_secret} (never printed). */
    public Builder clientSecret(String value) { return text("client_secret", value); }

    /** Option {@code auth_method}: {@code client_secret_post}, {@code client_secret_basic}, {@code private_key_jwt} ... */
    public Builder authMethod(String value) { return text("auth_method", value); }

    /** Option {@code private_key}: a PEM or private JWK (private_key_jwt; never printed). */
    public Builder privateKey(String value) { return text("private_key", value); }

    /** Option {@code private_key_file}: a file holding the private key. */
    public Builder privateKeyFile(String value) { return text("private_key_file", value); }

    /** Option {@code key_id}: the {@code kid} of assertions. */
    public Builder keyId(String value) { return text("key_id", value); }

    /** Option {@code signing_alg}: the assertions' algorithm (RS256, ES256 ...). */
    public Builder signingAlg(String value) { return text("signing_alg", value); }

    /** Option {@code client_assertion}: a ready client assertion (never printed). */
    public Builder clientAssertion(String value) { return text("client_assertion", value); }

    /** Option {@code client_assertion_file}: a file holding the client assertion, re-read when it changes. */
    public Builder clientAssertionFile(String value) { return text("client_assertion_file", value); }

    /**
     * Option {@code client_assertion_provider}: your code makes the client assertion for every
     * token request attempt (see {@link ClientAssertionProvider}).
     */
    public Builder clientAssertionProvider(ClientAssertionProvider provider) {
      if (provider == null) throw new NullPointerException("provider");
      return add("m2m_client_options_set_client_assertion_provider", "client_assertion_provider", provider);
    }

    /** Option {@code assertion_audience}: the {@code aud} of assertions. */
    public Builder assertionAudience(String value) { return text("assertion_audience", value); }

    /** Option {@code client_certificate}: the mutual TLS certificate (PEM). */
    public Builder clientCertificate(String value) { return text("client_certificate", value); }

    /** Option {@code client_certificate_file}. */
    public Builder clientCertificateFile(String value) { return text("client_certificate_file", value); }

    /** Option {@code client_key}: the mutual TLS key (PEM; never printed). */
    public Builder clientKey(String value) { return text("client_key", value); }

    /** Option {@code client_key_file}. */
    public Builder clientKeyFile(String value) { return text("client_key_file", value); }

    /** Option {@code dpop}: DPoP-bound tokens (RFC 9449). */
    public Builder dpop(boolean value) { return add("m2m_client_options_set_dpop", "dpop", value); }

    /** Option {@code dpop_key}: the DPoP key (PEM or JWK; never printed). */
    public Builder dpopKey(String value) { return text("dpop_key", value); }

    /** Option {@code dpop_key_file}. */
    public Builder dpopKeyFile(String value) { return text("dpop_key_file", value); }

    /** Option {@code dpop_accept_bearer}: accept a Bearer token from a server without DPoP. */
    public Builder dpopAcceptBearer(boolean value) {
      return add("m2m_client_options_set_dpop_accept_bearer", "dpop_accept_bearer", value);
    }

    /** Option {@code audience}. */
    public Builder audience(String value) { return text("audience", value); }

    /** Option {@code scope}: adds scopes (each may hold several, separated by spaces). */
    public Builder scope(String... values) {
      for (String v : values) add("m2m_client_options_add_scope", "scope", v);
      return this;
    }

    /** Option {@code organization}. */
    public Builder organization(String value) { return text("organization", value); }

    /** Option {@code resource} (RFC 8707): adds resources. */
    public Builder resource(String... values) {
      for (String v : values) add("m2m_client_options_add_resource", "resource", v);
      return this;
    }

    /** Option {@code extra}: adds a form parameter of every token request. */
    public Builder extra(String name, String value) {
      return add("m2m_client_options_add_extra", "extra", name, value);
    }

    /** Option {@code extra}: adds each entry. */
    public Builder extra(Map<String, String> values) {
      values.forEach(this::extra);
      return this;
    }

    /** Option {@code timeout}: the deadline of one token acquisition. */
    public Builder timeout(Duration value) { return ms("timeout", value); }

    /** Option {@code connect_timeout}. */
    public Builder connectTimeout(Duration value) { return ms("connect_timeout", value); }

    /** Option {@code max_response_bytes}. */
    public Builder maxResponseBytes(long value) {
      return add("m2m_client_options_set_max_response_bytes", "max_response_bytes", value);
    }

    /** Option {@code ca_certs}: extra trusted CA certificates (PEM). */
    public Builder caCerts(String value) { return text("ca_certs", value); }

    /** Option {@code proxy}. */
    public Builder proxy(String value) { return text("proxy", value); }

    /** Option {@code no_proxy}: ignore proxies, including the environment's. */
    public Builder noProxy(boolean value) { return add("m2m_client_options_set_no_proxy", "no_proxy", value); }

    /** Option {@code leeway}: a token this close to expiry is not served. */
    public Builder leeway(Duration value) { return ms("leeway", value); }

    /** Option {@code refresh_ratio}: the part of the lifetime after which a token is refreshed, in (0, 1]. */
    public Builder refreshRatio(double value) {
      return add("m2m_client_options_set_refresh_ratio", "refresh_ratio", value);
    }

    /** Option {@code refresh_jitter}. */
    public Builder refreshJitter(double value) {
      return add("m2m_client_options_set_refresh_jitter", "refresh_jitter", value);
    }

    /** Option {@code default_expires_in}: the lifetime of a token response without {@code expires_in}. */
    public Builder defaultExpiresIn(Duration value) { return ms("default_expires_in", value); }

    /** Option {@code max_attempts}. */
    public Builder maxAttempts(long value) {
      return add("m2m_client_options_set_max_attempts", "max_attempts", value);
    }

    /** Option {@code retry_base_delay}. */
    public Builder retryBaseDelay(Duration value) { return ms("retry_base_delay", value); }

    /** Option {@code retry_max_delay}. */
    public Builder retryMaxDelay(Duration value) { return ms("retry_max_delay", value); }

    /** Option {@code retry_jitter}. */
    public Builder retryJitter(double value) {
      return add("m2m_client_options_set_retry_jitter", "retry_jitter", value);
    }

    /** Option {@code default_throttle}. */
    public Builder defaultThrottle(Duration value) { return ms("default_throttle", value); }

    /** Option {@code max_retry_after}. */
    public Builder maxRetryAfter(Duration value) { return ms("max_retry_after", value); }

    /** Option {@code cache}: a shared cache ({@code file:/dir}, {@code redis://...}). */
    public Builder cache(String value) { return text("cache", value); }

    /** Option {@code cache_strict}. */
    public Builder cacheStrict(boolean value) {
      return add("m2m_client_options_set_cache_strict", "cache_strict", value);
    }

    /** Option {@code lease_ttl}. */
    public Builder leaseTtl(Duration value) { return ms("lease_ttl", value); }

    /** Option {@code store_timeout}. */
    public Builder storeTimeout(Duration value) { return ms("store_timeout", value); }

    /** Option {@code max_cache_keys}. */
    public Builder maxCacheKeys(long value) {
      return add("m2m_client_options_set_max_cache_keys", "max_cache_keys", value);
    }

    /** The options. */
    public ClientOptions build() {
      return new ClientOptions(settings);
    }
  }
}
