package io.chronik.protocol;

import io.netty.buffer.ByteBuf;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.RequestAndSize;
import org.apache.kafka.common.requests.RequestHeader;

import java.nio.ByteBuffer;

/** Parses a frame into a {@link KafkaRequest} with Kafka's generated message classes, without copying record bytes. */
public final class RequestDecoder {
    private final ApiTable apis;

    public RequestDecoder(ApiTable apis) {
        this.apis = apis;
    }

    /**
     * Takes ownership of {@code frame}: it is released here on failure, or by the returned request. {@code clientHost}
     * is the peer the request came from, as group descriptions show it.
     *
     * @throws MalformedRequestException for an unknown or unserved API key or version, or a body that does not parse
     */
    public KafkaRequest decode(ByteBuf frame, String clientHost) {
        try {
            if (frame.readableBytes() < 8) {
                throw new MalformedRequestException("frame of " + frame.readableBytes() + " bytes is too short for a request header");
            }
            int key = frame.getShort(frame.readerIndex());
            short version = frame.getShort(frame.readerIndex() + 2);
            Api api = Api.forId(key);
            if (!apis.isServed(api)) {
                throw new MalformedRequestException("unknown or unsupported API key " + key);
            }
            ByteBuffer buffer = frame.nioBuffer();
            RequestHeader header;
            try {
                header = RequestHeader.parse(buffer);
            } catch (RuntimeException e) {
                throw new MalformedRequestException("request header does not parse: " + e.getMessage(), e);
            }
            if (!api.supports(version)) {
                if (api == Api.API_VERSIONS && version > api.maxVersion()) {
                    return new KafkaRequest(api, version, header.correlationId(), header.clientId(), null, frame, true, clientHost);
                }
                throw new MalformedRequestException(api + " version " + version + " is not supported (supported "
                        + api.minVersion() + ".." + api.maxVersion() + ")");
            }
            AbstractRequest request = parseBody(api, version, buffer);
            return new KafkaRequest(api, version, header.correlationId(), header.clientId(), request, frame, false, clientHost);
        } catch (RuntimeException e) {
            frame.release();
            throw e instanceof MalformedRequestException ? e : new MalformedRequestException("request does not parse: " + e, e);
        }
    }

    private static AbstractRequest parseBody(Api api, short version, ByteBuffer buffer) {
        int bodyBytes = buffer.remaining();
        RequestAndSize parsed;
        try {
            parsed = AbstractRequest.parseRequest(api.kafka, version, new ByteBufferAccessor(buffer));
        } catch (RuntimeException e) {
            throw new MalformedRequestException(api + " v" + version + " body does not parse: " + e.getMessage(), e);
        }
        if (buffer.hasRemaining()) {
            throw new MalformedRequestException(api + " v" + version + " body has " + buffer.remaining()
                    + " trailing bytes of " + bodyBytes);
        }
        return parsed.request;
    }
}
