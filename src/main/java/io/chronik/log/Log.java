package io.chronik.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One partition's append-only log: a sequence of segments, its offsets (log start, high watermark, log end),
 * its leader epoch and its idempotent-producer state. Appends are serialized on the partition's lane thread;
 * reads may run on any thread concurrently with appends and only ever see whole, committed batches.
 */
public final class Log {
    private static final System.Logger LOGGER = System.getLogger(Log.class.getName());
    private static final long FAILURE_LOG_INTERVAL_NANOS = 10_000_000_000L;
    /** Why a lane refused work: a full lane holds work back instead of refusing it, so only shutdown remains. */
    private static final String LANE_CLOSED = "log is closed";
    private long lastFailureLogged;
    private long suppressedFailures;

    /** Who writes this log: nobody has said until the first becomeLeader/becomeFollower (single node). */
    private enum Role { NONE, LEADER, FOLLOWER }

    /** A step on the lane that may fail on the partition's files. */
    private interface LaneStep {
        void run() throws IOException;
    }

    private final String topic;
    private final int partition;
    private final Path dir;
    private final LogServices services;
    private final LocalLog local;
    private final ProducerStateManager producers;
    private final AtomicReference<CompletableFuture<Void>> appendSignal =
            new AtomicReference<>(new CompletableFuture<>());
    private volatile LogConfig config;
    private final HighWatermark highWatermark;
    private final LogReader reader;
    private final LogFlusher flusher;
    private final LeaderAppender leader;
    private final FollowerAppender follower;
    private final LogTruncation truncation;
    private final LogRetention retention;
    private final SegmentReplacer replacer;
    private volatile Role role = Role.NONE;
    /** The epoch leader appends stamp into each batch (0 on a single node). */
    private volatile int leaderEpoch;
    private final LeaderEpochCache epochs;
    private volatile boolean deleted;
    private volatile boolean closed;
    /**
     * Set by the first failed write, fsync or read of this partition's files: from then on every request for it is
     * answered KAFKA_STORAGE_ERROR until a restart recovers it. Nothing written after a failed fsync is acknowledged.
     */
    private volatile boolean offline;

    Log(String topic, int partition, Path dir, LogConfig config, LogRecovery.Loaded loaded, LogServices services) {
        this.topic = topic;
        this.partition = partition;
        this.dir = dir;
        this.config = config;
        this.services = services;
        this.local = new LocalLog(dir, loaded.segments(), loaded.logStartOffset(), config, services.deleteLater());
        this.highWatermark = new HighWatermark(this, local);
        this.reader = new LogReader(this, local, highWatermark);
        this.producers = loaded.producers();
        this.epochs = loaded.epochs();
        this.flusher = new LogFlusher(this, local, services);
        this.leader = new LeaderAppender(this, local, producers, epochs, services, flusher);
        this.follower = new FollowerAppender(this, local, producers, epochs, services, flusher);
        this.truncation = new LogTruncation(this, local, highWatermark, producers, epochs, services, flusher);
        this.retention = new LogRetention(this, local, producers, epochs);
        this.replacer = new SegmentReplacer(this, local, services);
    }

    public String topic() {
        return topic;
    }

    public int partition() {
        return partition;
    }

    public long logStartOffset() {
        return local.logStartOffset();
    }

    /**
     * Offset up to which records are committed and visible to consumers: the log end until the log is given a role
     * (single node), then what {@link #updateHighWatermark} set.
     */
    public long highWatermark() {
        return highWatermark.view().offset();
    }

    public long logEndOffset() {
        return local.logEnd().offset();
    }

    /** The offset up to which this log is fsynced. */
    public long durableEndOffset() {
        return local.durableEndOffset();
    }

    /** The epoch the leader stamps into the batches it appends now (0 until set; a single node stays at 0). */
    public int leaderEpoch() {
        return leaderEpoch;
    }

    /** The latest epoch of the leader-epoch cache. */
    public OptionalInt latestEpoch() {
        return epochs.latestEpoch();
    }

