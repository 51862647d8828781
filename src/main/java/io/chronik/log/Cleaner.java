package io.chronik.log;

import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Cleans one log at a time, as Kafka's Cleaner: maps every key of the dirty part to its latest offset (a bounded
 * {@link OffsetMap}; when it fills up, this round ends there), then rewrites the log from its start up to the end of
 * the map, group by group of small segments, keeping only what {@link CleanerFilter} keeps. Records keep their
 * offsets and timestamps; a batch that loses records is rebuilt with its own codec, producer id, epoch, base sequence
 * and last offset. Each group becomes one cleaned segment that replaces the group through {@link SegmentSwap}. The
 * active segment is never read. Reads go through the segments' shared read channels and the only step on the
 * partition's lane is the swap itself, so appends and fetches go on meanwhile.
 */
final class Cleaner {
    static final double LOAD_FACTOR = 0.9;
    static final int IO_BUFFER_SIZE = 256 * 1024;

    /**
     * How a round ended: where the next one starts, the bytes read to build the offset map, the bytes read and written
     * back by the copy (written / read is Kafka's recopy ratio), and when its kept tombstones expire.
     */
    record Result(long endOffset, long mapBytesRead, long bytesRead, long bytesWritten, long recordsRead,
                  long recordsKept, int segmentsBefore, int segmentsAfter, long nextTombstoneExpiryMs) {
    }

    /** Cleaning of a log stopped early (shutdown, deleted partition, segments gone); the log is unchanged. */
    static final class CleaningAbortedException extends RuntimeException {
        CleaningAbortedException(String message) {
            super(message, null, false, false);
        }
    }

    private final OffsetMap map;
    private final Throttler throttler;
    private final BooleanSupplier stopping;
    private final CleanerHook hook;
    private final BufferSupplier decompression = BufferSupplier.create();

    private long mapBytesRead;
    private long bytesRead;
    private long bytesWritten;
    private long recordsRead;
    private long recordsKept;

    Cleaner(long dedupeBufferBytes, Throttler throttler, BooleanSupplier stopping, CleanerHook hook) {
        this.map = new OffsetMap(dedupeBufferBytes);
        this.throttler = throttler;
        this.stopping = stopping;
        this.hook = hook;
    }

    OffsetMap offsetMap() {
        return map;
    }

    Result clean(LogToClean cleanable, long now) throws IOException {
        Log log = cleanable.log();
        mapBytesRead = 0;
        bytesRead = 0;
        bytesWritten = 0;
        recordsRead = 0;
        recordsKept = 0;
        List<LogSegment> segments = log.segmentsSnapshot();
        buildOffsetMap(log, segments, cleanable.firstDirtyOffset(), cleanable.firstUncleanableOffset());
        long endOffset = Math.max(cleanable.firstDirtyOffset(), map.latestOffset() + 1);

        // The non-active segments from the log start up to the end of the map: a prefix of the snapshot.
        int count = 0;
        while (count < segments.size() - 1 && segments.get(count).baseOffset() < endOffset) {
            count++;
        }
        List<List<LogSegment>> groups = groupBySize(segments, count, log.config().segmentBytes());
        Map<Long, Long> lastBatchOfProducer = log.producerState().lastBatchOffsets();
        long nextExpiry = Long.MAX_VALUE;
        int after = 0;
        for (List<LogSegment> group : groups) {
            CleanerFilter filter = new CleanerFilter(now, log.config().compaction().deleteRetentionMs(), map, endOffset,
                    cleanable.firstUncleanableOffset(), lastBatchOfProducer);
            cleanGroup(log, group, filter, now);
            nextExpiry = Math.min(nextExpiry, filter.nextTombstoneExpiryMs());
            after++;
        }
        return new Result(endOffset, mapBytesRead, bytesRead, bytesWritten, recordsRead, recordsKept, count, after,
                nextExpiry);
    }

    // ---- offset map ----

    /** Maps the keys of the non-active segments in [start, end); stops where the map is full. */
    private void buildOffsetMap(Log log, List<LogSegment> segments, long start, long end) throws IOException {
        map.clear();
        int maxEntries = (int) (map.slots() * LOAD_FACTOR);
        for (int i = 0; i < segments.size() - 1; i++) {
            LogSegment segment = segments.get(i);
            long next = segments.get(i + 1).baseOffset();
            if (next <= start) {
                continue;
            }
            if (segment.baseOffset() >= end) {
                break;
            }
            if (mapSegment(log, segment, start, maxEntries)) {
                return;
            }
            // Offsets up to the next segment are covered, whatever gaps cleaning left.
            map.updateLatestOffset(Math.min(next, end) - 1);
        }
    }

