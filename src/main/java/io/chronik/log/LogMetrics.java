package io.chronik.log;

/** Hooks through which storage reports what it does; the metrics package supplies the implementation. */
public interface LogMetrics {
    LogMetrics NOOP = new LogMetrics() {
    };

    /** One partition append (validation + write), in nanoseconds. */
    default void appendCompleted(String topic, long nanos, int records, int bytes) {
    }

    /** One group-commit fsync of a segment: how long it took and how many records it made durable. */
    default void fsyncCompleted(long nanos, long records) {
    }

    /** One log cleaner round on a partition of {@code topic}: how long, bytes read and bytes written back. */
    default void cleanerRoundCompleted(String topic, long nanos, long bytesRead, long bytesWritten) {
    }
}