    /** Kafka's OffsetsForLeaderEpoch answer for {@code epoch} from this log (see {@link LeaderEpochCache#endOffsetFor}). */
    public EpochEndOffset endOffsetForEpoch(int epoch) {
        return epochs.endOffsetFor(epoch, local.logEnd().offset());
    }

    /** The leader-epoch cache's entries, oldest first. */
    public java.util.List<LeaderEpochCache.Entry> epochEntries() {
        return epochs.entries();
    }

    /**
     * From now on this log leads {@code epoch}: leader appends are allowed and stamp {@code epoch}, and the cache
     * records that the epoch starts at the log end (when it is newer than the latest). Runs on the lane, after the
     * appends queued before it.
     */
    public CompletableFuture<Void> becomeLeader(int epoch) {
        return onLane("becoming leader", () -> {
            highWatermark.start();
            leaderEpoch = epoch;
            epochs.assign(epoch, local.logEnd().offset());
            role = Role.LEADER;
        });
    }

    /**
     * From now on this log follows the leader of {@code epoch}: leader appends are refused with
     * NOT_LEADER_OR_FOLLOWER and {@link #appendAsFollower} is allowed. Runs on the lane.
     */
    public CompletableFuture<Void> becomeFollower(int epoch) {
        return onLane("becoming follower", () -> {
            highWatermark.start();
            leaderEpoch = epoch;
            role = Role.FOLLOWER;
        });
    }

    /**
     * Moves the high watermark forward to {@code offset} (capped at the log end; never backward) and wakes waiting
     * fetches. Ignored while the log has no role (its high watermark is then the log end). Any thread.
     */
    public void updateHighWatermark(long offset) {
        if (!highWatermark.advanceTo(offset)) {
            return;
        }
        signalAppend();
    }

    /** Whether a storage error took this partition offline (until the broker restarts). */
    public boolean isOffline() {
        return offline;
    }

    public long sizeInBytes() {
        return local.sizeInBytes();
    }

    /**
     * Validates and appends the record batches in {@code records} (a produce request's records for this
     * partition, magic 2). Calls are queued on this partition's lane in call order, so two calls made one
     * after the other are appended in that order. The buffer must stay valid until the future completes.
     * Offsets and partition leader epoch are written into the batch headers; nothing else is changed
     * (except the timestamp for LogAppendTime topics, with the CRC recomputed, and batches rewritten in the topic's
     * compression.type, see {@link LogValidator}).
     *
     * @param awaitFsync complete only after the data is fsynced (acks=all), through group commit,
     *                   when {@code StorageConfig.fsyncOnAcksAll} is on
     */
    public CompletableFuture<AppendResult> append(ByteBuffer records, boolean awaitFsync) {
        AppendBatch batch = new AppendBatch();
        CompletableFuture<AppendResult> result = batch.add(this, records, awaitFsync);
        batch.submit();
        return result;
    }

    /** {@link #read(long, int, boolean, boolean)} up to the high watermark, as consumers read. */
    public ReadResult read(long fetchOffset, int maxBytes, boolean minOneBatch) {
        return read(fetchOffset, maxBytes, minOneBatch, true);
    }

    /**
     * Whole batches starting with the one containing {@code fetchOffset}, up to {@code maxBytes}, from one
     * segment, never past the high watermark ({@code upToHighWatermark}: consumers) or the log end (followers). If
     * the first batch alone exceeds maxBytes it is still returned whole when {@code minOneBatch}.
     * OFFSET_OUT_OF_RANGE when fetchOffset is outside [log start, log end]; between the high watermark and the log
     * end a consumer's read is empty. The result carries the high watermark either way.
     * A non-empty slice holds the segment's file open: the caller must release (or transfer) it.
     */
    public ReadResult read(long fetchOffset, int maxBytes, boolean minOneBatch, boolean upToHighWatermark) {
        return reader.read(fetchOffset, maxBytes, minOneBatch, upToHighWatermark);
    }

