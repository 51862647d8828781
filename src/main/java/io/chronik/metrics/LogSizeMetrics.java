package io.chronik.metrics;

import io.chronik.log.LogManager;
import io.chronik.log.TopicInfo;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.util.HashSet;
import java.util.Set;

/**
 * {@code chronik_log_size_bytes{topic}} (and, with {@code chronik.metrics.per-partition}, one series per
 * partition): bytes on disk, read from the logs when scraped. The series follow the topics this broker holds.
 */
public final class LogSizeMetrics implements ScrapeListener {
    private final LogManager logs;
    private final boolean perPartition;
    private final LiveMultiGauge sizes;

    public LogSizeMetrics(MeterRegistry registry, LogManager logs, boolean perPartition) {
        this.logs = logs;
        this.perPartition = perPartition;
        this.sizes = new LiveMultiGauge(registry, "chronik.log.size", "bytes", "Bytes on disk, by topic",
                this::series, this::size);
    }

    private Set<Tags> series() {
        Set<Tags> series = new HashSet<>();
        for (TopicInfo topic : logs.topics()) {
            if (perPartition) {
                for (int p = 0; p < topic.partitions(); p++) {
                    series.add(Tags.of("topic", topic.name(), "partition", Integer.toString(p)));
                }
            } else {
                series.add(Tags.of("topic", topic.name()));
            }
        }
        return series;
    }

    private double size(Tags tags) {
        String topic = tags.stream().filter(t -> t.getKey().equals("topic")).findFirst().orElseThrow().getValue();
        String partition = tags.stream().filter(t -> t.getKey().equals("partition")).map(t -> t.getValue()).findFirst().orElse(null);
        if (partition != null) {
            return logs.log(topic, Integer.parseInt(partition)).map(l -> l.sizeInBytes()).orElse(0L);
        }
        int partitions = logs.topic(topic).map(TopicInfo::partitions).orElse(0);
        long total = 0;
        for (int p = 0; p < partitions; p++) {
            total += logs.log(topic, p).map(l -> l.sizeInBytes()).orElse(0L);
        }
        return total;
    }

    @Override
    public void beforeScrape() {
        sizes.sync();
    }
}
