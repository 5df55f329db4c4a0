package dev.m2mauth;

import java.time.Duration;

/**
 * A failed m2m-auth call: the engine's error with its fields, under the same
 * names as in C ({@code m2m_error_<field>}), Python and Node. Each C error code
 * has a subclass ({@link ConfigException}, {@link OAuthException}, {@link
 * HttpException}, {@link TransportException}, {@link InvalidResponseException},
 * {@link ThrottledException}, {@link CacheException}, {@link
 * InvalidTokenException}, {@link InsufficientScopeException}); the C library's
 * own codes (a bad argument, an internal panic) are this class itself. No
 * message or field ever holds a secret, a key or a token.
 */
public class M2mAuthException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The fields of an error, as the C library gives them (null or 0 when absent). */
  record Fields(String code, String message, String error, String errorDescription, String errorUri, int status,
      String body, String kind, String reason, String requiredScope, long retryAfterMs) {}

  private final transient Fields fields;
  private transient Challenge challenge;

  M2mAuthException(Fields fields) {
    super(fields.message());
    this.fields = fields;
  }

  /** The exception class for C result {@code rc}. */
  static M2mAuthException of(int rc, Fields f) {
    return switch (rc) {
      case 1 -> new ConfigException(f);
      case 2 -> new OAuthException(f);
      case 3 -> new HttpException(f);
      case 4 -> new TransportException(f);
      case 5 -> new InvalidResponseException(f);
      case 6 -> new ThrottledException(f);
      case 7 -> new CacheException(f);
      case 8 -> new InvalidTokenException(f);
      case 9 -> new InsufficientScopeException(f);
      default -> new M2mAuthException(f);
    };
  }

  /** Attaches the answer a verifier computed for this error. */
  M2mAuthException withChallenge(Challenge value) {
    this.challenge = value;
    return this;
  }

  /**
   * For an error of a {@link Verifier} call: the status and headers to answer the request with
   * (the verifier's {@code challenge}); null for other errors.
   */
  public Challenge challenge() {
    return challenge;
  }

  /** The error code: {@code "config"}, {@code "oauth"}, {@code "http"}, {@code "transport"} ... (docs/design.md §6). */
  public String code() {
    return fields.code();
  }

  /** The OAuth {@code error} (RFC 6749 §5.2) of an {@code oauth} error; else null. */
  public String error() {
    return fields.error();
  }

  /** The OAuth {@code error_description}, or null. */
  public String errorDescription() {
    return fields.errorDescription();
  }

  /** The OAuth {@code error_uri}, or null. */
  public String errorUri() {
    return fields.errorUri();
  }

  /** The HTTP status of an {@code oauth} or {@code http} error; 0 when none. */
  public int status() {
    return fields.status();
  }

  /** The first bytes of an {@code http} error's body, or null. */
  public String body() {
    return fields.body();
  }

  /** The kind of a {@code transport} error ({@code connect}, {@code timeout} ...), or null. */
  public String kind() {
    return fields.kind();
  }

  /** The reason code of an {@code invalid_token} error (verifier), or null. */
  public String reason() {
    return fields.reason();
  }

  /** The scope an {@code insufficient_scope} error (verifier) asks for, or null. */
  public String requiredScope() {
    return fields.requiredScope();
  }

  /** How long a {@code throttled} error says to wait (or the server's Retry-After); null when none. */
  public Duration retryAfter() {
    return fields.retryAfterMs() == 0 ? null : Duration.ofMillis(fields.retryAfterMs());
  }
}
