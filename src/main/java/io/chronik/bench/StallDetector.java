package io.chronik.bench;

/**
 * Detects the failure Chronik was designed against: work is outstanding, yet a whole second passes without a
 * single acknowledgement (or consumed record). Fed once per tick; pure logic, so it is tested with a fake clock.
 */
public final class StallDetector {
    private final long thresholdNanos;
    private long lastProgressCount = -1;
    private long lastProgressNanos;

    public StallDetector(long thresholdNanos) {
        this.thresholdNanos = thresholdNanos;
    }

    /**
     * @param nowNanos    the current time
     * @param outstanding work waiting for an answer (sent but unacknowledged, or unconsumed records)
     * @param progress    acknowledgements (or records consumed) so far, monotonic
     * @return true if a stall is detected: outstanding work and no progress for the whole threshold
     */
    public boolean check(long nowNanos, long outstanding, long progress) {
        if (progress != lastProgressCount || outstanding <= 0) {
            lastProgressCount = progress;
            lastProgressNanos = nowNanos;
            return false;
        }
        return nowNanos - lastProgressNanos >= thresholdNanos;
    }

    /** Seconds since the last progress, for the report. */
    public double secondsWithoutProgress(long nowNanos) {
        return (nowNanos - lastProgressNanos) / 1e9;
    }
}
