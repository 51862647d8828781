package io.chronik.log;

import java.nio.file.Path;

/**
 * Broker-wide storage settings.
 *
 * @param dataDir                    root directory; one sub-directory per partition ({@code <topic>-<partition>})
 * @param defaults                   topic configuration used where a topic has no override
 * @param fsyncOnAcksAll             whether acks=all appends wait for fsync (group commit)
 * @param appendThreads              number of append lanes (threads); each partition is pinned to one lane
 * @param maxPendingAppendsPerLane   bound on each lane's task queue
 * @param retentionCheckIntervalMs   how often retention runs
 * @param fileDeleteDelayMs          how long a deleted segment's files stay on disk for readers that hold a slice (the
 *                                   broker's file.delete.delay.ms: the default of every topic, and the delay for deleted
 *                                   topics)
 * @param producerIdExpirationCheckIntervalMs how often idle idempotent producers are looked for and forgotten
 * @param cleaner                    the log cleaner (compaction of cleanup.policy=compact topics)
 */
public record StorageConfig(Path dataDir, LogConfig defaults, boolean fsyncOnAcksAll, int appendThreads,
                            int maxPendingAppendsPerLane, long retentionCheckIntervalMs, long fileDeleteDelayMs,
                            long producerIdExpirationCheckIntervalMs, LogCleanerConfig cleaner) {

    /** Kafka's default producer.id.expiration.check.interval.ms: ten minutes. */
    public static final long DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS = 600_000;

    public StorageConfig {
        defaults = defaults.withFileDeleteDelayMs(fileDeleteDelayMs);
    }

    /** With Kafka's default producer id expiration check interval and the log cleaner's defaults. */
    public StorageConfig(Path dataDir, LogConfig defaults, boolean fsyncOnAcksAll, int appendThreads,
                         int maxPendingAppendsPerLane, long retentionCheckIntervalMs, long fileDeleteDelayMs) {
        this(dataDir, defaults, fsyncOnAcksAll, appendThreads, maxPendingAppendsPerLane, retentionCheckIntervalMs,
                fileDeleteDelayMs, DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS);
    }

    /** With the log cleaner's defaults. */
    public StorageConfig(Path dataDir, LogConfig defaults, boolean fsyncOnAcksAll, int appendThreads,
                         int maxPendingAppendsPerLane, long retentionCheckIntervalMs, long fileDeleteDelayMs,
                         long producerIdExpirationCheckIntervalMs) {
        this(dataDir, defaults, fsyncOnAcksAll, appendThreads, maxPendingAppendsPerLane, retentionCheckIntervalMs,
                fileDeleteDelayMs, producerIdExpirationCheckIntervalMs, LogCleanerConfig.DEFAULTS);
    }
}
