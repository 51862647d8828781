package io.chronik.client;

import io.netty.buffer.ByteBuf;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/** One request of a {@link BrokerClient}, from send to response or failure. Touched only on the client's event loop after send. */
final class PendingRequest {
    enum Stage { UNSENT, IN_FLIGHT, DONE }

    final ApiKeys api;
    final short version;
    final long deadlineNanos;
    final CompletableFuture<ApiMessage> future = new CompletableFuture<>();
    /** The encoded frame until it is handed to the channel. */
    ByteBuf frame;
    int correlationId;
    Stage stage = Stage.UNSENT;
    ScheduledFuture<?> timeout;

    PendingRequest(ApiKeys api, short version, ByteBuf frame, long deadlineNanos) {
        this.api = api;
        this.version = version;
        this.frame = frame;
        this.deadlineNanos = deadlineNanos;
    }

    /** Marks the request done and frees what it holds; false if it already was done. */
    boolean finish() {
        if (stage == Stage.DONE) {
            return false;
        }
        stage = Stage.DONE;
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
        if (frame != null) {
            frame.release();
            frame = null;
        }
        return true;
    }

    String describe() {
        return api + " v" + version + (stage == Stage.IN_FLIGHT ? " (correlation id " + correlationId + ")" : "");
    }
}
