package io.chronik.server;

import io.chronik.config.ChronikProperties;
import io.chronik.protocol.FrameDecoder;
import io.chronik.protocol.RequestDecoder;
import io.chronik.metrics.BrokerMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.epoll.Epoll;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.netty.DisposableServer;
import reactor.netty.resources.LoopResources;
import reactor.netty.tcp.TcpServer;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Kafka listener: a Reactor Netty TCP server (epoll where available) running one
 * {@link ConnectionPipeline} per connection. Starts after storage recovery; on shutdown stops accepting, lets
 * in-flight requests finish, then closes connections (storage closes after it).
 */
public final class KafkaServer implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(KafkaServer.class);

    private final ChronikProperties props;
    private final RequestDispatcher dispatcher;
    private final BrokerMetrics metrics;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();
    private final RequestMemoryPool requestMemory;
    private final long maxIdleNanos;
    private volatile DisposableServer server;
    private volatile LoopResources loops;

    public KafkaServer(ChronikProperties props, RequestDispatcher dispatcher, BrokerMetrics metrics) {
        this.props = props;
        this.dispatcher = dispatcher;
        this.metrics = metrics;
        this.requestMemory = new RequestMemoryPool(ListenerSettings.maxQueuedRequestBytes(props));
        this.maxIdleNanos = ListenerSettings.connectionsMaxIdleNanos(props);
        metrics.gauge("chronik.request.memory.bytes", "Bytes of requests being read or handled, all connections",
                requestMemory, RequestMemoryPool::used);
        metrics.gauge("chronik.inflight.requests", "Requests being handled, all connections", inFlight, AtomicInteger::get);
        metrics.gauge("chronik.pending.response.bytes", "Response bytes written but not yet sent to the socket",
                channels, KafkaServer::pendingBytes);
    }

    private static double pendingBytes(Set<Channel> channels) {
        long total = 0;
        for (Channel channel : channels) {
            ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
            total += buffer == null ? 0 : buffer.totalPendingWriteBytes();
        }
        return total;
    }

    @Override
    public void start() {
        ChronikProperties.Listener l = props.getListener();
        int threads = l.getIoThreads() > 0 ? l.getIoThreads() : Runtime.getRuntime().availableProcessors();
        boolean nativeTransport = switch (l.getTransport()) {
            case NIO -> false;
            case EPOLL -> {
                if (!Epoll.isAvailable()) {
                    throw new IllegalStateException("chronik.listener.transport=EPOLL but epoll is unavailable: "
                            + Epoll.unavailabilityCause());
                }
                yield true;
            }
            case AUTO -> Epoll.isAvailable();
        };
        loops = LoopResources.create("chronik-kafka", 1, threads, true);
        RequestDecoder decoder = new RequestDecoder(dispatcher.apiTable());
        int maxFrame = (int) Math.min(Integer.MAX_VALUE, props.getMaxRequestBytes().toBytes());
        ConnectionPipeline pipeline = new ConnectionPipeline(decoder, dispatcher, props.getMaxInFlightPerConnection(),
                inFlight, metrics, requestMemory, maxIdleNanos);
        TcpServer tcp = TcpServer.create()
                .runOn(loops, nativeTransport)
                .host(l.getHost())
                .port(l.getPort())
                .childOption(ChannelOption.TCP_NODELAY, l.isTcpNoDelay())
                .doOnConnection(c -> {
                    c.addHandlerLast("kafka-frame-decoder", new FrameDecoder(maxFrame));
                    c.addHandlerLast("chronik-writability", new WritabilityListener(metrics));
                    Channel channel = c.channel();
                    channels.add(channel);
                    metrics.connectionOpened();
                    c.onDispose(() -> {
                        channels.remove(channel);
                        metrics.connectionClosed();
                    });
                })
                .handle((in, out) -> {
                    reactor.netty.Connection[] connection = new reactor.netty.Connection[1];
                    in.withConnection(c -> connection[0] = c);
                    return pipeline.serve(in, out, connection[0]);
                });
        if (l.getMaxConnections() < Integer.MAX_VALUE || l.getMaxConnectionsPerIp() < Integer.MAX_VALUE) {
            // Not accepting until the limiter sits on the listening channel, so no connection escapes the count.
            ConnectionLimiter limiter = new ConnectionLimiter(l.getMaxConnections(), l.getMaxConnectionsPerIp(), metrics);
            tcp = tcp.option(ChannelOption.AUTO_READ, false).doOnBound(bound -> {
                bound.channel().pipeline().addFirst("chronik-connection-limiter", limiter);
                bound.channel().config().setAutoRead(true);
            });
        }
        if (l.getSendBufferSize().toBytes() > 0) {
            tcp = tcp.childOption(ChannelOption.SO_SNDBUF, (int) l.getSendBufferSize().toBytes());
        }
        if (l.getReceiveBufferSize().toBytes() > 0) {
            tcp = tcp.childOption(ChannelOption.SO_RCVBUF, (int) l.getReceiveBufferSize().toBytes());
        }
        server = tcp.bindNow(Duration.ofSeconds(30));
        InetSocketAddress bound = (InetSocketAddress) server.address();
        log.info("Kafka listener bound to {}:{} ({} transport, {} event loops), advertised as {}:{}",
                l.getHost(), bound.getPort(), nativeTransport ? "epoll" : "nio", threads,
                props.getAdvertisedHost(), advertisedPort());
    }

    /** The port the listener is bound to (useful with port 0). */
    public int port() {
        DisposableServer s = server;
        return s == null ? -1 : ((InetSocketAddress) s.address()).getPort();
    }

    /** The port Metadata advertises: the configured one, else the bound one. */
    public int advertisedPort() {
        Integer configured = props.getAdvertisedPort();
        return configured != null ? configured : port();
    }

    public int inFlightRequests() {
        return inFlight.get();
    }

    @Override
    public void stop() {
        DisposableServer s = server;
        if (s == null) {
            return;
        }
        // Stop accepting first, then give in-flight requests their grace period before closing connections.
        s.channel().close().awaitUninterruptibly(2000);
        long deadline = System.nanoTime() + props.getListener().getShutdownGracePeriod().toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        s.disposeNow(Duration.ofSeconds(2));
        loops.disposeLater(Duration.ZERO, Duration.ofSeconds(2)).block(Duration.ofSeconds(3));
        server = null;
        log.info("Kafka listener stopped");
    }

    @Override
    public boolean isRunning() {
        return server != null;
    }
}
