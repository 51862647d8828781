package io.chronik.log;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The table of topic configuration keys Chronik knows (Kafka's names), with defaults and validation.
 * Unknown keys and invalid values are rejected with TopicException(INVALID_CONFIG) naming the key.
 */
public final class TopicConfigs {
    public static final String CLEANUP_POLICY = "cleanup.policy";
    public static final String COMPRESSION_TYPE = "compression.type";
    public static final String COMPRESSION_GZIP_LEVEL = "compression.gzip.level";
    public static final String COMPRESSION_LZ4_LEVEL = "compression.lz4.level";
    public static final String COMPRESSION_ZSTD_LEVEL = "compression.zstd.level";
    public static final String DELETE_RETENTION_MS = "delete.retention.ms";
    public static final String FILE_DELETE_DELAY_MS = "file.delete.delay.ms";
    public static final String FLUSH_MESSAGES = "flush.messages";
    public static final String FLUSH_MS = "flush.ms";
    public static final String MAX_COMPACTION_LAG_MS = "max.compaction.lag.ms";
    public static final String MIN_CLEANABLE_DIRTY_RATIO = "min.cleanable.dirty.ratio";
    public static final String MIN_COMPACTION_LAG_MS = "min.compaction.lag.ms";
    public static final String INDEX_INTERVAL_BYTES = "index.interval.bytes";
    public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
    public static final String MESSAGE_TIMESTAMP_TYPE = "message.timestamp.type";
    public static final String MESSAGE_TIMESTAMP_BEFORE_MAX_MS = "message.timestamp.before.max.ms";
    public static final String MESSAGE_TIMESTAMP_AFTER_MAX_MS = "message.timestamp.after.max.ms";
    public static final String PREALLOCATE = "preallocate";
    public static final String PRODUCER_ID_EXPIRATION_MS = "producer.id.expiration.ms";
    public static final String RETENTION_BYTES = "retention.bytes";
    public static final String RETENTION_MS = "retention.ms";
    public static final String SEGMENT_BYTES = "segment.bytes";
    public static final String SEGMENT_INDEX_BYTES = "segment.index.bytes";
    public static final String SEGMENT_JITTER_MS = "segment.jitter.ms";
    public static final String SEGMENT_MS = "segment.ms";
    private static final String NO_TIERED_STORAGE = "tiered storage is not supported";

    private static final String LONG_MAX = Long.toString(Long.MAX_VALUE);

    /** A known key: its Kafka default and a check returning why a value is invalid (null when valid). */
    private record Key(String name, String defaultValue, Function<String, String> check) {
    }

    private static final Map<String, Key> KEYS = table(
            new Key(CLEANUP_POLICY, "delete", listOf("compact", "delete")),
            new Key("compression.type", "producer",
                    oneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer", "none")),
            new Key("compression.gzip.level", "-1", v -> {
                String bad = intBetween(-1, 9).apply(v);
                return bad != null ? bad : Integer.parseInt(v.trim()) == 0 ? "must be -1 or between 1 and 9" : null;
            }),
            new Key("compression.lz4.level", "9", intBetween(1, 17)),
            new Key("compression.zstd.level", "3", intBetween(-131072, 22)),
            new Key(DELETE_RETENTION_MS, "86400000", longAtLeast(0)),
            new Key("file.delete.delay.ms", "60000", longAtLeast(0)),
            new Key("flush.messages", LONG_MAX, longAtLeast(1)),
            new Key("flush.ms", LONG_MAX, longAtLeast(0)),
            new Key(INDEX_INTERVAL_BYTES, "4096", intBetween(0, Integer.MAX_VALUE)),
            new Key("local.retention.bytes", "-2", onlyValue("-2", NO_TIERED_STORAGE)),
            new Key("local.retention.ms", "-2", onlyValue("-2", NO_TIERED_STORAGE)),
            new Key(ThrottledReplicas.LEADER, "", ThrottledReplicas::problem),
            new Key(MAX_COMPACTION_LAG_MS, LONG_MAX, longAtLeast(1)),
            new Key(MAX_MESSAGE_BYTES, "1048588", intBetween(0, Integer.MAX_VALUE)),
            new Key("message.timestamp.after.max.ms", "3600000", longAtLeast(0)),
            new Key("message.timestamp.before.max.ms", LONG_MAX, longAtLeast(0)),
            new Key(MESSAGE_TIMESTAMP_TYPE, "CreateTime", oneOf("CreateTime", "LogAppendTime")),
            new Key(MIN_CLEANABLE_DIRTY_RATIO, "0.5", TopicConfigs::ratio),
            new Key(MIN_COMPACTION_LAG_MS, "0", longAtLeast(0)),
            new Key("min.insync.replicas", "1", intBetween(1, Integer.MAX_VALUE)),
            new Key(ThrottledReplicas.FOLLOWER, "", ThrottledReplicas::problem),
            new Key("preallocate", "false", TopicConfigs::bool),
            new Key(PRODUCER_ID_EXPIRATION_MS, "86400000", intBetween(1, Integer.MAX_VALUE)),
            new Key("remote.log.copy.disable", "false", onlyFalse(NO_TIERED_STORAGE)),
            new Key("remote.log.delete.on.disable", "false", onlyFalse(NO_TIERED_STORAGE)),
            new Key("remote.storage.enable", "false", onlyFalse(NO_TIERED_STORAGE)),
            new Key(RETENTION_BYTES, "-1", longAtLeast(Long.MIN_VALUE)),
            new Key(RETENTION_MS, "604800000", longAtLeast(-1)),
            new Key(SEGMENT_BYTES, "1073741824", intBetween(14, Integer.MAX_VALUE)),
            new Key(SEGMENT_INDEX_BYTES, "10485760", intBetween(4, Integer.MAX_VALUE)),
            new Key("segment.jitter.ms", "0", longAtLeast(0)),
            new Key(SEGMENT_MS, "604800000", longAtLeast(1)),
            new Key("unclean.leader.election.enable", "false", TopicConfigs::bool));

    private TopicConfigs() {
    }

    public static boolean isKnown(String key) {
        return KEYS.containsKey(key);
    }

    /** Every known key name. */
    public static Set<String> keys() {
        return Collections.unmodifiableSet(KEYS.keySet());
    }

    /** Throws TopicException(INVALID_CONFIG, "Invalid value 'x' for configuration 'key': ...") when invalid. */
    public static void validate(String key, String value) {
        Key k = KEYS.get(key);
        if (k == null) {
            throw new TopicException(TopicException.Reason.INVALID_CONFIG, "Unknown topic config name: " + key);
        }
        String reason = value == null ? "a value is required" : k.check().apply(value);
        if (reason != null) {
            throw new TopicException(TopicException.Reason.INVALID_CONFIG,
                    "Invalid value '" + value + "' for configuration '" + key + "': " + reason);
        }
    }

    /** Every known key with its effective value for a topic with these overrides (for DescribeConfigs). */
    public static SortedMap<String, String> effective(LogConfig brokerDefaults, Map<String, String> overrides) {
        SortedMap<String, String> result = new TreeMap<>();
        for (Key k : KEYS.values()) {
            result.put(k.name(), k.defaultValue());
        }
        result.put(SEGMENT_BYTES, Integer.toString(brokerDefaults.segmentBytes()));
        result.put(SEGMENT_MS, Long.toString(brokerDefaults.segmentMs()));
        result.put(RETENTION_MS, Long.toString(brokerDefaults.retentionMs()));
        result.put(RETENTION_BYTES, Long.toString(brokerDefaults.retentionBytes()));
        result.put(MAX_MESSAGE_BYTES, Integer.toString(brokerDefaults.maxMessageBytes()));
        result.put(INDEX_INTERVAL_BYTES, Integer.toString(brokerDefaults.indexIntervalBytes()));
        result.put(MESSAGE_TIMESTAMP_TYPE, brokerDefaults.logAppendTime() ? "LogAppendTime" : "CreateTime");
        result.put(COMPRESSION_TYPE, brokerDefaults.compressionType());
        result.put(COMPRESSION_GZIP_LEVEL, Integer.toString(brokerDefaults.compressionGzipLevel()));
        result.put(COMPRESSION_LZ4_LEVEL, Integer.toString(brokerDefaults.compressionLz4Level()));
        result.put(COMPRESSION_ZSTD_LEVEL, Integer.toString(brokerDefaults.compressionZstdLevel()));
        result.put(MESSAGE_TIMESTAMP_BEFORE_MAX_MS, Long.toString(brokerDefaults.timestampBeforeMaxMs()));
        result.put(MESSAGE_TIMESTAMP_AFTER_MAX_MS, Long.toString(brokerDefaults.timestampAfterMaxMs()));
        result.put(SEGMENT_JITTER_MS, Long.toString(brokerDefaults.segmentJitterMs()));
        result.put(SEGMENT_INDEX_BYTES, Integer.toString(brokerDefaults.segmentIndexBytes()));
        result.put(FILE_DELETE_DELAY_MS, Long.toString(brokerDefaults.fileDeleteDelayMs()));
        result.put(FLUSH_MESSAGES, Long.toString(brokerDefaults.flushMessages()));
        result.put(FLUSH_MS, Long.toString(brokerDefaults.flushMs()));
        result.put(PREALLOCATE, Boolean.toString(brokerDefaults.preallocate()));
        result.put(PRODUCER_ID_EXPIRATION_MS, Long.toString(brokerDefaults.producerIdExpirationMs()));
        if (overrides != null) {
            overrides.forEach((key, value) -> {
                if (KEYS.containsKey(key) && value != null) {
                    result.put(key, value.trim());
                }
            });
        }
        return result;
    }

    static LogConfig apply(LogConfig base, Map<String, String> overrides) {
        if (overrides == null || overrides.isEmpty()) {
            return base;
        }
        overrides.forEach(TopicConfigs::validate);
        return new LogConfig(
                intOr(overrides.get(SEGMENT_BYTES), base.segmentBytes()),
                longOr(overrides.get(SEGMENT_MS), base.segmentMs()),
                longOr(overrides.get(RETENTION_MS), base.retentionMs()),
                longOr(overrides.get(RETENTION_BYTES), base.retentionBytes()),
                intOr(overrides.get(MAX_MESSAGE_BYTES), base.maxMessageBytes()),
                intOr(overrides.get(INDEX_INTERVAL_BYTES), base.indexIntervalBytes()),
                overrides.containsKey(MESSAGE_TIMESTAMP_TYPE)
                        ? overrides.get(MESSAGE_TIMESTAMP_TYPE).trim().equals("LogAppendTime") : base.logAppendTime(),
                overrides.containsKey(COMPRESSION_TYPE) ? overrides.get(COMPRESSION_TYPE).trim() : base.compressionType(),
                intOr(overrides.get(COMPRESSION_GZIP_LEVEL), base.compressionGzipLevel()),
                intOr(overrides.get(COMPRESSION_LZ4_LEVEL), base.compressionLz4Level()),
                intOr(overrides.get(COMPRESSION_ZSTD_LEVEL), base.compressionZstdLevel()),
                longOr(overrides.get(MESSAGE_TIMESTAMP_BEFORE_MAX_MS), base.timestampBeforeMaxMs()),
                longOr(overrides.get(MESSAGE_TIMESTAMP_AFTER_MAX_MS), base.timestampAfterMaxMs()),
                longOr(overrides.get(SEGMENT_JITTER_MS), base.segmentJitterMs()),
                intOr(overrides.get(SEGMENT_INDEX_BYTES), base.segmentIndexBytes()),
                longOr(overrides.get(FILE_DELETE_DELAY_MS), base.fileDeleteDelayMs()),
                longOr(overrides.get(FLUSH_MESSAGES), base.flushMessages()),
                longOr(overrides.get(FLUSH_MS), base.flushMs()),
                overrides.containsKey(PREALLOCATE) ? Boolean.parseBoolean(overrides.get(PREALLOCATE).trim())
                        : base.preallocate(),
                longOr(overrides.get(PRODUCER_ID_EXPIRATION_MS), base.producerIdExpirationMs()),
                compaction(base.compaction(), overrides));
    }

    private static CompactionConfig compaction(CompactionConfig base, Map<String, String> overrides) {
        CompactionConfig c = new CompactionConfig(base.compact(), base.delete(),
                longOr(overrides.get(DELETE_RETENTION_MS), base.deleteRetentionMs()),
                overrides.containsKey(MIN_CLEANABLE_DIRTY_RATIO)
                        ? Double.parseDouble(overrides.get(MIN_CLEANABLE_DIRTY_RATIO).trim()) : base.minCleanableRatio(),
                longOr(overrides.get(MIN_COMPACTION_LAG_MS), base.minCompactionLagMs()),
                longOr(overrides.get(MAX_COMPACTION_LAG_MS), base.maxCompactionLagMs()));
        if (overrides.containsKey(CLEANUP_POLICY)) {
            c = c.withPolicy(overrides.get(CLEANUP_POLICY));
        }
        if (c.maxCompactionLagMs() < c.minCompactionLagMs()) {
            // Kafka refuses the same combination.
            throw new TopicException(TopicException.Reason.INVALID_CONFIG, "conflict topic config setting "
                    + MAX_COMPACTION_LAG_MS + " (" + c.maxCompactionLagMs() + ") < " + MIN_COMPACTION_LAG_MS + " ("
                    + c.minCompactionLagMs() + ")");
        }
        return c;
    }

    // ---- validators ----

    private static Map<String, Key> table(Key... keys) {
        Map<String, Key> map = new LinkedHashMap<>();
        for (Key k : keys) {
            map.put(k.name(), k);
        }
        return Collections.unmodifiableMap(map);
    }

    private static int intOr(String value, int fallback) {
        return value == null ? fallback : Integer.parseInt(value.trim());
    }

    private static long longOr(String value, long fallback) {
        return value == null ? fallback : Long.parseLong(value.trim());
    }

    private static Function<String, String> intBetween(int min, int max) {
        return v -> {
            int parsed;
            try {
                parsed = Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                return "not a number of type int";
            }
            if (parsed < min) {
                return "must be at least " + min;
            }
            return parsed > max ? "must be at most " + max : null;
        };
    }

    private static Function<String, String> longAtLeast(long min) {
        return v -> {
            try {
                return Long.parseLong(v.trim()) < min ? "must be at least " + min : null;
            } catch (NumberFormatException e) {
                return "not a number of type long";
            }
        };
    }

    private static String ratio(String v) {
        try {
            double d = Double.parseDouble(v.trim());
            return d >= 0 && d <= 1 ? null : "must be between 0 and 1";
        } catch (NumberFormatException e) {
            return "not a number of type double";
        }
    }

    private static String bool(String v) {
        String t = v.trim();
        return t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false") ? null : "must be true or false";
    }

    /** A key Chronik accepts only at {@code value} (its default), because what other values ask for is missing. */
    private static Function<String, String> onlyValue(String value, String why) {
        return v -> {
            String bad = longAtLeast(Long.MIN_VALUE).apply(v);
            return bad != null ? bad : Long.parseLong(v.trim()) == Long.parseLong(value) ? null : why;
        };
    }

    /** A boolean key Chronik accepts only as false. */
    private static Function<String, String> onlyFalse(String why) {
        return v -> {
            String bad = bool(v);
            return bad != null ? bad : v.trim().equalsIgnoreCase("false") ? null : why;
        };
    }

    private static Function<String, String> oneOf(String... allowed) {
        List<String> values = List.of(allowed);
        return v -> values.contains(v.trim()) ? null : "must be one of " + values;
    }

    private static Function<String, String> listOf(String... allowed) {
        List<String> values = List.of(allowed);
        return v -> {
            String[] items = v.split(",");
            if (v.isBlank()) {
                return "must be a non-empty list of " + values;
            }
            for (String item : items) {
                if (!values.contains(item.trim())) {
                    return "'" + item.trim() + "' is not one of " + values;
                }
            }
            return null;
        };
    }
}
