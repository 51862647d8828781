package io.chronik.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Sparse map from timestamp to offset inside one segment (Kafka's .timeindex): entries of timestamp (int64) and
 * relative offset (int32), appended only when the segment's max timestamp grows, at most once per index interval,
 * plus a final entry when the segment stops being active so the last entry is the segment's max timestamp.
 * Memory-mapped like {@link OffsetIndex}; a slot is always kept free for that final entry.
 */
final class TimeIndex {
    static final int ENTRY_SIZE = 12;

    private final long baseOffset;
    private final IndexFile file;
    private volatile long lastTimestamp;
    private volatile long lastOffset;

    private TimeIndex(IndexFile file, long baseOffset, long lastTimestamp, long lastOffset) {
        this.file = file;
        this.baseOffset = baseOffset;
        this.lastTimestamp = lastTimestamp;
        this.lastOffset = lastOffset;
    }

    static TimeIndex create(Path path, long baseOffset, int maxBytes) throws IOException {
        return new TimeIndex(IndexFile.create(path, ENTRY_SIZE, maxBytes), baseOffset, -1, -1);
    }

    /**
     * The sealed index in {@code path}, or null when missing, not made of whole entries, its first and last entries
     * out of order, or its last entry naming an offset at or past {@code endOffset} (the segment's next offset).
     */
    static TimeIndex load(Path path, long baseOffset, long endOffset) throws IOException {
        IndexFile file = IndexFile.open(path, ENTRY_SIZE);
        if (file == null) {
            return null;
        }
        int n = file.entries();
        if (n == 0) {
            return new TimeIndex(file, baseOffset, -1, -1);
        }
        ByteBuffer first = file.readEntry(0);
        ByteBuffer last = file.readEntry(n - 1);
        long ts = last.getLong(0);
        int rel = last.getInt(8);
        if (first.getInt(8) < 0 || baseOffset + rel >= endOffset
                || (n > 1 && (ts <= first.getLong(0) || rel < first.getInt(8)))) {
            return null;
        }
        return new TimeIndex(file, baseOffset, ts, baseOffset + rel);
    }

    int entries() {
        return file.entries();
    }

    long lastTimestamp() {
        return file.entries() == 0 ? -1 : lastTimestamp;
    }

    long lastOffset() {
        return file.entries() == 0 ? -1 : lastOffset;
    }

    /** Full for appends: the last slot is kept for the entry written when the segment stops being active. */
    boolean isFull() {
        return !file.hasRoom(2);
    }

    /** Adds an entry if {@code timestamp} is larger than the last one. Lane thread only. */
    void maybeAppend(long timestamp, long offset) throws IOException {
        if (file.entries() > 0 && timestamp <= lastTimestamp) {
            return;
        }
        int rel = (int) (offset - baseOffset);
        int before = file.entries();
        file.append(ByteBuffer.allocate(ENTRY_SIZE).putLong(timestamp).putInt(rel).flip());
        if (file.entries() > before) {
            lastTimestamp = timestamp;
            lastOffset = offset;
        }
    }

    /**
     * An offset such that every batch up to and including it has max timestamp below {@code target}, or -1 when
     * the index knows none: the scan for the first batch reaching {@code target} can start after it.
     */
    long offsetBefore(long target) throws IOException {
        int n = file.entries();
        if (n == 0) {
            return -1;
        }
        ByteBuffer d = file.buffer();
        int lo = 0;
        int hi = n - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (d.getLong(mid * ENTRY_SIZE) < target) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found < 0 ? -1 : baseOffset + d.getInt(found * ENTRY_SIZE + 8);
    }

    /** Empties the index and makes it writable (see {@link IndexFile#clear}). */
    void clear(int maxBytes) throws IOException {
        file.clear(maxBytes);
        lastTimestamp = -1;
        lastOffset = -1;
    }

    void flush() throws IOException {
        file.flush();
    }

    void seal() throws IOException {
        file.seal();
    }

    void makeWritable(int maxBytes) throws IOException {
        file.makeWritable(maxBytes);
    }

    IndexFile file() {
        return file;
    }

    void close() {
        file.close();
    }

    void deleteFile() {
        file.delete();
    }
}
