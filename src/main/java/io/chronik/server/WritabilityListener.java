package io.chronik.server;

import io.chronik.metrics.BrokerMetrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/** Counts each time a connection's outbound buffer passes its high-water mark (the client reads too slowly). */
final class WritabilityListener extends ChannelInboundHandlerAdapter {
    private final BrokerMetrics metrics;

    WritabilityListener(BrokerMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!ctx.channel().isWritable()) {
            metrics.channelUnwritable();
        }
        ctx.fireChannelWritabilityChanged();
    }
}
