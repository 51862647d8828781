package io.chronik.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/** Hands the response frames of one connection, its end and its errors to the {@link BrokerClient} that owns it. */
final class ResponseHandler extends ChannelInboundHandlerAdapter {
    private final BrokerClient client;

    ResponseHandler(BrokerClient client) {
        this.client = client;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf frame) {
            try {
                client.onResponse(ctx.channel(), frame);
            } finally {
                frame.release();
            }
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        client.onConnectionLost(ctx.channel(), "connection closed by the peer");
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        client.onConnectionLost(ctx.channel(), "connection failed: " + cause);
        ctx.close();
    }
}
