package io.chronik.client;

import io.chronik.protocol.FrameDecoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.requests.RequestHeader;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Kafka-protocol server the test controls: it records every request and answers ApiVersions only when told to
 * (or at once in {@link Mode#ANSWER}), so tests can hold requests in flight, stay silent, misanswer or hang up.
 */
final class FakeBroker implements AutoCloseable {
    enum Mode { ANSWER, HOLD }

    record Received(Channel channel, RequestHeader header) {
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    final List<Received> received = new CopyOnWriteArrayList<>();
    final List<Channel> connections = new CopyOnWriteArrayList<>();
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicInteger closed = new AtomicInteger();
    private volatile Mode mode;
    private Channel server;
    private int port;

    FakeBroker(Mode mode) {
        this.mode = mode;
    }

    /** Binds the given port (0: an ephemeral one). */
    FakeBroker start(int wantedPort) throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.incrementAndGet();
                        connections.add(ch);
                        ch.closeFuture().addListener(f -> closed.incrementAndGet());
                        ch.pipeline().addLast(new FrameDecoder(1 << 20), new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ByteBuf frame = (ByteBuf) msg;
                                try {
                                    RequestHeader header = RequestHeader.parse(frame.nioBuffer());
                                    received.add(new Received(ctx.channel(), header));
                                    if (mode == Mode.ANSWER) {
                                        answer(ctx.channel(), header, header.correlationId());
                                    }
                                } finally {
                                    frame.release();
                                }
                            }
                        });
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", wantedPort)).sync().channel();
        port = ((InetSocketAddress) server.localAddress()).getPort();
        return this;
    }

    int port() {
        return port;
    }

    void mode(Mode mode) {
        this.mode = mode;
    }

    /** Answers a request (an ApiVersions response naming the request's correlation id in its throttle time). */
    static void answer(Channel channel, RequestHeader request, int correlationId) {
        ApiVersionsResponseData body = new ApiVersionsResponseData().setThrottleTimeMs(request.correlationId());
        body.apiKeys().add(new ApiVersionsResponseData.ApiVersion().setApiKey(ApiKeys.FETCH.id).setMinVersion((short) 4)
                .setMaxVersion((short) 17));
        channel.writeAndFlush(Unpooled.wrappedBuffer(responseFrame(body, request.apiVersion(), correlationId)));
    }

    static byte[] responseFrame(ApiMessage body, short version, int correlationId) {
        short headerVersion = ApiKeys.forId(body.apiKey()).responseHeaderVersion(version);
        ResponseHeaderData header = new ResponseHeaderData().setCorrelationId(correlationId);
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = header.size(cache, headerVersion) + body.size(cache, version);
        ByteBuffer buffer = ByteBuffer.allocate(4 + size);
        buffer.putInt(size);
        ByteBufferAccessor accessor = new ByteBufferAccessor(buffer);
        header.write(accessor, cache, headerVersion);
        body.write(accessor, cache, version);
        return buffer.array();
    }

    /** Answers every request received so far, in order. */
    void answerAll() {
        for (Received r : received) {
            answer(r.channel(), r.header(), r.header().correlationId());
        }
    }

    /** Closes the accepted connections (the listener stays). */
    void dropConnections() {
        connections.forEach(Channel::close);
    }

    /** Stops listening and closes every connection; {@link #start} may bind again. */
    void stop() throws InterruptedException {
        if (server != null) {
            server.close().sync();
            server = null;
        }
        for (Channel c : connections) {
            c.close().sync();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
}
