package dev.m2mauth;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The options of a {@link Verifier} (RFC 9068 access tokens), built with
 * {@link #builder()}: one method per verifier option of the surface
 * (tests/surface.json) in camelCase, or {@link Builder#set(String, String)}
 * by surface name (durations in seconds). {@code issuer} and {@code
 * audience} are required. Immutable; {@link #toString()} names the options
 * set, never their values.
 */
public final class VerifierOptions {
  private final List<Setting> settings;

  private VerifierOptions(List<Setting> settings) {
    this.settings = List.copyOf(settings);
  }

  /** A new builder with every option at its default. */
  public static Builder builder() {
    return new Builder();
  }

  /** Makes the native options (the caller frees them with m2m_verifier_options_free). */
  MemorySegment toNative() {
    return Native.options("m2m_verifier_options", settings);
  }

  /** The names of the options set (no value). */
  @Override
  public String toString() {
    return "VerifierOptions" + settings;
  }

  /** Builds {@link VerifierOptions}. */
  public static final class Builder {
    private static final String SET = "m2m_verifier_options_set_";
    private final List<Setting> settings = new ArrayList<>();

    private Builder() {}

    private Builder add(String function, String name, Object... args) {
      settings.add(new Setting(function, name, List.of(args)));
      return this;
    }

    private Builder ms(String name, Duration value) {
      return add(SET + name, name, value.toMillis());
    }

    /** Sets the option called {@code name} from text (durations in seconds, lists separated by spaces or commas). */
    public Builder set(String name, String text) {
      return add("m2m_verifier_options_set", name, name, text);
    }

    /** Option {@code issuer} (required): a token's {@code iss} must equal it exactly. */
    public Builder issuer(String value) { return add(SET + "issuer", "issuer", value); }

    /** Option {@code jwks_uri}: where the keys are (else discovered from the issuer). */
    public Builder jwksUri(String value) { return add(SET + "jwks_uri", "jwks_uri", value); }

    /** Option {@code jwks}: the keys themselves (a JWKS as JSON). */
    public Builder jwks(String value) { return add(SET + "jwks", "jwks", value); }

    /** Option {@code audience} (required): adds accepted audiences. */
    public Builder audience(String... values) {
      for (String v : values) add("m2m_verifier_options_add_audience", "audience", v);
      return this;
    }

    /** Option {@code algorithms}: adds allowed signature algorithms. */
    public Builder algorithms(String... values) {
      for (String v : values) add("m2m_verifier_options_add_algorithms", "algorithms", v);
      return this;
    }

    /** Option {@code leeway}: clock skew allowed on {@code exp}, {@code nbf}, {@code iat}. */
    public Builder leeway(Duration value) { return ms("leeway", value); }

    /** Option {@code strict_typ}: require {@code typ} {@code at+jwt}. */
    public Builder strictTyp(boolean value) { return add(SET + "strict_typ", "strict_typ", value); }

    /** Option {@code max_token_bytes}. */
    public Builder maxTokenBytes(long value) { return add(SET + "max_token_bytes", "max_token_bytes", value); }

    /** Option {@code jwks_cache_ttl}. */
    public Builder jwksCacheTtl(Duration value) { return ms("jwks_cache_ttl", value); }

    /** Option {@code jwks_refetch_interval}. */
    public Builder jwksRefetchInterval(Duration value) { return ms("jwks_refetch_interval", value); }

    /** Option {@code timeout}: of one JWKS or discovery fetch. */
    public Builder timeout(Duration value) { return ms("timeout", value); }

    /** Option {@code ca_certs}: extra trusted CA certificates (PEM). */
    public Builder caCerts(String value) { return add(SET + "ca_certs", "ca_certs", value); }

    /** Option {@code cache_size}: verified tokens kept. */
    public Builder cacheSize(long value) { return add(SET + "cache_size", "cache_size", value); }

    /** Option {@code dpop}: {@code off}, {@code allowed} or {@code required}. */
    public Builder dpop(String value) { return add(SET + "dpop", "dpop", value); }

    /** Option {@code dpop_algorithms}: adds allowed proof algorithms. */
    public Builder dpopAlgorithms(String... values) {
      for (String v : values) add("m2m_verifier_options_add_dpop_algorithms", "dpop_algorithms", v);
      return this;
    }

    /** Option {@code dpop_max_age}. */
    public Builder dpopMaxAge(Duration value) { return ms("dpop_max_age", value); }

    /** Option {@code dpop_replay_cache_size}. */
    public Builder dpopReplayCacheSize(long value) {
      return add(SET + "dpop_replay_cache_size", "dpop_replay_cache_size", value);
    }

    /** Option {@code dpop_nonce}: demand server nonces in proofs. */
    public Builder dpopNonce(boolean value) { return add(SET + "dpop_nonce", "dpop_nonce", value); }

    /** Option {@code dpop_nonce_secret}: the secret nonces are made with (shared by instances; never printed). */
    public Builder dpopNonceSecret(String value) { return add(SET + "dpop_nonce_secret", "dpop_nonce_secret", value); }

    /** The options. */
    public VerifierOptions build() {
      return new VerifierOptions(settings);
    }
  }
}
