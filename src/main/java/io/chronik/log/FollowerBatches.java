package io.chronik.log;

import java.nio.ByteBuffer;

/**
 * The batches of a follower append (whole magic-2 batches fetched from the leader), checked as they will be written:
 * lengths, magic and CRC-32C; offsets increasing and starting at or after the log end. Batches that end below the
 * log end (already replicated) are skipped; a trailing partial batch (a fetch may end inside one) is ignored. Offsets
 * may jump forward between batches, as they do in a compacted leader log.
 */
final class FollowerBatches {
    /**
     * The batches to write, {@code [from, to)} of the buffer, and their header fields.
     *
     * @param error NONE, CORRUPT_MESSAGE (a damaged batch) or UNEXPECTED_APPEND_OFFSET (overlap, or offsets going back)
     */
    record Parsed(LogError error, String message, int from, int to, int count, int[] sizes, long[] bases,
                  long[] lasts, long[] maxTimestamps, int[] epochs, int offsets) {
    }

    private FollowerBatches() {
    }

    static Parsed parse(ByteBuffer buf, long logEndOffset) {
        int at = buf.position();
        int end = buf.limit();
        int capacity = 8;
        int[] sizes = new int[capacity];
        long[] bases = new long[capacity];
        long[] lasts = new long[capacity];
        long[] maxTimestamps = new long[capacity];
        int[] epochs = new int[capacity];
        int n = 0;
        int from = at;
        int offsets = 0;
        long next = logEndOffset;
        while (end - at >= RecordBatchHeader.LOG_OVERHEAD) {
            long size = RecordBatchHeader.totalSize(buf, at);
            if (size < RecordBatchHeader.HEADER_SIZE) {
                return failed(LogError.CORRUPT_MESSAGE, "batch at byte " + at + " has length " + size);
            }
            if (size > end - at) {
                break; // a partial batch at the end of a fetch: fetched again next time
            }
            int batchSize = (int) size;
            if (RecordBatchHeader.magic(buf, at) != RecordBatchHeader.MAGIC_V2) {
                return failed(LogError.CORRUPT_MESSAGE, "batch at byte " + at + " has magic "
                        + RecordBatchHeader.magic(buf, at));
            }
            long base = RecordBatchHeader.baseOffset(buf, at);
            int delta = RecordBatchHeader.lastOffsetDelta(buf, at);
            if (delta < 0) {
                return failed(LogError.CORRUPT_MESSAGE, "batch at offset " + base + " has lastOffsetDelta " + delta);
            }
            long last = base + delta;
            if (n == 0 && last < logEndOffset) {
                at += batchSize; // replicated already
                from = at;
                continue;
            }
            if (base < next) {
                return failed(LogError.UNEXPECTED_APPEND_OFFSET, "batch at offset " + base + " (last " + last
                        + ") does not start at or after offset " + next);
            }
            if (RecordBatchHeader.computeCrc(buf, at, batchSize) != RecordBatchHeader.storedCrc(buf, at)) {
                return failed(LogError.CORRUPT_MESSAGE, "batch at offset " + base + " fails its CRC check");
            }
            if (n == capacity) {
                capacity *= 2;
                sizes = java.util.Arrays.copyOf(sizes, capacity);
                bases = java.util.Arrays.copyOf(bases, capacity);
                lasts = java.util.Arrays.copyOf(lasts, capacity);
                maxTimestamps = java.util.Arrays.copyOf(maxTimestamps, capacity);
                epochs = java.util.Arrays.copyOf(epochs, capacity);
            }
            sizes[n] = batchSize;
            bases[n] = base;
            lasts[n] = last;
            maxTimestamps[n] = RecordBatchHeader.maxTimestamp(buf, at);
            epochs[n] = buf.getInt(at + RecordBatchHeader.PARTITION_LEADER_EPOCH);
            n++;
            offsets += delta + 1;
            next = last + 1;
            at += batchSize;
        }
        return new Parsed(LogError.NONE, null, from, n == 0 ? from : at, n, java.util.Arrays.copyOf(sizes, n),
                java.util.Arrays.copyOf(bases, n), java.util.Arrays.copyOf(lasts, n),
                java.util.Arrays.copyOf(maxTimestamps, n), java.util.Arrays.copyOf(epochs, n), offsets);
    }

    private static Parsed failed(LogError error, String message) {
        return new Parsed(error, message, 0, 0, 0, null, null, null, null, null, 0);
    }
}
