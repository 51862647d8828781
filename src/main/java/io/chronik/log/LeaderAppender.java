package io.chronik.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A partition leader's appends of produced batches: validation ({@link LogValidator}, keys of compacted topics),
 * idempotent-producer checks and retries, offsets, the leader epoch stamped into each batch (and started in the
 * epoch cache), the write with a roll when due, publication of the new log end, and the answer after the fsync the
 * flush policy asks for ({@link LogFlusher}). Runs on the partition's lane only.
 */
final class LeaderAppender {
    private final Log log;
    private final LogLifecycle lifecycle;
    private final LocalLog local;
    private final ProducerStateManager producers;
    private final LeaderEpochCache epochs;
    private final LogServices services;
    private final LogFlusher flusher;
    private final LogLane lane;

    LeaderAppender(Log log, LogLifecycle lifecycle, LocalLog local, ProducerStateManager producers,
                   LeaderEpochCache epochs, LogServices services, LogFlusher flusher, LogLane lane) {
        this.log = log;
        this.lifecycle = lifecycle;
        this.local = local;
        this.producers = producers;
        this.epochs = epochs;
        this.services = services;
        this.flusher = flusher;
        this.lane = lane;
    }

    /** A leader append (see {@link Log#append}); runs on the log's lane (see {@link AppendBatch}). */
    void appendOnLane(ByteBuffer records, boolean awaitFsync, VerificationGuard guard,
                      CompletableFuture<AppendResult> result) {
        lane.completeAppend(() -> doAppend(records, awaitFsync, guard, result), local::logStartOffset, result);
    }

    /** The append's result, or null when the group committer completes {@code result} after the fsync. */
    private AppendResult doAppend(ByteBuffer records, boolean awaitFsync, VerificationGuard guard,
                                  CompletableFuture<AppendResult> result) {
        AppendResult refused = lifecycle.appendRefusal(local);
        if (refused != null) {
            return refused;
        }
        if (log.isFollower()) {
            return AppendResult.failed(LogError.NOT_LEADER_OR_FOLLOWER, local.logStartOffset(),
                    "partition " + log + " is a follower: only its leader appends");
        }
        long startNanos = System.nanoTime();
        ByteBuffer buf = records.duplicate().order(ByteOrder.BIG_ENDIAN);
        if (buf.isReadOnly()) {
            // Offsets are assigned in place, so a read-only view has to be copied first.
            ByteBuffer copy = ByteBuffer.allocate(buf.remaining());
            copy.put(buf).flip();
            buf = copy;
        }
        LogConfig cfg = log.config();
        long now = System.currentTimeMillis();
        LogValidator.Result valid = LogValidator.validate(buf, cfg, now);
        if (valid.error() != LogError.NONE) {
            return AppendResult.failed(valid.error(), local.logStartOffset(), valid.message());
        }
        buf = valid.records();
        if (cfg.compaction().compact()) {
            String missingKey = CompactedTopicValidator.missingKey(buf, valid.positions(), valid.sizes(),
                    log.toString());
            if (missingKey != null) {
                return AppendResult.failed(LogError.INVALID_RECORD, local.logStartOffset(), missingKey);
            }
        }
        int n = valid.count();
        long[] bases = new long[n];
        long[] lasts = new long[n];
        long[] maxTimestamps = new long[n];
        long next = local.logEnd().offset();
        int recordCount = 0;
        long appendMaxTimestamp = -1;
        List<ProducerStateManager.IdempotentBatch> idempotent = null;
        for (int i = 0; i < n; i++) {
            int at = valid.positions()[i];
            int delta = RecordBatchHeader.lastOffsetDelta(buf, at);
            bases[i] = next;
            lasts[i] = next + delta;
            next = lasts[i] + 1;
            maxTimestamps[i] = cfg.logAppendTime() ? now : RecordBatchHeader.maxTimestamp(buf, at);
            appendMaxTimestamp = Math.max(appendMaxTimestamp, maxTimestamps[i]);
            recordCount += delta + 1;
            long producerId = RecordBatchHeader.producerId(buf, at);
            if (producerId >= 0) {
                if (idempotent == null) {
                    idempotent = new ArrayList<>(n);
                }
                idempotent.add(new ProducerStateManager.IdempotentBatch(producerId,
                        RecordBatchHeader.producerEpoch(buf, at), RecordBatchHeader.baseSequence(buf, at), delta,
                        bases[i], lasts[i], maxTimestamps[i], ControlBatches.isTransactional(buf, at)));
            }
        }
        ProducerStateManager.Check check = null;
        if (idempotent != null) {
            check = producers.check(idempotent, now, bases[0] == 0, guard);
            if (check.error() != LogError.NONE) {
                return AppendResult.failed(check.error(), local.logStartOffset(), check.message());
            }
            if (check.duplicate() != null) {
                // A retry of a batch already in the log: answer as the first time, write nothing.
                ProducerStateManager.BatchMetadata dup = check.duplicate();
                AppendResult same = new AppendResult(LogError.NONE, dup.firstOffset(),
                        cfg.logAppendTime() ? dup.timestamp() : -1, local.logStartOffset(), 0, null, dup.lastOffset());
                return awaitFsync && services.storage().fsyncOnAcksAll() ? flusher.whenDurable(dup, same, result)
                        : same;
            }
        }
        int epoch = log.leaderEpoch();
        try {
            epochs.assign(epoch, bases[0]); // only when newer than the cache's latest (the first append of a log)
        } catch (IOException e) {
            lifecycle.markOffline("a leader epoch checkpoint", e);
            return AppendResult.failed(LogError.KAFKA_STORAGE_ERROR, local.logStartOffset(), "append failed: " + e);
        }
        for (int i = 0; i < n; i++) {
            int at = valid.positions()[i];
            // baseOffset and partitionLeaderEpoch are outside the CRC.
            buf.putLong(at + RecordBatchHeader.BASE_OFFSET, bases[i]);
            buf.putInt(at + RecordBatchHeader.PARTITION_LEADER_EPOCH, epoch);
            if (cfg.logAppendTime()) {
                short attributes = RecordBatchHeader.attributes(buf, at);
                buf.putShort(at + RecordBatchHeader.ATTRIBUTES,
                        (short) (attributes | RecordBatchHeader.TIMESTAMP_TYPE_LOG_APPEND));
                buf.putLong(at + RecordBatchHeader.MAX_TIMESTAMP, now);
                RecordBatchHeader.writeCrc(buf, at, valid.sizes()[i]);
            }
        }
        int bytes = buf.remaining();
        LogSegment segment;
        try {
            segment = log.maybeRoll(cfg, now, appendMaxTimestamp, lasts[n - 1], bytes);
            segment.append(buf, bases, lasts, valid.sizes(), maxTimestamps, cfg.indexIntervalBytes());
        } catch (IOException e) {
            lifecycle.markOffline("an append", e);
            return AppendResult.failed(LogError.KAFKA_STORAGE_ERROR, local.logStartOffset(), "append failed: " + e);
        }
        if (check != null) {
            // Before the log end moves: a reader never sees a transaction's data before it holds back the LSO.
            producers.commit(check.updates());
        }
        local.setLogEnd(new LogOffsetMetadata(next, segment, segment.size()));
        log.signalAppend();
        services.metrics().appendCompleted(log.topic(), System.nanoTime() - startNanos, recordCount, bytes);
        AppendResult ok = new AppendResult(LogError.NONE, bases[0], cfg.logAppendTime() ? now : -1,
                local.logStartOffset(), recordCount, null, lasts[n - 1]);
        return flusher.completeAfterFlush(cfg, segment, ok, awaitFsync, recordCount, now, result);
    }

