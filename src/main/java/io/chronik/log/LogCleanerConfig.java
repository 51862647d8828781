package io.chronik.log;

/**
 * Broker-wide settings of the log cleaner (chronik.log.cleaner.*).
 *
 * @param threads              cleaner threads; 0 turns compaction off
 * @param ioMaxBytesPerSecond  read plus write rate of all cleaner threads together; {@link Double#MAX_VALUE} means
 *                             unlimited
 * @param dedupeBufferSize     memory of the key-to-offset maps of all cleaner threads together (each thread gets
 *                             its share when it first cleans)
 * @param backoffMs            how long a cleaner thread sleeps when no log needs cleaning
 */
public record LogCleanerConfig(int threads, double ioMaxBytesPerSecond, long dedupeBufferSize, long backoffMs) {
    public static final long DEFAULT_DEDUPE_BUFFER_SIZE = 32L << 20;

    public static final LogCleanerConfig DEFAULTS = new LogCleanerConfig(1, Double.MAX_VALUE,
            DEFAULT_DEDUPE_BUFFER_SIZE, 15_000);

    /** The offset map memory of one thread. */
    long dedupeBufferPerThread() {
        return dedupeBufferSize / Math.max(1, threads);
    }
}
