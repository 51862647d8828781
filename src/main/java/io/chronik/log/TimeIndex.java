package io.chronik.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Sparse map from timestamp to offset inside one segment (Kafka's .timeindex): entries of timestamp (int64) and
 * relative offset (int32), appended only when the segment's max timestamp grows, at most once per index interval,
 * plus a final entry when the segment stops being active so the last entry is the segment's max timestamp.
 * Same single-writer publication scheme as {@link OffsetIndex}.
 */
final class TimeIndex {
    static final int ENTRY_SIZE = 12;

    private final long baseOffset;
    private final IndexFile file;
    /** Pairs: timestamp, relative offset. */
    private volatile long[] data;
    private volatile int entries;

    private TimeIndex(Path path, long baseOffset, long[] data, int entries) {
        this.baseOffset = baseOffset;
        this.file = new IndexFile(path);
        this.data = data;
        this.entries = entries;
    }

    static TimeIndex empty(Path path, long baseOffset) {
        return new TimeIndex(path, baseOffset, new long[32], 0);
    }

    /**
     * The index in {@code path}, or null when missing, truncated mid-entry, not increasing, or naming an offset
     * at or past {@code endOffset} (the segment's next offset).
     */
    static TimeIndex load(Path path, long baseOffset, long endOffset) {
        byte[] bytes = IndexFile.readAll(path);
        if (bytes == null || bytes.length % ENTRY_SIZE != 0) {
            return null;
        }
        int n = bytes.length / ENTRY_SIZE;
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        long[] data = new long[Math.max(32, n * 2)];
        for (int i = 0; i < n; i++) {
            long ts = buf.getLong();
            int rel = buf.getInt();
            if (rel < 0 || baseOffset + rel >= endOffset
                    || (i > 0 && (ts <= data[2 * i - 2] || rel < data[2 * i - 1]))) {
                return null;
            }
            data[2 * i] = ts;
            data[2 * i + 1] = rel;
        }
        return new TimeIndex(path, baseOffset, data, n);
    }

    int entries() {
        return entries;
    }

    long lastTimestamp() {
        int n = entries;
        return n == 0 ? -1 : data[2 * (n - 1)];
    }

    long lastOffset() {
        int n = entries;
        return n == 0 ? -1 : baseOffset + data[2 * (n - 1) + 1];
    }

    /** Adds an entry if {@code timestamp} is larger than the last one. Lane thread only. */
    void maybeAppend(long timestamp, long offset) {
        int n = entries;
        long[] d = data;
        if (n > 0 && timestamp <= d[2 * (n - 1)]) {
            return;
        }
        int rel = (int) (offset - baseOffset);
        if (2 * n + 1 >= d.length) {
            d = Arrays.copyOf(d, d.length * 2);
            data = d;
        }
        d[2 * n] = timestamp;
        d[2 * n + 1] = rel;
        entries = n + 1;
        file.write(ByteBuffer.allocate(ENTRY_SIZE).putLong(timestamp).putInt(rel).flip(), (long) n * ENTRY_SIZE);
    }

    /**
     * An offset such that every batch up to and including it has max timestamp below {@code target}, or -1 when
     * the index knows none: the scan for the first batch reaching {@code target} can start after it.
     */
    long offsetBefore(long target) {
        int n = entries;
        long[] d = data;
        int lo = 0;
        int hi = n - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (d[2 * mid] < target) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found < 0 ? -1 : baseOffset + d[2 * found + 1];
    }

    void flush() throws IOException {
        int n = entries;
        long[] d = data;
        ByteBuffer buf = ByteBuffer.allocate(n * ENTRY_SIZE);
        for (int i = 0; i < n; i++) {
            buf.putLong(d[2 * i]).putInt((int) d[2 * i + 1]);
        }
        file.rewrite(buf.flip());
    }

    void closeFile() {
        file.closeQuietly();
    }

    void deleteFile() {
        file.delete();
    }
}