    /** True when the map filled up in this segment. */
    private boolean mapSegment(Log log, LogSegment segment, long start, int maxEntries) throws IOException {
        int position = start > segment.baseOffset() ? segment.offsetIndex().lookup(start) : 0;
        while (position < segment.size()) {
            checkDone(log);
            ByteBuffer chunk = readChunk(segment, position);
            mapBytesRead += chunk.remaining();
            int consumed = 0;
            for (MutableRecordBatch batch : MemoryRecords.readableRecords(chunk).batches()) {
                consumed += batch.sizeInBytes();
                if (batch.lastOffset() < start) {
                    continue;
                }
                try (CloseableIterator<Record> records = batch.streamingIterator(decompression,
                        Records.SOFT_MAX_ARRAY_LENGTH)) {
                    while (records.hasNext()) {
                        Record record = records.next();
                        if (record.hasKey() && record.offset() >= start) {
                            if (map.size() >= maxEntries) {
                                return true;
                            }
                            map.put(record.key(), record.offset());
                        }
                    }
                }
                map.updateLatestOffset(batch.lastOffset());
            }
            if (consumed == 0) {
                throw new IOException("no whole record batch at position " + position + " of " + segment);
            }
            position += consumed;
        }
        return false;
    }

    // ---- cleaning ----

    /**
     * Groups the first {@code count} segments of {@code all} (which has at least one more) into runs of consecutive
     * segments that fit one segment (segment.bytes) and one index (offsets within an int of the base), as Kafka's
     * groupSegmentsBySize, so cleaned segments do not stay small.
     */
    static List<List<LogSegment>> groupBySize(List<LogSegment> all, int count, int maxBytes) {
        List<List<LogSegment>> groups = new ArrayList<>();
        int i = 0;
        while (i < count) {
            List<LogSegment> group = new ArrayList<>();
            LogSegment first = all.get(i);
            group.add(first);
            long bytes = first.size();
            i++;
            while (i < count) {
                LogSegment next = all.get(i);
                long nextEnd = all.get(i + 1).baseOffset() - 1; // worst-case last offset of next
                if (bytes + next.size() > maxBytes || nextEnd - first.baseOffset() > Integer.MAX_VALUE) {
                    break;
                }
                group.add(next);
                bytes += next.size();
                i++;
            }
            groups.add(group);
        }
        return groups;
    }

    /** Cleans one group into one segment and swaps it in (unless a lone segment came out unchanged). */
    private void cleanGroup(Log log, List<LogSegment> group, CleanerFilter filter, long now) throws IOException {
        Path dir = log.dir();
        LogConfig cfg = log.config();
        SegmentName name = new SegmentName(group.get(0).baseOffset(), log.nextSegmentGeneration());
        List<SegmentName> replaced = group.stream().map(LogSegment::name).toList();
        LogSegment dest = LogSegment.create(dir, name, SegmentName.CLEANED, now, 0);
        LogSegment cleaned = null;
        boolean written = false;
        try {
            for (LogSegment source : group) {
                copyFiltered(log, source, dest, filter, cfg.indexIntervalBytes());
            }
            if (group.size() == 1 && !filter.changed()) {
                dest.close();
                SegmentSwap.deleteCleaned(dir, name); // already clean: nothing to replace
                return;
            }
            dest.onBecomeInactive();
            dest.close();
            hook.reached(CleanerHook.Step.CLEANED_WRITTEN, log);
            checkDone(log);
            written = true;
            SegmentSwap.commit(dir, name, replaced, hook, log);
            cleaned = LogSegment.open(dir, name, cfg.indexIntervalBytes(), false, now);
            hook.reached(CleanerHook.Step.RENAMED, log);
            if (!awaitSwap(log, cleaned, group)) {
                throw new CleaningAbortedException("segments of " + log + " changed while they were cleaned");
            }
        } catch (IOException | RuntimeException e) {
            dest.close();
            if (cleaned != null && log.serves(cleaned)) {
                throw e; // swapped in after all: nothing to undo
            }
            if (cleaned != null) {
                cleaned.close();
            }
            if (written) {
                SegmentSwap.rollback(dir, name, replaced);
            } else {
                SegmentSwap.deleteCleaned(dir, name);
            }
            throw e;
        }
        hook.reached(CleanerHook.Step.SWAPPED_IN, log);
    }

