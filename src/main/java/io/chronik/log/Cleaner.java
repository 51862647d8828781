package io.chronik.log;

import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
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
 * active segment is never read. Segments are read through their own reference-counted channels, never reopened by
 * path, and the only steps on the partition's lane are the renames of the swap and the change of the segment map,
 * so appends and fetches go on meanwhile.
 *
 * <p>Failures: a failed read of a live segment takes the partition offline, as any failed read of its files does
 * (Chronik isolates storage errors per partition; Kafka takes the log directory offline). A failed write of the
 * cleaned files only ends the round (the caller retries after its backoff); a failure once the swap is committed
 * takes the partition offline, and a restart finishes the swap. Batches that do not parse leave the log uncleaned.
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
        LogConfig cfg = log.config();
        List<List<LogSegment>> groups = groupBySize(segments, count, cfg.segmentBytes(), cfg.segmentIndexBytes());
        Map<Long, ProducerStateManager.LastRecord> lastRecords = log.producerState().lastRecords();
        // One for the round: it reads the log from its start, so each marker knows whether its data was kept.
        CleanedTransactions transactions = CleanedTransactions.of(segments);
        long nextExpiry = Long.MAX_VALUE;
        int after = 0;
        for (List<LogSegment> group : groups) {
            List<AbortedTxn> aborts = new ArrayList<>(0);
            group.forEach(s -> aborts.addAll(s.txnIndex().entries()));
            CleanerFilter filter = new CleanerFilter(now, log.config().compaction().deleteRetentionMs(), map, endOffset,
                    cleanable.firstUncleanableOffset(), lastRecords, transactions, aborts);
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
        CleanedTransactions transactions = CleanedTransactions.of(segments);
        for (int i = 0; i < segments.size() - 1; i++) {
            LogSegment segment = segments.get(i);
            long next = segments.get(i + 1).baseOffset();
            if (next <= start) {
                continue;
            }
            if (segment.baseOffset() >= end) {
                break;
            }
            if (mapSegment(log, segment, start, maxEntries, transactions)) {
                return;
            }
            // Offsets up to the next segment are covered, whatever gaps cleaning left.
            map.updateLatestOffset(Math.min(next, end) - 1);
        }
    }

    /** True when the map filled up in this segment. */
    private boolean mapSegment(Log log, LogSegment segment, long start, int maxEntries,
                               CleanedTransactions transactions) throws IOException {
        int position = start > segment.baseOffset() ? lookup(log, segment, start) : 0;
        while (position < segment.size()) {
            checkDone(log);
            ByteBuffer chunk = readChunk(log, segment, position);
            mapBytesRead += chunk.remaining();
            int consumed = 0;
            for (MutableRecordBatch batch : MemoryRecords.readableRecords(chunk).batches()) {
                consumed += batch.sizeInBytes();
                if (batch.lastOffset() < start) {
                    continue;
                }
                if (batch.isControlBatch() || (batch.isTransactional() && transactions.isAborted(batch))) {
                    // Markers have no key of the topic; an aborted record must never make an older committed one go.
                    map.updateLatestOffset(batch.lastOffset());
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
                throw new CorruptRecordException("no whole record batch at position " + position + " of " + segment);
            }
            position += consumed;
        }
        return false;
    }

    // ---- cleaning ----

    /**
     * Groups the first {@code count} segments of {@code all} (which has at least one more) into runs of consecutive
     * segments that fit one segment (segment.bytes), one offset index and one time index (segment.index.bytes), and
     * offsets within an int of the base, as Kafka's groupSegmentsBySize, so cleaned segments do not stay small.
     */
    static List<List<LogSegment>> groupBySize(List<LogSegment> all, int count, int maxBytes, int maxIndexBytes) {
        List<List<LogSegment>> groups = new ArrayList<>();
        int i = 0;
        while (i < count) {
            List<LogSegment> group = new ArrayList<>();
            LogSegment first = all.get(i);
            group.add(first);
            long bytes = first.size();
            long offsetIndexBytes = offsetIndexBytes(first);
            long timeIndexBytes = timeIndexBytes(first);
            i++;
            while (i < count) {
                LogSegment next = all.get(i);
                long nextEnd = all.get(i + 1).baseOffset() - 1; // worst-case last offset of next
                if (bytes + next.size() > maxBytes
                        || offsetIndexBytes + offsetIndexBytes(next) > maxIndexBytes
                        || timeIndexBytes + timeIndexBytes(next) > maxIndexBytes
                        || nextEnd - first.baseOffset() > Integer.MAX_VALUE) {
                    break;
                }
                group.add(next);
                bytes += next.size();
                offsetIndexBytes += offsetIndexBytes(next);
                timeIndexBytes += timeIndexBytes(next);
                i++;
            }
            groups.add(group);
        }
        return groups;
    }

    private static long offsetIndexBytes(LogSegment segment) {
        return (long) segment.offsetIndex().entries() * OffsetIndex.ENTRY_SIZE;
    }

    private static long timeIndexBytes(LogSegment segment) {
        return (long) segment.timeIndex().entries() * TimeIndex.ENTRY_SIZE;
    }

    /** Cleans one group into one segment and swaps it in (unless a lone segment came out unchanged). */
    private void cleanGroup(Log log, List<LogSegment> group, CleanerFilter filter, long now) throws IOException {
        Path dir = log.dir();
        LogConfig cfg = log.config();
        long base = group.get(0).baseOffset();
        LogSegment dest = LogSegment.create(dir, base, SegmentSwap.CLEANED_SUFFIX, now, 0, cfg.segmentIndexBytes());
        boolean committed = false;
        try {
            for (LogSegment source : group) {
                copyFiltered(log, source, dest, filter, cfg.indexIntervalBytes());
            }
            // The aborted transactions whose ABORT marker stays (what a recovery would index from the cleaned log).
            for (AbortedTxn txn : filter.keptAborts()) {
                dest.txnIndex().append(txn);
            }
            if (group.size() == 1 && !filter.changed()) {
                dest.close();
                SegmentSwap.deleteCleaned(dir, base); // already clean: nothing to replace
                return;
            }
            dest.onBecomeInactive(); // fsynced, indexes sealed
            dest.close();
            hook.reached(CleanerHook.Step.CLEANED_WRITTEN, log);
            checkDone(log);
            SegmentSwap.commit(dir, base);
            committed = true;
            hook.reached(CleanerHook.Step.SWAP_COMMITTED, log);
        } catch (IOException | RuntimeException e) {
            dest.close();
            if (committed || SegmentSwap.committed(dir, base)) {
                withdraw(log, base);
            } else {
                SegmentSwap.deleteCleaned(dir, base);
            }
            throw e;
        }
        switch (awaitSwap(log, group)) {
            case SWAPPED -> hook.reached(CleanerHook.Step.SWAPPED_IN, log);
            case REFUSED -> {
                withdraw(log, base);
                throw new CleaningAbortedException("segments of " + log + " changed while they were cleaned");
            }
            case FAILED -> throw new CleaningAbortedException(log + " went offline while its segments were replaced");
        }
    }

    /**
     * Deletes a committed swap the log refused. Should that fail, a restart would finish a swap made for segments
     * that changed since, so the partition goes offline (nothing changes it any more) and the restart finishes it.
     */
    private static void withdraw(Log log, long base) {
        try {
            SegmentSwap.abandon(log.dir(), base);
        } catch (IOException e) {
            log.markOffline("the withdrawal of a cleaned segment", e);
        }
    }

    private void copyFiltered(Log log, LogSegment source, LogSegment dest, CleanerFilter filter, int indexInterval)
            throws IOException {
        int position = 0;
        while (position < source.size()) {
            checkDone(log);
            ByteBuffer chunk = readChunk(log, source, position);
            bytesRead += chunk.remaining();
            ByteBuffer out = ByteBuffer.allocate(chunk.remaining());
            MemoryRecords.FilterResult result = MemoryRecords.readableRecords(chunk).filterTo(filter, out,
                    decompression, Records.SOFT_MAX_ARRAY_LENGTH);
            if (result.bytesRead() == 0) {
                throw new CorruptRecordException("no whole record batch at position " + position + " of " + source);
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
    private ByteBuffer readChunk(Log log, LogSegment segment, int position) {
        int left = segment.size() - position;
        ByteBuffer chunk = read(log, segment, position, Math.min(IO_BUFFER_SIZE, left));
        if (chunk.remaining() >= RecordBatchHeader.LOG_OVERHEAD) {
            long first = RecordBatchHeader.totalSize(chunk, 0);
            if (first < RecordBatchHeader.HEADER_SIZE || first > left) {
                throw new CorruptRecordException("invalid batch length " + first + " at position " + position + " of "
                        + segment);
            }
            if (first > chunk.remaining()) {
                chunk = read(log, segment, position, (int) first);
            }
        }
        throttler.maybeThrottle(chunk.remaining(), stopping);
        return chunk;
    }

    /** The position to read {@code offset} of a live segment from, failing as {@link #read} does. */
    private static int lookup(Log log, LogSegment segment, long offset) {
        try {
            return segment.offsetIndex().lookup(offset);
        } catch (ClosedChannelException e) {
            throw new CleaningAbortedException(segment + " was deleted while it was cleaned");
        } catch (IOException e) {
            log.markOffline("an index lookup by the log cleaner", e);
            throw new CleaningAbortedException("the index of " + segment + " failed: " + e);
        }
    }

    /**
     * A read of a live segment through its own channel. A segment deleted meanwhile ends the round; any other failure
     * is the partition's own files failing: it goes offline.
     */
    private static ByteBuffer read(Log log, LogSegment segment, int position, int length) {
        try {
            return segment.readRetained(position, length);
        } catch (ClosedChannelException e) {
            throw new CleaningAbortedException(segment + " was deleted while it was cleaned");
        } catch (IOException e) {
            log.markOffline("a read by the log cleaner", e);
            throw new CleaningAbortedException("reading " + segment + " failed: " + e);
        }
    }

    /** Waits for the lane's answer; REFUSED when its lane stopped before the task ran. */
    private Log.SwapOutcome awaitSwap(Log log, List<LogSegment> group) {
        CompletableFuture<Log.SwapOutcome> swapped = log.replaceSegments(group, hook);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return swapped.get(100, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    if (log.laneTerminated() && !swapped.isDone()) {
                        return Log.SwapOutcome.REFUSED; // halted with the task still queued: it never runs
                    }
                } catch (InterruptedException e) {
                    interrupted = true; // keep waiting: the lane decides, not this thread
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof Error error) {
                        throw error;
                    }
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
