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
 * timer per connection, re-armed at the next possible expiry; reads, flushes and finished requests only record a
 * timestamp. Confined to the connection's event loop.
 */
final class IdleConnectionCloser extends ChannelDuplexHandler {
    private final long idleNanos;
    private final BooleanSupplier heldBack;
    private final BrokerMetrics metrics;
    private long lastActivity;
    private int handling;
    private ScheduledFuture<?> check;

    IdleConnectionCloser(long idleNanos, BooleanSupplier heldBack, BrokerMetrics metrics) {
        this.idleNanos = idleNanos;
        this.heldBack = heldBack;
        this.metrics = metrics;
    }

    void requestStarted() {
        handling++;
    }

    /** A finished request counts as activity: its response is about to be written. */
    void requestFinished() {
        handling--;
        lastActivity = System.nanoTime();
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
        } else if (handling > 0 || heldBack.getAsBoolean()) {
            // A request is still being handled (a long rebalance, say): it is not idle, look again later.
            arm(ctx, idleNanos);
        } else {
            metrics.connectionClosedIdle();
            ctx.close();
        }
    }
}