    private void copyFiltered(Log log, LogSegment source, LogSegment dest, CleanerFilter filter, int indexInterval)
            throws IOException {
        int position = 0;
        while (position < source.size()) {
            checkDone(log);
            ByteBuffer chunk = readChunk(source, position);
            bytesRead += chunk.remaining();
            ByteBuffer out = ByteBuffer.allocate(chunk.remaining());
            MemoryRecords.FilterResult result = MemoryRecords.readableRecords(chunk).filterTo(filter, out,
                    decompression, Records.SOFT_MAX_ARRAY_LENGTH);
            if (result.bytesRead() == 0) {
                throw new IOException("no whole record batch at position " + position + " of " + source);
            }
            position += result.bytesRead();
            recordsRead += result.messagesRead();
            recordsKept += result.messagesRetained();
            ByteBuffer kept = result.outputBuffer();
            if (kept.position() > 0) {
                kept.flip();
                appendBatches(dest, kept, indexInterval);
                bytesWritten += kept.remaining();
                throttler.maybeThrottle(kept.remaining(), stopping);
            }
        }
    }

    /** Appends the whole batches in {@code buf} (offsets already assigned) to the cleaned segment. */
    private static void appendBatches(LogSegment dest, ByteBuffer buf, int indexInterval) throws IOException {
        List<int[]> spans = new ArrayList<>();
        int at = buf.position();
        while (at < buf.limit()) {
            int size = (int) RecordBatchHeader.totalSize(buf, at);
            spans.add(new int[] {at, size});
            at += size;
        }
        int n = spans.size();
        long[] bases = new long[n];
        long[] lasts = new long[n];
        int[] sizes = new int[n];
        long[] maxTimestamps = new long[n];
        for (int i = 0; i < n; i++) {
            int p = spans.get(i)[0];
            bases[i] = RecordBatchHeader.baseOffset(buf, p);
            lasts[i] = bases[i] + RecordBatchHeader.lastOffsetDelta(buf, p);
            sizes[i] = spans.get(i)[1];
            maxTimestamps[i] = RecordBatchHeader.maxTimestamp(buf, p);
        }
        dest.append(buf, bases, lasts, sizes, maxTimestamps, indexInterval);
    }

    /** Whole batches from {@code position}: at least one (a larger buffer for a large batch), throttled. */
    private ByteBuffer readChunk(LogSegment segment, int position) throws IOException {
        int left = segment.size() - position;
        ByteBuffer chunk = segment.readShared(position, Math.min(IO_BUFFER_SIZE, left));
        if (chunk.remaining() >= RecordBatchHeader.LOG_OVERHEAD) {
            long first = RecordBatchHeader.totalSize(chunk, 0);
            if (first < RecordBatchHeader.HEADER_SIZE || first > left) {
                throw new IOException("invalid batch length " + first + " at position " + position + " of " + segment);
            }
            if (first > chunk.remaining()) {
                chunk = segment.readShared(position, (int) first);
            }
        }
        throttler.maybeThrottle(chunk.remaining(), stopping);
        return chunk;
    }

    /** Waits for the lane to swap the segments; false when the log refused (or its lane stopped before it ran). */
    private static boolean awaitSwap(Log log, LogSegment cleaned, List<LogSegment> group) {
        CompletableFuture<Boolean> swapped = log.replaceSegments(cleaned, group);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return swapped.get(100, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    if (log.laneTerminated() && !swapped.isDone()) {
                        return false; // halted with the task still queued: it never runs
                    }
                } catch (InterruptedException e) {
                    interrupted = true; // keep waiting: the lane decides, not this thread
                } catch (ExecutionException e) {
                    throw new IllegalStateException("swap of cleaned segment in " + log + " failed", e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void checkDone(Log log) {
        if (stopping.getAsBoolean()) {
            throw new CleaningAbortedException("the log cleaner is stopping");
        }
        if (log.isDeleted() || log.isClosed()) {
            throw new CleaningAbortedException(log + " was deleted or closed");
        }
    }
}
