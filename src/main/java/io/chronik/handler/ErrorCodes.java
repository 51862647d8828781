package io.chronik.handler;

import io.chronik.log.LogError;
import io.chronik.log.TopicException;
import org.apache.kafka.common.protocol.Errors;

/** Maps storage's error vocabulary to Kafka error codes (the names are Kafka's, so the mapping is by name). */
final class ErrorCodes {
    private ErrorCodes() {
    }

    static short of(LogError error) {
        return errors(error).code();
    }

    /** The Kafka error of the same name; storage errors without a wire code are UNKNOWN_SERVER_ERROR. */
    static Errors errors(LogError error) {
        return switch (error) {
            case UNEXPECTED_APPEND_OFFSET -> Errors.UNKNOWN_SERVER_ERROR;
            case NOT_LEADER_OR_FOLLOWER -> Errors.NOT_LEADER_OR_FOLLOWER;
            default -> Errors.valueOf(error.name());
        };
    }

    static short of(TopicException.Reason reason) {
        return Errors.valueOf(reason.name()).code();
    }

    /** The Kafka error for a failure thrown by storage or by a handler. */
    static Errors of(Throwable failure) {
        Throwable t = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (t instanceof io.chronik.log.LogException e) {
            return errors(e.error());
        }
        if (t instanceof TopicException e) {
            return Errors.valueOf(e.reason().name());
        }
        if (t instanceof java.io.IOException || t instanceof java.io.UncheckedIOException) {
            return Errors.KAFKA_STORAGE_ERROR;
        }
        return Errors.forException(t);
    }

    /**
     * KAFKA_STORAGE_ERROR as a client of {@code knowsStorageError} can take it: clients older than Produce v4 and
     * Fetch v6 do not know it and get NOT_LEADER_OR_FOLLOWER instead (they refresh metadata and retry), as Kafka
     * answers them.
     */
    static short storageErrorFor(short code, boolean knowsStorageError) {
        return code == Errors.KAFKA_STORAGE_ERROR.code() && !knowsStorageError ? Errors.NOT_LEADER_OR_FOLLOWER.code() : code;
    }

    static String message(Throwable failure) {
        Throwable t = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        return t.getMessage();
    }
}
