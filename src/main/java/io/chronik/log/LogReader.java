package io.chronik.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The read path of a partition: fetches (whole batches from one segment, bounded by the high watermark or the log
 * end) and the timestamp lookups of ListOffsets. Runs on any thread, concurrently with the lane's appends, without
 * locks: it reads the published log start, log end and high watermark once and never looks past their positions,
 * and a segment the cleaner replaced under a read is looked up again.
 */
final class LogReader {
    /** How often one read looks its offset up again after the cleaner replaced the segment it was reading. */
    private static final int MAX_SEGMENT_LOOKUPS = 4;

    private final Log log;
    private final LogLifecycle lifecycle;
    private final LocalLog local;
    /** {@code local}'s segment map. */
    private final ConcurrentSkipListMap<Long, LogSegment> segments;
    private final HighWatermark highWatermark;
    private final ProducerStateManager producers;

    LogReader(Log log, LogLifecycle lifecycle, LocalLog local, HighWatermark highWatermark,
              ProducerStateManager producers) {
        this.log = log;
        this.lifecycle = lifecycle;
        this.local = local;
        this.segments = local.segments();
        this.highWatermark = highWatermark;
        this.producers = producers;
    }

    /**
     * The last stable offset for a high watermark of {@code hw}: the first offset of the oldest transaction not yet
     * ended (or whose marker is not yet below the high watermark), at most {@code hw}, at least the log start.
     */
    long lastStableOffset(long hw) {
        long unstable = producers.firstUnstableOffset(hw);
        return unstable >= hw ? hw : Math.max(unstable, local.logStartOffset());
    }

    /**
     * A consumer's read_committed read: batches below the last stable offset only, with the aborted transactions that
     * overlap them (see {@link Log#readCommitted}).
     */
    ReadResult readCommitted(long fetchOffset, int maxBytes, boolean minOneBatch) {
        LogOffsetMetadata hw = HighWatermark.capped(highWatermark.mark(), local.logEnd());
        long lso = lastStableOffset(hw.offset());
        ReadResult read = lso < hw.offset() ? readBelow(fetchOffset, maxBytes, minOneBatch, lso, hw)
                : read(fetchOffset, maxBytes, minOneBatch, true);
        FileSlice slice = read.slice();
        if (read.error() != LogError.NONE || slice.isEmpty()) {
            return withStable(read, lso, List.of());
        }
        try {
            long after = offsetAfter(fetchOffset, slice);
            if (after > lso) {
                // Appends since the LSO was taken (a transaction may have begun at it): read again below it.
                slice.release();
                read = readBelow(fetchOffset, maxBytes, minOneBatch, lso, hw);
                slice = read.slice();
                if (read.error() != LogError.NONE || slice.isEmpty()) {
                    return withStable(read, lso, List.of());
                }
                after = offsetAfter(fetchOffset, slice);
            }
            return withStable(read, lso, abortedTransactions(fetchOffset, Math.min(lso, after)));
        } catch (IOException e) {
            slice.release();
            return withStable(new ReadResult(LogError.NONE, FileSlice.EMPTY, read.highWatermark(),
                    read.logStartOffset(), read.logEndOffset()), lso, List.of());
        }
    }

    private static ReadResult withStable(ReadResult read, long lso, List<AbortedTxn> aborted) {
        return new ReadResult(read.error(), read.slice(), read.highWatermark(), read.logStartOffset(),
                read.logEndOffset(), Math.min(lso, read.highWatermark()), aborted);
    }

    /** The offset after the last batch of {@code slice}, read from the segment it was cut from. */
    private long offsetAfter(long fetchOffset, FileSlice slice) throws IOException {
        Map.Entry<Long, LogSegment> first = segments.floorEntry(fetchOffset);
        for (LogSegment segment : segments.tailMap(first == null ? fetchOffset : first.getKey()).values()) {
            if (segment.holds(slice)) {
                long end = slice.position() + slice.size();
                if (end >= segment.size()) {
                    return segment.nextOffset();
                }
                ByteBuffer h = segment.readShared(end, RecordBatchHeader.LOG_OVERHEAD);
                return h.remaining() < RecordBatchHeader.LOG_OVERHEAD ? segment.nextOffset()
                        : RecordBatchHeader.baseOffset(h, 0);
            }
        }
        return Long.MAX_VALUE; // not found (replaced meanwhile): bounded by the LSO
    }

