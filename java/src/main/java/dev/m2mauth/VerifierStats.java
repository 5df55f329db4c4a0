package dev.m2mauth;

/**
 * A snapshot of a {@link Verifier}'s counters (the verifier stats of every language).
 *
 * @param verified tokens that verified (cache hits included)
 * @param cacheHits tokens answered from the verified-token cache
 * @param jwksFetches JWKS fetches
 * @param failures tokens refused
 */
public record VerifierStats(long verified, long cacheHits, long jwksFetches, long failures) {}
