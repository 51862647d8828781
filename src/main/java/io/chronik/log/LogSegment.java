package io.chronik.log;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One segment of a partition: {@code <baseOffset>.log} with its offset and time indexes. Only the partition's lane
 * thread writes to it; any thread may read whole batches below the position the log has published.
 */
final class LogSegment implements GroupCommitter.Syncable {
    /** Smallest batchLength a v2 batch can carry (header without records). */
    private static final int MIN_BATCH_LENGTH = RecordBatchHeader.HEADER_SIZE - RecordBatchHeader.LOG_OVERHEAD;

    /** Whether a batch's bytes are known to be on disk, may still be only in the page cache, or failed to fsync. */
    enum Durability { DURABLE, PENDING, LOST }
    /**
     * Test hook standing in for a failing disk: called before each write and fsync of a segment's .log, and each
     * read of it by the log cleaner.
     */
    interface Faults {
        Faults NONE = new Faults() {
        };

        default void beforeWrite(Path file) throws IOException {
        }

        default void beforeRead(Path file) throws IOException {
        }

        default void beforeSync(Path file) throws IOException {
        }
    }

    /** Package-private so that tests can make chosen files fail. */
    static volatile Faults faults = Faults.NONE;

    /** The largest timestamp in the segment and the last offset of the batch carrying it, published together. */
    record TimestampOffset(long timestamp, long offset) {
        static final TimestampOffset NONE = new TimestampOffset(-1, -1);
    }

    private final long baseOffset;
    /** Changes once, when the segment is renamed for deletion. */
    private volatile Path logFile;
    /** The .log's identity, so that a rename or delete never touches a newer file that took its name. */
    private final Object fileKey;
    /** Writes, fsync and the lane's own reads (recovery, loading). Never used by threads that may be interrupted. */
    private final FileChannel channel;
    /** The same channel, reference counted: what {@link FileSlice}s hold so the bytes can be sent after a delete. */
    private final FileHandle handle;
    /**
     * Reads by fetch/ListOffsets threads. An interrupt during FileChannel I/O closes the channel, and worker pools
     * do interrupt cancelled tasks: a separate, lazily opened channel keeps that from ever breaking appends, and is
     * reopened when it happens.
     */
    private volatile FileChannel readChannel;
    private volatile boolean closed;
    /**
     * The first failed fsync. The kernel may have dropped the dirty pages it could not write and report the next
     * fsync as a success, so every later fsync of this file fails with it instead of being tried again.
     */
    private volatile IOException syncFailure;
    private final OffsetIndex offsetIndex;
    private final TimeIndex timeIndex;
    private final TransactionIndex txnIndex;
    /** The stored txn index was unusable and was started empty: recovery rebuilds it from the log. */
    private boolean txnIndexLost;
    private final long createdMs;

    private volatile int size;
    private volatile long nextOffset;
    private volatile TimestampOffset maxTimestamp = TimestampOffset.NONE;
    /** Max timestamp of the first batch: segment.ms counts from it, as in Kafka. -1 until known. */
    private long rollingBaseTimestamp = -1;
    private int bytesSinceLastIndexEntry;
    /** Batches below this offset are fsynced. Guarded by this. */
    private long durableOffset;
    /** Offsets written before an fsync that failed, [lostFrom, lostTo): never durable. Guarded by this. */
    private long lostFrom = Long.MAX_VALUE;
    private long lostTo = Long.MIN_VALUE;

    private LogSegment(long baseOffset, Path logFile, FileChannel channel, OffsetIndex offsetIndex, TimeIndex timeIndex,
                       TransactionIndex txnIndex, int size, long createdMs) {
        this.baseOffset = baseOffset;
        this.logFile = logFile;
        this.fileKey = AtomicFiles.fileKey(logFile);
        this.channel = channel;
        this.handle = new FileHandle(channel);
        this.offsetIndex = offsetIndex;
        this.timeIndex = timeIndex;
        this.txnIndex = txnIndex;
        this.size = size;
        this.nextOffset = baseOffset;
        this.durableOffset = baseOffset;
        this.createdMs = createdMs;
    }