    /** A marker append (see {@link Log#appendMarker}); runs on the log's lane. */
    void appendMarkerOnLane(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
                            boolean awaitFsync, CompletableFuture<AppendResult> result) {
        lane.completeAppend(() -> doAppendMarker(producerId, producerEpoch, coordinatorEpoch, commit, awaitFsync, result),
                local::logStartOffset, result);
    }

    private AppendResult doAppendMarker(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
                                        boolean awaitFsync, CompletableFuture<AppendResult> result) {
        AppendResult refused = lifecycle.appendRefusal(local);
        if (refused != null) {
            return refused;
        }
        if (log.isFollower()) {
            return AppendResult.failed(LogError.NOT_LEADER_OR_FOLLOWER, local.logStartOffset(),
                    "partition " + log + " is a follower: only its leader appends");
        }
        LogConfig cfg = log.config();
        long now = System.currentTimeMillis();
        long offset = local.logEnd().offset();
        ProducerStateManager.MarkerCheck check = producers.checkMarker(new ProducerStateManager.Marker(producerId,
                producerEpoch, coordinatorEpoch, commit, offset, now), now);
        if (check.error() != LogError.NONE) {
            return AppendResult.failed(check.error(), local.logStartOffset(), check.message());
        }
        int epoch = log.leaderEpoch();
        ByteBuffer batch = ControlBatches.marker(offset, now, epoch, producerId, producerEpoch, coordinatorEpoch, commit);
        int bytes = batch.remaining();
        if (cfg.logAppendTime()) {
            // As every append to a LogAppendTime topic (the marker's timestamp is the broker's clock already).
            batch.putShort(RecordBatchHeader.ATTRIBUTES, (short) (RecordBatchHeader.attributes(batch, 0)
                    | RecordBatchHeader.TIMESTAMP_TYPE_LOG_APPEND));
            RecordBatchHeader.writeCrc(batch, 0, bytes);
        }
        LogSegment segment;
        try {
            epochs.assign(epoch, offset);
            segment = log.maybeRoll(cfg, now, now, offset, bytes);
            segment.append(batch, new long[] {offset}, new long[] {offset}, new int[] {bytes}, new long[] {now},
                    cfg.indexIntervalBytes());
        } catch (IOException e) {
            lifecycle.markOffline("a transaction marker append", e);
            return AppendResult.failed(LogError.KAFKA_STORAGE_ERROR, local.logStartOffset(), "append failed: " + e);
        }
        // The txn index first, then the producer state, then the log end: a reader that sees the transaction ended
        // finds it indexed.
        ProducerStateManager.CompletedTxn done = check.completed();
        if (done.aborted()) {
            try {
                segment.txnIndex().append(new AbortedTxn(producerId, done.firstOffset(), offset,
                        producers.stableOffsetAfter(done)));
            } catch (IOException e) {
                lifecycle.markOffline("a txn index append", e);
                return AppendResult.failed(LogError.KAFKA_STORAGE_ERROR, local.logStartOffset(), "append failed: " + e);
            }
        }
        producers.commitMarker(check, log.highWatermark());
        local.setLogEnd(new LogOffsetMetadata(offset + 1, segment, segment.size()));
        log.signalAppend();
        AppendResult ok = new AppendResult(LogError.NONE, offset, -1, local.logStartOffset(), 1, null, offset);
        return flusher.completeAfterFlush(cfg, segment, ok, awaitFsync, 1, now, result);
    }
}
