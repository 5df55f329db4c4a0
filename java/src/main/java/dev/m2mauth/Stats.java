package dev.m2mauth;

/**
 * A snapshot of a client's counters ({@link M2mClient#stats()}), the stats of
 * every language under camelCase names.
 *
 * @param hits calls served from the cache
 * @param misses calls that found no usable cached token
 * @param fetches token requests made
 * @param refreshes background refreshes
 * @param failures token requests that ended in an error
 * @param sharedHits tokens taken from the shared cache
 * @param storeErrors shared cache operations that failed
 * @param throttles calls refused as throttled without a request
 * @param quotaRemaining the lowest remaining token quota; {@code -1} (UINT64_MAX) when none is reported
 */
public record Stats(long hits, long misses, long fetches, long refreshes, long failures, long sharedHits,
    long storeErrors, long throttles, long quotaRemaining) {}
