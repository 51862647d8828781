package io.chronik.bench;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Detects the failure Chronik was designed against (a broker that deadlocked once its TCP buffers filled): work
 * is outstanding, yet a whole threshold (one second) passes without a single acknowledgement or consumed record.
 * Pure logic fed once per tick; the clock is injected so tests drive it by hand.
 */
public final class StallDetector {
    private final long thresholdNanos;
    private final LongSupplier nanoClock;
    private long lastProgress;
    private long lastProgressNanos;
    private long lastTickNanos;
    private boolean started;

    public StallDetector(Duration threshold, LongSupplier nanoClock) {
        this.thresholdNanos = threshold.toNanos();
        this.nanoClock = nanoClock;
    }

    /**
     * @param outstanding work waiting for an answer (sent but unacknowledged, or records behind the end offset)
     * @param progress    acknowledgements (or records consumed) so far, monotonic
     * @return true if work was outstanding and nothing progressed for the whole threshold
     */
    public boolean tick(long outstanding, long progress) {
        long now = nanoClock.getAsLong();
        // A late tick means the bench itself was paused (GC, CPU starved): callbacks were paused too, so that
        // time proves nothing about the broker. Idle time is not stall time either: the clock only runs while
        // something is owed.
        boolean late = started && now - lastTickNanos > thresholdNanos / 2;
        lastTickNanos = now;
        if (!started || late || progress != lastProgress || outstanding <= 0) {
            started = true;
            lastProgress = progress;
            lastProgressNanos = now;
            return false;
        }
        return now - lastProgressNanos >= thresholdNanos;
    }

    /** Seconds since the last progress (or idle tick), for the STALL line. */
    public double secondsWithoutProgress() {
        return (nanoClock.getAsLong() - lastProgressNanos) / 1e9;
    }
}
