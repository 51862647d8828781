package io.chronik.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ReferenceCountUtil;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.MessageSizeAccumulator;
import org.apache.kafka.common.protocol.ObjectSerializationCache;

import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes a response into what the channel writes: normally one buffer sized exactly once; for responses that
 * carry records from segment files, buffer slices interleaved with file regions (sent with sendfile).
 */
public final class ResponseEncoder {
    private final ByteBufAllocator allocator;

    public ResponseEncoder(ByteBufAllocator allocator) {
        this.allocator = allocator;
    }

    /**
     * The encoded response: a list of {@link ByteBuf} and {@link io.netty.channel.FileRegion}, each to be written in
     * order. The file references the body holds move to the file regions; if encoding fails they are released.
     */
    public EncodedResponse encode(KafkaRequest request, ApiMessage body) {
        try {
            return encodeParts(request, body);
        } catch (RuntimeException e) {
            Records.releaseFiles(body);
            throw e;
        }
    }

    private EncodedResponse encodeParts(KafkaRequest request, ApiMessage body) {
        short version = request.responseVersion();
        short headerVersion = request.api().kafka.responseHeaderVersion(version);
        ResponseHeaderData header = new ResponseHeaderData().setCorrelationId(request.correlationId());
        ObjectSerializationCache cache = new ObjectSerializationCache();
        MessageSizeAccumulator size = new MessageSizeAccumulator();
        header.addSize(size, cache, headerVersion);
        body.addSize(size, cache, version);

        int inlineBytes = 4 + size.sizeExcludingZeroCopy();
        // Kafka's accumulator counts every records field as zero-copy; in-memory records are still written
        // inline, so the buffer may grow up to the full size.
        ByteBuf buf = allocator.directBuffer(inlineBytes, 4 + size.totalSize());
        List<Object> parts = new ArrayList<>(1);
        int[] cut = {0};
        try {
            ByteBufWritable out = new ByteBufWritable(buf, records -> {
                parts.add(buf.retainedSlice(cut[0], buf.writerIndex() - cut[0]));
                cut[0] = buf.writerIndex();
                parts.add(openRegion(records));
            });
            buf.writeInt(size.totalSize());
            header.write(out, cache, headerVersion);
            body.write(out, cache, version);
            if (parts.isEmpty()) {
                parts.add(buf);
            } else {
                if (buf.writerIndex() > cut[0]) {
                    parts.add(buf.retainedSlice(cut[0], buf.writerIndex() - cut[0]));
                }
                buf.release();
            }
            return new EncodedResponse(parts, 4 + size.totalSize());
        } catch (RuntimeException e) {
            parts.forEach(ReferenceCountUtil::safeRelease);
            if (buf.refCnt() > 0 && !parts.contains(buf)) {
                buf.release();
            }
            throw e;
        }
    }

    /** A file region that takes over the records' file reference (released when the region is sent or dropped). */
    private static SegmentFileRegion openRegion(ZeroCopyRecords records) {
        FileReference owned = records.reference.transfer();
        if (owned == null) {
            throw new UncheckedIOException("segment file released before sending", new ClosedChannelException());
        }
        return new SegmentFileRegion(records.channel, records.position, records.size, owned);
    }

    /** The parts of one encoded response and its size on the wire. */
    public record EncodedResponse(List<Object> parts, int bytes) {
        /** Frees an encoded response that will never be written (its connection went away). */
        public void release() {
            parts.forEach(ReferenceCountUtil::safeRelease);
        }
    }
}
