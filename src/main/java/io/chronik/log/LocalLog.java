package io.chronik.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * A partition's segments on disk and the two ends of its log: the segment map (offset order, the active segment last),
 * the log start offset, and the log end with the segment and byte position where it ends. Rolls the active segment.
 * <p>
 * Threading: everything that changes this state runs on the partition's lane; readers on any thread see it through
 * the concurrent segment map and the volatile log start and log end. The log end is published only after its bytes
 * are written. Lowering it (truncation) goes through {@link HighWatermark}, under its lock.
 */
final class LocalLog {
    private final Path dir;
    private final ConcurrentSkipListMap<Long, LogSegment> segments;
    private final Consumer<LogSegment> deleteLater;
    /** The log end, with the segment and byte position where it ends, published after the bytes are written. */
    private volatile LogOffsetMetadata logEnd;
    private volatile long logStartOffset;
    /** segment.jitter.ms drawn for the active segment. Lane only. */
    private long rollJitterMs;

    LocalLog(Path dir, ConcurrentSkipListMap<Long, LogSegment> segments, long logStartOffset, LogConfig config,
             Consumer<LogSegment> deleteLater) {
        this.dir = dir;
        this.segments = segments;
        this.deleteLater = deleteLater;
        this.logStartOffset = logStartOffset;
        LogSegment active = segments.lastEntry().getValue();
        this.logEnd = new LogOffsetMetadata(active.nextOffset(), active, active.size());
        this.rollJitterMs = rollJitter(config);
    }

    Path dir() {
        return dir;
    }

    /** The segments by base offset. Changed on the lane only; any thread may read it. */
    ConcurrentSkipListMap<Long, LogSegment> segments() {
        return segments;
    }

    LogSegment activeSegment() {
        return segments.lastEntry().getValue();
    }

    LogOffsetMetadata logEnd() {
        return logEnd;
    }

    /** Publishes a new log end (after its bytes are written). Lane only; lowering it goes through the hw lock. */
    void setLogEnd(LogOffsetMetadata end) {
        logEnd = end;
    }

    long logStartOffset() {
        return logStartOffset;
    }

    /** Lane only. */
    void setLogStartOffset(long offset) {
        logStartOffset = offset;
    }

    /** The offset up to which this log is fsynced. */
    long durableEndOffset() {
        LogOffsetMetadata end = logEnd;
        LogSegment active = end.segment();
        return Math.min(end.offset(), Math.max(active.baseOffset(), active.durableOffset()));
    }

    long sizeInBytes() {
        long total = 0;
        for (LogSegment segment : segments.values()) {
            total += segment.size();
        }
        return total;
    }

    /**
     * {@code offset} (at most the log end) with the segment and byte position a read up to it stops at: the start of
     * the first batch that ends at or after it. Any thread.
     */
    LogOffsetMetadata offsetMetadata(long offset) throws IOException {
        LogOffsetMetadata end = logEnd;
        if (offset >= end.offset()) {
            return end;
        }
        Map.Entry<Long, LogSegment> entry = segments.floorEntry(offset);
        if (entry == null) {
            return new LogOffsetMetadata(offset, segments.firstEntry().getValue(), 0);
        }
        LogSegment segment = entry.getValue();
        int limit = segment == end.segment() ? end.position() : segment.size();
        int position = segment.offsetIndex().lookup(offset);
        while (position < limit) {
            ByteBuffer h = segment.readShared(position, RecordBatchHeader.OFFSETS_SIZE);
            if (h.remaining() < RecordBatchHeader.OFFSETS_SIZE
                    || RecordBatchHeader.baseOffset(h, 0) + RecordBatchHeader.lastOffsetDelta(h, 0) >= offset) {
                break;
            }
            position += (int) RecordBatchHeader.totalSize(h, 0);
        }
        return new LogOffsetMetadata(offset, segment, Math.min(position, limit));
    }

    /**
     * Whether an append of {@code bytes} ending at {@code lastOffset} needs a new segment, as Kafka rolls: size, age
     * (segment.ms less this segment's jitter), a full index (segment.index.bytes), relative offset overflow. Lane only.
     */
    boolean shouldRoll(LogConfig cfg, long now, long appendMaxTimestamp, long lastOffset, int bytes) {
        LogSegment active = activeSegment();
        return active.size() > 0 && (active.size() + (long) bytes > cfg.segmentBytes()
                || active.timeWaitedForRoll(now, appendMaxTimestamp) > cfg.rollMs() - rollJitterMs
                || lastOffset - active.baseOffset() > Integer.MAX_VALUE || active.indexesFull());
    }

    /** A random segment.jitter.ms for a new segment, below segment.ms, as Kafka draws it. */
    private static long rollJitter(LogConfig cfg) {
        return cfg.segmentJitterMs() <= 0 ? 0
                : ThreadLocalRandom.current().nextLong(Math.min(cfg.segmentJitterMs(), cfg.segmentMs()));
    }

    /**
     * Closes the active segment for writes (durably, with final index entries) and starts a new one at the log end.
     * Lane only; the caller resets what depends on the roll (flush state, producer snapshot).
     */
    LogSegment roll(LogConfig cfg, long now) throws IOException {
        LogSegment old = activeSegment();
        long base = logEnd.offset();
        old.onBecomeInactive();
        LogSegment next = LogSegment.create(dir, base, now, cfg.preallocate() ? cfg.segmentBytes() : 0,
                cfg.segmentIndexBytes());
        segments.put(base, next);
        logEnd = new LogOffsetMetadata(base, next, 0);
        rollJitterMs = rollJitter(cfg);
        return next;
    }

    /** Takes {@code segment} out of the map and renames its files for deletion (removed after file.delete.delay). */
    void removeForDeletion(LogSegment segment) throws IOException {
        segments.remove(segment.baseOffset(), segment);
        try {
            deleteLater.accept(segment);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** The segments in offset order, the active one last (a snapshot: the cleaner works on it off the lane). */
    List<LogSegment> segmentsSnapshot() {
        return new ArrayList<>(segments.values());
    }

    int segmentCount() {
        return segments.size();
    }

    /** References to this partition's segment files held by slices not yet released (tests). */
    int sliceReferences() {
        int n = 0;
        for (LogSegment segment : segments.values()) {
            n += segment.sliceReferences();
        }
        return n;
    }

    /** The base offsets of the segments, oldest first (tests). */
    List<Long> segmentBaseOffsets() {
        return new ArrayList<>(segments.keySet());
    }

    /** Closes every segment's files. */
    void closeSegments() {
        segments.values().forEach(LogSegment::close);
    }
}
