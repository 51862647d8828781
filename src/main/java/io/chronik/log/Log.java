package io.chronik.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One partition's append-only log: a sequence of segments, its offsets (log start, high watermark, log end),
 * its leader epoch and its idempotent-producer state. Appends are serialized on the partition's lane thread;
 * reads may run on any thread concurrently with appends and only ever see whole, committed batches.
 * <p>
 * {@code Log} is the partition's face to the rest of the broker: it keeps the partition's role and leader epoch and
 * hands the work to package-private collaborators, one reason to change each: {@link LocalLog} (the segments, the log
 * start and log end, rolling), {@link HighWatermark} (the high watermark and its publication), {@link LogReader}
 * (fetches and timestamp lookups), {@link LeaderAppender} and {@link FollowerAppender} (the two kinds of append),
 * {@link LogFlusher} (when appends are fsynced and answered), {@link LogTruncation} (truncateTo,
 * truncateFullyAndStartAt), {@link LogRetention} (retention, DeleteRecords), {@link SegmentReplacer} (the cleaner's
 * replacement of segments), {@link LogLane} (queueing work on the lane) and {@link LogLifecycle} (deleted, closed,
 * offline). The producer state ({@link ProducerStateManager}) and the leader-epoch cache ({@link LeaderEpochCache})
 * are shared by those that change them.
 * <p>
 * Threading. Everything that changes the log runs on the partition's lane ({@link LogLane}), one task at a time:
 * appends, becoming leader or follower, truncation, retention, DeleteRecords, the cleaner's replacement of segments,
 * timed flushes and producer expiration; state only the lane touches (roll jitter, flush counters, the producer state's
 * changes) is not synchronized. Readers on any thread see the log through values published after the bytes are
 * written: the segment map (a concurrent map), the log end and log start (volatile, in {@link LocalLog}), the high
 * watermark (volatile, in {@link HighWatermark}), and here the config, role and leader epoch (volatile) and the
 * deleted/closed/offline flags ({@link LogLifecycle}). The high watermark moves on any thread
 * ({@link #updateHighWatermark}) under the high watermark's lock, which truncation also takes to lower the log end and
 * the high watermark together. Going offline and closing synchronize on the {@link LogLifecycle}. Fetches parked on
 * {@link #onAppend} are woken whenever the offsets change or the partition goes offline, is deleted or closed.
 */
public final class Log {
    /** Who writes this log: nobody has said until the first becomeLeader/becomeFollower (single node). */
    private enum Role { NONE, LEADER, FOLLOWER }

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
    private final LogLifecycle lifecycle;
    private final LogLane lane;
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

    Log(String topic, int partition, Path dir, LogConfig config, LogRecovery.Loaded loaded, LogServices services) {
        this.topic = topic;
        this.partition = partition;
        this.dir = dir;
        this.config = config;
        this.services = services;
        this.local = new LocalLog(dir, loaded.segments(), loaded.logStartOffset(), config, services.deleteLater());
        this.producers = loaded.producers();
        this.epochs = loaded.epochs();
        this.lifecycle = new LogLifecycle(this, local, producers, services);
        this.lane = new LogLane(this, lifecycle, services.lane());
        this.highWatermark = new HighWatermark(lifecycle, local);
        this.reader = new LogReader(this, lifecycle, local, highWatermark, producers);
        this.flusher = new LogFlusher(this, lifecycle, local, services, lane);
        this.leader = new LeaderAppender(this, lifecycle, local, producers, epochs, services, flusher, lane);
        this.follower = new FollowerAppender(this, lifecycle, local, producers, epochs, services, flusher, lane);
        this.truncation = new LogTruncation(this, local, highWatermark, producers, epochs, services, flusher);
        this.retention = new LogRetention(this, lifecycle, local, producers, epochs, lane);
        this.replacer = new SegmentReplacer(this, lifecycle, local, services, lane);
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
        return lane.run("becoming leader", () -> {
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
        return lane.run("becoming follower", () -> {
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
        return lifecycle.offline();
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

    /**
     * Appends a transaction marker for {@code producerId}: a control batch (COMMIT when {@code commit}, else ABORT)
     * carrying {@code coordinatorEpoch}, stamped with the leader epoch, taking one offset. It ends the producer's
     * ongoing transaction (its records before the LSO from then on), and an ABORT is added to the segment's txn index.
     * INVALID_PRODUCER_EPOCH when {@code producerEpoch} is older than the producer's, TRANSACTION_COORDINATOR_FENCED
     * when {@code coordinatorEpoch} is older than its last marker's; NOT_LEADER_OR_FOLLOWER on a follower. Queued on
     * the lane after earlier appends; {@code awaitFsync} as in {@link #append}.
     */
    public CompletableFuture<AppendResult> appendMarker(long producerId, short producerEpoch, int coordinatorEpoch,
                                                        boolean commit, boolean awaitFsync) {
        CompletableFuture<AppendResult> result = new CompletableFuture<>();
        if (lifecycle.deleted()) {
            result.complete(lifecycle.deletedResult());
        } else if (lifecycle.offline()) {
            result.complete(lifecycle.offlineResult());
        } else if (!lane.execute(() -> leader.appendMarkerOnLane(producerId, producerEpoch, coordinatorEpoch, commit,
                awaitFsync, result))) {
            result.complete(laneRejected());
        }
        return result;
    }

    /**
     * The last stable offset (LSO): read_committed consumers read up to it. The first offset of the oldest transaction
     * still open (or whose marker the high watermark has not passed), at most the high watermark.
     */
    public long lastStableOffset() {
        return reader.lastStableOffset(highWatermark());
    }

    /**
     * A read_committed consumer's read: as {@link #read(long, int, boolean)} but only batches below the last stable
     * offset, with the aborted transactions that overlap the batches returned (what a consumer needs to drop the
     * aborted records). The result's lastStableOffset is the LSO.
     */
    public ReadResult readCommitted(long fetchOffset, int maxBytes, boolean minOneBatch) {
        return reader.readCommitted(fetchOffset, maxBytes, minOneBatch);
    }

    /**
     * The handler refused {@code records} (a produce request's batches for this partition) with
     * NOT_LEADER_OR_FOLLOWER: their idempotent producers are remembered for a minute, so that if one of them is still
     * unknown here when its next batch arrives, that batch must start at sequence 0 (see ProducerStateManager). Reads
     * only the batch headers; any thread; never blocks.
     */
    public void refusedBeforeLeading(ByteBuffer records) {
        long now = System.currentTimeMillis(); // the clock the append's producer checks use
        int at = records.position();
        int end = records.limit();
        while (at + RecordBatchHeader.HEADER_SIZE <= end && RecordBatchHeader.magic(records, at) == RecordBatchHeader.MAGIC_V2) {
            long producerId = RecordBatchHeader.producerId(records, at);
            if (producerId >= 0) {
                producers.refusedBeforeLeading(producerId, now);
            }
            long size = RecordBatchHeader.totalSize(records, at);
            if (size <= 0 || at + size > end) {
                break;
            }
            at += (int) size;
        }
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
        return retention.deleteRecordsBefore(offset);
    }

    /** Completes at the next successful append to this partition, or when the partition is deleted. */
    public CompletableFuture<Void> onAppend() {
        return appendSignal.get();
    }

    /** Wakes the fetches waiting on this partition ({@link #onAppend}): its offsets changed or it went offline. */
    void signalAppend() {
        appendSignal.getAndSet(new CompletableFuture<>()).complete(null);
    }

    @Override
    public String toString() {
        return topic + "-" + partition;
    }

    // ---- lane side ----

    Executor lane() {
        return lane.executor();
    }

    boolean isDeleted() {
        return lifecycle.deleted();
    }

    /** The result of an append to a deleted partition. */
    AppendResult deletedResult() {
        return lifecycle.deletedResult();
    }

    /** The result of an append its lane refused. */
    AppendResult laneRejected() {
        return AppendResult.failed(LogError.KAFKA_STORAGE_ERROR, local.logStartOffset(), LogLane.LANE_CLOSED);
    }

    /** The result of an append to a partition a storage error took offline. */
    AppendResult offlineResult() {
        return lifecycle.offlineResult();
    }

    /** A write, fsync or read of this partition's files failed: it goes offline (see {@link LogLifecycle}). */
    void markOffline(String during, Throwable cause) {
        lifecycle.markOffline(during, cause);
    }

    /** Runs on this log's lane (see {@link AppendBatch}). */
    void appendOnLane(ByteBuffer records, boolean awaitFsync, VerificationGuard guard,
                      CompletableFuture<AppendResult> result) {
        leader.appendOnLane(records, awaitFsync, guard, result);
    }

    /**
     * A leader about to append a transactional batch of {@code producerId} at {@code epoch} under partition
     * verification: {@link VerificationGuard#SENTINEL} when its transaction is already ongoing here, else the guard to
     * append with once the transaction coordinator confirmed the partition is in the transaction (see
     * {@link VerificationGuard}). Any thread.
     */
    public VerificationGuard startTransactionVerification(long producerId, short epoch) {
        return producers.startVerification(producerId, epoch, false);
    }

    /**
     * As {@link #startTransactionVerification(long, short)} for a producer of transaction version 2
     * ({@code epochBumps}), whose guard outlives the marker of its previous transaction (written at the epoch this
     * batch carries).
     */
    public VerificationGuard startTransactionVerification(long producerId, short epoch, boolean epochBumps) {
        return producers.startVerification(producerId, epoch, epochBumps);
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
        return follower.append(batches, awaitFsync);
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
        return lane.run("a truncation", () -> truncation.truncateTo(offset));
    }

    /**
     * A follower whose whole log lies below the leader's log start (retention or DeleteRecords on the leader while it
     * was away) starts over: every segment goes (renamed for deletion), an empty segment begins at {@code offset},
     * which becomes the log start, the log end and the high watermark; producer state and the epoch cache start
     * empty. Runs on the lane.
     */
    public CompletableFuture<Void> truncateFullyAndStartAt(long offset) {
        return lane.run("a full truncation", () -> truncation.truncateFullyAndStartAt(offset));
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
        services.snapshots().schedule(dir, next.baseOffset(), producers.copy(), () -> !lifecycle.deleted());
        return next;
    }

    /** Queues an fsync of records older than flush.ms that no append has flushed yet (checked periodically). */
    void scheduleTimedFlush() {
        flusher.scheduleTimedFlush();
    }

    /** Retention (runs on the lane): time first, then size, like Kafka. */
    void enforceRetention() {
        retention.enforceRetention();
    }

    /** Queues retention on this log's lane; completes when it ran (exceptionally when the lane refused it). */
    CompletableFuture<Void> scheduleRetention() {
        return retention.scheduleRetention();
    }

    /** Queues the check for idle idempotent producers on this log's lane; skipped when the lane is saturated. */
    void scheduleProducerExpiration() {
        lane.execute(() -> removeExpiredProducers(System.currentTimeMillis()));
    }

    /** Forgets the producers idle for producer.id.expiration.ms at {@code nowMs}; runs on the lane. */
    int removeExpiredProducers(long nowMs) {
        if (lifecycle.deleted() || lifecycle.closed()) {
            return 0;
        }
        return producers.removeExpired(nowMs, config.producerIdExpirationMs());
    }

    /** Idempotent producers whose state this partition keeps. */
    public int producerIdCount() {
        return producers.size();
    }

    /** The producers whose state this partition keeps, by producer id (a copy: read-only). */
    public java.util.List<ActiveProducer> activeProducers() {
        java.util.List<ActiveProducer> active = new java.util.ArrayList<>();
        producers.copy().forEach((id, entry) -> {
            var last = entry.batches().isEmpty() ? null : entry.batches().get(entry.batches().size() - 1);
            active.add(new ActiveProducer(id, entry.epoch(), last == null ? -1 : last.lastSeq(),
                    last == null ? -1 : last.timestamp(), entry.coordinatorEpoch(), entry.txnFirstOffset()));
        });
        active.sort(java.util.Comparator.comparingLong(ActiveProducer::producerId));
        return active;
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
        return replacer.replaceSegments(old, hook);
    }

    boolean isClosed() {
        return lifecycle.closed();
    }

    /** True once this log's lane has stopped for good: a task queued on it will never run. */
    boolean laneTerminated() {
        return lane.executor().isTerminated();
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
        lifecycle.markDeleted();
        appendSignal.get().complete(null);
    }

    /**
     * Orderly close (lanes already stopped): final index entries and fsync of the active segment, a producer
     * state snapshot at the log end, channels closed. Returns false if something could not be made durable. Fetches
     * waiting on this partition are woken after the lock is released, so no waiter's continuation runs under it.
     */
    boolean close() {
        boolean ok = lifecycle.close();
        appendSignal.get().complete(null);
        return ok;
    }

    /** Closes the files without flushing anything: what a crash leaves behind (tests). */
    void halt() {
        lifecycle.halt();
    }
}
