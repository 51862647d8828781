package io.chronik.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The aborted-transaction index of one segment, {@code <baseOffset>.txnindex}: one entry per ABORT marker written in
 * the segment, in Kafka's 34-byte layout (version int16 = 0, producerId int64, firstOffset int64, lastOffset int64 =
 * the marker's offset, lastStableOffset int64 = the partition's LSO once the transaction ended). The file exists only
 * once the segment holds an ABORT marker. Entries also live on the heap (aborts are rare, 34 bytes each), so a
 * read_committed fetch never touches the file. Appended and cut on the partition's lane only; read on any thread.
 */
final class TransactionIndex {
    static final String SUFFIX = ".txnindex";
    static final int ENTRY_SIZE = 34;
    private static final short VERSION = 0;

    /** What one segment contributes to a fetch's aborted transactions. */
    record Search(List<AbortedTxn> found, boolean complete) {
    }

    /** Changes when the segment is renamed (deletion, swap). Guarded by this. */
    private Path path;
    /** Copy-on-write, so readers iterate without locks. */
    private volatile List<AbortedTxn> entries;
    private FileChannel channel;
    /** Entries appended since the last fsync. */
    private boolean dirty;

    private TransactionIndex(Path path, List<AbortedTxn> entries) {
        this.path = path;
        this.entries = entries;
    }

    /**
     * The index stored in {@code path} (empty when there is no file). A torn last entry is dropped; an entry that is
     * not version 0 makes the index unusable: null (the caller rebuilds it from the log).
     */
    static TransactionIndex load(Path path) throws IOException {
        if (!Files.exists(path)) {
            return new TransactionIndex(path, List.of());
        }
        byte[] bytes = Files.readAllBytes(path);
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        List<AbortedTxn> entries = new ArrayList<>(bytes.length / ENTRY_SIZE);
        while (buf.remaining() >= ENTRY_SIZE) {
            if (buf.getShort() != VERSION) {
                return null;
            }
            entries.add(new AbortedTxn(buf.getLong(), buf.getLong(), buf.getLong(), buf.getLong()));
        }
        TransactionIndex index = new TransactionIndex(path, List.copyOf(entries));
        if (buf.hasRemaining()) {
            index.rewrite(); // torn tail
        }
        return index;
    }

    /** A new empty index for {@code path}; an old file is removed. */
    static TransactionIndex create(Path path) throws IOException {
        Files.deleteIfExists(path);
        return new TransactionIndex(path, List.of());
    }

    static Path path(Path dir, long baseOffset, String suffix) {
        return dir.resolve(LogSegment.fileName(baseOffset, SUFFIX + suffix));
    }

    List<AbortedTxn> entries() {
        return entries;
    }

    /** The last offset of the newest entry, or -1. */
    long lastOffset() {
        List<AbortedTxn> e = entries;
        return e.isEmpty() ? -1 : e.get(e.size() - 1).lastOffset();
    }

    /** Appends an entry (written, not fsynced: see {@link #flush}). Offsets must grow. Lane only. */
    synchronized void append(AbortedTxn txn) throws IOException {
        if (txn.lastOffset() <= lastOffset()) {
            throw new IllegalArgumentException("aborted transaction ending at " + txn.lastOffset()
                    + " is not after the index's last one at " + lastOffset());
        }
        ByteBuffer buf = ByteBuffer.allocate(ENTRY_SIZE);
        buf.putShort(VERSION).putLong(txn.producerId()).putLong(txn.firstOffset()).putLong(txn.lastOffset())
                .putLong(txn.lastStableOffset()).flip();
        FileChannel ch = channel();
        long at = ch.size();
        while (buf.hasRemaining()) {
            at += ch.write(buf, at);
        }
        List<AbortedTxn> next = new ArrayList<>(entries);
        next.add(txn);
        entries = List.copyOf(next);
        dirty = true;
    }

    /** Removes the entries whose marker is at or past {@code offset} (a truncation of the log). Lane only. */
    synchronized void truncateTo(long offset) throws IOException {
        List<AbortedTxn> kept = new ArrayList<>();
        for (AbortedTxn t : entries) {
            if (t.lastOffset() < offset) {
                kept.add(t);
            }
        }
        if (kept.size() == entries.size()) {
            return;
        }
        entries = List.copyOf(kept);
        rewrite();
    }

    /** fsyncs what was appended since the last call. */
    synchronized void flush() throws IOException {
        if (dirty && channel != null) {
            channel.force(true);
        }
        dirty = false;
    }

    /**
     * The aborted transactions that overlap [{@code fetchOffset}, {@code upperBound}): those whose marker is at or
     * after the fetch offset and whose first offset is below the upper bound. Complete when an entry's LSO reached the
     * upper bound: no transaction overlapping the range ends in a later segment then.
     */
    Search collect(long fetchOffset, long upperBound) {
        List<AbortedTxn> found = new ArrayList<>(0);
        for (AbortedTxn t : entries) {
            if (t.lastOffset() >= fetchOffset && t.firstOffset() < upperBound) {
                found.add(t);
            }
            if (t.lastStableOffset() >= upperBound) {
                return new Search(found, true);
            }
        }
        return new Search(found, false);
    }

    /**
     * Renames the file (if any) to its name plus {@code suffix}, replacing a file of that name (a segment cleaned
     * twice within the file delete delay leaves one, waiting for its deletion, as its other files do).
     */
    synchronized void renameWithSuffix(String suffix) throws IOException {
        Path target = path.resolveSibling(path.getFileName() + suffix);
        AtomicFiles.renameIfSame(path, target, null);
        path = target;
    }

    synchronized void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing buffered: writes go straight to the channel
            }
            channel = null;
        }
    }

    synchronized void deleteFile() {
        close();
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // an orphan index is removed at the next startup
        }
    }

    private FileChannel channel() throws IOException {
        if (channel == null) {
            channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        }
        return channel;
    }

    /** Writes the file anew from the entries (write-then-rename), or removes it when there are none. */
    private void rewrite() throws IOException {
        close();
        List<AbortedTxn> e = entries;
        if (e.isEmpty()) {
            Files.deleteIfExists(path);
            return;
        }
        ByteBuffer buf = ByteBuffer.allocate(e.size() * ENTRY_SIZE);
        for (AbortedTxn t : e) {
            buf.putShort(VERSION).putLong(t.producerId()).putLong(t.firstOffset()).putLong(t.lastOffset())
                    .putLong(t.lastStableOffset());
        }
        AtomicFiles.write(path, buf.array());
        dirty = false;
    }
}