    /**
     * The first record at or after the log start whose timestamp is >= {@code timestamp}, with that timestamp (time
     * index to the batch, then the batch's records), or (-1, -1) if none.
     */
    public OffsetAndTimestamp offsetForTimestamp(long timestamp) {
        return reader.offsetForTimestamp(timestamp);
    }

    /**
     * The offset and timestamp of the record with the largest timestamp (the first such record when several carry
     * it; the first record of its batch for LogAppendTime), or (-1, -1) for an empty log.
     */
    public OffsetAndTimestamp maxTimestamp() {
        return reader.maxTimestamp();
    }

    /**
     * Moves the log start offset to {@code offset} (-1 means the high watermark), deleting whole segments
     * below it. Completes with the new log start offset, or exceptionally with
     * {@link LogException} (OFFSET_OUT_OF_RANGE) when offset is beyond the high watermark.
     */
    public CompletableFuture<Long> deleteRecordsBefore(long offset) {
        CompletableFuture<Long> result = new CompletableFuture<>();
        if (deleted) {
            result.completeExceptionally(new LogException(LogError.UNKNOWN_TOPIC_OR_PARTITION, "partition was deleted"));
        } else if (offline) {
            result.completeExceptionally(offlineException());
        } else if (!runOnLane(() -> {
            try {
                requireOnline();
                result.complete(retention.deleteRecordsBefore(offset));
            } catch (LogException e) {
                result.completeExceptionally(e);
            } catch (IOException | RuntimeException e) {
                markOffline("DeleteRecords", e);
                result.completeExceptionally(new LogException(LogError.KAFKA_STORAGE_ERROR,
                        "DeleteRecords on " + this + " failed: " + e, e));
            }
        })) {
            result.completeExceptionally(new LogException(LogError.KAFKA_STORAGE_ERROR, LANE_CLOSED));
        }
        return result;
    }

    /** Wakes the fetches waiting on this partition ({@link #onAppend}): its offsets changed or it went offline. */
    void signalAppend() {
        appendSignal.getAndSet(new CompletableFuture<>()).complete(null);
    }

    /** Completes at the next successful append to this partition, or when the partition is deleted. */
    public CompletableFuture<Void> onAppend() {
        return appendSignal.get();
    }

    @Override
    public String toString() {
        return topic + "-" + partition;
    }

    // ---- lane side ----

