package dev.m2mauth;

/** Code {@code invalid_token} (verifier): a token failed validation; see {@link #reason()}. */
public class InvalidTokenException extends M2mAuthException {
  private static final long serialVersionUID = 1L;

  InvalidTokenException(Fields fields) {
    super(fields);
  }
}
