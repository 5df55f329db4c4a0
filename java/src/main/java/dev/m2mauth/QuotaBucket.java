package dev.m2mauth;

import java.time.Instant;

/**
 * One token quota bucket as the token endpoint last reported it ({@link M2mClient#quota()}).
 *
 * @param scope whose quota: {@code client} or {@code organization}
 * @param bucket which window: {@code per_hour} or {@code per_day}
 * @param quota tokens allowed in the window
 * @param remaining tokens left when the response came
 * @param resetAt when the window resets
 */
public record QuotaBucket(String scope, String bucket, long quota, long remaining, Instant resetAt) {}
