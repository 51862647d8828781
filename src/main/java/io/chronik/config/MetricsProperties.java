package io.chronik.config;

import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

import java.time.Duration;

/** Metrics settings, bound from {@code chronik.metrics.*}. */
@Validated
@ConfigurationProperties("chronik.metrics")
public class MetricsProperties {
    /** One log-size series per partition instead of per topic (more series: off by default). */
    private boolean perPartition = false;
    /** How often log sizes and consumer lag are recomputed (chronik_log_size_bytes, chronik_consumer_group_lag). */
    @NotNull
    private Duration logSizeRefresh = Duration.ofSeconds(15);

    public boolean isPerPartition() { return perPartition; }
    public void setPerPartition(boolean perPartition) { this.perPartition = perPartition; }
    public Duration getLogSizeRefresh() { return logSizeRefresh; }
    public void setLogSizeRefresh(Duration logSizeRefresh) { this.logSizeRefresh = logSizeRefresh; }
}
