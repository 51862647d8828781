package io.chronik.handler;

import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.protocol.ApiMessage;
import reactor.core.publisher.Mono;

import java.util.Set;

/**
 * Serves one API or a small family of related APIs. {@link #handle} is called on the connection's event loop
 * in request order and must not block: work that touches files goes to the storage lanes or the io scheduler.
 * Anything that must happen in arrival order (such as enqueueing appends) is done before {@code handle} returns.
 */
public interface RequestHandler {

    /** The APIs this handler serves; the advertised API table is the union over all handlers. */
    Set<Api> apis();

    /** The response body, or an empty Mono when the request gets no response (produce with acks=0). */
    Mono<? extends ApiMessage> handle(KafkaRequest request);
}
