package io.chronik.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;

/**
 * A follower's appends of the batches fetched from its leader, byte for byte ({@link FollowerBatches} checks them):
 * leader epochs started in the cache first, the write with a roll when due, publication of the new log end, the
 * producer state replayed without sequence checks, and the answer after the fsync the flush policy asks for
 * ({@link LogFlusher}). Runs on the partition's lane only.
 */
final class FollowerAppender {
    private final Log log;
    private final LogLifecycle lifecycle;
    private final LocalLog local;
    private final ProducerStateManager producers;
    private final LeaderEpochCache epochs;
    private final LogServices services;
    private final LogFlusher flusher;
    private final LogLane lane;

    FollowerAppender(Log log, LogLifecycle lifecycle, LocalLog local, ProducerStateManager producers,
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

    /** Queues a follower append on the lane: see {@link Log#appendAsFollower}. */
    CompletableFuture<AppendResult> append(ByteBuffer batches, boolean awaitFsync) {
        CompletableFuture<AppendResult> result = new CompletableFuture<>();
        if (lifecycle.deleted()) {
            result.complete(lifecycle.deletedResult());
        } else if (lifecycle.offline()) {
            result.complete(lifecycle.offlineResult());
        } else if (!lane.execute(() -> appendOnLane(batches, awaitFsync, result))) {
            result.complete(log.laneRejected());
        }
        return result;
    }

    private void appendOnLane(ByteBuffer batches, boolean awaitFsync, CompletableFuture<AppendResult> result) {
        lane.completeAppend(() -> doAppend(batches, awaitFsync, result), local::logStartOffset, result);
    }

    /** The append's result, or null when the group committer completes {@code result} after the fsync. */
    private AppendResult doAppend(ByteBuffer batches, boolean awaitFsync, CompletableFuture<AppendResult> result) {
        AppendResult refused = lifecycle.appendRefusal(local);
        if (refused != null) {
            return refused;
        }
        if (!log.isFollower()) {
            return AppendResult.failed(LogError.NOT_LEADER_OR_FOLLOWER, local.logStartOffset(),
                    "partition " + log + " is not a follower");
        }
        long startNanos = System.nanoTime();
        ByteBuffer buf = batches.duplicate().order(ByteOrder.BIG_ENDIAN);
        long logEnd = local.logEnd().offset();
        FollowerBatches.Parsed parsed = FollowerBatches.parse(buf, logEnd);
        if (parsed.error() != LogError.NONE) {
            return AppendResult.failed(parsed.error(), local.logStartOffset(), parsed.message());
        }
        int n = parsed.count();
        if (n == 0) {
            return new AppendResult(LogError.NONE, -1, -1, local.logStartOffset(), 0, null, logEnd - 1);
        }
        LogConfig cfg = log.config();
        long now = System.currentTimeMillis();
        long appendMaxTimestamp = -1;
        for (long ts : parsed.maxTimestamps()) {
            appendMaxTimestamp = Math.max(appendMaxTimestamp, ts);
        }
        long last = parsed.lasts()[n - 1];
        ByteBuffer data = buf.duplicate().limit(parsed.to()).position(parsed.from());
        int bytes = data.remaining();
        LogSegment segment;
        try {
            // The cache first: a crash before the data is written leaves entries past the log end, which recovery cuts.
            for (int i = 0; i < n; i++) {
                epochs.assign(parsed.epochs()[i], parsed.bases()[i]);
            }
            segment = log.maybeRoll(cfg, now, appendMaxTimestamp, last, bytes);
            segment.append(data, parsed.bases(), parsed.lasts(), parsed.sizes(), parsed.maxTimestamps(),
                    cfg.indexIntervalBytes());
        } catch (IOException e) {
            lifecycle.markOffline("a follower append", e);
            return AppendResult.failed(LogError.KAFKA_STORAGE_ERROR, local.logStartOffset(), "append failed: " + e);
        }
        // Producer state and txn index before the log end moves, as on the leader.
        int at = parsed.from();
        for (int i = 0; i < n; i++) {
            long producerId = RecordBatchHeader.producerId(buf, at);
            if (producerId >= 0) {
                if (ControlBatches.isControl(buf, at)) {
                    ProducerStateManager.Marker marker = ControlBatches.readMarker(buf, at, parsed.sizes()[i]);
                    if (marker != null) {
                        try {
                            ControlBatches.replay(producers, segment, marker, log.highWatermark(), now);
                        } catch (IOException e) {
                            lifecycle.markOffline("a txn index append", e);
                            return AppendResult.failed(LogError.KAFKA_STORAGE_ERROR, local.logStartOffset(),
                                    "append failed: " + e);
                        }
                    }
                } else {
                    producers.replay(new ProducerStateManager.IdempotentBatch(producerId,
                            RecordBatchHeader.producerEpoch(buf, at), RecordBatchHeader.baseSequence(buf, at),
                            RecordBatchHeader.lastOffsetDelta(buf, at), parsed.bases()[i], parsed.lasts()[i],
                            parsed.maxTimestamps()[i], ControlBatches.isTransactional(buf, at)), now);
                }
            }
            at += parsed.sizes()[i];
        }
        local.setLogEnd(new LogOffsetMetadata(last + 1, segment, segment.size()));
        log.signalAppend();
        services.metrics().appendCompleted(log.topic(), System.nanoTime() - startNanos, parsed.offsets(), bytes);
        AppendResult ok = new AppendResult(LogError.NONE, parsed.bases()[0], -1, local.logStartOffset(),
                parsed.offsets(), null, last);
        return flusher.completeAfterFlush(cfg, segment, ok, awaitFsync, parsed.offsets(), now, result);
    }
}