    private boolean runOnLane(Runnable task) {
        try {
            services.lane().execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    Executor lane() {
        return services.lane();
    }

    boolean isDeleted() {
        return deleted;
    }

    /** The result of an append to a deleted partition. */
    AppendResult deletedResult() {
        return AppendResult.failed(LogError.UNKNOWN_TOPIC_OR_PARTITION, local.logStartOffset(), "partition was deleted");
    }

    /** The result of an append its lane refused. */
    AppendResult laneRejected() {
        return AppendResult.failed(LogError.KAFKA_STORAGE_ERROR, local.logStartOffset(), LANE_CLOSED);
    }

    /** The result of an append to a partition a storage error took offline. */
    AppendResult offlineResult() {
        return AppendResult.failed(LogError.KAFKA_STORAGE_ERROR, local.logStartOffset(),
                "partition " + this + " is offline after a storage error");
    }

    private LogException offlineException() {
        return new LogException(LogError.KAFKA_STORAGE_ERROR, "partition " + this + " is offline after a storage error");
    }

    void requireOnline() {
        if (offline) {
            throw offlineException();
        }
    }

    /**
     * A write, fsync or read of this partition's files failed: the partition goes offline (Chronik's unit of
     * failure is the partition, Kafka's the log directory). Every later request for it is answered
     * KAFKA_STORAGE_ERROR; fetches waiting on it are woken to see so. A restart recovers it from what is on disk.
     */
    void markOffline(String during, Throwable cause) {
        if (deleted || closed) {
            return; // files removed or closed under the operation: not a disk failure
        }
        synchronized (this) {
            if (offline) {
                return;
            }
            offline = true;
        }
        LOGGER.log(System.Logger.Level.ERROR, "Partition " + this + " is offline after a storage error during " + during
                + "; it answers KAFKA_STORAGE_ERROR until the broker is restarted", cause);
        signalAppend();
    }

    /**
     * A failing disk fails every append: log the first failure in full, then at most one line per interval with
     * the number of failures in between, so the log is not flooded. Runs on this partition's lane only.
     */
    void logAppendFailure(Throwable e) {
        long now = System.nanoTime();
        if (lastFailureLogged != 0 && now - lastFailureLogged < FAILURE_LOG_INTERVAL_NANOS) {
            suppressedFailures++;
            return;
        }
        String more = suppressedFailures == 0 ? "" : " (" + suppressedFailures + " more failures since the last report)";
        LOGGER.log(System.Logger.Level.ERROR, "append to " + this + " failed" + more, e);
        lastFailureLogged = now;
        suppressedFailures = 0;
    }

    /** Runs on this log's lane (see {@link AppendBatch}). */
    void appendOnLane(ByteBuffer records, boolean awaitFsync, CompletableFuture<AppendResult> result) {
        leader.appendOnLane(records, awaitFsync, result);
    }

    /** Queues an fsync of records older than flush.ms that no append has flushed yet (checked periodically). */
    void scheduleTimedFlush() {
        if (config.flushMs() == Long.MAX_VALUE || deleted || closed || offline) {
            return;
        }
        runOnLane(flusher::flushIfDue);
    }

    /**
     * Appends whole magic-2 batches fetched from the leader, byte for byte: offsets, epochs, timestamps and producer
     * fields are kept, CRCs checked, nothing recompressed. Batches ending below the log end are skipped; one that
     * starts below it while ending at or after it, or offsets that do not increase, fail with UNEXPECTED_APPEND_OFFSET
     * (gaps are allowed: a compacted leader log has them). The producer state takes the batches without sequence
     * checks, and a batch of a newer partitionLeaderEpoch starts that epoch in the cache. Only while the log is a
     * follower (NOT_LEADER_OR_FOLLOWER otherwise). {@code awaitFsync}: complete once fsynced (group commit), when
     * {@code StorageConfig.fsyncOnAcksAll} is on, as acks=all leader appends. The result's lastOffset is the new log
     * end less one. The buffer must stay valid until the future completes.
     */
    public CompletableFuture<AppendResult> appendAsFollower(ByteBuffer batches, boolean awaitFsync) {
        CompletableFuture<AppendResult> result = new CompletableFuture<>();
        if (deleted) {
            result.complete(deletedResult());
        } else if (offline) {
            result.complete(offlineResult());
        } else if (!runOnLane(() -> follower.appendOnLane(batches, awaitFsync, result))) {
            result.complete(laneRejected());
        }
        return result;
    }

    /**
     * Removes every record at or after {@code offset} (from the start of the batch holding it, if it falls inside
     * one): segments above it are renamed for deletion, newest first, then the segment holding it is cut and fsynced
     * and its indexes rebuilt, so a crash at any step leaves a prefix of the log that recovery loads. The producer
     * state is rebuilt from its snapshots and the rest of the log, the epoch cache cut, and the high watermark lowered
     * to at most the new log end. Nothing happens when {@code offset} is at or past the log end; OFFSET_OUT_OF_RANGE
     * when it is below the log start. Runs on the lane.
     */
    public CompletableFuture<Void> truncateTo(long offset) {
        return onLane("a truncation", () -> truncation.truncateTo(offset));
    }

    /**
     * A follower whose whole log lies below the leader's log start (retention or DeleteRecords on the leader while it
     * was away) starts over: every segment goes (renamed for deletion), an empty segment begins at {@code offset},
     * which becomes the log start, the log end and the high watermark; producer state and the epoch cache start
     * empty. Runs on the lane.
     */
    public CompletableFuture<Void> truncateFullyAndStartAt(long offset) {
        return onLane("a full truncation", () -> truncation.truncateFullyAndStartAt(offset));
    }

    /** Whether this log was given a role (leader or follower) since it was opened. */
    public boolean hasRole() {
        return role != Role.NONE;
    }

    /** Whether leader appends are refused (the log follows a leader). */
    public boolean isFollower() {
        return role == Role.FOLLOWER;
    }

    /** The high watermark kept in the checkpoint: used when the log is first given a role. Startup only. */
    void restoreHighWatermark(long offset) {
        highWatermark.restore(offset);
    }

    /** Runs {@code step} on the lane; a storage failure takes the partition offline and fails the future. */
    private CompletableFuture<Void> onLane(String what, LaneStep step) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (deleted) {
            done.completeExceptionally(new LogException(LogError.UNKNOWN_TOPIC_OR_PARTITION, "partition was deleted"));
        } else if (offline) {
            done.completeExceptionally(offlineException());
        } else if (!runOnLane(() -> {
            try {
                if (deleted) {
                    throw new LogException(LogError.UNKNOWN_TOPIC_OR_PARTITION, "partition was deleted");
                }
                if (closed) {
                    throw new LogException(LogError.KAFKA_STORAGE_ERROR, LANE_CLOSED);
                }
                requireOnline();
                step.run();
                done.complete(null);
            } catch (LogException e) {
                done.completeExceptionally(e);
            } catch (IOException | RuntimeException e) {
                markOffline(what, e);
                done.completeExceptionally(new LogException(LogError.KAFKA_STORAGE_ERROR,
                        what + " of " + this + " failed: " + e, e));
            }
        })) {
            done.completeExceptionally(new LogException(LogError.KAFKA_STORAGE_ERROR, LANE_CLOSED));
        }
        return done;
    }

    /** The segment to append to: the active one, or a new one when it is due for a roll. Lane only. */
    LogSegment maybeRoll(LogConfig cfg, long now, long appendMaxTimestamp, long lastOffset, int bytes)
            throws IOException {
        return local.shouldRoll(cfg, now, appendMaxTimestamp, lastOffset, bytes) ? roll(now) : local.activeSegment();
    }

    /** Closes the active segment for writes (durably, with final index entries) and starts a new one. Lane only. */
    LogSegment roll(long now) throws IOException {
        LogSegment next = local.roll(config, now);
        flusher.reset(now); // the rolled segment was just made durable
        // Copied here, written and fsynced on the snapshot writer's thread: the lane does not wait for the disk.
        services.snapshots().schedule(dir, next.baseOffset(), producers.copy(), () -> !deleted);
        return next;
    }

    /** Retention (runs on the lane): time first, then size, like Kafka. */
    void enforceRetention() {
        retention.enforceRetention();
    }

    /** Queues retention on this log's lane; completes when it ran (exceptionally when the lane refused it). */
    CompletableFuture<Void> scheduleRetention() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (!runOnLane(() -> {
            try {
                enforceRetention();
            } finally {
                done.complete(null);
            }
        })) {
            // Closing: this round is skipped.
            done.completeExceptionally(new LogException(LogError.KAFKA_STORAGE_ERROR, LANE_CLOSED));
        }
        return done;
    }

