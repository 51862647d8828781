package io.chronik.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Sparse map from offset to file position inside one segment (Kafka's .index): entries of relative offset (int32)
 * and position (int32), one per index.interval.bytes of log. Entries point at batch starts and are kept in memory
 * for lookups; the file mirrors them.
 *
 * <p>One writer (the partition's lane) and many readers: an entry is stored in the array before the volatile entry
 * count is raised, and a grown array is published before the count, so a reader that reads the count first never
 * sees a half-written entry.
 */
final class OffsetIndex {
    static final int ENTRY_SIZE = 8;

    private final long baseOffset;
    private final IndexFile file;
    /** Pairs: relative offset, position. */
    private volatile int[] data;
    private volatile int entries;

    private OffsetIndex(Path path, long baseOffset, int[] data, int entries) {
        this.baseOffset = baseOffset;
        this.file = new IndexFile(path);
        this.data = data;
        this.entries = entries;
    }

    static OffsetIndex empty(Path path, long baseOffset) {
        return new OffsetIndex(path, baseOffset, new int[32], 0);
    }

    /**
     * The index stored in {@code path}, or null when it is missing, truncated mid-entry or not strictly increasing,
     * or points past {@code logSize}. The caller still checks the last entry against the log.
     */
    static OffsetIndex load(Path path, long baseOffset, long logSize) {
        byte[] bytes = IndexFile.readAll(path);
        if (bytes == null || bytes.length % ENTRY_SIZE != 0) {
            return null;
        }
        int n = bytes.length / ENTRY_SIZE;
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        int[] data = new int[Math.max(32, n * 2)];
        for (int i = 0; i < n; i++) {
            int rel = buf.getInt();
            int pos = buf.getInt();
            if (rel < 0 || pos < 0 || pos + RecordBatchHeader.HEADER_SIZE > logSize
                    || (i > 0 && (rel <= data[2 * i - 2] || pos <= data[2 * i - 1]))) {
                return null;
            }
            data[2 * i] = rel;
            data[2 * i + 1] = pos;
        }
        return new OffsetIndex(path, baseOffset, data, n);
    }

    int entries() {
        return entries;
    }

    long offset(int entry) {
        return baseOffset + data[2 * entry];
    }

    int position(int entry) {
        return data[2 * entry + 1];
    }

    /** Records that the batch starting at {@code position} has base offset {@code offset}. Lane thread only. */
    void append(long offset, int position) {
        int n = entries;
        int rel = (int) (offset - baseOffset);
        int[] d = data;
        if (2 * n + 1 >= d.length) {
            d = Arrays.copyOf(d, d.length * 2);
            data = d;
        }
        d[2 * n] = rel;
        d[2 * n + 1] = position;
        entries = n + 1;
        file.write(ByteBuffer.allocate(ENTRY_SIZE).putInt(rel).putInt(position).flip(), (long) n * ENTRY_SIZE);
    }

    /** Position of a batch that starts at or before the batch holding {@code target}: a safe place to scan from. */
    int lookup(long target) {
        int n = entries;
        int[] d = data;
        long rel = target - baseOffset;
        int lo = 0;
        int hi = n - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (d[2 * mid] <= rel) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found < 0 ? 0 : d[2 * found + 1];
    }

    /** The largest indexed batch position that is at most {@code maxPosition}, or -1. */
    int floorPosition(int maxPosition) {
        int n = entries;
        int[] d = data;
        int lo = 0;
        int hi = n - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (d[2 * mid + 1] <= maxPosition) {
                found = d[2 * mid + 1];
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /** Writes the whole index to its file and syncs it. */
    void flush() throws IOException {
        int n = entries;
        int[] d = data;
        ByteBuffer buf = ByteBuffer.allocate(n * ENTRY_SIZE);
        for (int i = 0; i < n; i++) {
            buf.putInt(d[2 * i]).putInt(d[2 * i + 1]);
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
