package dev.m2mauth;

/**
 * Makes a client assertion (RFC 7523) from your code, for every token request
 * attempt (retries included): workload identity, a KMS signer. Called on one
 * of the engine's threads; must be thread-safe. An exception (or a null
 * result) fails that token request with a {@link ConfigException} and sends no
 * request; its message is not passed on.
 */
@FunctionalInterface
public interface ClientAssertionProvider {
  /**
   * The assertion: a JWT with {@code iss} = {@code sub} = {@code clientId} and {@code aud} =
   * {@code audience}, sent to {@code tokenEndpoint}.
   */
  String assertion(String clientId, String audience, String tokenEndpoint) throws Exception;
}
