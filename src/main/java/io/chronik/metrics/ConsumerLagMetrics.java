package io.chronik.metrics;

import io.chronik.group.OffsetStore;
import io.chronik.log.LogManager;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

import java.util.HashMap;
import java.util.Map;

/**
 * {@code chronik_consumer_group_lag{group,topic}}: for each group's committed partitions, log end offset minus
 * committed offset, summed per topic. Recomputed by the MetricsRefresher from what the broker already knows.
 */
public final class ConsumerLagMetrics implements MetricsRefresher.Refreshable {
    private final LogManager logs;
    private final OffsetStore offsets;
    private final StableMultiGauge lag;

    public ConsumerLagMetrics(MeterRegistry registry, LogManager logs, OffsetStore offsets) {
        this.logs = logs;
        this.offsets = offsets;
        this.lag = new StableMultiGauge(MultiGauge.builder("chronik.consumer.group.lag")
                .description("Records not yet consumed by a group: log end offset minus committed offset").register(registry));
    }

    @Override
    public void refresh() {
        Map<Tags, Long> rows = new HashMap<>();
        for (String group : offsets.groups()) {
            Map<String, Long> byTopic = new HashMap<>();
            offsets.offsets(group).forEach((tp, committed) -> logs.log(tp.topic(), tp.partition()).ifPresent(log ->
                    byTopic.merge(tp.topic(), Math.max(0, log.highWatermark() - committed.offset()), Long::sum)));
            byTopic.forEach((topic, value) -> rows.put(Tags.of("group", group, "topic", topic), value));
        }
        lag.update(rows);
    }

}
