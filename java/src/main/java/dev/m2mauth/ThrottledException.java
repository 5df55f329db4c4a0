package dev.m2mauth;

/** Code {@code throttled}: refused locally until {@link #retryAfter()} passes. */
public class ThrottledException extends M2mAuthException {
  private static final long serialVersionUID = 1L;

  ThrottledException(Fields fields) {
    super(fields);
  }
}
