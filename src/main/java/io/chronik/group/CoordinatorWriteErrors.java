package io.chronik.group;

import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The error a client gets when the group coordinator could not write its state to {@code __consumer_offsets}, as
 * Kafka's group coordinator answers: a write that could not reach enough replicas in time is
 * COORDINATOR_NOT_AVAILABLE (the client retries the same coordinator later), a lost leadership or a storage failure is
 * NOT_COORDINATOR (the client looks the coordinator up again), a batch too large is INVALID_COMMIT_OFFSET_SIZE; other
 * Kafka errors (COORDINATOR_LOAD_IN_PROGRESS, INVALID_PRODUCER_EPOCH, ...) are answered as they are.
 */
public final class CoordinatorWriteErrors {
    private CoordinatorWriteErrors() {
    }

    public static Errors of(Throwable failure) {
        if (failure == null) {
            return Errors.NONE;
        }
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (!(cause instanceof ApiException)) {
            return Errors.NOT_COORDINATOR;
        }
        Errors error = Errors.forException(cause);
        return switch (error) {
            case UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT ->
                    Errors.COORDINATOR_NOT_AVAILABLE;
            case NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR -> Errors.NOT_COORDINATOR;
            case MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_FETCH_SIZE -> Errors.INVALID_COMMIT_OFFSET_SIZE;
            case UNKNOWN_SERVER_ERROR -> Errors.NOT_COORDINATOR;
            default -> error;
        };
    }
}
