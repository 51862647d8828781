package io.chronik.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff between connection attempts: base, doubling per consecutive failure up to max, jittered by 20%. */
final class ReconnectBackoff {
    private static final double JITTER = 0.2;

    private final long baseNanos;
    private final long maxNanos;
    private int failures;

    ReconnectBackoff(Duration base, Duration max) {
        this.baseNanos = base.toNanos();
        this.maxNanos = max.toNanos();
    }

    /** Counts one more failure (a failed attempt or a lost connection) and returns how long to wait before the next attempt. */
    long nextDelayNanos() {
        int exponent = Math.min(failures++, 62);
        double delay = Math.min((double) maxNanos, baseNanos * Math.pow(2, exponent));
        double factor = 1 + ThreadLocalRandom.current().nextDouble(-JITTER, JITTER);
        return Math.min(maxNanos, (long) (delay * factor));
    }

    /** A connection was made: the next failure waits the base backoff again. */
    void reset() {
        failures = 0;
    }

    int failures() {
        return failures;
    }
}
