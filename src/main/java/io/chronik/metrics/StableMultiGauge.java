package io.chronik.metrics;

import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A set of gauge series refreshed from time to time. Each series reads a holder that is updated in place, so a
 * refresh never removes and re-adds a meter (a scrape during a refresh would miss it); only series that
 * disappeared are removed.
 */
final class StableMultiGauge {
    private final MultiGauge gauge;
    private final Map<Tags, AtomicLong> values = new ConcurrentHashMap<>();

    StableMultiGauge(MultiGauge gauge) {
        this.gauge = gauge;
    }

    /** Sets every current series; series absent from {@code current} are removed. */
    synchronized void update(Map<Tags, Long> current) {
        values.keySet().retainAll(current.keySet());
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        current.forEach((tags, value) -> {
            AtomicLong holder = values.computeIfAbsent(tags, t -> new AtomicLong());
            holder.set(value);
            rows.add(MultiGauge.Row.of(tags, holder, AtomicLong::get));
        });
        gauge.register(rows, false);
    }
}
