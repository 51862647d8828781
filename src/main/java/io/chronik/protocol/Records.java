package io.chronik.protocol;

import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

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

    /**
     * Records to be sent straight from an open file (sendfile). {@code reference} keeps the channel open: the encoder
     * moves it to the file region, or {@link #releaseFiles} gives it back if the response is never encoded.
     */
    public static BaseRecords fromFile(FileChannel channel, long position, int size, FileReference reference) {
        if (size == 0) {
            reference.release();
            return MemoryRecords.EMPTY;
        }
        return new ZeroCopyRecords(channel, position, size, reference);
    }

    /** Gives back the file references a response body still holds (it will not be encoded, or encoding failed). */
    public static void releaseFiles(ApiMessage body) {
        if (body instanceof FetchResponseData fetch) {
            for (FetchResponseData.FetchableTopicResponse topic : fetch.responses()) {
                for (FetchResponseData.PartitionData partition : topic.partitions()) {
                    if (partition.records() instanceof ZeroCopyRecords records) {
                        records.reference.release();
                    }
                }
            }
        }
    }

    /** Whether a response body may hold file references (and must be released if it is dropped). */
    public static boolean holdsFiles(ApiMessage body) {
        return body instanceof FetchResponseData;
    }

    public static BaseRecords empty() {
        return MemoryRecords.EMPTY;
    }
}
