package io.chronik.protocol;

import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.RecordsSend;

import java.nio.file.Path;

/**
 * Record batches that live in a segment file and go to the socket with sendfile: the encoder turns them into
 * a Netty file region instead of copying the bytes through the heap.
 */
final class ZeroCopyRecords implements BaseRecords {
    final Path file;
    final long position;
    final int size;

    ZeroCopyRecords(Path file, long position, int size) {
        this.file = file;
        this.position = position;
        this.size = size;
    }

    @Override
    public int sizeInBytes() {
        return size;
    }

    @Override
    public RecordsSend<? extends BaseRecords> toSend() {
        throw new UnsupportedOperationException("sent by ResponseEncoder as a file region");
    }
}
