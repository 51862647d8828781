package io.chronik.log;

/**
 * Storage's own error vocabulary. The handler layer maps each to the Kafka error code of the same name,
 * so storage never depends on protocol classes.
 */
public enum LogError {
    NONE,
    /** A batch failed its CRC-32C check or its length fields are inconsistent. */
    CORRUPT_MESSAGE,
    /** A batch is well formed but not acceptable (magic other than 2, empty, bad offset delta, a control batch from a client). */
    INVALID_RECORD,
    /** A record's timestamp is out of the topic's message.timestamp.before/after.max.ms range, or a producer set LogAppendTime. */
    INVALID_TIMESTAMP,
    /** A batch is larger than the topic's max.message.bytes. */
    MESSAGE_TOO_LARGE,
    /** An idempotent batch's sequence does not follow the producer's last one. */
    OUT_OF_ORDER_SEQUENCE_NUMBER,
    /** An idempotent batch carries an epoch older than the producer's current one. */
    INVALID_PRODUCER_EPOCH,
    /** A non-transactional batch from a producer with an ongoing transaction. */
    INVALID_TXN_STATE,
    /** A transaction marker from a coordinator older than the one that wrote the producer's last marker. */
    TRANSACTION_COORDINATOR_FENCED,
    /** The requested offset is outside [log start offset, log end offset]. */
    OFFSET_OUT_OF_RANGE,
    /** Disk full or another I/O failure; nothing of the request became visible. */
    KAFKA_STORAGE_ERROR,
    /** The partition was deleted while the request was in flight. */
    UNKNOWN_TOPIC_OR_PARTITION,
    /** A leader append to a follower, or a follower append to a log that is not a follower. */
    NOT_LEADER_OR_FOLLOWER,
    /**
     * A follower append whose first batch starts below the log end offset while ending at or after it, or whose
     * batches' offsets do not increase (Kafka's UnexpectedAppendOffsetException; it has no wire error code).
     */
    UNEXPECTED_APPEND_OFFSET
}
