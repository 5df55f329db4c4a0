package dev.m2mauth;

/** Code {@code invalid_response}: a 200 that is not a valid token response. */
public class InvalidResponseException extends M2mAuthException {
  private static final long serialVersionUID = 1L;

  InvalidResponseException(Fields fields) {
    super(fields);
  }
}
