package io.chronik.client;

import io.netty.channel.EventLoop;
import reactor.netty.resources.LoopResources;

/**
 * The event loops of Chronik's broker-to-broker connections (epoll where available), shared by all clients and
 * created on first use. Daemon threads: they live as long as the process.
 */
final class ClientLoops {
    private static final LoopResources LOOPS = LoopResources.create("chronik-client", 1,
            Math.max(1, Runtime.getRuntime().availableProcessors()), true);

    private ClientLoops() {
    }

    /** One event loop for a new client; its connections run on it and its state is confined to it. */
    static EventLoop next() {
        return LOOPS.onClient(LoopResources.DEFAULT_NATIVE).next();
    }
}