    static String fileName(long offset, String suffix) {
        return String.format("%020d%s", offset, suffix);
    }

    static Path logPath(Path dir, long baseOffset) {
        return logPath(dir, baseOffset, "");
    }

    private static Path indexPath(Path dir, long baseOffset) {
        return indexPath(dir, baseOffset, "");
    }

    private static Path timeIndexPath(Path dir, long baseOffset) {
        return timeIndexPath(dir, baseOffset, "");
    }

    /** The segment's .log with {@code suffix} appended (the log cleaner's {@code .cleaned} and {@code .swap} files). */
    static Path logPath(Path dir, long baseOffset, String suffix) {
        return dir.resolve(fileName(baseOffset, ".log" + suffix));
    }

    static Path indexPath(Path dir, long baseOffset, String suffix) {
        return dir.resolve(fileName(baseOffset, ".index" + suffix));
    }

    static Path timeIndexPath(Path dir, long baseOffset, String suffix) {
        return dir.resolve(fileName(baseOffset, ".timeindex" + suffix));
    }

    /**
     * A new empty segment with writable (preallocated) indexes; any old files with the same base offset are replaced.
     * Its file is created {@code preallocateBytes} long when positive (preallocate), to be trimmed to its data when the
     * segment stops being active; the size that counts is always the data's. The directory is synced, so the new
     * files survive a crash once their content is.
     */
    static LogSegment create(Path dir, long baseOffset, long nowMs, int preallocateBytes, int maxIndexBytes)
            throws IOException {
        return create(dir, baseOffset, "", nowMs, preallocateBytes, maxIndexBytes);
    }

