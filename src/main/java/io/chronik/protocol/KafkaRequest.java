package io.chronik.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.requests.AbstractRequest;

import java.util.concurrent.CompletableFuture;

/**
 * One decoded request. Its body may reference the frame's bytes (produce records are slices of the
 * frame, never copies), so the request holds the frame until it is released: the pipeline releases it as soon as
 * the handler's {@code handle} has returned; a handler that keeps using record bytes after that retains it (produce
 * does, until its appends are done). Everything else about the request (header fields, the parsed body apart from
 * records) stays readable after the release.
 */
public final class KafkaRequest extends AbstractReferenceCounted {
    private final Api api;
    private final short version;
    private final int correlationId;
    private final String clientId;
    private final AbstractRequest request;
    private final ByteBuf frame;
    private final boolean unsupportedVersion;
    private final String clientHost;
    private RequestMemory memory;
    private int chargedBytes;
    private CompletableFuture<?> intakeHold;

    KafkaRequest(Api api, short version, int correlationId, String clientId, AbstractRequest request, ByteBuf frame,
                 boolean unsupportedVersion, String clientHost) {
        this.clientHost = clientHost;
        this.api = api;
        this.version = version;
        this.correlationId = correlationId;
        this.clientId = clientId;
        this.request = request;
        this.frame = frame;
        this.unsupportedVersion = unsupportedVersion;
    }

    public Api api() {
        return api;
    }

    public short version() {
        return version;
    }

    public int correlationId() {
        return correlationId;
    }

    /** The peer's address as Kafka reports it in group descriptions ("/127.0.0.1"); empty when unknown. */
    public String clientHost() {
        return clientHost;
    }

    public String clientId() {
        return clientId;
    }

    /** The generated request message, e.g. {@code ProduceRequestData}; null for an unsupported ApiVersions version. */
    @SuppressWarnings("unchecked")
    public <T extends ApiMessage> T body() {
        return request == null ? null : (T) request.data();
    }

    /**
     * True for an ApiVersions request of a version newer than Chronik knows: per the protocol it is answered
     * at version 0 with UNSUPPORTED_VERSION and the supported list.
     */
    public boolean unsupportedVersion() {
        return unsupportedVersion;
    }

    /** The version the response is encoded with. */
    short responseVersion() {
        return unsupportedVersion ? 0 : version;
    }

    /** A response of this request's type carrying the Kafka error that corresponds to {@code error}. */
    public ApiMessage errorResponse(Throwable error) {
        return request.getErrorResponse(error).data();
    }

    /** Charges this request's frame to {@code memory} until the frame is released for good. */
    public void chargeTo(RequestMemory memory, int bytes) {
        this.memory = memory;
        this.chargedBytes = bytes;
    }

    /**
     * Asks the connection to read no further request until {@code admitted} completes: the handler queued work
     * behind a full append lane. Called by the handler, on the event loop, before {@code handle} returns.
     */
    public void holdIntakeUntil(CompletableFuture<?> admitted) {
        intakeHold = intakeHold == null || intakeHold.isDone() ? admitted : CompletableFuture.allOf(intakeHold, admitted);
    }

    /** What the connection waits for before it reads again, or null. */
    public CompletableFuture<?> intakeHold() {
        return intakeHold;
    }

    @Override
    protected void deallocate() {
        if (frame != null) {
            frame.release();
        }
        if (memory != null) {
            memory.release(chargedBytes);
        }
    }

    @Override
    public ReferenceCounted touch(Object hint) {
        if (frame != null) {
            frame.touch(hint);
        }
        return this;
    }

    @Override
    public String toString() {
        return api + " v" + version + " correlationId=" + correlationId + " clientId=" + clientId;
    }
}