    /**
     * The aborted transactions overlapping [fetchOffset, upperBound): from the txn index of the segment holding the
     * fetch offset on, until an entry shows every transaction before the upper bound had ended.
     */
    List<AbortedTxn> abortedTransactions(long fetchOffset, long upperBound) {
        Map.Entry<Long, LogSegment> first = segments.floorEntry(fetchOffset);
        List<AbortedTxn> found = new ArrayList<>(0);
        for (LogSegment segment : segments.tailMap(first == null ? fetchOffset : first.getKey()).values()) {
            TransactionIndex.Search search = segment.txnIndex().collect(fetchOffset, upperBound);
            found.addAll(search.found());
            if (search.complete()) {
                break;
            }
        }
        return found;
    }

    /** A consumer's read of the batches below {@code maxOffset} (the LSO, below the high watermark {@code hw}). */
    private ReadResult readBelow(long fetchOffset, int maxBytes, boolean minOneBatch, long maxOffset,
                                 LogOffsetMetadata hw) {
        long start = local.logStartOffset();
        long logEnd = local.logEnd().offset();
        LogError error = errorAt(fetchOffset, start, logEnd);
        if (error != LogError.NONE || fetchOffset >= maxOffset) {
            return new ReadResult(error, FileSlice.EMPTY, hw.offset(), start, logEnd);
        }
        try {
            for (Map.Entry<Long, LogSegment> entry = segments.floorEntry(fetchOffset);
                 entry != null && entry.getKey() < maxOffset; entry = segments.higherEntry(entry.getKey())) {
                LogSegment segment = entry.getValue();
                int limit = segment == hw.segment() ? hw.position() : segment.size();
                FileSlice slice = readBounded(segment, fetchOffset, limit, maxBytes, minOneBatch, maxOffset);
                if (slice != null) {
                    return new ReadResult(LogError.NONE, slice, hw.offset(), start, logEnd);
                }
            }
        } catch (ClosedByInterruptException e) {
            return new ReadResult(LogError.NONE, FileSlice.EMPTY, hw.offset(), start, logEnd);
        } catch (IOException e) {
            // Closed under the read (cleaner, retention): the consumer fetches again.
            return new ReadResult(lifecycle.deleted() ? LogError.UNKNOWN_TOPIC_OR_PARTITION : LogError.NONE,
                    FileSlice.EMPTY, hw.offset(), start, logEnd);
        }
        return new ReadResult(LogError.NONE, FileSlice.EMPTY, hw.offset(), start, logEnd);
    }

    private LogError errorAt(long fetchOffset, long start, long logEnd) {
        if (lifecycle.deleted()) {
            return LogError.UNKNOWN_TOPIC_OR_PARTITION;
        }
        if (lifecycle.offline()) {
            return LogError.KAFKA_STORAGE_ERROR;
        }
        return fetchOffset < start || fetchOffset > logEnd ? LogError.OFFSET_OUT_OF_RANGE : LogError.NONE;
    }

    /**
     * Whole batches from the one holding {@code fetchOffset}, each starting below {@code maxOffset}, up to
     * {@code maxBytes} (the first one whole when {@code minOneBatch}); null when this segment has no such batch.
     */
    private static FileSlice readBounded(LogSegment segment, long fetchOffset, int limit, int maxBytes,
                                         boolean minOneBatch, long maxOffset) throws IOException {
        int position = segment.offsetIndex().lookup(fetchOffset);
        int from = -1;
        int total = 0;
        boolean stopped = false;
        while (position < limit) {
            ByteBuffer h = segment.readShared(position, RecordBatchHeader.OFFSETS_SIZE);
            if (h.remaining() < RecordBatchHeader.OFFSETS_SIZE) {
                break;
            }
            int size = (int) RecordBatchHeader.totalSize(h, 0);
            long base = RecordBatchHeader.baseOffset(h, 0);
            long last = base + RecordBatchHeader.lastOffsetDelta(h, 0);
            if (base >= maxOffset) {
                stopped = true;
                break;
            }
            if (from < 0 && last >= fetchOffset) {
                if (size > maxBytes) {
                    return minOneBatch ? segment.slice(position, size) : FileSlice.EMPTY;
                }
                from = position;
            }
            if (from >= 0) {
                if ((long) total + size > maxBytes) {
                    stopped = true;
                    break;
                }
                total += size;
            }
            position += size;
        }
        if (from < 0) {
            return stopped || limit < segment.size() ? FileSlice.EMPTY : null;
        }
        return segment.slice(from, total);
    }

