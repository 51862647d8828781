package io.chronik.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The series of one gauge whose label sets come and go with broker state (topics, groups). Each series is a
 * Micrometer gauge that computes its value from live state when it is read, so a scrape shows what the broker holds
 * at that moment. {@link #sync()}, called right before each scrape, registers the series that appeared and removes
 * those that are gone; series that stay are never re-registered.
 */
public final class LiveMultiGauge implements ScrapeListener {
    private final MeterRegistry registry;
    private final String name;
    private final String description;
    private final String baseUnit;
    private final Supplier<Set<Tags>> series;
    private final ToDoubleFunction<Tags> value;
    private final Map<Tags, Gauge> gauges = new HashMap<>();

    public LiveMultiGauge(MeterRegistry registry, String name, String baseUnit, String description,
                          Supplier<Set<Tags>> series, ToDoubleFunction<Tags> value) {
        this.registry = registry;
        this.name = name;
        this.baseUnit = baseUnit;
        this.description = description;
        this.series = series;
        this.value = value;
        sync();
    }

    /** Brings the registered series in line with {@code series}: new ones registered, vanished ones removed. */
    public synchronized void sync() {
        Set<Tags> current = series.get();
        for (Iterator<Map.Entry<Tags, Gauge>> it = gauges.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Tags, Gauge> e = it.next();
            if (!current.contains(e.getKey())) {
                registry.remove(e.getValue());
                it.remove();
            }
        }
        for (Tags tags : current) {
            gauges.computeIfAbsent(tags, t -> Gauge.builder(name, t, this::read).tags(t).baseUnit(baseUnit)
                    .description(description).strongReference(true).register(registry));
        }
    }

    private double read(Tags tags) {
        try {
            return value.applyAsDouble(tags);
        } catch (RuntimeException e) {
            return Double.NaN; // e.g. a topic deleted between the sync and the read
        }
    }

    @Override
    public void beforeScrape() {
        sync();
    }
}
