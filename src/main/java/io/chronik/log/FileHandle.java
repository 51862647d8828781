package io.chronik.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A segment's open .log channel, reference counted: the segment holds one reference until it is closed or deleted,
 * and every {@link FileSlice} handed to a reader holds one more until the bytes are sent or dropped. The channel is
 * closed when the last reference goes, so a slice stays readable after its segment was deleted (its file renamed or
 * unlinked), and a re-created topic's new files can never be served in its place.
 */
final class FileHandle {
    private final FileChannel channel;
    private final AtomicInteger references = new AtomicInteger(1);

    FileHandle(FileChannel channel) {
        this.channel = channel;
    }

    FileChannel channel() {
        return channel;
    }

    /** Takes one more reference; false once the channel is closed. */
    boolean retain() {
        while (true) {
            int n = references.get();
            if (n == 0) {
                return false;
            }
            if (references.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives one reference back; the last one closes the channel. */
    void release() {
        int left = references.decrementAndGet();
        if (left == 0) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing was written through this reference
            }
        } else if (left < 0) {
            references.incrementAndGet();
            throw new IllegalStateException("segment file released more often than retained");
        }
    }

    int references() {
        return references.get();
    }
}