    /** See {@link Log#read(long, int, boolean, boolean)}. */
    ReadResult read(long fetchOffset, int maxBytes, boolean minOneBatch, boolean upToHighWatermark) {
        LogOffsetMetadata hwMark = highWatermark.mark();
        LogOffsetMetadata logEnd = local.logEnd();
        LogOffsetMetadata hw = HighWatermark.capped(hwMark, logEnd);
        LogOffsetMetadata end = upToHighWatermark ? hw : logEnd;
        long start = local.logStartOffset();
        if (lifecycle.deleted()) {
            return new ReadResult(LogError.UNKNOWN_TOPIC_OR_PARTITION, FileSlice.EMPTY, hw.offset(), start,
                    logEnd.offset());
        }
        if (lifecycle.offline()) {
            return new ReadResult(LogError.KAFKA_STORAGE_ERROR, FileSlice.EMPTY, hw.offset(), start, logEnd.offset());
        }
        if (fetchOffset < start || fetchOffset > logEnd.offset()) {
            return new ReadResult(LogError.OFFSET_OUT_OF_RANGE, FileSlice.EMPTY, hw.offset(), start, logEnd.offset());
        }
        if (fetchOffset >= end.offset()) {
            return new ReadResult(LogError.NONE, FileSlice.EMPTY, hw.offset(), start, logEnd.offset());
        }
        int lookups = 0;
        try {
            Map.Entry<Long, LogSegment> entry = segments.floorEntry(fetchOffset);
            if (entry == null) {
                // Its segment was deleted (retention, DeleteRecords) since the log start was read.
                return new ReadResult(LogError.OFFSET_OUT_OF_RANGE, FileSlice.EMPTY, hw.offset(),
                        local.logStartOffset(), logEnd.offset());
            }
            while (entry != null && entry.getKey() < end.offset()) {
                LogSegment segment = entry.getValue();
                // Older segments are complete; the one the high watermark is in is read only up to it.
                int limit = segment == end.segment() ? end.position() : segment.size();
                FileSlice slice;
                try {
                    slice = readSegment(segment, fetchOffset, limit, maxBytes, minOneBatch);
                } catch (ClosedChannelException e) {
                    if (e instanceof ClosedByInterruptException || lifecycle.deleted()
                            || fetchOffset < local.logStartOffset() || lookups++ >= MAX_SEGMENT_LOOKUPS) {
                        throw e;
                    }
                    // Replaced by the cleaner, and closed since: the offset is in the segment that holds it now.
                    entry = segments.floorEntry(fetchOffset);
                    continue;
                }
                if (slice != null) {
                    return new ReadResult(LogError.NONE, slice, hw.offset(), start, logEnd.offset());
                }
                Map.Entry<Long, LogSegment> next = segments.higherEntry(entry.getKey());
                if (segments.get(entry.getKey()) != segment && lookups++ < MAX_SEGMENT_LOOKUPS) {
                    // The cleaner replaced this segment meanwhile (and perhaps the ones after it): the records after
                    // fetchOffset are in the cleaned segment now, so look again instead of skipping past it.
                    Map.Entry<Long, LogSegment> again = segments.floorEntry(fetchOffset);
                    next = again != null ? again : next;
                }
                entry = next;
            }
            return new ReadResult(LogError.NONE, FileSlice.EMPTY, hw.offset(), start, logEnd.offset());
        } catch (ClosedByInterruptException e) {
            // The reading thread was interrupted (its request cancelled); the segment itself is unharmed.
            return new ReadResult(LogError.NONE, FileSlice.EMPTY, hw.offset(), start, logEnd.offset());
        } catch (ClosedChannelException e) {
            LogError error = lifecycle.deleted() ? LogError.UNKNOWN_TOPIC_OR_PARTITION : LogError.OFFSET_OUT_OF_RANGE;
            return new ReadResult(error, FileSlice.EMPTY, hw.offset(), local.logStartOffset(), logEnd.offset());
        } catch (IOException e) {
            if (lifecycle.deleted()) {
                // Its files were renamed or removed under the read.
                return new ReadResult(LogError.UNKNOWN_TOPIC_OR_PARTITION, FileSlice.EMPTY, hw.offset(), start,
                        logEnd.offset());
            }
            lifecycle.markOffline("a read", e);
            return new ReadResult(LogError.KAFKA_STORAGE_ERROR, FileSlice.EMPTY, hw.offset(), start, logEnd.offset());
        }
    }

