package io.chronik.log;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Owns every topic and partition log under the data directory: creates, deletes and recovers them,
 * persists topic metadata (write-then-rename), runs retention and group commit, and allocates producer ids.
 */
public final class LogManager implements AutoCloseable {

    public LogManager(StorageConfig config, LogMetrics metrics) {
        throw new UnsupportedOperationException();
    }

    /** Loads topic metadata and recovers every partition log; then starts retention. */
    public void startup() throws IOException { throw new UnsupportedOperationException(); }

    /** True once startup (recovery) has finished. */
    public boolean isReady() { throw new UnsupportedOperationException(); }

    public Optional<TopicInfo> topic(String name) { throw new UnsupportedOperationException(); }

    public Optional<TopicInfo> topic(UUID id) { throw new UnsupportedOperationException(); }

    public List<TopicInfo> topics() { throw new UnsupportedOperationException(); }

    /** Throws TopicException (TOPIC_ALREADY_EXISTS, INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS, INVALID_CONFIG). */
    public TopicInfo createTopic(String name, int partitions, Map<String, String> configs, boolean validateOnly) {
        throw new UnsupportedOperationException();
    }

    /** Throws TopicException(UNKNOWN_TOPIC_OR_PARTITION). */
    public void deleteTopic(String name) { throw new UnsupportedOperationException(); }

    /** Grows a topic to {@code totalCount} partitions; INVALID_PARTITIONS if not larger. */
    public TopicInfo createPartitions(String name, int totalCount, boolean validateOnly) {
        throw new UnsupportedOperationException();
    }

    /** Replaces the topic's whole override set (callers compute incremental changes); validated first. */
    public TopicInfo alterConfigs(String name, Map<String, String> overrides, boolean validateOnly) {
        throw new UnsupportedOperationException();
    }

    public Optional<Log> log(String topic, int partition) { throw new UnsupportedOperationException(); }

    /** A producer id never handed out before, also across restarts. */
    public long nextProducerId() { throw new UnsupportedOperationException(); }

    /** Flushes and closes every log, writes producer-state snapshots and the clean-shutdown marker. */
    @Override
    public void close() { throw new UnsupportedOperationException(); }
}
