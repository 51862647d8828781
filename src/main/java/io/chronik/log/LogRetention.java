package io.chronik.log;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Predicate;

/**
 * Removing a partition's oldest records: retention by time and size (retention.ms, retention.bytes, for
 * cleanup.policy delete) and DeleteRecords, both below the high watermark only. The log start moves first (written to
 * the partition's log-start-offset file for DeleteRecords), so readers see out-of-range rather than a gap; producer
 * state and epoch cache follow; whole segments below it are renamed for deletion, oldest first. Runs on the
 * partition's lane only.
 */
final class LogRetention {
    private final Log log;
    private final LogLifecycle lifecycle;
    private final LocalLog local;
    /** {@code local}'s segment map. */
    private final ConcurrentSkipListMap<Long, LogSegment> segments;
    private final Path dir;
    private final ProducerStateManager producers;
    private final LeaderEpochCache epochs;
    private final LogLane lane;

    LogRetention(Log log, LogLifecycle lifecycle, LocalLog local, ProducerStateManager producers,
                 LeaderEpochCache epochs, LogLane lane) {
        this.log = log;
        this.lifecycle = lifecycle;
        this.local = local;
        this.segments = local.segments();
        this.dir = local.dir();
        this.producers = producers;
        this.epochs = epochs;
        this.lane = lane;
    }

    /** Queues DeleteRecords on the lane: see {@link Log#deleteRecordsBefore}. */
    CompletableFuture<Long> deleteRecordsBefore(long offset) {
        CompletableFuture<Long> result = new CompletableFuture<>();
        if (lifecycle.deleted()) {
            result.completeExceptionally(new LogException(LogError.UNKNOWN_TOPIC_OR_PARTITION, "partition was deleted"));
        } else if (lifecycle.offline()) {
            result.completeExceptionally(lifecycle.offlineException());
        } else if (!lane.execute(() -> {
            try {
                lifecycle.requireOnline();
                result.complete(deleteRecordsOnLane(offset));
            } catch (LogException e) {
                result.completeExceptionally(e);
            } catch (IOException | RuntimeException e) {
                lifecycle.markOffline("DeleteRecords", e);
                result.completeExceptionally(new LogException(LogError.KAFKA_STORAGE_ERROR,
                        "DeleteRecords on " + log + " failed: " + e, e));
            }
        })) {
            result.completeExceptionally(new LogException(LogError.KAFKA_STORAGE_ERROR, LogLane.LANE_CLOSED));
        }
        return result;
    }

    /** Queues retention on the lane; completes when it ran (exceptionally when the lane refused it). */
    CompletableFuture<Void> scheduleRetention() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (!lane.execute(() -> {
            try {
                enforceRetention();
            } finally {
                done.complete(null);
            }
        })) {
            // Closing: this round is skipped.
            done.completeExceptionally(new LogException(LogError.KAFKA_STORAGE_ERROR, LogLane.LANE_CLOSED));
        }
        return done;
    }

    /** DeleteRecords: returns the new log start offset. Lane only. */
    private long deleteRecordsOnLane(long offset) throws IOException {
        long highWatermark = log.highWatermark();
        long target = offset == -1 ? highWatermark : offset;
        if (target < 0 || target > highWatermark) {
            throw new LogException(LogError.OFFSET_OUT_OF_RANGE, "Cannot delete records of " + log + " before offset "
                    + offset + ": the high watermark is " + highWatermark);
        }
        if (target > local.logStartOffset()) {
            LogRecovery.writeLogStartOffset(dir, target);
            local.setLogStartOffset(target);
            producers.truncateHead(target);
            epochs.truncateFromStart(target);
        }
        long start = local.logStartOffset();
        List<LogSegment> below = new ArrayList<>();
        for (Map.Entry<Long, LogSegment> e : segments.entrySet()) {
            Long nextBase = segments.higherKey(e.getKey());
            if (nextBase == null || nextBase > start) {
                break;
            }
            below.add(e.getValue());
        }
        deleteSegments(below);
        return local.logStartOffset();
    }

    /** Retention: time first, then size, like Kafka. Lane only. */
    void enforceRetention() {
        if (lifecycle.deleted() || lifecycle.closed() || lifecycle.offline()) {
            return;
        }
        LogConfig cfg = log.config();
        if (!cfg.compaction().delete()) {
            return; // compact only: the cleaner removes records, retention never does (DeleteRecords still can)
        }
        long now = System.currentTimeMillis();
        try {
            if (cfg.retentionMs() >= 0) {
                deleteOldSegments(s -> now - s.largestTimestamp() > cfg.retentionMs(), now);
            }
            if (cfg.retentionBytes() >= 0) {
                long[] size = {local.sizeInBytes()};
                deleteOldSegments(s -> {
                    if (size[0] - s.size() >= cfg.retentionBytes()) {
                        size[0] -= s.size();
                        return true;
                    }
                    return false;
                }, now);
            }
        } catch (IOException e) {
            lifecycle.markOffline("retention", e);
        }
    }

    /**
     * Deletes the oldest segments while {@code deletable} holds. When every segment qualifies, the non-empty
     * active segment is rolled first (as Kafka does) so a topic that no longer receives data still expires.
     */
    private void deleteOldSegments(Predicate<LogSegment> deletable, long now) throws IOException {
        List<LogSegment> victims = new ArrayList<>();
        long highWatermark = log.highWatermark();
        for (LogSegment segment : segments.values()) {
            // Like Kafka, only records below the high watermark expire (on a single node it is the log end).
            Long nextBase = segments.higherKey(segment.baseOffset());
            if ((nextBase == null ? local.logEnd().offset() : nextBase) > highWatermark || !deletable.test(segment)) {
                break;
            }
            victims.add(segment);
        }
        if (victims.isEmpty()) {
            return;
        }
        LogSegment active = local.activeSegment();
        if (victims.get(victims.size() - 1) == active) {
            if (active.size() > 0) {
                log.roll(now);
            } else {
                victims.remove(victims.size() - 1);
            }
        }
        deleteSegments(victims);
    }

    /**
     * Removes the given oldest, non-active segments: log start first, so readers see out-of-range, not a gap; then
     * each segment's files are renamed for deletion, oldest first, so a crash leaves no gap either.
     */
    private void deleteSegments(List<LogSegment> victims) throws IOException {
        if (victims.isEmpty()) {
            return;
        }
        LogSegment last = victims.get(victims.size() - 1);
        Long nextBase = segments.higherKey(last.baseOffset());
        if (nextBase == null) {
            throw new IllegalStateException("cannot delete the active segment of " + log);
        }
        local.setLogStartOffset(Math.max(local.logStartOffset(), nextBase));
        producers.truncateHead(local.logStartOffset());
        epochs.truncateFromStart(local.logStartOffset());
        for (LogSegment segment : victims) {
            local.removeForDeletion(segment);
        }
    }
}