    /** The slice starting at the batch holding {@code fetchOffset}, or null when this segment has no such batch. */
    private static FileSlice readSegment(LogSegment segment, long fetchOffset, int limit, int maxBytes,
                                         boolean minOneBatch) throws IOException {
        int position = segment.offsetIndex().lookup(fetchOffset);
        while (position < limit) {
            ByteBuffer h = segment.readShared(position, RecordBatchHeader.OFFSETS_SIZE);
            if (h.remaining() < RecordBatchHeader.OFFSETS_SIZE) {
                return null;
            }
            int size = (int) RecordBatchHeader.totalSize(h, 0);
            long last = RecordBatchHeader.baseOffset(h, 0) + RecordBatchHeader.lastOffsetDelta(h, 0);
            if (last >= fetchOffset) {
                if (size > maxBytes) {
                    return minOneBatch ? segment.slice(position, size) : FileSlice.EMPTY;
                }
                long budgetEnd = (long) position + maxBytes;
                if (limit <= budgetEnd) {
                    // The high watermark's position is a batch boundary: everything up to it fits (tailing reads).
                    return segment.slice(position, limit - position);
                }
                // Index entries are batch boundaries too: jump to the last one within budget, then walk headers.
                int next = Math.max(position + size, segment.offsetIndex().floorPosition((int) budgetEnd));
                int total = next - position;
                while (next < limit) {
                    ByteBuffer nh = segment.readShared(next, RecordBatchHeader.LOG_OVERHEAD);
                    if (nh.remaining() < RecordBatchHeader.LOG_OVERHEAD) {
                        break;
                    }
                    int nextSize = (int) RecordBatchHeader.totalSize(nh, 0);
                    if ((long) total + nextSize > maxBytes) {
                        break;
                    }
                    total += nextSize;
                    next += nextSize;
                }
                return segment.slice(position, total);
            }
            position += size;
        }
        return null;
    }

    /** See {@link Log#offsetForTimestamp}. */
    OffsetAndTimestamp offsetForTimestamp(long timestamp) {
        LogOffsetMetadata end = highWatermark.view();
        long start = local.logStartOffset();
        lifecycle.requireOnline();
        try {
            for (LogSegment segment : segments.values()) {
                if (segment.baseOffset() >= end.offset()) {
                    break;
                }
                if (segment.nextOffset() <= start || segment.maxTimestamp().timestamp() < timestamp) {
                    continue;
                }
                int limit = segment == end.segment() ? end.position() : segment.size();
                long before = segment.timeIndex().offsetBefore(timestamp);
                int position = before < 0 ? 0 : segment.offsetIndex().lookup(before);
                OffsetAndTimestamp found = TimestampSearch.firstAtOrAfter(segment, position, limit, timestamp, start);
                if (found != null) {
                    return found;
                }
            }
        } catch (ClosedChannelException e) {
            return new OffsetAndTimestamp(-1, -1);
        } catch (IOException e) {
            lifecycle.markOffline("a timestamp lookup", e);
            throw new LogException(LogError.KAFKA_STORAGE_ERROR, "timestamp lookup in " + log + " failed: " + e, e);
        }
        return new OffsetAndTimestamp(-1, -1);
    }

    /** See {@link Log#maxTimestamp}. */
    OffsetAndTimestamp maxTimestamp() {
        LogOffsetMetadata end = highWatermark.view();
        LogSegment.TimestampOffset best = LogSegment.TimestampOffset.NONE;
        LogSegment holder = null;
        for (LogSegment segment : segments.values()) {
            LogSegment.TimestampOffset max = segment.maxTimestamp();
            if (max.timestamp() > best.timestamp()) {
                best = max;
                holder = segment;
            }
        }
        if (holder == null) {
            return new OffsetAndTimestamp(-1, -1);
        }
        try {
            int limit = holder == end.segment() ? end.position() : holder.size();
            OffsetAndTimestamp found = TimestampSearch.maxTimestampRecord(holder, best, limit);
            if (found == null) {
                found = new OffsetAndTimestamp(best.offset(), best.timestamp());
            }
            // Like Kafka, a largest timestamp at or past the high watermark is not answered.
            return found.offset() < end.offset() ? found : new OffsetAndTimestamp(-1, -1);
        } catch (ClosedChannelException e) {
            return new OffsetAndTimestamp(-1, -1);
        } catch (IOException e) {
            throw new LogException(LogError.KAFKA_STORAGE_ERROR, "max timestamp lookup in " + log + " failed: " + e, e);
        }
    }
}
