package dev.m2mauth;

/** Code {@code config}: a bad or missing option, detected before any I/O. */
public class ConfigException extends M2mAuthException {
  private static final long serialVersionUID = 1L;

  ConfigException(Fields fields) {
    super(fields);
  }
}