    /** Queues the check for idle idempotent producers on this log's lane; skipped when the lane is saturated. */
    void scheduleProducerExpiration() {
        runOnLane(() -> removeExpiredProducers(System.currentTimeMillis()));
    }

    /** Forgets the producers idle for producer.id.expiration.ms at {@code nowMs}; runs on the lane. */
    int removeExpiredProducers(long nowMs) {
        if (deleted || closed) {
            return 0;
        }
        return producers.removeExpired(nowMs, config.producerIdExpirationMs());
    }

    /** Idempotent producers whose state this partition keeps. */
    public int producerIdCount() {
        return producers.size();
    }

    // ---- log cleaner side ----

    /** The segments in offset order, the active one last (a snapshot: the cleaner works on it off the lane). */
    List<LogSegment> segmentsSnapshot() {
        return local.segmentsSnapshot();
    }

    /** How the lane answered {@link #replaceSegments}. */
    enum SwapOutcome {
        /** The log serves the cleaned segment; the replaced ones wait for their delayed deletion. */
        SWAPPED,
        /** Nothing changed (a replaced segment is no longer served, or the log is deleted, closed or offline). */
        REFUSED,
        /** A file operation on the replaced segments failed midway: the partition is offline until a restart. */
        FAILED
    }

    /**
     * Serves the cleaned segment committed as {@code <base>.log.swap} (see {@link SegmentSwap}) instead of {@code old}
     * (consecutive non-active segments in offset order, the first one at {@code base}). Runs on the lane, so appends,
     * retention and DeleteRecords see the log before or after, never in between: the replaced segments' files are
     * renamed for deletion (they stay readable for slices), the swap takes its final names, and the segment map
     * changes. REFUSED when one of them is no longer served (retention, DeleteRecords or deletion got there first)
     * or the lane refused the task: the caller withdraws the commit.
     */
    CompletableFuture<SwapOutcome> replaceSegments(List<LogSegment> old, CleanerHook hook) {
        CompletableFuture<SwapOutcome> done = new CompletableFuture<>();
        if (!runOnLane(() -> {
            try {
                done.complete(replacer.replace(old, hook));
            } catch (Throwable t) {
                done.completeExceptionally(t);
                throw t;
            }
        })) {
            done.complete(SwapOutcome.REFUSED);
        }
        return done;
    }

