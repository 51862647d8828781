package io.chronik.log;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * When a partition's appends are fsynced, and answering them after it: acks=all (with fsync-on-acks-all),
 * flush.messages and flush.ms, through the broker's {@link GroupCommitter}; a retried idempotent batch waits for its
 * original's bytes. Its state (records appended since the last fsync was asked for, and when) is lane only; a failed
 * fsync takes the partition offline.
 */
final class LogFlusher {
    private final Log log;
    private final LogLifecycle lifecycle;
    private final LocalLog local;
    /** {@code local}'s segment map. */
    private final ConcurrentSkipListMap<Long, LogSegment> segments;
    private final LogServices services;
    private final LogLane lane;
    /** Records appended since the last fsync, and when that fsync was asked for (flush.messages, flush.ms). */
    private long unflushedRecords;
    private long lastFlushMs = System.currentTimeMillis();

    LogFlusher(Log log, LogLifecycle lifecycle, LocalLog local, LogServices services, LogLane lane) {
        this.log = log;
        this.lifecycle = lifecycle;
        this.local = local;
        this.segments = local.segments();
        this.services = services;
        this.lane = lane;
    }

    /** {@code ok}, or null when the group committer completes {@code result} with it after the fsync it needs. */
    AppendResult completeAfterFlush(LogConfig cfg, LogSegment segment, AppendResult ok, boolean awaitFsync,
                                    int recordCount, long now, CompletableFuture<AppendResult> result) {
        int flushed = flushAfterAppend(cfg, awaitFsync, recordCount, now);
        if (flushed > 0) {
            services.committer().submit(segment, flushed, () -> result.complete(ok), e -> {
                lifecycle.markOffline("an fsync", e);
                result.complete(AppendResult.failed(LogError.KAFKA_STORAGE_ERROR, local.logStartOffset(),
                        "fsync failed: " + e));
            });
            return null;
        }
        return ok;
    }

    /**
     * An acks=all retry is answered as its original would be: only once the original's bytes are fsynced, and never
     * when their fsync failed. Returns the result now, or null when the group committer completes {@code result}
     * after the segment's next fsync.
     */
    AppendResult whenDurable(ProducerStateManager.BatchMetadata original, AppendResult same,
                             CompletableFuture<AppendResult> result) {
        Map.Entry<Long, LogSegment> holder = segments.floorEntry(original.lastOffset());
        if (holder == null) {
            return same; // its segment was deleted: it had been rolled, and a roll fsyncs
        }
        LogSegment segment = holder.getValue();
        long first = original.firstOffset();
        long last = original.lastOffset();
        AppendResult lost = AppendResult.failed(LogError.KAFKA_STORAGE_ERROR, local.logStartOffset(),
                "the original of this retried batch failed to fsync");
        LogSegment.Durability now = segment.durability(first, last);
        if (now != LogSegment.Durability.PENDING) {
            return now == LogSegment.Durability.DURABLE ? same : lost;
        }
        // Waits like an append would (no queue of its own): the segment's next fsync covers the original's bytes.
        services.committer().submit(segment, 0,
                () -> result.complete(segment.durability(first, last) == LogSegment.Durability.DURABLE ? same : lost),
                e -> {
                    lifecycle.markOffline("an fsync", e);
                    result.complete(AppendResult.failed(LogError.KAFKA_STORAGE_ERROR, local.logStartOffset(),
                            "fsync failed: " + e));
                });
        return null;
    }

    /**
     * How many records an fsync after this append makes durable, or 0 when the append is not answered after one. It
     * is when acks=all (and fsync-on-acks-all is on), or when flush.messages records or flush.ms have passed since the
     * last fsync (Kafka flushes in its append path then).
     */
    private int flushAfterAppend(LogConfig cfg, boolean awaitFsync, int records, long now) {
        unflushedRecords += records;
        boolean flush = (awaitFsync && services.storage().fsyncOnAcksAll()) || unflushedRecords >= cfg.flushMessages()
                || (cfg.flushMs() != Long.MAX_VALUE && now - lastFlushMs >= cfg.flushMs());
        if (!flush) {
            return 0;
        }
        int flushed = (int) Math.min(Integer.MAX_VALUE, unflushedRecords);
        unflushedRecords = 0;
        lastFlushMs = now;
        return flushed;
    }

    /** Queues an fsync of records older than flush.ms that no append has flushed yet (checked periodically). */
    void scheduleTimedFlush() {
        if (log.config().flushMs() == Long.MAX_VALUE || lifecycle.deleted() || lifecycle.closed()
                || lifecycle.offline()) {
            return;
        }
        lane.execute(() -> {
            long now = System.currentTimeMillis();
            if (lifecycle.deleted() || lifecycle.closed() || lifecycle.offline() || unflushedRecords == 0
                    || now - lastFlushMs < log.config().flushMs()) {
                return;
            }
            int records = (int) Math.min(Integer.MAX_VALUE, unflushedRecords);
            unflushedRecords = 0;
            lastFlushMs = now;
            services.committer().submit(local.activeSegment(), records, () -> { },
                    e -> lifecycle.markOffline("a flush.ms fsync", e));
        });
    }

    /** Nothing is left to flush as of {@code now}: a roll made the old segment durable, or a truncation. Lane only. */
    void reset(long now) {
        unflushedRecords = 0;
        lastFlushMs = now;
    }
}
