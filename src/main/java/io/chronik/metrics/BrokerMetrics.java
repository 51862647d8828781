package io.chronik.metrics;

import io.chronik.protocol.Api;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * What the network side reports: requests per API, traffic per topic, connections, and backpressure (paused
 * reads, unwritable channels, pending responses). Meters are created once and cached, so the hot path only
 * increments. Labels are bounded: API names and topic names, never connections or client ids.
 */
public final class BrokerMetrics {
    private final MeterRegistry registry;
    private final Map<Api, Counter> requests = new EnumMap<>(Api.class);
    private final Map<Api, Timer> durations = new EnumMap<>(Api.class);
    private final Map<String, Counter> messagesIn = new ConcurrentHashMap<>();
    private final Map<String, Counter> bytesIn = new ConcurrentHashMap<>();
    private final Map<String, Counter> bytesOut = new ConcurrentHashMap<>();
    private final Counter readsPaused;
    private final Counter readsPausedSeconds;
    private final Counter channelUnwritable;
    private final Counter readsHeldForMemory;
    private final Counter readsHeldForLane;
    private final Counter responsesOffEventLoop;
    private final Counter connectionsIdleClosed;
    private final Counter connectionsRejected;
    private final Counter acceptPaused;
    private final AtomicLong connections = new AtomicLong();

    public BrokerMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Api api : Api.values()) {
            String name = api.name().toLowerCase(java.util.Locale.ROOT);
            requests.put(api, Counter.builder("chronik.requests").tag("api", name)
                    .description("Requests handled, by API").register(registry));
            durations.put(api, Timer.builder("chronik.request.duration").tag("api", name)
                    .description("Time from decoding a request to its response being ready")
                    .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60))
                    .register(registry));
        }
        readsPaused = Counter.builder("chronik.reads.paused")
                .description("Times Chronik stopped reading a socket because of backpressure").register(registry);
        readsPausedSeconds = Counter.builder("chronik.reads.paused.seconds")
                .description("Time sockets spent not being read because of backpressure").register(registry);
        channelUnwritable = Counter.builder("chronik.channel.unwritable")
                .description("Times a connection's outbound buffer passed its high-water mark").register(registry);
        readsHeldForMemory = Counter.builder("chronik.reads.held").tag("reason", "request-memory")
                .description("Times a connection stopped reading until request memory or a full append lane had room")
                .register(registry);
        readsHeldForLane = Counter.builder("chronik.reads.held").tag("reason", "append-lane")
                .description("Times a connection stopped reading until request memory or a full append lane had room")
                .register(registry);
        responsesOffEventLoop = Counter.builder("chronik.responses.off.event.loop")
                .description("Responses encoded outside their connection's event loop (only while the listener stops)")
                .register(registry);
        connectionsIdleClosed = Counter.builder("chronik.connections.idle.closed")
                .description("Connections closed because they were idle longer than chronik.listener.connections-max-idle")
                .register(registry);
        connectionsRejected = Counter.builder("chronik.connections.rejected")
                .description("Connections closed at once because their address had chronik.listener.max-connections-per-ip open")
                .register(registry);
        acceptPaused = Counter.builder("chronik.connections.accept.paused")
                .description("Times the listener stopped accepting because chronik.listener.max-connections were open")
                .register(registry);
        registry.gauge("chronik.connections", connections);
    }

    /** Registers a gauge whose value is read from {@code source} at scrape time. */
    public <T> void gauge(String name, String description, T source, ToDoubleFunction<T> value) {
        io.micrometer.core.instrument.Gauge.builder(name, source, value).description(description).register(registry);
    }

    public void requestCompleted(Api api, long nanos) {
        requests.get(api).increment();
        durations.get(api).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    public void produced(String topic, int records, int bytes) {
        messagesIn.computeIfAbsent(topic, t -> Counter.builder("chronik.messages.in").tag("topic", t)
                .description("Records appended, by topic").register(registry)).increment(records);
        bytesIn.computeIfAbsent(topic, t -> Counter.builder("chronik.bytes.in").tag("topic", t)
                .description("Record bytes appended, by topic").register(registry)).increment(bytes);
    }

    public void fetched(String topic, int bytes) {
        bytesOut.computeIfAbsent(topic, t -> Counter.builder("chronik.bytes.out").tag("topic", t)
                .description("Record bytes sent to consumers, by topic").register(registry)).increment(bytes);
    }

    public void connectionOpened() {
        connections.incrementAndGet();
    }

    public void connectionClosed() {
        connections.decrementAndGet();
    }

    public void readsPaused() {
        readsPaused.increment();
    }

    public void readsResumed(long pausedNanos) {
        readsPausedSeconds.increment(pausedNanos / 1e9);
    }

    public void channelUnwritable() {
        channelUnwritable.increment();
    }

    /** A connection stopped reading because the broker's request memory (max-queued-request-bytes) was used up. */
    public void readsHeldForMemory() {
        readsHeldForMemory.increment();
    }

    /** A connection stopped reading until an append lane it queued to has room again. */
    public void readsHeldForLane() {
        readsHeldForLane.increment();
    }

    public void responseOffEventLoop() {
        responsesOffEventLoop.increment();
    }

    public void connectionClosedIdle() {
        connectionsIdleClosed.increment();
    }

    public void connectionRejected() {
        connectionsRejected.increment();
    }

    public void acceptPaused() {
        acceptPaused.increment();
    }

    /** Topics that were removed stop being reported. */
    public void topicDeleted(String topic) {
        for (Map<String, Counter> counters : java.util.List.of(messagesIn, bytesIn, bytesOut)) {
            Counter counter = counters.remove(topic);
            if (counter != null) {
                registry.remove(counter);
            }
        }
    }
}
