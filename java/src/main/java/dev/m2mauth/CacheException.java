package dev.m2mauth;

/** Code {@code cache}: a shared cache is unreachable or corrupt. */
public class CacheException extends M2mAuthException {
  private static final long serialVersionUID = 1L;

  CacheException(Fields fields) {
    super(fields);
  }
}
