package dev.m2mauth;

/** Code {@code http}: a non-OAuth HTTP failure; see {@link #status()} and {@link #body()}. */
public class HttpException extends M2mAuthException {
  private static final long serialVersionUID = 1L;

  HttpException(Fields fields) {
    super(fields);
  }
}
