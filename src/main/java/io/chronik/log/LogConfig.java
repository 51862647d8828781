package io.chronik.log;

import java.util.Map;

/**
 * The topic configuration storage acts on, with Kafka's key names and defaults. Other known topic keys
 * (see {@link TopicConfigs}) are stored and described but do not change storage behaviour.
 *
 * @param segmentBytes          segment.bytes: roll the active segment past this size
 * @param segmentMs             segment.ms: roll the active segment past this age
 * @param retentionMs           retention.ms: delete whole segments whose newest record is older (-1: keep forever)
 * @param retentionBytes        retention.bytes: delete oldest whole segments while the partition is larger (-1: no limit)
 * @param maxMessageBytes       max.message.bytes: largest record batch accepted
 * @param indexIntervalBytes    index.interval.bytes: bytes between offset/time index entries
 * @param logAppendTime         message.timestamp.type=LogAppendTime: the broker stamps batches with its clock
 * @param compressionType       compression.type: "producer" keeps each batch's codec; "uncompressed", "gzip", "snappy",
 *                              "lz4" or "zstd" rewrites batches in another codec
 * @param compressionGzipLevel  compression.gzip.level: level used when the broker writes gzip
 * @param compressionLz4Level   compression.lz4.level: level used when the broker writes lz4
 * @param compressionZstdLevel  compression.zstd.level: level used when the broker writes zstd
 * @param timestampBeforeMaxMs  message.timestamp.before.max.ms: CreateTime records older than this are rejected
 * @param timestampAfterMaxMs   message.timestamp.after.max.ms: CreateTime records further ahead than this are rejected
 * @param segmentJitterMs       segment.jitter.ms: each segment rolls up to this much (random) before segment.ms
 * @param segmentIndexBytes     segment.index.bytes: a segment rolls once its offset or time index holds this many bytes
 * @param fileDeleteDelayMs     file.delete.delay.ms: how long a deleted segment's files stay for readers still sending them
 * @param flushMessages         flush.messages: fsync the log once this many records were appended since the last fsync
 * @param flushMs               flush.ms: fsync the log once the last fsync is this old and records were appended since
 * @param preallocate           preallocate: new segment files are created at segment.bytes and trimmed when they roll
 * @param producerIdExpirationMs producer.id.expiration.ms: forget an idempotent producer idle this long
 * @param compaction            cleanup.policy and the log cleaner's topic settings
 */
public record LogConfig(int segmentBytes, long segmentMs, long retentionMs, long retentionBytes,
                        int maxMessageBytes, int indexIntervalBytes, boolean logAppendTime,
                        String compressionType, int compressionGzipLevel, int compressionLz4Level,
                        int compressionZstdLevel, long timestampBeforeMaxMs, long timestampAfterMaxMs,
                        long segmentJitterMs, int segmentIndexBytes, long fileDeleteDelayMs, long flushMessages,
                        long flushMs, boolean preallocate, long producerIdExpirationMs,
                        CompactionConfig compaction) {

    /** Kafka's default producer.id.expiration.ms: one day. */
    public static final long DEFAULT_PRODUCER_ID_EXPIRATION_MS = 24L * 3600 * 1000;

    /** Without cleaner settings: a delete-only topic (cleanup.policy=delete) with Kafka's cleaner defaults. */
    public LogConfig(int segmentBytes, long segmentMs, long retentionMs, long retentionBytes,
                     int maxMessageBytes, int indexIntervalBytes, boolean logAppendTime,
                     String compressionType, int compressionGzipLevel, int compressionLz4Level,
                     int compressionZstdLevel, long timestampBeforeMaxMs, long timestampAfterMaxMs,
                     long segmentJitterMs, int segmentIndexBytes, long fileDeleteDelayMs, long flushMessages,
                     long flushMs, boolean preallocate, long producerIdExpirationMs) {
        this(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, indexIntervalBytes, logAppendTime,
                compressionType, compressionGzipLevel, compressionLz4Level, compressionZstdLevel, timestampBeforeMaxMs,
                timestampAfterMaxMs, segmentJitterMs, segmentIndexBytes, fileDeleteDelayMs, flushMessages, flushMs,
                preallocate, producerIdExpirationMs, CompactionConfig.DEFAULTS);
    }

    /** Kafka's broker defaults. */
    public static final LogConfig KAFKA_DEFAULTS = new LogConfig(1 << 30, 7L * 24 * 3600 * 1000,
            7L * 24 * 3600 * 1000, -1, 1024 * 1024 + 12, 4096, false);

    /** The storage settings with Kafka's defaults for everything else. */
    public LogConfig(int segmentBytes, long segmentMs, long retentionMs, long retentionBytes, int maxMessageBytes,
                     int indexIntervalBytes, boolean logAppendTime) {
        this(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, indexIntervalBytes, logAppendTime,
                "producer", -1, 9, 3, Long.MAX_VALUE, 3_600_000L, 0, 10 * 1024 * 1024, 60_000, Long.MAX_VALUE,
                Long.MAX_VALUE, false, DEFAULT_PRODUCER_ID_EXPIRATION_MS);
    }

    /** This configuration with another file.delete.delay.ms (the broker's, for its defaults). */
    public LogConfig withFileDeleteDelayMs(long delayMs) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, indexIntervalBytes,
                logAppendTime, compressionType, compressionGzipLevel, compressionLz4Level, compressionZstdLevel,
                timestampBeforeMaxMs, timestampAfterMaxMs, segmentJitterMs, segmentIndexBytes, delayMs, flushMessages,
                flushMs, preallocate, producerIdExpirationMs, compaction);
    }

    /** This configuration with another producer.id.expiration.ms (the broker's, for its defaults). */
    public LogConfig withProducerIdExpirationMs(long expirationMs) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, indexIntervalBytes,
                logAppendTime, compressionType, compressionGzipLevel, compressionLz4Level, compressionZstdLevel,
                timestampBeforeMaxMs, timestampAfterMaxMs, segmentJitterMs, segmentIndexBytes, fileDeleteDelayMs,
                flushMessages, flushMs, preallocate, expirationMs, compaction);
    }

    /** This configuration with the given topic overrides applied; throws TopicException(INVALID_CONFIG) on a bad key or value. */
    public LogConfig withOverrides(Map<String, String> overrides) {
        return TopicConfigs.apply(this, overrides);
    }

    /** How long the active segment may fill: a compacted topic also rolls within max.compaction.lag.ms, as in Kafka. */
    long rollMs() {
        return compaction.compact() ? Math.min(segmentMs, compaction.maxCompactionLagMs()) : segmentMs;
    }
}
