package io.chronik.protocol;

import io.netty.buffer.ByteBuf;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.requests.AbstractResponse;

import java.nio.ByteBuffer;

/**
 * Parses the response frames another broker sends back (the length prefix already removed by {@link FrameDecoder})
 * with Kafka's generated {@code *ResponseData} classes. The frame is copied to the heap once, so the decoded message,
 * including the {@code MemoryRecords} of a Fetch response, owns its bytes and outlives the frame.
 */
public final class ResponseDecoder {
    private ResponseDecoder() {
    }

    /** The correlation id of a response frame (the first field of every response header version). */
    public static int correlationId(ByteBuf frame) {
        if (frame.readableBytes() < 4) {
            throw new MalformedResponseException("response frame of " + frame.readableBytes() + " bytes has no header");
        }
        return frame.getInt(frame.readerIndex());
    }

    /**
     * The body of a response to an {@code api} request sent at {@code version}. Does not release the frame.
     *
     * @throws MalformedResponseException if the frame does not parse as such a response
     */
    public static ApiMessage decode(ByteBuf frame, ApiKeys api, short version) {
        byte[] bytes = new byte[frame.readableBytes()];
        frame.getBytes(frame.readerIndex(), bytes);
        ByteBufferAccessor accessor = new ByteBufferAccessor(ByteBuffer.wrap(bytes));
        try {
            new ResponseHeaderData(accessor, api.responseHeaderVersion(version));
            // Through AbstractResponse so that an ApiVersions answer in the version-0 fallback format still parses.
            return AbstractResponse.parseResponse(api, accessor, version).data();
        } catch (RuntimeException e) {
            throw new MalformedResponseException(api + " v" + version + " response does not parse: " + e, e);
        }
    }
}
