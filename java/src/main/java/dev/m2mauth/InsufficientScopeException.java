package dev.m2mauth;

/** Code {@code insufficient_scope} (verifier): a valid token lacks {@link #requiredScope()}. */
public class InsufficientScopeException extends M2mAuthException {
  private static final long serialVersionUID = 1L;

  InsufficientScopeException(Fields fields) {
    super(fields);
  }
}
