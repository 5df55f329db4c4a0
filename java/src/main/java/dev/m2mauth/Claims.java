package dev.m2mauth;

import java.time.Instant;
import java.util.List;

/**
 * The claims of a verified access token ({@link Verifier}), the claims fields
 * of every language in camelCase. Times absent from the token are null.
 *
 * @param issuer {@code iss}
 * @param subject {@code sub}, or null
 * @param audience {@code aud} (a string {@code aud} is one entry)
 * @param clientId {@code client_id}, or null
 * @param scopes the granted scopes ({@code scope} split on spaces, or {@code scp})
 * @param expiresAt {@code exp}
 * @param issuedAt {@code iat}, or null
 * @param notBefore {@code nbf}, or null
 * @param jwtId {@code jti}, or null
 * @param json every claim as one JSON object (for those without an accessor)
 */
public record Claims(String issuer, String subject, List<String> audience, String clientId, List<String> scopes,
    Instant expiresAt, Instant issuedAt, Instant notBefore, String jwtId, String json) {
  /** Whether the token grants {@code scope} (compared exactly). */
  public boolean hasScope(String scope) {
    return scopes.contains(scope);
  }
}
