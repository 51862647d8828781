package io.chronik.server;

import io.chronik.metrics.BrokerMetrics;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Closes a connection that has neither read nor written anything for {@code chronik.listener.connections-max-idle}
 * (Kafka's connections.max.idle.ms), unless it still has requests being handled or is held back from reading. One
 * timer per connection, re-armed at the next possible expiry; reads and flushes only record a timestamp.
 */
final class IdleConnectionCloser extends ChannelDuplexHandler {
    private final long idleNanos;
    private final BooleanSupplier busy;
    private final BrokerMetrics metrics;
    private long lastActivity;
    private ScheduledFuture<?> check;

    IdleConnectionCloser(long idleNanos, BooleanSupplier busy, BrokerMetrics metrics) {
        this.idleNanos = idleNanos;
        this.busy = busy;
        this.metrics = metrics;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        lastActivity = System.nanoTime();
        arm(ctx, idleNanos);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        lastActivity = System.nanoTime();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        lastActivity = System.nanoTime();
        ctx.flush();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        handlerRemoved(ctx);
        ctx.fireChannelInactive();
    }

    private void arm(ChannelHandlerContext ctx, long delayNanos) {
        check = ctx.executor().schedule(() -> expire(ctx), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void expire(ChannelHandlerContext ctx) {
        if (!ctx.channel().isOpen()) {
            return;
        }
        long idleFor = System.nanoTime() - lastActivity;
        if (idleFor < idleNanos) {
            arm(ctx, idleNanos - idleFor);
        } else if (busy.getAsBoolean()) {
            // A request is still being handled (a long rebalance, say): it is not idle, look again later.
            arm(ctx, idleNanos);
        } else {
            metrics.connectionClosedIdle();
            ctx.close();
        }
    }
}
