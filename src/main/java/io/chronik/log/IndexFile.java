package io.chronik.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The memory-mapped file behind an offset or time index: fixed-size entries, appended by one writer and read by any
 * thread without locks. Nothing of the index lives on the heap.
 *
 * <p>The active segment's index is <em>writable</em>: its file is preallocated to {@code segment.index.bytes}
 * (sparse) and mapped read-write; an entry is written into the mapping before the volatile entry count is raised, so
 * a reader that reads the count first never sees a half-written entry. When the segment stops being active the
 * index is <em>sealed</em>: forced, cut to its entries and synced. A sealed index loaded at startup is only mapped
 * (read-only) the first time a lookup needs it, so inactive segments that are never read cost no mapping.
 */
final class IndexFile {
    private final int entrySize;
    private volatile Path path;
    /** Null until mapped; dropped at seal (remapped read-only on demand) and at close. */
    private volatile MappedByteBuffer mmap;
    private volatile int entries;
    /** Entries the writable mapping holds; 0 once sealed. Writer only. */
    private int maxEntries;
    private volatile boolean closed;
    /** The file's identity, so that a rename or delete never touches a newer file that took its name. */
    private Object fileKey;

    private IndexFile(Path path, int entrySize, int entries) {
        this.path = path;
        this.entrySize = entrySize;
        this.entries = entries;
    }

    /** A new empty, writable index of {@code maxBytes} (rounded down to whole entries); an old file is replaced. */
    static IndexFile create(Path path, int entrySize, int maxBytes) throws IOException {
        IndexFile file = new IndexFile(path, entrySize, 0);
        Files.deleteIfExists(path);
        file.makeWritable(maxBytes);
        file.fileKey = AtomicFiles.fileKey(path);
        return file;
    }

    /**
     * A sealed index stored in {@code path}, not mapped yet; null when the file is missing or not made of whole
     * entries (the caller rebuilds it from the log).
     */
    static IndexFile open(Path path, int entrySize) throws IOException {
        long size;
        try {
            size = Files.size(path);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (size % entrySize != 0 || size / entrySize > Integer.MAX_VALUE) {
            return null;
        }
        IndexFile file = new IndexFile(path, entrySize, (int) (size / entrySize));
        file.fileKey = AtomicFiles.fileKey(path);
        return file;
    }

    Path path() {
        return path;
    }

    int entries() {
        return entries;
    }

    /** Entry {@code i} read from the file (not the mapping): for the checks at load. */
    ByteBuffer readEntry(int i) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(entrySize);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long at = (long) i * entrySize;
            while (buf.hasRemaining()) {
                if (ch.read(buf, at + buf.position()) < 0) {
                    throw new IOException(path + " ends inside entry " + i);
                }
            }
        }
        return buf.flip();
    }

    /** The mapping to read entries below {@link #entries()} from; mapped read-only on first use. */
    ByteBuffer buffer() throws IOException {
        MappedByteBuffer m = mmap;
        return m != null ? m : map();
    }

    private synchronized MappedByteBuffer map() throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        if (mmap == null) {
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                mmap = ch.map(FileChannel.MapMode.READ_ONLY, 0, (long) entries * entrySize);
            }
        }
        return mmap;
    }

    /** Extends the file to {@code maxBytes} (sparse) and maps it read-write, keeping its entries. Writer only. */
    synchronized void makeWritable(int maxBytes) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        int capacity = Math.max(maxBytes / entrySize, entries + 2);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            long bytes = (long) capacity * entrySize;
            if (ch.size() < bytes) {
                // Writing the last byte extends the file without allocating the blocks in between.
                ch.write(ByteBuffer.allocate(1), bytes - 1);
            } else if (ch.size() > bytes) {
                ch.truncate(bytes);
            }
            mmap = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes);
        }
        maxEntries = capacity;
    }

    /** Whether {@code free} more entries still fit. Writer only. */
    boolean hasRoom(int free) {
        return entries + free <= maxEntries;
    }

    /**
     * Writes the next entry (exactly {@code entrySize} bytes) and publishes it. Writer only. An entry that does not
     * fit is dropped: the index is sparse, so a missing entry only makes lookups scan a little further.
     */
    void append(ByteBuffer entry) throws IOException {
        int n = entries;
        if (n >= maxEntries) {
            return;
        }
        MappedByteBuffer m = mmap;
        if (m == null) {
            throw new ClosedChannelException();
        }
        try {
            m.put(n * entrySize, entry, entry.position(), entrySize);
        } catch (InternalError e) {
            // A page of the sparse file could not be allocated (disk full) or the device failed.
            throw new IOException("cannot write index entry to " + path, e);
        }
        entries = n + 1;
    }

    /**
     * Drops every entry and maps the file writable again (the log was truncated into this segment, which is rebuilt
     * and becomes the active one). Readers holding the old mapping still see whole entries. Writer only.
     */
    synchronized void clear(int maxBytes) throws IOException {
        entries = 0;
        makeWritable(maxBytes);
    }

    /** Writes the mapped entries to disk. */
    void flush() throws IOException {
        MappedByteBuffer m = mmap;
        if (m != null && !m.isReadOnly()) {
            try {
                m.force();
            } catch (java.io.UncheckedIOException | InternalError e) {
                throw new IOException("cannot flush " + path, e);
            }
        }
    }

    /**
     * The segment stopped being active: its entries are forced, the file is cut to them and synced, and the
     * read-write mapping is dropped (readers holding it still read their entries; new lookups map the exact file
     * read-only). Writer only.
     */
    synchronized void seal() throws IOException {
        if (maxEntries == 0) {
            return;
        }
        flush();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ch.truncate((long) entries * entrySize);
            ch.force(true);
        }
        maxEntries = 0;
        mmap = null;
    }

    /** Renames the file to its name plus {@code suffix} (a mapping stays valid; a later one uses the new name). */
    synchronized void renameWithSuffix(String suffix) throws IOException {
        Path target = path.resolveSibling(path.getFileName() + suffix);
        if (AtomicFiles.renameIfSame(path, target, fileKey)) {
            path = target;
        }
    }

    /** Drops the mapping (the memory is returned when it is collected); lookups fail with ClosedChannelException. */
    synchronized void close() {
        closed = true;
        mmap = null;
        maxEntries = 0;
    }

    void delete() {
        close();
        try {
            AtomicFiles.deleteIfSame(path, fileKey);
        } catch (IOException ignored) {
            // an orphan index file is removed at the next startup, and is never used without its .log
        }
    }
}
