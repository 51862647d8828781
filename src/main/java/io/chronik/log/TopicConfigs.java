package io.chronik.log;

import java.util.Map;
import java.util.SortedMap;

/**
 * The table of topic configuration keys Chronik knows (Kafka's names), with defaults and validation.
 * Unknown keys and invalid values are rejected with TopicException(INVALID_CONFIG) naming the key.
 */
public final class TopicConfigs {
    private TopicConfigs() {
    }

    public static boolean isKnown(String key) { throw new UnsupportedOperationException(); }

    /** Throws TopicException(INVALID_CONFIG, "Invalid value 'x' for configuration 'key': ...") when invalid. */
    public static void validate(String key, String value) { throw new UnsupportedOperationException(); }

    /** Every known key with its effective value for a topic with these overrides (for DescribeConfigs). */
    public static SortedMap<String, String> effective(LogConfig brokerDefaults, Map<String, String> overrides) {
        throw new UnsupportedOperationException();
    }

    static LogConfig apply(LogConfig base, Map<String, String> overrides) { throw new UnsupportedOperationException(); }
}
