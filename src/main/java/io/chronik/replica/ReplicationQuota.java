package io.chronik.replica;

/**
 * A token bucket of bytes per second shared by all throttled partitions of one side of replication on this broker
 * (the leader answering followers, or the follower fetching). It holds at most one second of bytes; what is sent
 * is taken out afterwards and may leave the bucket in debt, so over any period the bytes stay at the rate plus one
 * second's burst plus one fetch. Nothing waits on it: while it is empty, callers leave the throttled partitions
 * out and try again later. Thread-safe.
 */
public final class ReplicationQuota {
    /** No limit (the settings' default, Long.MAX_VALUE, as Kafka). */
    public static final long UNLIMITED = Long.MAX_VALUE;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private long rate = UNLIMITED;
    private double tokens;
    private long lastNanos;

    public ReplicationQuota() {
        this(System.nanoTime());
    }

    ReplicationQuota(long nowNanos) {
        this.lastNanos = nowNanos;
    }

    /** Sets the rate in bytes per second ({@link #UNLIMITED} for none); a new rate starts with a full bucket. */
    public synchronized void setRate(long bytesPerSecond, long nowNanos) {
        if (bytesPerSecond == rate) {
            return;
        }
        rate = Math.max(0, bytesPerSecond);
        tokens = rate;
        lastNanos = nowNanos;
    }

    public synchronized long rate() {
        return rate;
    }

    public synchronized boolean unlimited() {
        return rate == UNLIMITED;
    }

    /** The bytes that may be sent now: 0 while the quota is exceeded, Long.MAX_VALUE when unlimited. */
    public synchronized long available(long nowNanos) {
        if (rate == UNLIMITED) {
            return Long.MAX_VALUE;
        }
        refill(nowNanos);
        return tokens <= 0 ? 0 : (long) tokens;
    }

    public boolean exceeded(long nowNanos) {
        return available(nowNanos) == 0;
    }

    /** Takes {@code bytes} that were sent out of the bucket (possibly into debt). */
    public synchronized void record(long bytes, long nowNanos) {
        if (rate == UNLIMITED || bytes <= 0) {
            return;
        }
        refill(nowNanos);
        tokens -= bytes;
    }

    /** How long until the bucket holds bytes again; 0 when it does now. */
    public long nanosUntilAvailable(long nowNanos) {
        return nanosUntil(1, nowNanos);
    }

    /** How long until the bucket holds {@code bytes} (at most one second's worth is ever held); 0 when it does now. */
    public synchronized long nanosUntil(long bytes, long nowNanos) {
        if (rate == UNLIMITED) {
            return 0;
        }
        refill(nowNanos);
        double wanted = Math.min(Math.max(1, bytes), Math.max(1, rate));
        if (tokens >= wanted) {
            return 0;
        }
        if (rate == 0) {
            return NANOS_PER_SECOND;
        }
        return (long) Math.ceil((wanted - tokens) * NANOS_PER_SECOND / rate);
    }

    /**
     * The smallest fetch worth asking for while throttled: a tenth of a second's worth, at most {@code maxBytes}, so
     * a throttled follower fetches in a few chunks a second rather than batch by batch.
     */
    public synchronized long chunk(long maxBytes) {
        return rate == UNLIMITED ? 1 : Math.max(1, Math.min(maxBytes, rate / 10));
    }

    private void refill(long nowNanos) {
        long elapsed = nowNanos - lastNanos;
        if (elapsed > 0) {
            tokens = Math.min(rate, tokens + (double) rate * elapsed / NANOS_PER_SECOND);
            lastNanos = nowNanos;
        }
    }
}
