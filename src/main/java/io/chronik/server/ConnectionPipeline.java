package io.chronik.server;

import io.chronik.metrics.BrokerMetrics;
import io.chronik.protocol.CloseConnectionException;
import io.chronik.protocol.KafkaRequest;
import io.chronik.protocol.MalformedRequestException;
import io.chronik.protocol.RequestDecoder;
import io.chronik.protocol.ResponseEncoder;
import io.chronik.protocol.ResponseEncoder.EncodedResponse;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
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

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One connection, read top to bottom: receive frames, decode, handle up to {@code maxInFlight} concurrently,
 * emit responses strictly in request order, send them (several per flush). Handlers' results continue on the
 * connection's event loop, so ordering and encoding always run there.
 *
 * <p>Backpressure: the send side requests responses only while the channel is writable; flatMapSequential
 * requests a new request only when fewer than maxInFlight are pending; the {@link ReadGate} passes that demand on
 * only while the broker's request memory has room and no append of this connection waits for a full lane; with no
 * demand, Reactor Netty turns autoRead off, so a client that stops reading stops being read. Nothing on this path
 * queues without bound.
 */
final class ConnectionPipeline {
    private static final Logger log = LoggerFactory.getLogger(ConnectionPipeline.class);

    private final RequestDecoder decoder;
    private final RequestDispatcher dispatcher;
    private final int maxInFlight;
    private final AtomicInteger inFlight;
    private final BrokerMetrics metrics;
    private final RequestMemoryPool memory;
    private final long maxIdleNanos;

    /** @param maxIdleNanos connections idle this long are closed; negative: never */
    ConnectionPipeline(RequestDecoder decoder, RequestDispatcher dispatcher, int maxInFlight, AtomicInteger inFlight,
                       BrokerMetrics metrics, RequestMemoryPool memory, long maxIdleNanos) {
        this.memory = memory;
        this.maxIdleNanos = maxIdleNanos;
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
        EventLoop loop = connection.channel().eventLoop();
        ReadGate gate = new ReadGate(inbound.receiveObject(), loop, memory, metrics);
        IdleConnectionCloser idle = maxIdleNanos > 0 ? new IdleConnectionCloser(maxIdleNanos, gate::holding, metrics) : null;
        if (idle != null) {
            connection.addHandlerLast("chronik-idle", idle);
        }
        UnsentResponses unsent = new UnsentResponses();
        Flux<Object> responses = gate
                .doOnRequest(demand::requested)
                .doOnNext(frame -> demand.delivered())
                .doFinally(signal -> demand.closed())
                .map(frame -> admit((ByteBuf) frame, clientHost))
                .flatMapSequential(request -> handle(request, loop, gate, idle).doOnNext(ready -> unsent.add(ready.body())),
                        maxInFlight, 1)
                // Encoded only once in order: until here a response is plain heap objects, so a response that
                // completes after its connection went away holds no buffer; a fetch response's segment file
                // references are tracked by `unsent` until the encoder takes them.
                .<EncodedResponse>handle((ready, sink) -> {
                    unsent.remove(ready.body());
                    if (ready.close() != null) {
                        // Every earlier response has gone out before this point: now the connection closes.
                        sink.error(ready.close());
                    } else {
                        if (!loop.inEventLoop()) {
                            metrics.responseOffEventLoop();
                        }
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

    /** Decodes a frame and charges it to the broker's request memory until the request is released. */
    private KafkaRequest admit(ByteBuf frame, String clientHost) {
        int bytes = frame.readableBytes();
        memory.charge(bytes);
        KafkaRequest request;
        try {
            // Reactor Netty releases each received message after onNext; the request keeps the frame.
            request = decoder.decode(frame.retain(), clientHost);
        } catch (RuntimeException e) {
            memory.release(bytes);
            throw e;
        }
        request.chargeTo(memory, bytes);
        return request;
    }

    private Mono<Ready> handle(KafkaRequest request, EventLoop loop, ReadGate gate, IdleConnectionCloser idle) {
        inFlight.incrementAndGet();
        if (idle != null) {
            idle.requestStarted();
        }
        long start = System.nanoTime();
        Mono<ApiMessage> handled;
        try {
            handled = dispatcher.dispatch(request);
        } finally {
            CompletableFuture<?> hold = request.intakeHold();
            if (hold != null) {
                gate.holdUntil(hold);
            }
            // The handler has taken what it needs; one that still reads the frame (produce) has retained it.
            request.release();
        }
        // Whichever thread completes the handling, the response continues on the connection's event loop.
        return new OnEventLoop<>(handled, loop)
                .map(body -> new Ready(request, body, null))
                .onErrorResume(CloseConnectionException.class, e -> Mono.just(new Ready(request, null, e)))
                .doFinally(signal -> {
                    inFlight.decrementAndGet();
                    if (idle != null) {
                        idle.requestFinished();
                    }
                    metrics.requestCompleted(request.api(), System.nanoTime() - start);
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
