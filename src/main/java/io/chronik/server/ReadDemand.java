package io.chronik.server;

import io.chronik.metrics.BrokerMetrics;

/**
 * Tracks a connection's outstanding demand for requests. When it reaches zero, Reactor Netty stops reading the
 * socket (autoRead off): that is the moment backpressure pauses a client, and it is counted and timed here.
 */
final class ReadDemand {
    private final BrokerMetrics metrics;
    private long outstanding;
    private long pausedSince = -1;

    ReadDemand(BrokerMetrics metrics) {
        this.metrics = metrics;
    }

    synchronized void requested(long n) {
        resumeIfPaused();
        outstanding = outstanding + n < 0 ? Long.MAX_VALUE : outstanding + n;
    }

    synchronized void delivered() {
        if (outstanding != Long.MAX_VALUE && --outstanding == 0) {
            pausedSince = System.nanoTime();
            metrics.readsPaused();
        }
    }

    synchronized void closed() {
        resumeIfPaused();
    }

    private void resumeIfPaused() {
        if (pausedSince >= 0) {
            metrics.readsResumed(System.nanoTime() - pausedSince);
            pausedSince = -1;
        }
    }
}