    boolean isClosed() {
        return closed;
    }

    /** True once this log's lane has stopped for good: a task queued on it will never run. */
    boolean laneTerminated() {
        return services.lane().isTerminated();
    }

    void updateConfig(LogConfig newConfig) {
        this.config = newConfig;
    }

    LogConfig config() {
        return config;
    }

    Path dir() {
        return dir;
    }

    int segmentCount() {
        return local.segmentCount();
    }

    /** References to this partition's segment files held by slices not yet released (tests). */
    int sliceReferences() {
        return local.sliceReferences();
    }

    /** The base offsets of the segments, oldest first (tests). */
    List<Long> segmentBaseOffsets() {
        return local.segmentBaseOffsets();
    }

    ProducerStateManager producerState() {
        return producers;
    }

    /** The partition is gone: refuse new work at once and wake fetches waiting on it. */
    void markDeleted() {
        deleted = true;
        appendSignal.get().complete(null);
    }

    /**
     * Orderly close (lanes already stopped): final index entries and fsync of the active segment, a producer
     * state snapshot at the log end, channels closed. Returns false if something could not be made durable. Fetches
     * waiting on this partition are woken after the lock is released, so no waiter's continuation runs under it.
     */
    boolean close() {
        boolean ok = closeFiles();
        appendSignal.get().complete(null);
        return ok;
    }

    private synchronized boolean closeFiles() {
        if (closed) {
            return true;
        }
        closed = true;
        boolean ok = !offline; // an offline partition is recovered at the next start
        services.snapshots().cancel(dir);
        if (!deleted && !offline) {
            try {
                local.activeSegment().onBecomeInactive();
            } catch (IOException e) {
                ok = false;
                LOGGER.log(System.Logger.Level.ERROR, "flush of " + this + " at close failed", e);
            }
            try {
                ProducerSnapshots.write(dir, local.logEnd().offset(), producers.copy());
            } catch (IOException e) {
                LOGGER.log(System.Logger.Level.WARNING, "producer state snapshot of " + this + " failed", e);
            }
        }
        local.closeSegments();
        return ok;
    }

    /** Closes the files without flushing anything: what a crash leaves behind (tests). */
    synchronized void halt() {
        closed = true;
        local.closeSegments();
    }
}
