package io.chronik.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * Encodes a request Chronik sends to another broker into one frame: the length prefix, the request header in the
 * header version of the API version, and the body, sized once and written into one pooled buffer. The correlation
 * id is set when the frame is written to its connection ({@link #setCorrelationId}), so that ids follow the order
 * on the wire even when frames are encoded on the callers' threads.
 */
public final class RequestEncoder {
    /** Where the correlation id sits in a frame: after the length prefix, the API key and the API version (every header version). */
    private static final int CORRELATION_ID_OFFSET = 4 + 2 + 2;

    private final ByteBufAllocator allocator;
    private final String clientId;

    public RequestEncoder(ByteBufAllocator allocator, String clientId) {
        this.allocator = allocator;
        this.clientId = clientId;
    }

    /**
     * The frame for {@code body} at {@code version}, with correlation id 0 until {@link #setCorrelationId}. The caller
     * owns the returned buffer.
     *
     * @throws IllegalArgumentException if the body is not a request of {@code api} or the version is not one of its versions
     * @throws org.apache.kafka.common.errors.UnsupportedVersionException if the body uses a field the version lacks
     */
    public ByteBuf encode(ApiKeys api, short version, ApiMessage body) {
        if (body.apiKey() != api.id) {
            throw new IllegalArgumentException("a " + body.getClass().getSimpleName() + " is not a " + api + " request");
        }
        if (version < api.oldestVersion() || version > api.latestVersion(true)) {
            throw new IllegalArgumentException(api + " has no version " + version + " (versions "
                    + api.oldestVersion() + ".." + api.latestVersion(true) + ")");
        }
        RequestHeader header = new RequestHeader(api, version, clientId, 0);
        short headerVersion = header.headerVersion();
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = header.data().size(cache, headerVersion) + body.size(cache, version);
        ByteBuf frame = allocator.buffer(4 + size);
        try {
            ByteBufWritable out = new ByteBufWritable(frame, records -> {
                throw new IllegalArgumentException("requests carry records in memory, not from files");
            });
            frame.writeInt(size);
            header.data().write(out, cache, headerVersion);
            body.write(out, cache, version);
            if (frame.readableBytes() != 4 + size) {
                throw new IllegalStateException(api + " v" + version + " request wrote " + (frame.readableBytes() - 4)
                        + " bytes, sized " + size);
            }
            return frame;
        } catch (RuntimeException e) {
            frame.release();
            throw e;
        }
    }

    /** Sets the correlation id of a frame made by {@link #encode}. */
    public static void setCorrelationId(ByteBuf frame, int correlationId) {
        frame.setInt(frame.readerIndex() + CORRELATION_ID_OFFSET, correlationId);
    }
}
