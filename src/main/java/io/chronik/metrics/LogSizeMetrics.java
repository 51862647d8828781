package io.chronik.metrics;

import io.chronik.log.LogManager;
import io.chronik.log.TopicInfo;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

import java.util.HashMap;
import java.util.Map;

/**
 * {@code chronik_log_size_bytes{topic}} (and, with {@code chronik.metrics.per-partition}, one series per
 * partition). Rows are refreshed on a timer by the MetricsRefresher rather than per scrape, so topics appearing and disappearing are
 * picked up without registering meters on the request path.
 */
public final class LogSizeMetrics implements MetricsRefresher.Refreshable {
    private final LogManager logs;
    private final boolean perPartition;
    private final StableMultiGauge sizes;

    public LogSizeMetrics(MeterRegistry registry, LogManager logs, boolean perPartition) {
        this.logs = logs;
        this.perPartition = perPartition;
        this.sizes = new StableMultiGauge(MultiGauge.builder("chronik.log.size").baseUnit("bytes")
                .description("Bytes on disk, by topic").register(registry));
    }

    @Override
    public void refresh() {
        Map<Tags, Long> rows = new HashMap<>();
        for (TopicInfo topic : logs.topics()) {
            long total = 0;
            for (int p = 0; p < topic.partitions(); p++) {
                long size = logs.log(topic.name(), p).map(l -> l.sizeInBytes()).orElse(0L);
                total += size;
                if (perPartition) {
                    rows.put(Tags.of("topic", topic.name(), "partition", Integer.toString(p)), size);
                }
            }
            if (!perPartition) {
                rows.put(Tags.of("topic", topic.name()), total);
            }
        }
        sizes.update(rows);
    }

}
