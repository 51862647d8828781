package io.chronik.server;

import io.chronik.metrics.BrokerMetrics;
import io.chronik.protocol.CloseConnectionException;
import io.chronik.protocol.KafkaRequest;
import io.chronik.protocol.MalformedRequestException;
import io.chronik.protocol.RequestDecoder;
import io.chronik.protocol.ResponseEncoder;
import io.chronik.protocol.ResponseEncoder.EncodedResponse;
import io.netty.buffer.ByteBuf;
import org.apache.kafka.common.protocol.ApiMessage;
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
    private final BrokerMetrics metrics;

    ConnectionPipeline(RequestDecoder decoder, RequestDispatcher dispatcher, int maxInFlight, AtomicInteger inFlight,
                       BrokerMetrics metrics) {
        this.decoder = decoder;
        this.dispatcher = dispatcher;
        this.maxInFlight = maxInFlight;
        this.inFlight = inFlight;
        this.metrics = metrics;
    }

    /** "/127.0.0.1", as Kafka shows a member's host. */
    static String clientHost(java.net.SocketAddress address) {
        if (address instanceof java.net.InetSocketAddress inet && inet.getAddress() != null) {
            return "/" + inet.getAddress().getHostAddress();
        }
        return address == null ? "" : address.toString();
    }

    Mono<Void> serve(NettyInbound inbound, NettyOutbound outbound, Connection connection) {
        ResponseEncoder encoder = new ResponseEncoder(outbound.alloc());
        ReadDemand demand = new ReadDemand(metrics);
        String clientHost = clientHost(connection.channel().remoteAddress());
        UnsentResponses unsent = new UnsentResponses();
        Flux<Object> responses = inbound.receiveObject()
                .doOnRequest(demand::requested)
                .doOnNext(frame -> demand.delivered())
                .doFinally(signal -> demand.closed())
                // Reactor Netty releases each received message after onNext; the request keeps the frame.
                .map(frame -> decoder.decode(((ByteBuf) frame).retain(), clientHost))
                .flatMapSequential(request -> handle(request).doOnNext(ready -> unsent.add(ready.body())), maxInFlight, 1)
                // Encoded only once in order: until here a response is plain heap objects, so a response that
                // completes after its connection went away holds no buffer; a fetch response's segment file
                // references are tracked by `unsent` until the encoder takes them.
                .<EncodedResponse>handle((ready, sink) -> {
                    unsent.remove(ready.body());
                    if (ready.close() != null) {
                        // Every earlier response has gone out before this point: now the connection closes.
                        sink.error(ready.close());
                    } else {
                        sink.next(encoder.encode(ready.request(), ready.body()));
                    }
                })
                .concatMapIterable(EncodedResponse::parts, 32)
                // Responses still queued when a connection goes away are freed, whole or as parts.
                .doOnDiscard(EncodedResponse.class, EncodedResponse::release)
                .doOnDiscard(ReferenceCounted.class, ReferenceCountUtil::safeRelease);
        return outbound.sendObject(responses)
                .then()
                .onErrorResume(e -> {
                    closeWithWarning(connection, e);
                    return Mono.empty();
                })
                // Fetch responses still waiting for their turn hold segment files: give them back.
                .doFinally(signal -> unsent.close());
    }

    private Mono<Ready> handle(KafkaRequest request) {
        inFlight.incrementAndGet();
        long start = System.nanoTime();
        return dispatcher.dispatch(request)
                .map(body -> new Ready(request, body, null))
                .onErrorResume(CloseConnectionException.class, e -> Mono.just(new Ready(request, null, e)))
                .doFinally(signal -> {
                    inFlight.decrementAndGet();
                    metrics.requestCompleted(request.api(), System.nanoTime() - start);
                    request.release();
                });
    }

    /** A handled request and its response body, not yet encoded; or the signal to close the connection here. */
    private record Ready(KafkaRequest request, ApiMessage body, CloseConnectionException close) {
    }

    private static void closeWithWarning(Connection connection, Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && !(cause instanceof MalformedRequestException) && !(cause instanceof CloseConnectionException)) {
            cause = cause.getCause();
        }
        if (cause instanceof CloseConnectionException) {
            // As frequent as failing requests: not logged above DEBUG.
            log.debug("Closing connection from {}: {}", connection.channel().remoteAddress(), cause.getMessage());
        } else if (cause instanceof MalformedRequestException) {
            log.warn("Closing connection from {}: {}", connection.channel().remoteAddress(), cause.getMessage());
        } else if (cause instanceof java.io.IOException) {
            log.debug("Connection from {} ended: {}", connection.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("Closing connection from {} after an error: {}", connection.channel().remoteAddress(), cause.toString());
        }
        connection.dispose();
    }
}
