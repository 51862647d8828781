package io.chronik.protocol;

import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.RecordsSend;

import java.nio.channels.FileChannel;

/**
 * Record batches that live in a segment file and go to the socket with sendfile: the encoder turns them into a
 * Netty file region over the open channel instead of copying the bytes through the heap. Until then they hold a
 * {@link FileReference} that keeps the channel open.
 */
final class ZeroCopyRecords implements BaseRecords {
    final FileChannel channel;
    final long position;
    final int size;
    final FileReference reference;

    ZeroCopyRecords(FileChannel channel, long position, int size, FileReference reference) {
        this.channel = channel;
        this.position = position;
        this.size = size;
        this.reference = reference;
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
