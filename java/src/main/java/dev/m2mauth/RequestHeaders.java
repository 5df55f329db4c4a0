package dev.m2mauth;

/**
 * The headers that send a token with one HTTP request ({@link
 * M2mClient#requestHeaders}): {@code Authorization} and, for a DPoP token,
 * {@code DPoP} (a proof of that request; null for a Bearer token). Secrets:
 * {@link #toString()} shows neither.
 *
 * @param authorization the {@code Authorization} value
 * @param dpop the {@code DPoP} value, or null
 */
public record RequestHeaders(String authorization, String dpop) {
  /** Which headers there are, never their values. */
  @Override
  public String toString() {
    return "RequestHeaders[authorization=<redacted>" + (dpop == null ? "" : ", dpop=<redacted>") + "]";
  }
}
