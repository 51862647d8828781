package io.chronik.log;

import java.util.List;

/**
 * A topic's cleanup policy and log cleaner settings, with Kafka's key names and defaults.
 *
 * @param compact            cleanup.policy contains {@code compact}: the log cleaner keeps the latest record per key
 * @param delete             cleanup.policy contains {@code delete}: retention.ms and retention.bytes delete old segments
 * @param deleteRetentionMs  delete.retention.ms: how long a tombstone (null value) survives once a cleaning reached it
 * @param minCleanableRatio  min.cleanable.dirty.ratio: dirty bytes / total bytes above which the log is cleaned
 * @param minCompactionLagMs min.compaction.lag.ms: a record stays uncompacted at least this long
 * @param maxCompactionLagMs max.compaction.lag.ms: a record is eligible for compaction at most this long after it
 *                           was written, whatever the dirty ratio
 */
public record CompactionConfig(boolean compact, boolean delete, long deleteRetentionMs, double minCleanableRatio,
                               long minCompactionLagMs, long maxCompactionLagMs) {

    /** Kafka's defaults: delete only. */
    public static final CompactionConfig DEFAULTS = new CompactionConfig(false, true, 86_400_000L, 0.5, 0,
            Long.MAX_VALUE);

    /** The policy named by a cleanup.policy value (a comma-separated list of compact and delete). */
    CompactionConfig withPolicy(String policy) {
        List<String> items = List.of(policy.split(",")).stream().map(String::trim).toList();
        return new CompactionConfig(items.contains("compact"), items.contains("delete"), deleteRetentionMs,
                minCleanableRatio, minCompactionLagMs, maxCompactionLagMs);
    }
}
