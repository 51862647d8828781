package io.chronik.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Splits the byte stream into Kafka frames (4-byte big-endian length, then that many bytes) and emits each
 * frame body as a retained slice. A negative or oversized length is a protocol violation: it fails the
 * connection before any body byte is buffered.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private final int maxFrameBytes;
    private final String limitName;

    public FrameDecoder(int maxFrameBytes) {
        this(maxFrameBytes, "chronik.max-request-bytes");
    }

    /** @param limitName what the bound is called in the error message (the setting that sets it) */
    public FrameDecoder(int maxFrameBytes, String limitName) {
        this.maxFrameBytes = maxFrameBytes;
        this.limitName = limitName;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= 4) {
            int length = in.getInt(in.readerIndex());
            if (length < 0 || length > maxFrameBytes) {
                in.skipBytes(in.readableBytes());
                throw new MalformedRequestException("frame length " + length + " outside [0, " + maxFrameBytes
                        + "] (" + limitName + ")");
            }
            if (in.readableBytes() < 4 + length) {
                return;
            }
            in.skipBytes(4);
            out.add(in.readRetainedSlice(length));
        }
    }
}