    /** {@link #create} with {@code suffix} appended to each file name (the log cleaner writes {@code .cleaned} files). */
    static LogSegment create(Path dir, long baseOffset, String suffix, long nowMs, int preallocateBytes,
                             int maxIndexBytes) throws IOException {
        Path log = logPath(dir, baseOffset, suffix);
        FileChannel channel = FileChannel.open(log, StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        OffsetIndex offsetIndex = null;
        try {
            if (preallocateBytes > 0) {
                channel.write(ByteBuffer.allocate(1), preallocateBytes - 1L);
            }
            offsetIndex = OffsetIndex.create(indexPath(dir, baseOffset, suffix), baseOffset, maxIndexBytes);
            TimeIndex timeIndex = TimeIndex.create(timeIndexPath(dir, baseOffset, suffix), baseOffset, maxIndexBytes);
            TransactionIndex txnIndex = TransactionIndex.create(TransactionIndex.path(dir, baseOffset, suffix));
            AtomicFiles.syncDirectory(dir);
            return new LogSegment(baseOffset, log, channel, offsetIndex, timeIndex, txnIndex, 0, nowMs);
        } catch (IOException | RuntimeException e) {
            if (offsetIndex != null) {
                offsetIndex.close();
            }
            channel.close();
            throw e;
        }
    }

    /**
     * Opens an existing segment. Its indexes are used when they are consistent with the .log; otherwise (or when
     * {@code recover}) the segment is scanned from the start, cut at the first torn or invalid batch (CRC-checked
     * when recovering) and its indexes rebuilt. The indexes of the {@code active} segment are left writable; the
     * others are sealed and only mapped when a lookup first needs them.
     */
    static LogSegment open(Path dir, long baseOffset, int indexIntervalBytes, boolean recover, boolean active,
                           int maxIndexBytes, long nowMs) throws IOException {
        Path log = logPath(dir, baseOffset);
        FileChannel channel = FileChannel.open(log, StandardOpenOption.READ, StandardOpenOption.WRITE);
        LogSegment segment = null;
        try {
            long fileSize = channel.size();
            if (fileSize > Integer.MAX_VALUE) {
                throw new IOException(log + " is larger than 2 GiB");
            }
            TransactionIndex txnIndex = TransactionIndex.load(TransactionIndex.path(dir, baseOffset, ""));
            boolean txnIndexLost = txnIndex == null;
            if (txnIndexLost) {
                txnIndex = TransactionIndex.create(TransactionIndex.path(dir, baseOffset, ""));
            }
            if (!recover) {
                segment = tryLoadIndexes(dir, baseOffset, channel, (int) fileSize, txnIndex, nowMs);
                if (segment != null) {
                    if (active) {
                        segment.offsetIndex.makeWritable(maxIndexBytes);
                        segment.timeIndex.makeWritable(maxIndexBytes);
                    }
                    segment.onSynced(segment.nextOffset); // fsynced at roll or clean shutdown
                }
            }
            if (segment == null) {
                segment = new LogSegment(baseOffset, log, channel,
                        OffsetIndex.create(indexPath(dir, baseOffset), baseOffset, maxIndexBytes),
                        TimeIndex.create(timeIndexPath(dir, baseOffset), baseOffset, maxIndexBytes), txnIndex,
                        (int) fileSize, nowMs);
                segment.rebuild(indexIntervalBytes, recover);
                if (!active) {
                    segment.sealIndexes();
                }
                // After a crash the active segment's tail may never have reached the disk: it counts once fsynced again.
                segment.onSynced(recover ? baseOffset : segment.nextOffset);
            }
            segment.txnIndexLost = txnIndexLost;
            segment.txnIndex.truncateTo(segment.nextOffset); // markers a crash cut off
            return segment;
        } catch (IOException | RuntimeException e) {
            if (segment != null) {
                segment.offsetIndex.close();
                segment.timeIndex.close();
            }
            channel.close();
            throw e;
        }
    }

    /** The segment with its stored indexes, or null when they do not match the .log (or the .log tail is torn). */
    private static LogSegment tryLoadIndexes(Path dir, long baseOffset, FileChannel channel, int fileSize,
                                             TransactionIndex txnIndex, long nowMs) throws IOException {
        OffsetIndex offsetIndex = OffsetIndex.load(indexPath(dir, baseOffset), baseOffset, fileSize);
        if (offsetIndex == null) {
            return null;
        }
        int from = 0;
        long expectedOffset = baseOffset;
        if (offsetIndex.entries() > 0) {
            from = offsetIndex.lastPosition();
            expectedOffset = offsetIndex.lastOffset();
            ByteBuffer header = read(channel, from, RecordBatchHeader.LOG_OVERHEAD);
            if (header.remaining() < RecordBatchHeader.LOG_OVERHEAD || RecordBatchHeader.baseOffset(header, 0) != expectedOffset) {
                return null;
            }
        }
        // Walk the tail after the last index entry: finds the next offset and proves the tail is not torn.
        TimestampOffset tailMax = TimestampOffset.NONE;
        int position = from;
        long next = expectedOffset;
        while (position < fileSize) {
            ByteBuffer h = read(channel, position, RecordBatchHeader.HEADER_SIZE);
            if (!structurallyValid(h, position, fileSize, next, baseOffset)) {
                return null;
            }
            long last = RecordBatchHeader.baseOffset(h, 0) + RecordBatchHeader.lastOffsetDelta(h, 0);
            long ts = RecordBatchHeader.maxTimestamp(h, 0);
            if (ts > tailMax.timestamp()) {
                tailMax = new TimestampOffset(ts, last);
            }
            next = last + 1;
            position += (int) RecordBatchHeader.totalSize(h, 0);
        }
        TimeIndex timeIndex = TimeIndex.load(timeIndexPath(dir, baseOffset), baseOffset, next);
        if (timeIndex == null) {
            return null;
        }
        LogSegment loaded = new LogSegment(baseOffset, logPath(dir, baseOffset), channel, offsetIndex, timeIndex,
                txnIndex, fileSize, nowMs);
        loaded.nextOffset = next;
        TimestampOffset indexed = timeIndex.entries() == 0 ? TimestampOffset.NONE
                : new TimestampOffset(timeIndex.lastTimestamp(), timeIndex.lastOffset());
        loaded.maxTimestamp = tailMax.timestamp() > indexed.timestamp() ? tailMax : indexed;
        loaded.bytesSinceLastIndexEntry = fileSize - from;
        loaded.loadRollingBaseTimestamp();
        return loaded;
    }

    /** Header checks that let a scan trust a batch's length and offsets (the CRC is checked separately). */
    private static boolean structurallyValid(ByteBuffer h, int position, int fileSize, long expectedOffset, long base) {
        if (h.remaining() < RecordBatchHeader.HEADER_SIZE) {
            return false;
        }
        int length = h.getInt(RecordBatchHeader.LENGTH);
        long offset = RecordBatchHeader.baseOffset(h, 0);
        int delta = RecordBatchHeader.lastOffsetDelta(h, 0);
        return length >= MIN_BATCH_LENGTH && (long) position + length + RecordBatchHeader.LOG_OVERHEAD <= fileSize
                && RecordBatchHeader.magic(h, 0) == RecordBatchHeader.MAGIC_V2
                && offset >= expectedOffset && delta >= 0 && offset + delta - base <= Integer.MAX_VALUE;
    }

    /**
     * Scans the whole file, rebuilding both indexes and the in-memory state, and truncates the file at the first
     * batch that is torn, out of order, not v2, or (when {@code verifyCrc}) fails its CRC.
     *
     * @return how many bytes were cut off
     */
    int rebuild(int indexIntervalBytes, boolean verifyCrc) throws IOException {
        int fileSize = size;
        int position = 0;
        long next = baseOffset;
        ByteBuffer batch = ByteBuffer.allocate(64 * 1024);
        while (position < fileSize) {
            ByteBuffer h = readAt(position, RecordBatchHeader.HEADER_SIZE);
            if (!structurallyValid(h, position, fileSize, next, baseOffset)) {
                break;
            }
            int batchSize = (int) RecordBatchHeader.totalSize(h, 0);
            if (verifyCrc) {
                if (batch.capacity() < batchSize) {
                    batch = ByteBuffer.allocate(batchSize);
                }
                batch.clear().limit(batchSize);
                readFully(batch, position);
                batch.flip();
                if (RecordBatchHeader.computeCrc(batch, 0, batchSize) != RecordBatchHeader.storedCrc(batch, 0)) {
                    break;
                }
            }
            long base = RecordBatchHeader.baseOffset(h, 0);
            long last = base + RecordBatchHeader.lastOffsetDelta(h, 0);
            onBatchWritten(base, last, position, batchSize, RecordBatchHeader.maxTimestamp(h, 0), indexIntervalBytes);
            next = last + 1;
            position += batchSize;
        }
        int cut = fileSize - position;
        if (cut > 0) {
            channel.truncate(position);
            channel.force(true);
        }
        size = position;
        nextOffset = next;
        offsetIndex.flush();
        timeIndex.flush();
        return cut;
    }

    /**
     * Cuts the segment at {@code position} (a batch boundary) for a truncation of the log: the .log is cut and
     * fsynced, then both indexes and the in-memory state are rebuilt from what is left, the indexes writable, as the
     * active segment's. Lane only.
     */
    void truncateTo(int position, int indexIntervalBytes, int maxIndexBytes) throws IOException {
        faults.beforeWrite(logFile);
        channel.truncate(position);
        faults.beforeSync(logFile);
        channel.force(true);
        offsetIndex.clear(maxIndexBytes);
        timeIndex.clear(maxIndexBytes);
        maxTimestamp = TimestampOffset.NONE;
        rollingBaseTimestamp = -1;
        bytesSinceLastIndexEntry = 0;
        size = position;
        rebuild(indexIntervalBytes, false);
        txnIndex.truncateTo(nextOffset);
        synchronized (this) {
            durableOffset = nextOffset;
        }
    }

    /** Batches below this offset are known to be fsynced. */
    synchronized long durableOffset() {
        return durableOffset;
    }

    private void loadRollingBaseTimestamp() throws IOException {
        if (size > 0) {
            ByteBuffer h = readAt(0, RecordBatchHeader.TIMESTAMPS_SIZE);
            if (h.remaining() == RecordBatchHeader.TIMESTAMPS_SIZE) {
                rollingBaseTimestamp = RecordBatchHeader.maxTimestamp(h, 0);
            }
        }
    }

    long baseOffset() {
        return baseOffset;
    }

    Path file() {
        return logFile;
    }

    /** The max timestamp of the first batch, or -1 (Kafka's first batch timestamp, for max.compaction.lag.ms). */
    long firstBatchTimestamp() {
        return size == 0 ? -1 : rollingBaseTimestamp;
    }

    /** Bytes of whole batches written so far. */
    int size() {
        return size;
    }

    /** The offset after the last batch in this segment (its base offset when empty). */
    long nextOffset() {
        return nextOffset;
    }

    TimestampOffset maxTimestamp() {
        return maxTimestamp;
    }

    OffsetIndex offsetIndex() {
        return offsetIndex;
    }

    TimeIndex timeIndex() {
        return timeIndex;
    }

    TransactionIndex txnIndex() {
        return txnIndex;
    }

    /** Whether the stored txn index was unusable at load (it started empty and must be rebuilt from the log). */
    boolean txnIndexLost() {
        return txnIndexLost;
    }

    /** Recovery replayed the whole log into the txn index (see {@link #txnIndexLost}). */
    void txnIndexRebuilt() {
        txnIndexLost = false;
    }

    /** Kafka's largestTimestamp for retention: the max record timestamp, or the file's mtime without one. */
    long largestTimestamp() {
        long ts = maxTimestamp.timestamp();
        if (ts >= 0) {
            return ts;
        }
        try {
            return Files.getLastModifiedTime(logFile).toMillis();
        } catch (IOException e) {
            return createdMs;
        }
    }

    /** How long this segment has been filling, measured like Kafka: by record time when it has one. */
    long timeWaitedForRoll(long nowMs, long incomingTimestamp) {
        if (rollingBaseTimestamp >= 0 && incomingTimestamp >= 0) {
            return incomingTimestamp - rollingBaseTimestamp;
        }
        return nowMs - createdMs;
    }

    /**
     * Writes whole, already validated batches at the end of the file. Either every byte is written, or the file is
     * cut back to its previous size (best effort) and the IOException is rethrown; nothing is indexed then.
     */
    void append(ByteBuffer batches, long[] baseOffsets, long[] lastOffsets, int[] sizes, long[] maxTimestamps,
                int indexIntervalBytes) throws IOException {
        int start = size;
        long at = start;
        ByteBuffer src = batches.duplicate();
        try {
            faults.beforeWrite(logFile);
            while (src.hasRemaining()) {
                at += channel.write(src, at);
            }
            int position = start;
            for (int i = 0; i < baseOffsets.length; i++) {
                onBatchWritten(baseOffsets[i], lastOffsets[i], position, sizes[i], maxTimestamps[i], indexIntervalBytes);
                position += sizes[i];
            }
        } catch (IOException e) {
            try {
                channel.truncate(start);
            } catch (IOException | RuntimeException ignored) {
                // the bytes past the published position are never read and are cut at recovery
            }
            throw e;
        }
        nextOffset = lastOffsets[lastOffsets.length - 1] + 1;
        size = (int) at;
    }

    /** Index bookkeeping for one batch, as Kafka's LogSegment.append does it. */
    private void onBatchWritten(long base, long last, int position, int batchSize, long maxTs, int indexIntervalBytes)
            throws IOException {
        if (position == 0) {
            rollingBaseTimestamp = maxTs;
        }
        if (maxTs > maxTimestamp.timestamp()) {
            maxTimestamp = new TimestampOffset(maxTs, last);
        }
        if (bytesSinceLastIndexEntry > indexIntervalBytes) {
            offsetIndex.append(base, position);
            TimestampOffset max = maxTimestamp;
            if (max.timestamp() >= 0) {
                timeIndex.maybeAppend(max.timestamp(), max.offset());
            }
            bytesSinceLastIndexEntry = 0;
        }
        bytesSinceLastIndexEntry += batchSize;
    }

    /**
     * A slice of whole batches, holding a reference to this segment's channel until released; ClosedChannelException
     * once the segment is closed.
     */
    FileSlice slice(int position, int length) throws ClosedChannelException {
        return FileSlice.retain(handle, position, length);
    }

    /** Whether {@code slice} was cut from this segment's file. */
    boolean holds(FileSlice slice) {
        return slice.channel() == channel;
    }

    /** References held by slices not yet released (the segment's own is not counted). */
    int sliceReferences() {
        int n = handle.references();
        return closed ? n : n - 1;
    }

    /** Whether the .log channel is still open: until the segment is closed and every slice released. */
    boolean channelOpen() {
        return channel.isOpen();
    }

    /** Reads up to {@code length} bytes at {@code position}; fewer only at the end of the file. Lane/recovery only. */
    ByteBuffer readAt(long position, int length) throws IOException {
        return read(channel, position, length);
    }

    /**
     * {@link #readAt} through the segment's own channel, holding a reference to it meanwhile: a read that overlaps a
     * deletion still reads the segment it started on (never a file reopened by path), and ClosedChannelException once
     * the segment is closed. For the log cleaner, whose threads are never interrupted (an interrupt during the read
     * would close the channel every reader of this segment shares).
     */
    ByteBuffer readRetained(long position, int length) throws IOException {
        if (!handle.retain()) {
            throw new ClosedChannelException();
        }
        try {
            faults.beforeRead(logFile);
            return read(channel, position, length);
        } finally {
            handle.release();
        }
    }

    /**
     * {@link #readAt} for any thread. Throws ClosedChannelException once the segment is closed (deleted).
     */
    ByteBuffer readShared(long position, int length) throws IOException {
        for (int attempt = 0; ; attempt++) {
            FileChannel ch = readChannel();
            try {
                return read(ch, position, length);
            } catch (ClosedByInterruptException e) {
                reopenReadChannel(ch);
                throw e; // this thread was interrupted: its request is abandoned anyway
            } catch (ClosedChannelException e) {
                // Another reader's interrupt closed the shared channel under us: reopen and retry once.
                if (closed || attempt > 0) {
                    throw e;
                }
                reopenReadChannel(ch);
            }
        }
    }

    private FileChannel readChannel() throws IOException {
        FileChannel ch = readChannel;
        if (ch != null) {
            return ch;
        }
        synchronized (this) {
            if (closed) {
                throw new ClosedChannelException();
            }
            if (readChannel == null) {
                readChannel = FileChannel.open(logFile, StandardOpenOption.READ);
            }
            return readChannel;
        }
    }

    private synchronized void reopenReadChannel(FileChannel broken) {
        if (readChannel == broken) {
            readChannel = null;
        }
    }

    private static ByteBuffer read(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        long at = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, at);
            if (n < 0) {
                break;
            }
            at += n;
        }
        return buf.flip();
    }

    private void readFully(ByteBuffer buf, long position) throws IOException {
        long at = position;
        while (buf.hasRemaining()) {
            int n = channel.read(buf, at);
            if (n < 0) {
                throw new EOFException(logFile + " ends before position " + (position + buf.limit()));
            }
            at += n;
        }
    }

    /** Makes the .log durable (group commit). */
    @Override
    public void forceLog() throws IOException {
        force(false);
    }

    /** Whether an fsync of this segment failed: nothing written to it since may be acknowledged. */
    boolean syncFailed() {
        return syncFailure != null;
    }

    /** fsyncs the .log and records which batches that made durable, or which it may have lost. */
    private void force(boolean metadata) throws IOException {
        IOException failed = syncFailure;
        if (failed != null) {
            throw new IOException("an earlier fsync of " + logFile + " failed", failed);
        }
        long upTo = nextOffset; // read before the fsync: every batch below it is written, so the fsync covers it
        try {
            faults.beforeSync(logFile);
            channel.force(metadata);
        } catch (ClosedChannelException e) {
            throw e; // closed (shut down or deleted), not a disk failure
        } catch (IOException e) {
            syncFailure = e;
            onSyncFailed(upTo);
            throw e;
        }
        onSynced(upTo);
    }

    /** Whether the batch [{@code firstOffset}, {@code lastOffset}] of this segment is on disk. */
    synchronized Durability durability(long firstOffset, long lastOffset) {
        if (firstOffset < lostTo && lastOffset >= lostFrom) {
            return Durability.LOST;
        }
        return lastOffset < durableOffset ? Durability.DURABLE : Durability.PENDING;
    }

    private synchronized void onSynced(long upTo) {
        durableOffset = Math.max(durableOffset, upTo);
    }

    /** What was written but not yet fsynced may be lost, even if a later fsync succeeds. */
    private synchronized void onSyncFailed(long upTo) {
        if (upTo > durableOffset) {
            lostFrom = Math.min(lostFrom, durableOffset);
            lostTo = Math.max(lostTo, upTo);
        }
    }

    /** Whether an index has no room for the entries of another append: the segment must roll first (as Kafka). */
    boolean indexesFull() {
        return offsetIndex.isFull() || timeIndex.isFull();
    }

    /**
     * The segment stops being active (roll or close): record its max timestamp as the last time index entry, cut a
     * preallocated file to its data, then make the log durable and seal both indexes (cut to their entries, synced).
     */
    void onBecomeInactive() throws IOException {
        TimestampOffset max = maxTimestamp;
        if (max.timestamp() >= 0) {
            timeIndex.maybeAppend(max.timestamp(), max.offset());
        }
        if (channel.size() > size) {
            channel.truncate(size);
        }
        force(true);
        txnIndex.flush();
        sealIndexes();
    }

    private void sealIndexes() throws IOException {
        offsetIndex.seal();
        timeIndex.seal();
    }

    /** Closes the segment; its channel stays open until the last slice holding it is released. */
    void close() {
        FileChannel reader;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            reader = readChannel;
            readChannel = null;
        }
        offsetIndex.close();
        timeIndex.close();
        txnIndex.close();
        if (reader != null) {
            try {
                reader.close();
            } catch (IOException ignored) {
                // only ever read from
            }
        }
        handle.release();
    }

    /**
     * First step of deleting a segment: its files get the {@code .deleted} suffix (the caller syncs the directory),
     * so a crash from here on never brings the segment back. The files stay open and readable for slices. Returns
     * false, doing nothing, when they were renamed already.
     */
    boolean renameForDeletion() throws IOException {
        synchronized (this) {
            Path log = logFile;
            if (log.getFileName().toString().endsWith(AtomicFiles.DELETED_SUFFIX)) {
                return false;
            }
            Path target = log.resolveSibling(log.getFileName() + AtomicFiles.DELETED_SUFFIX);
            if (AtomicFiles.renameIfSame(log, target, fileKey)) {
                logFile = target;
            }
        }
        offsetIndex.file().renameWithSuffix(AtomicFiles.DELETED_SUFFIX);
        timeIndex.file().renameWithSuffix(AtomicFiles.DELETED_SUFFIX);
        txnIndex.renameWithSuffix(AtomicFiles.DELETED_SUFFIX);
        return true;
    }

    /** Closes the segment and removes its files (the channel stays open for slices still holding it). */
    void deleteFiles() {
        close();
        offsetIndex.deleteFile();
        timeIndex.deleteFile();
        txnIndex.deleteFile();
        try {
            AtomicFiles.deleteIfSame(logFile, fileKey);
        } catch (IOException ignored) {
            // a leftover .deleted file, or a segment below the log start offset, is deleted at the next startup
        }
    }

    @Override
    public String toString() {
        return logFile.toString();
    }
}
