package io.chronik.log;

import java.util.function.BooleanSupplier;

/**
 * Keeps the cleaner threads together below a rate of bytes per second (chronik.log.cleaner.io-max-bytes-per-second),
 * as Kafka's throttler does: bytes are counted over short periods, and a thread that finds the rate of the current
 * period too high sleeps until it is back at the limit.
 */
final class Throttler {
    private static final long CHECK_INTERVAL_NANOS = 100_000_000L;

    private final double bytesPerSecond;
    private long periodStart = System.nanoTime();
    private long bytesInPeriod;
    private long throttledNanos;

    /** {@code bytesPerSecond} of {@link Double#MAX_VALUE} or more means unlimited. */
    Throttler(double bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
    }

    boolean unlimited() {
        return bytesPerSecond >= Double.MAX_VALUE;
    }

    /**
     * Counts {@code bytes} and sleeps while the rate is above the limit. Returns early when {@code stop} holds (the
     * cleaner is shutting down).
     */
    void maybeThrottle(long bytes, BooleanSupplier stop) {
        if (unlimited() || bytes <= 0) {
            return;
        }
        long sleepNanos;
        synchronized (this) {
            bytesInPeriod += bytes;
            long now = System.nanoTime();
            long elapsed = now - periodStart;
            if (elapsed < CHECK_INTERVAL_NANOS && bytesInPeriod < bytesPerSecond / 10) {
                return;
            }
            long allowedNanos = (long) (bytesInPeriod / bytesPerSecond * 1e9);
            sleepNanos = allowedNanos - elapsed;
            if (sleepNanos <= 0) {
                periodStart = now;
                bytesInPeriod = 0;
                return;
            }
            // The next period starts when this sleep ends; other threads wait out the same debt.
            periodStart = now + sleepNanos;
            bytesInPeriod = 0;
            throttledNanos += sleepNanos;
        }
        long deadline = System.nanoTime() + sleepNanos;
        while (!stop.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                Thread.sleep(Math.min(left / 1_000_000 + 1, 50));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    synchronized long throttledNanos() {
        return throttledNanos;
    }
}
