package io.chronik.server;

import io.chronik.protocol.KafkaRequest;
import io.chronik.protocol.MalformedRequestException;
import io.chronik.protocol.RequestDecoder;
import io.chronik.protocol.ResponseEncoder;
import io.chronik.protocol.ResponseEncoder.EncodedResponse;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.NettyInbound;
import reactor.netty.NettyOutbound;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One connection, read top to bottom: receive frames, decode, handle up to {@code maxInFlight} concurrently,
 * emit responses strictly in request order, send them (several per flush).
 *
 * <p>Backpressure: the send side requests responses only while the channel is writable; flatMapSequential
 * requests a new request only when fewer than maxInFlight are pending; with no demand, Reactor Netty turns
 * autoRead off, so a client that stops reading stops being read. Nothing on this path queues without bound.
 */
final class ConnectionPipeline {
    private static final Logger log = LoggerFactory.getLogger(ConnectionPipeline.class);

    private final RequestDecoder decoder;
    private final RequestDispatcher dispatcher;
    private final int maxInFlight;
    private final AtomicInteger inFlight;

    ConnectionPipeline(RequestDecoder decoder, RequestDispatcher dispatcher, int maxInFlight, AtomicInteger inFlight) {
        this.decoder = decoder;
        this.dispatcher = dispatcher;
        this.maxInFlight = maxInFlight;
        this.inFlight = inFlight;
    }

    Mono<Void> serve(NettyInbound inbound, NettyOutbound outbound, Connection connection) {
        ResponseEncoder encoder = new ResponseEncoder(outbound.alloc());
        Flux<Object> responses = inbound.receiveObject()
                // Reactor Netty releases each received message after onNext; the request keeps the frame.
                .map(frame -> decoder.decode(((ByteBuf) frame).retain()))
                .flatMapSequential(request -> handle(request, encoder), maxInFlight, 1)
                .concatMapIterable(EncodedResponse::parts, 32)
                .doOnDiscard(ReferenceCounted.class, ReferenceCountUtil::safeRelease);
        return outbound.sendObject(responses)
                .then()
                .onErrorResume(e -> {
                    closeWithWarning(connection, e);
                    return Mono.empty();
                });
    }

    private Mono<EncodedResponse> handle(KafkaRequest request, ResponseEncoder encoder) {
        inFlight.incrementAndGet();
        return dispatcher.dispatch(request)
                .map(body -> encoder.encode(request, body))
                .doFinally(signal -> {
                    inFlight.decrementAndGet();
                    request.release();
                });
    }

    private static void closeWithWarning(Connection connection, Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && !(cause instanceof MalformedRequestException)) {
            cause = cause.getCause();
        }
        if (cause instanceof MalformedRequestException) {
            log.warn("Closing connection from {}: {}", connection.channel().remoteAddress(), cause.getMessage());
        } else if (cause instanceof java.io.IOException) {
            log.debug("Connection from {} ended: {}", connection.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("Closing connection from {} after an error: {}", connection.channel().remoteAddress(), cause.toString());
        }
        connection.dispose();
    }
}
