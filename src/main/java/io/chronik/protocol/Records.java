package io.chronik.protocol;

import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/** Access to the records fields of generated messages, so handlers never touch Kafka's record classes. */
public final class Records {
    private Records() {
    }

    /** The raw record batch bytes of a produce partition (a view of the request frame, not a copy). */
    public static ByteBuffer bytes(BaseRecords records) {
        if (records == null) {
            return ByteBuffer.allocate(0);
        }
        if (records instanceof MemoryRecords memory) {
            return memory.buffer().duplicate();
        }
        throw new IllegalArgumentException("unexpected records type " + records.getClass().getSimpleName());
    }

    /** Records to be sent straight from a file region (sendfile). */
    public static BaseRecords fromFile(Path file, long position, int size) {
        return size == 0 ? MemoryRecords.EMPTY : new ZeroCopyRecords(file, position, size);
    }

    public static BaseRecords empty() {
        return MemoryRecords.EMPTY;
    }
}
