package io.chronik.metrics;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** One background thread that re-reads the gauges computed from broker state (log sizes, consumer lag). */
public final class MetricsRefresher implements AutoCloseable {
    /** A set of gauges recomputed from broker state. */
    public interface Refreshable {
        void refresh();
    }

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "chronik-metrics");
        t.setDaemon(true);
        return t;
    });

    public MetricsRefresher(List<Refreshable> gauges, long periodMillis) {
        gauges.forEach(Refreshable::refresh);
        timer.scheduleWithFixedDelay(() -> gauges.forEach(MetricsRefresher::refreshQuietly), periodMillis, periodMillis,
                TimeUnit.MILLISECONDS);
    }

    private static void refreshQuietly(Refreshable gauges) {
        try {
            gauges.refresh();
        } catch (RuntimeException e) {
            // A topic deleted mid-refresh must not stop the timer; the next round sees the new state.
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
