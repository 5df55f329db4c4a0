package dev.m2mauth;

/** Code {@code oauth}: the authorization server refused (RFC 6749 §5.2); see {@link #error()}, {@link #errorDescription()}, {@link #status()}. */
public class OAuthException extends M2mAuthException {
  private static final long serialVersionUID = 1L;

  OAuthException(Fields fields) {
    super(fields);
  }
}
