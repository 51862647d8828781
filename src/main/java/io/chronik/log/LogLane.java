package io.chronik.log;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * A partition's side of its append lane (one thread, shared with other partitions; see {@link AppendLanes}). Every
 * change to the partition's log is queued here and runs there, one task at a time in the order queued: appends, role
 * changes, truncation, retention, DeleteRecords, the cleaner's replacement of segments, timed flushes, producer
 * expiration. State that only the lane touches needs no synchronization. A lane refuses work only when it is shut
 * down (a full lane holds work back instead).
 */
final class LogLane {
    /** Why a lane refused work: a full lane holds work back instead of refusing it, so only shutdown remains. */
    static final String LANE_CLOSED = "log is closed";
    /** Log's own logger: these lines are the partition's. */
    private static final System.Logger LOGGER = System.getLogger(Log.class.getName());
    private static final long FAILURE_LOG_INTERVAL_NANOS = 10_000_000_000L;

    /** A step on the lane that may fail on the partition's files. */
    interface Step {
        void run() throws IOException;
    }

    private final Log log;
    private final LogLifecycle lifecycle;
    private final ExecutorService lane;
    /** When an append failure was last logged, and how many were not since. Lane only. */
    private long lastFailureLogged;
    private long suppressedFailures;

    LogLane(Log log, LogLifecycle lifecycle, ExecutorService lane) {
        this.log = log;
        this.lifecycle = lifecycle;
        this.lane = lane;
    }

    ExecutorService executor() {
        return lane;
    }

    /** Queues {@code task}; false when the lane refused it (it is shut down). */
    boolean execute(Runnable task) {
        try {
            lane.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** Runs {@code step} on the lane; a storage failure takes the partition offline and fails the future. */
    CompletableFuture<Void> run(String what, Step step) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (lifecycle.deleted()) {
            done.completeExceptionally(new LogException(LogError.UNKNOWN_TOPIC_OR_PARTITION, "partition was deleted"));
        } else if (lifecycle.offline()) {
            done.completeExceptionally(lifecycle.offlineException());
        } else if (!execute(() -> {
            try {
                if (lifecycle.deleted()) {
                    throw new LogException(LogError.UNKNOWN_TOPIC_OR_PARTITION, "partition was deleted");
                }
                if (lifecycle.closed()) {
                    throw new LogException(LogError.KAFKA_STORAGE_ERROR, LANE_CLOSED);
                }
                lifecycle.requireOnline();
                step.run();
                done.complete(null);
            } catch (LogException e) {
                done.completeExceptionally(e);
            } catch (IOException | RuntimeException e) {
                lifecycle.markOffline(what, e);
                done.completeExceptionally(new LogException(LogError.KAFKA_STORAGE_ERROR,
                        what + " of " + log + " failed: " + e, e));
            }
        })) {
            done.completeExceptionally(new LogException(LogError.KAFKA_STORAGE_ERROR, LANE_CLOSED));
        }
        return done;
    }

    /**
     * A failing disk fails every append: log the first failure in full, then at most one line per interval with
     * the number of failures in between, so the log is not flooded. Runs on this partition's lane only.
     */
    /**
     * Runs one append on the lane and completes {@code result} with what it returns (null: the group committer
     * completes it after the fsync); a runtime failure answers KAFKA_STORAGE_ERROR and is logged, throttled.
     */
    void completeAppend(java.util.function.Supplier<AppendResult> append, java.util.function.LongSupplier logStartOffset,
                        CompletableFuture<AppendResult> result) {
        try {
            AppendResult done = append.get();
            if (done != null) {
                result.complete(done);
            }
        } catch (RuntimeException e) {
            logAppendFailure(e);
            result.complete(AppendResult.failed(LogError.KAFKA_STORAGE_ERROR, logStartOffset.getAsLong(), e.toString()));
        }
    }

    void logAppendFailure(Throwable e) {
        long now = System.nanoTime();
        if (lastFailureLogged != 0 && now - lastFailureLogged < FAILURE_LOG_INTERVAL_NANOS) {
            suppressedFailures++;
            return;
        }
        String more = suppressedFailures == 0 ? "" : " (" + suppressedFailures + " more failures since the last report)";
        LOGGER.log(System.Logger.Level.ERROR, "append to " + log + " failed" + more, e);
        lastFailureLogged = now;
        suppressedFailures = 0;
    }
}
