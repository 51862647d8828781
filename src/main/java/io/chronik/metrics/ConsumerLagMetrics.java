package io.chronik.metrics;

import io.chronik.group.GroupStateStore;
import io.chronik.group.OffsetStore.Committed;
import io.chronik.group.OffsetStore.TopicPartition;
import io.chronik.log.LogManager;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code chronik_consumer_group_lag{group,topic}}: for each group's committed partitions, high watermark minus
 * committed offset, summed per topic, computed from the logs and the offset store when scraped.
 */
public final class ConsumerLagMetrics implements ScrapeListener {
    private final LogManager logs;
    private final GroupStateStore offsets;
    private final LiveMultiGauge lag;

    public ConsumerLagMetrics(MeterRegistry registry, LogManager logs, GroupStateStore offsets) {
        this.logs = logs;
        this.offsets = offsets;
        this.lag = new LiveMultiGauge(registry, "chronik.consumer.group.lag", null,
                "Records not yet consumed by a group: log end offset minus committed offset", this::series, this::lag);
    }

    private Set<Tags> series() {
        Set<Tags> series = new HashSet<>();
        offsets.allOffsets().forEach((group, committed) -> committed.keySet().forEach(tp -> {
            if (logs.topic(tp.topic()).isPresent()) {
                series.add(Tags.of("group", group, "topic", tp.topic()));
            }
        }));
        return series;
    }

    private double lag(Tags tags) {
        String group = tags.stream().filter(t -> t.getKey().equals("group")).findFirst().orElseThrow().getValue();
        String topic = tags.stream().filter(t -> t.getKey().equals("topic")).findFirst().orElseThrow().getValue();
        long sum = 0;
        for (Map.Entry<TopicPartition, Committed> e : offsets.offsets(group).entrySet()) {
            if (e.getKey().topic().equals(topic)) {
                long committed = e.getValue().offset();
                sum += logs.log(topic, e.getKey().partition()).map(l -> Math.max(0, l.highWatermark() - committed)).orElse(0L);
            }
        }
        return sum;
    }

    @Override
    public void beforeScrape() {
        lag.sync();
    }
}
