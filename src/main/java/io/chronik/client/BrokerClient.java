package io.chronik.client;

import io.chronik.client.BrokerClientException.Reason;
import io.chronik.protocol.FrameDecoder;
import io.chronik.protocol.RequestEncoder;
import io.chronik.protocol.ResponseDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.Connection;
import reactor.netty.tcp.TcpClient;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One pipelined Kafka-protocol connection to another broker. Requests are written as soon as they are sent, without
 * waiting for earlier responses; responses are matched to requests by correlation id (a peer answers in order, so
 * the oldest unanswered request must match, or the connection is closed as broken).
 * <p>
 * Bounded: at most {@code maxInFlight} requests are unanswered, counting those waiting for the connection; a send
 * beyond that fails at once. That bound also bounds the channel's outbound buffer, so writability is not consulted.
 * <p>
 * All state lives on one event loop chosen at construction; the connection runs on it, and futures complete on it
 * (callers hop off for slow work). Nothing blocks. The connection is made on the first send and remade on the next
 * send after it is lost, waiting an exponential, jittered backoff after failures.
 */
public final class BrokerClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BrokerClient.class);
    private static final long INFO_LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private enum State { IDLE, BACKING_OFF, CONNECTING, CONNECTED, CLOSED }

    private final String peer;
    private final ClientSettings settings;
    private final EventLoop eventLoop;
    private final TcpClient tcp;
    private final RequestEncoder encoder;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean closed;

    // Confined to the event loop.
    private State state = State.IDLE;
    private Connection connection;
    private final ArrayDeque<PendingRequest> unsent = new ArrayDeque<>();
    private final ArrayDeque<PendingRequest> awaitingResponse = new ArrayDeque<>();
    private final ReconnectBackoff backoff;
    private long nextAttemptNanos = System.nanoTime();
    private ScheduledFuture<?> connectTimer;
    private int attempt;
    private int nextCorrelationId;
    private boolean flushScheduled;
    private long lastInfoLogNanos = System.nanoTime() - INFO_LOG_INTERVAL_NANOS;

    /** A client for the broker at host:port; connects on the first send. */
    public BrokerClient(String host, int port, ClientSettings settings) {
        this.peer = host + ":" + port;
        this.settings = settings;
        this.eventLoop = ClientLoops.next();
        this.encoder = new RequestEncoder(ByteBufAllocator.DEFAULT, settings.clientId());
        this.backoff = new ReconnectBackoff(settings.reconnectBackoff(), settings.reconnectBackoffMax());
        this.tcp = TcpClient.newConnection()
                .runOn(eventLoop)
                .host(host)
                .port(port)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .doOnConnected(c -> c
                        .addHandlerLast("kafka-frame-decoder", new FrameDecoder(Integer.MAX_VALUE, "response frame"))
                        .addHandlerLast("chronik-client-responses", new ResponseHandler(this)));
    }

    /**
     * Sends one request; the response body, decoded, as the generated kafka-clients message class. The future
     * completes on the connection's event loop, exceptionally with a {@link BrokerClientException} if no response
     * comes (or with an IllegalArgumentException or UnsupportedVersionException if the request cannot be encoded).
     */
    @SuppressWarnings("unchecked")
    public <R extends ApiMessage> CompletableFuture<R> send(ApiKeys api, short version, ApiMessage request) {
        if (closed) {
            return CompletableFuture.failedFuture(new BrokerClientException(Reason.DISCONNECTED, "client to " + peer + " is closed"));
        }
        if (!reserve()) {
            return CompletableFuture.failedFuture(new BrokerClientException(Reason.TOO_MANY_IN_FLIGHT,
                    settings.maxInFlight() + " requests to " + peer + " are already in flight"));
        }
        PendingRequest pending;
        try {
            ByteBuf frame = encoder.encode(api, version, request);
            pending = new PendingRequest(api, version, frame, System.nanoTime() + settings.requestTimeout().toNanos());
        } catch (RuntimeException e) {
            inFlight.decrementAndGet();
            return CompletableFuture.failedFuture(e);
        }
        if (eventLoop.inEventLoop()) {
            enqueue(pending);
        } else {
            try {
                eventLoop.execute(() -> enqueue(pending));
            } catch (RejectedExecutionException e) {
                fail(pending, new BrokerClientException(Reason.DISCONNECTED, "event loop of the client to " + peer + " is shut down", e));
            }
        }
        return (CompletableFuture<R>) (CompletableFuture<?>) pending.future;
    }

    /** Requests sent and not yet answered or failed. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Closes the connection and fails every request in flight with DISCONNECTED; later sends fail at once. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        onLoop(() -> {
            state = State.CLOSED;
            attempt++;
            if (connectTimer != null) {
                connectTimer.cancel(false);
            }
            dropConnection("client closed");
        });
    }

    private boolean reserve() {
        while (true) {
            int current = inFlight.get();
            if (current >= settings.maxInFlight()) {
                return false;
            }
            if (inFlight.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    private void enqueue(PendingRequest pending) {
        if (state == State.CLOSED) {
            fail(pending, new BrokerClientException(Reason.DISCONNECTED, "client to " + peer + " is closed"));
            return;
        }
        long remaining = pending.deadlineNanos - System.nanoTime();
        pending.timeout = eventLoop.schedule(() -> onTimeout(pending), Math.max(0, remaining), TimeUnit.NANOSECONDS);
        if (state == State.CONNECTED) {
            write(pending);
            scheduleFlush();
        } else {
            unsent.add(pending);
            maybeConnect();
        }
    }

    private void write(PendingRequest pending) {
        if (pending.future.isDone()) { // cancelled by the caller before it was written
            release(pending);
            return;
        }
        pending.correlationId = nextCorrelationId++;
        pending.stage = PendingRequest.Stage.IN_FLIGHT;
        ByteBuf frame = pending.frame;
        pending.frame = null;
        RequestEncoder.setCorrelationId(frame, pending.correlationId);
        awaitingResponse.add(pending);
        connection.channel().write(frame).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
    }

    /** One flush after the writes of this event-loop turn. */
    private void scheduleFlush() {
        if (!flushScheduled) {
            flushScheduled = true;
            eventLoop.execute(() -> {
                flushScheduled = false;
                if (connection != null) {
                    connection.channel().flush();
                }
            });
        }
    }

    private void maybeConnect() {
        if (state != State.IDLE) {
            return;
        }
        long delay = nextAttemptNanos - System.nanoTime();
        if (delay > 0) {
            state = State.BACKING_OFF;
            connectTimer = eventLoop.schedule(this::connect, delay, TimeUnit.NANOSECONDS);
        } else {
            connect();
        }
    }

    private void connect() {
        if (state == State.CLOSED) {
            return;
        }
        connectTimer = null;
        state = State.CONNECTING;
        int thisAttempt = ++attempt;
        tcp.connect().subscribe(
                c -> onLoop(() -> onConnected(thisAttempt, c)),
                e -> onLoop(() -> onConnectFailed(thisAttempt, e)));
    }

    private void onConnected(int thisAttempt, Connection c) {
        if (thisAttempt != attempt || state != State.CONNECTING) {
            c.dispose();
            return;
        }
        if (!c.channel().isActive()) {
            onConnectFailed(thisAttempt, new IllegalStateException("connection closed right after it was made"));
            return;
        }
        connection = c;
        state = State.CONNECTED;
        // Reactor Netty reads only on demand from its inbound Flux; here the ResponseHandler takes every frame
        // (unanswered requests are bounded by maxInFlight), so the socket is always read.
        c.channel().config().setAutoRead(true);
        backoff.reset();
        logConnection("Connected to broker {}", peer);
        while (!unsent.isEmpty()) {
            write(unsent.poll());
        }
        scheduleFlush();
    }

    private void onConnectFailed(int thisAttempt, Throwable error) {
        if (thisAttempt != attempt || state != State.CONNECTING) {
            return;
        }
        state = State.IDLE;
        long delay = backoff.nextDelayNanos();
        nextAttemptNanos = System.nanoTime() + delay;
        logConnection("Could not connect to broker {} ({}); next attempt in {} ms at the earliest", peer, error.toString(),
                TimeUnit.NANOSECONDS.toMillis(delay));
        failAll(unsent, Reason.DISCONNECTED, "could not connect to " + peer + ": " + error);
    }

    /** Called on the event loop by the connection's {@link ResponseHandler}; the handler releases the frame. */
    void onResponse(Channel channel, ByteBuf frame) {
        if (!isCurrent(channel)) {
            return;
        }
        PendingRequest pending = awaitingResponse.peek();
        if (pending == null) {
            protocolError("a response arrived with no request in flight");
            return;
        }
        ApiMessage body;
        try {
            int correlationId = ResponseDecoder.correlationId(frame);
            if (correlationId != pending.correlationId) {
                protocolError("response correlation id " + correlationId + " does not match the oldest request's, "
                        + pending.describe());
                return;
            }
            body = ResponseDecoder.decode(frame, pending.api, pending.version);
        } catch (RuntimeException e) {
            protocolError(e.getMessage());
            return;
        }
        awaitingResponse.poll();
        if (release(pending)) {
            pending.future.complete(body);
        }
    }

    /** Called on the event loop when a connection ended or failed; ignored unless it is the current one. */
    void onConnectionLost(Channel channel, String why) {
        if (isCurrent(channel)) {
            dropConnection(why);
        }
    }

    private void onTimeout(PendingRequest pending) {
        boolean wasInFlight = pending.stage == PendingRequest.Stage.IN_FLIGHT;
        if (pending.stage == PendingRequest.Stage.DONE) {
            return;
        }
        String what = pending.describe();
        (wasInFlight ? awaitingResponse : unsent).remove(pending);
        fail(pending, new BrokerClientException(Reason.TIMED_OUT, what + " to " + peer + " got no response within "
                + settings.requestTimeout().toMillis() + " ms"));
        if (wasInFlight) {
            // Later responses would be misaligned with what is left: start over on a new connection.
            dropConnection("request " + what + " timed out");
        }
    }

    private void protocolError(String why) {
        log.warn("Closing the connection to broker {}: {}", peer, why);
        dropConnection("protocol error: " + why);
    }

    /** Forgets the current connection (closing it), fails everything in flight with DISCONNECTED. */
    private void dropConnection(String why) {
        Connection c = connection;
        connection = null;
        if (c != null) {
            if (state == State.CONNECTED) {
                state = State.IDLE;
                nextAttemptNanos = System.nanoTime() + backoff.nextDelayNanos();
            }
            logConnection("Connection to broker {} lost: {}", peer, why);
            c.dispose();
        }
        String message = "request to " + peer + " failed: " + why;
        failAll(awaitingResponse, Reason.DISCONNECTED, message);
        failAll(unsent, Reason.DISCONNECTED, message);
    }

    private void failAll(ArrayDeque<PendingRequest> requests, Reason reason, String message) {
        PendingRequest pending;
        while ((pending = requests.poll()) != null) {
            fail(pending, new BrokerClientException(reason, message));
        }
    }

    private void fail(PendingRequest pending, BrokerClientException error) {
        if (release(pending)) {
            pending.future.completeExceptionally(error);
        }
    }

    /** Frees the request's slot before its future completes, so a callback may send the next one. */
    private boolean release(PendingRequest pending) {
        if (!pending.finish()) {
            return false;
        }
        inFlight.decrementAndGet();
        return true;
    }

    private boolean isCurrent(Channel channel) {
        return connection != null && connection.channel() == channel;
    }

    private void onLoop(Runnable task) {
        if (eventLoop.inEventLoop()) {
            task.run();
        } else {
            try {
                eventLoop.execute(task);
            } catch (RejectedExecutionException e) {
                log.debug("Event loop of the client to {} is shut down", peer, e);
            }
        }
    }

    /** Connection changes at INFO at most once a minute per peer, else at DEBUG. */
    private void logConnection(String format, Object... args) {
        long now = System.nanoTime();
        if (now - lastInfoLogNanos >= INFO_LOG_INTERVAL_NANOS) {
            lastInfoLogNanos = now;
            log.info(format, args);
        } else {
            log.debug(format, args);
        }
    }

    @Override
    public String toString() {
        return "BrokerClient[" + peer + "]";
    }
}
