package io.chronik.log;

import java.util.Map;

/**
 * The topic configuration storage acts on, with Kafka's key names and defaults. Other known topic keys
 * (see {@link TopicConfigs}) are stored and described but do not change storage behaviour.
 *
 * @param segmentBytes       segment.bytes: roll the active segment past this size
 * @param segmentMs          segment.ms: roll the active segment past this age
 * @param retentionMs        retention.ms: delete whole segments whose newest record is older (-1: keep forever)
 * @param retentionBytes     retention.bytes: delete oldest whole segments while the partition is larger (-1: no limit)
 * @param maxMessageBytes    max.message.bytes: largest record batch accepted
 * @param indexIntervalBytes index.interval.bytes: bytes between offset/time index entries
 * @param logAppendTime      message.timestamp.type=LogAppendTime: the broker stamps batches with its clock
 * @param segmentIndexBytes  segment.index.bytes: size each index of the active segment is preallocated to; the
 *                           segment rolls when an index is full
 */
public record LogConfig(int segmentBytes, long segmentMs, long retentionMs, long retentionBytes,
                        int maxMessageBytes, int indexIntervalBytes, boolean logAppendTime, int segmentIndexBytes) {

    /** Kafka's segment.index.bytes default. */
    public static final int DEFAULT_SEGMENT_INDEX_BYTES = 10 * 1024 * 1024;

    public LogConfig(int segmentBytes, long segmentMs, long retentionMs, long retentionBytes, int maxMessageBytes,
                     int indexIntervalBytes, boolean logAppendTime) {
        this(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, indexIntervalBytes, logAppendTime,
                DEFAULT_SEGMENT_INDEX_BYTES);
    }

    /** Kafka's broker defaults. */
    public static final LogConfig KAFKA_DEFAULTS = new LogConfig(1 << 30, 7L * 24 * 3600 * 1000,
            7L * 24 * 3600 * 1000, -1, 1024 * 1024 + 12, 4096, false);

    /** This configuration with the given topic overrides applied; throws TopicException(INVALID_CONFIG) on a bad key or value. */
    public LogConfig withOverrides(Map<String, String> overrides) {
        return TopicConfigs.apply(this, overrides);
    }
}
