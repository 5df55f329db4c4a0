package dev.m2mauth;

/**
 * The answer an API sends for a refused request ({@link
 * M2mAuthException#challenge()} of a {@link Verifier} error): the HTTP status
 * (401, 403; 503 when the keys could not be fetched), the {@code
 * WWW-Authenticate} header (RFC 6750 §3, RFC 9449 §7.1; null for none) and,
 * in DPoP nonce mode, the {@code DPoP-Nonce} header (else null). No header
 * holds the token.
 *
 * @param status the HTTP status
 * @param wwwAuthenticate the {@code WWW-Authenticate} value, or null
 * @param dpopNonce the {@code DPoP-Nonce} value, or null
 */
public record Challenge(int status, String wwwAuthenticate, String dpopNonce) {}
