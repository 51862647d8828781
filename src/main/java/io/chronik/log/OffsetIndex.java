package io.chronik.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Sparse map from offset to file position inside one segment (Kafka's .index): entries of relative offset (int32)
 * and position (int32), one per index.interval.bytes of log, pointing at batch starts. The entries live in a
 * memory-mapped {@link IndexFile}, not on the heap; lookups are binary searches over the mapping, without locks.
 */
final class OffsetIndex {
    static final int ENTRY_SIZE = 8;

    private final long baseOffset;
    private final IndexFile file;
    /** The last entry, kept for the checks at load and for the loader's walk of the log tail. */
    private volatile long lastOffset;
    private volatile int lastPosition;

    private OffsetIndex(IndexFile file, long baseOffset, long lastOffset, int lastPosition) {
        this.file = file;
        this.baseOffset = baseOffset;
        this.lastOffset = lastOffset;
        this.lastPosition = lastPosition;
    }

    /** A new, empty, writable index of at most {@code maxBytes}. */
    static OffsetIndex create(Path path, long baseOffset, int maxBytes) throws IOException {
        return new OffsetIndex(IndexFile.create(path, ENTRY_SIZE, maxBytes), baseOffset, baseOffset, 0);
    }

    /**
     * The sealed index stored in {@code path} (mapped when first used), or null when it is missing, not made of whole
     * entries, or its first and last entries are out of order or its last entry points past {@code logSize}. The
     * caller still checks the last entry against the log.
     */
    static OffsetIndex load(Path path, long baseOffset, long logSize) throws IOException {
        IndexFile file = IndexFile.open(path, ENTRY_SIZE);
        if (file == null) {
            return null;
        }
        int n = file.entries();
        if (n == 0) {
            return new OffsetIndex(file, baseOffset, baseOffset, 0);
        }
        ByteBuffer first = file.readEntry(0);
        ByteBuffer last = file.readEntry(n - 1);
        int rel = last.getInt(0);
        int pos = last.getInt(4);
        if (first.getInt(0) < 0 || first.getInt(4) < 0 || (long) pos + RecordBatchHeader.HEADER_SIZE > logSize
                || (n > 1 && (rel <= first.getInt(0) || pos <= first.getInt(4)))) {
            return null;
        }
        return new OffsetIndex(file, baseOffset, baseOffset + rel, pos);
    }

    int entries() {
        return file.entries();
    }

    /** Offset of the last entry (the base offset when empty). */
    long lastOffset() {
        return lastOffset;
    }

    /** Position of the last entry (0 when empty). */
    int lastPosition() {
        return lastPosition;
    }

    boolean isFull() {
        return !file.hasRoom(1);
    }

    /** Records that the batch starting at {@code position} has base offset {@code offset}. Lane thread only. */
    void append(long offset, int position) throws IOException {
        int rel = (int) (offset - baseOffset);
        file.append(ByteBuffer.allocate(ENTRY_SIZE).putInt(rel).putInt(position).flip());
        lastOffset = offset;
        lastPosition = position;
    }

    /** Position of a batch that starts at or before the batch holding {@code target}: a safe place to scan from. */
    int lookup(long target) throws IOException {
        int n = file.entries();
        if (n == 0) {
            return 0;
        }
        ByteBuffer d = file.buffer();
        long rel = target - baseOffset;
        int lo = 0;
        int hi = n - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (d.getInt(mid * ENTRY_SIZE) <= rel) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found < 0 ? 0 : d.getInt(found * ENTRY_SIZE + 4);
    }

    /** The largest indexed batch position that is at most {@code maxPosition}, or -1. */
    int floorPosition(int maxPosition) throws IOException {
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
            int position = d.getInt(mid * ENTRY_SIZE + 4);
            if (position <= maxPosition) {
                found = position;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /** Empties the index and makes it writable (see {@link IndexFile#clear}). */
    void clear(int maxBytes) throws IOException {
        file.clear(maxBytes);
        lastOffset = baseOffset;
        lastPosition = 0;
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
