package io.chronik.log;

import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A byte range of a segment file holding whole record batches, to be sent to the network without copying
 * (sendfile). It holds a reference to the segment's open channel, so the bytes stay readable even if the segment is
 * deleted meanwhile; whoever ends up with the slice must {@link #release} it (or {@link #transfer} it to the code
 * that sends it), on every path. Releasing twice is harmless.
 */
public final class FileSlice {
    public static final FileSlice EMPTY = new FileSlice(null, 0, 0);

    private final FileHandle handle;
    private final long position;
    private final int size;
    private final AtomicBoolean held;

    private FileSlice(FileHandle handle, long position, int size) {
        this.handle = handle;
        this.position = position;
        this.size = size;
        this.held = new AtomicBoolean(handle != null);
    }

    /** A slice holding a new reference to {@code handle}; ClosedChannelException if the segment is already closed. */
    static FileSlice retain(FileHandle handle, long position, int size) throws ClosedChannelException {
        if (!handle.retain()) {
            throw new ClosedChannelException();
        }
        return new FileSlice(handle, position, size);
    }

    /** The open channel to read or send from; valid while this slice is held. */
    public FileChannel channel() {
        return handle == null ? null : handle.channel();
    }

    public long position() {
        return position;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /**
     * Moves this slice's reference to a new slice for the code that sends the bytes, so that a later
     * {@link #release} of this one (by a cleanup path) no longer affects it. Null when already released or empty.
     */
    public FileSlice transfer() {
        if (handle == null || !held.compareAndSet(true, false)) {
            return null;
        }
        return new FileSlice(handle, position, size);
    }

    /** Gives the reference back (once; later calls do nothing). */
    public void release() {
        if (handle != null && held.compareAndSet(true, false)) {
            handle.release();
        }
    }

    @Override
    public String toString() {
        return "FileSlice[" + position + "+" + size + (held.get() ? "" : ", released") + "]";
    }
}
