package io.chronik.server;

import io.chronik.metrics.BrokerMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;

/**
 * Honours {@code chronik.listener.max-connections} and {@code max-connections-per-ip} where connections are accepted,
 * as Kafka does: a connection from an address that already has its maximum open is closed at once; once the broker
 * has its maximum open it stops accepting (the listening socket is no longer read, so new connections wait in the
 * kernel's backlog) until one closes. Sits on the listening channel; all its state stays on that channel's event loop.
 */
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionLimiter.class);

    private final int maxConnections;
    private final int maxPerIp;
    private final BrokerMetrics metrics;
    private final Map<InetAddress, Integer> perIp = new HashMap<>();
    /** Accepted in the same read as the one that reached the maximum: served as soon as a connection closes. */
    private final ArrayDeque<Channel> waiting = new ArrayDeque<>();
    private int open;
    private ChannelHandlerContext ctx;

    ConnectionLimiter(int maxConnections, int maxPerIp, BrokerMetrics metrics) {
        this.maxConnections = maxConnections;
        this.maxPerIp = maxPerIp;
        this.metrics = metrics;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Channel child)) {
            ctx.fireChannelRead(msg);
            return;
        }
        InetAddress address = address(child);
        int fromAddress = perIp.getOrDefault(address, 0);
        if (fromAddress >= maxPerIp) {
            metrics.connectionRejected();
            log.debug("Closing connection from {}: it has {} open (chronik.listener.max-connections-per-ip)", address,
                    fromAddress);
            child.unsafe().closeForcibly();
            return;
        }
        perIp.put(address, fromAddress + 1);
        if (open >= maxConnections) {
            waiting.add(child);
            return;
        }
        serve(child, address);
    }

    private void serve(Channel child, InetAddress address) {
        open++;
        if (open >= maxConnections && ctx.channel().config().isAutoRead()) {
            metrics.acceptPaused();
            log.debug("{} connections open (chronik.listener.max-connections): not accepting more until one closes", open);
            ctx.channel().config().setAutoRead(false);
        }
        child.closeFuture().addListener(closed -> {
            try {
                ctx.executor().execute(() -> closed(address));
            } catch (RejectedExecutionException stopped) {
                // the listener is gone: nothing left to count
            }
        });
        ctx.fireChannelRead(child);
    }

    private void closed(InetAddress address) {
        perIp.computeIfPresent(address, (a, n) -> n > 1 ? n - 1 : null);
        open--;
        while (open < maxConnections && !waiting.isEmpty()) {
            Channel next = waiting.poll();
            serve(next, address(next));
        }
        if (open < maxConnections && !ctx.channel().config().isAutoRead() && ctx.channel().isOpen()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Channel child;
        while ((child = waiting.poll()) != null) {
            child.unsafe().closeForcibly();
        }
        ctx.fireChannelInactive();
    }

    private static InetAddress address(Channel child) {
        return child.remoteAddress() instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }
}
