package io.chronik.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Cutting a partition's log back, as a follower does to match its leader: {@link #truncateTo} removes the tail from
 * an offset on, {@link #truncateFullyAndStartAt} replaces the whole log by an empty one starting at an offset. The
 * shorter log end (and high watermark) is published before any file changes, files go in an order that leaves a
 * loadable prefix after a crash, and the producer state, the epoch cache and the flush state follow. Runs on the
 * partition's lane only.
 */
final class LogTruncation {
    private final Log log;
    private final LocalLog local;
    /** {@code local}'s segment map. */
    private final ConcurrentSkipListMap<Long, LogSegment> segments;
    private final Path dir;
    private final HighWatermark highWatermark;
    private final ProducerStateManager producers;
    private final LeaderEpochCache epochs;
    private final LogServices services;
    private final LogFlusher flusher;

    LogTruncation(Log log, LocalLog local, HighWatermark highWatermark, ProducerStateManager producers,
                  LeaderEpochCache epochs, LogServices services, LogFlusher flusher) {
        this.log = log;
        this.local = local;
        this.segments = local.segments();
        this.dir = local.dir();
        this.highWatermark = highWatermark;
        this.producers = producers;
        this.epochs = epochs;
        this.services = services;
        this.flusher = flusher;
    }

    /** See {@link Log#truncateTo}. Lane only. */
    void truncateTo(long offset) throws IOException {
        LogOffsetMetadata end = local.logEnd();
        if (offset >= end.offset()) {
            return;
        }
        if (offset < local.logStartOffset()) {
            throw new LogException(LogError.OFFSET_OUT_OF_RANGE, "cannot truncate " + log + " to offset " + offset
                    + ", below its log start offset " + local.logStartOffset());
        }
        LogSegment holder = segments.floorEntry(offset).getValue();
        int position = holder.offsetIndex().lookup(offset);
        long newEnd = holder.nextOffset();
        while (position < holder.size()) {
            ByteBuffer h = holder.readAt(position, RecordBatchHeader.OFFSETS_SIZE);
            if (h.remaining() < RecordBatchHeader.OFFSETS_SIZE) {
                break;
            }
            long base = RecordBatchHeader.baseOffset(h, 0);
            if (base + RecordBatchHeader.lastOffsetDelta(h, 0) >= offset) {
                newEnd = Math.min(offset, base);
                break;
            }
            position += (int) RecordBatchHeader.totalSize(h, 0);
        }
        if (position == 0) {
            newEnd = holder.baseOffset();
        }
        LogOffsetMetadata cut = new LogOffsetMetadata(newEnd, holder, position);
        highWatermark.truncate(cut); // readers see the shorter log before any file changes
        services.snapshots().cancel(dir); // none written from here on for offsets that are going away
        List<LogSegment> above = new ArrayList<>(segments.tailMap(holder.baseOffset(), false).values());
        for (int i = above.size() - 1; i >= 0; i--) {
            LogSegment segment = above.get(i);
            local.removeForDeletion(segment);
        }
        LogConfig cfg = log.config();
        holder.truncateTo(position, cfg.indexIntervalBytes(), cfg.segmentIndexBytes());
        epochs.truncateFromEnd(newEnd);
        long now = System.currentTimeMillis();
        producers.clear();
        LogRecovery.restoreProducerState(dir, segments, producers, newEnd, now, cfg.producerIdExpirationMs());
        producers.truncateHead(local.logStartOffset());
        flusher.reset(now);
        log.signalAppend();
    }

    /** See {@link Log#truncateFullyAndStartAt}. Lane only. */
    void truncateFullyAndStartAt(long offset) throws IOException {
        List<LogSegment> old = new ArrayList<>(segments.values());
        LogConfig cfg = log.config();
        long now = System.currentTimeMillis();
        services.snapshots().cancel(dir);
        // The log start moves first: a crash from here on recovers the log from the new start.
        LogRecovery.writeLogStartOffset(dir, offset);
        for (int i = old.size() - 1; i >= 0; i--) {
            LogSegment segment = old.get(i);
            if (segment.baseOffset() == offset) {
                continue; // replaced below, once the new one exists under a free name
            }
            local.removeForDeletion(segment);
        }
        LogSegment same = segments.get(offset);
        if (same != null) {
            local.removeForDeletion(same);
        }
        LogSegment fresh = LogSegment.create(dir, offset, now, cfg.preallocate() ? cfg.segmentBytes() : 0,
                cfg.segmentIndexBytes());
        segments.put(offset, fresh);
        LogOffsetMetadata start = new LogOffsetMetadata(offset, fresh, 0);
        highWatermark.startAt(start);
        local.setLogStartOffset(offset);
        epochs.clear();
        producers.clear();
        flusher.reset(now);
        log.signalAppend();
    }
}
