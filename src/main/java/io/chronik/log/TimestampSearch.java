package io.chronik.log;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.function.Predicate;

/**
 * Timestamp lookups inside one segment, answered per record as Kafka does: batch headers find the batch, then the
 * batch is read (and decompressed where needed) to find the record. In a LogAppendTime batch every record carries
 * the batch's max timestamp, which the record classes report for each record.
 */
final class TimestampSearch {
    private TimestampSearch() {
    }

    /**
     * The first record at or after {@code from} (a batch boundary) and below {@code limit} whose timestamp is at least
     * {@code target} and whose offset is at least {@code startOffset}, or null when the segment has none.
     */
    static OffsetAndTimestamp firstAtOrAfter(LogSegment segment, int from, int limit, long target, long startOffset)
            throws IOException {
        int position = from;
        while (position < limit) {
            ByteBuffer h = segment.readShared(position, RecordBatchHeader.TIMESTAMPS_SIZE);
            if (h.remaining() < RecordBatchHeader.TIMESTAMPS_SIZE) {
                return null;
            }
            int size = (int) RecordBatchHeader.totalSize(h, 0);
            long last = RecordBatchHeader.baseOffset(h, 0) + RecordBatchHeader.lastOffsetDelta(h, 0);
            if (RecordBatchHeader.maxTimestamp(h, 0) >= target && last >= startOffset) {
                OffsetAndTimestamp found = firstRecord(segment, position, size,
                        r -> r.timestamp() >= target && r.offset() >= startOffset);
                if (found != null) {
                    return found;
                }
            }
            position += size;
        }
        return null;
    }

    /**
     * The record holding the segment's largest timestamp: the first record of the batch whose max timestamp it is
     * (searched from the batch the segment remembers) carrying that timestamp. Null when it cannot be found below
     * {@code limit}.
     */
    static OffsetAndTimestamp maxTimestampRecord(LogSegment segment, LogSegment.TimestampOffset max, int limit)
            throws IOException {
        int position = segment.offsetIndex().lookup(max.offset());
        while (position < limit) {
            ByteBuffer h = segment.readShared(position, RecordBatchHeader.TIMESTAMPS_SIZE);
            if (h.remaining() < RecordBatchHeader.TIMESTAMPS_SIZE) {
                return null;
            }
            int size = (int) RecordBatchHeader.totalSize(h, 0);
            if (RecordBatchHeader.maxTimestamp(h, 0) == max.timestamp()) {
                OffsetAndTimestamp found = firstRecord(segment, position, size, r -> r.timestamp() == max.timestamp());
                // A batch whose records do not carry its header's max timestamp still stands for them.
                return found != null ? found : new OffsetAndTimestamp(max.offset(), max.timestamp());
            }
            position += size;
        }
        return null;
    }

    /**
     * The offset and timestamp of the first record of the batch at {@code position} that matches, decompressing the
     * batch where needed; null when none does or the batch cannot be read whole or decoded.
     */
    private static OffsetAndTimestamp firstRecord(LogSegment segment, int position, int size, Predicate<Record> match)
            throws IOException {
        ByteBuffer bytes = segment.readShared(position, size);
        if (bytes.remaining() < size) {
            return null;
        }
        try {
            Iterator<MutableRecordBatch> batches = MemoryRecords.readableRecords(bytes).batches().iterator();
            if (!batches.hasNext()) {
                return null;
            }
            try (CloseableIterator<Record> records = batches.next().skipKeyValueIterator(BufferSupplier.NO_CACHING)) {
                while (records.hasNext()) {
                    Record record = records.next();
                    if (match.test(record)) {
                        return new OffsetAndTimestamp(record.offset(), record.timestamp());
                    }
                }
            }
            return null;
        } catch (KafkaException e) {
            return null;
        }
    }
}
