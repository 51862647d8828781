package io.chronik.log;

/** A topic administration request that cannot be carried out; {@link #reason()} names the Kafka error. */
public class TopicException extends RuntimeException {
    public enum Reason {
        TOPIC_ALREADY_EXISTS, UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS,
        INVALID_REPLICATION_FACTOR, INVALID_CONFIG, KAFKA_STORAGE_ERROR
    }

    private final Reason reason;

    public TopicException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
