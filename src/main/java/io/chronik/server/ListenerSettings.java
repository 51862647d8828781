package io.chronik.server;

import io.chronik.config.ChronikProperties;
import io.chronik.config.InvalidConfigurationException;

/** The listener's limits, checked once at startup: a value that cannot work stops startup, naming its key. */
final class ListenerSettings {
    private ListenerSettings() {
    }

    /** {@code chronik.max-queued-request-bytes} in bytes, or -1 for unbounded. */
    static long maxQueuedRequestBytes(ChronikProperties props) {
        long bytes = props.getMaxQueuedRequestBytes().toBytes();
        if (bytes == -1 || bytes > 0) {
            return bytes;
        }
        throw new InvalidConfigurationException("chronik.max-queued-request-bytes", props.getMaxQueuedRequestBytes(),
                "must be positive, or -1 for unbounded");
    }

    /** {@code chronik.listener.connections-max-idle} in nanoseconds, or -1 when idle connections are kept. */
    static long connectionsMaxIdleNanos(ChronikProperties props) {
        java.time.Duration idle = props.getListener().getConnectionsMaxIdle();
        if (idle.isNegative()) {
            return -1;
        }
        if (idle.isZero()) {
            throw new InvalidConfigurationException("chronik.listener.connections-max-idle", idle,
                    "must be positive, or negative to keep idle connections open");
        }
        try {
            return idle.toNanos();
        } catch (ArithmeticException longerThanCenturies) {
            return Long.MAX_VALUE;
        }
    }
}
