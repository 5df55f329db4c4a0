package dev.m2mauth;

/** Code {@code transport}: the server could not be reached (connect, timeout, reset, TLS); see {@link #kind()}. */
public class TransportException extends M2mAuthException {
  private static final long serialVersionUID = 1L;

  TransportException(Fields fields) {
    super(fields);
  }
}
