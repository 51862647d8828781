package io.chronik.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

import java.time.Duration;

/** Metrics settings, bound from {@code chronik.metrics.*}. */
@Validated
@ConfigurationProperties("chronik.metrics")
public class MetricsProperties {
    /** One log-size series per partition instead of per topic (more series: off by default). */
    private boolean perPartition = false;
    /** No longer used (log sizes and consumer lag are computed at each scrape): rejected when set. */
    private Duration logSizeRefresh;

    public boolean isPerPartition() { return perPartition; }
    public void setPerPartition(boolean perPartition) { this.perPartition = perPartition; }
    public Duration getLogSizeRefresh() { return logSizeRefresh; }
    public void setLogSizeRefresh(Duration logSizeRefresh) { this.logSizeRefresh = logSizeRefresh; }
}
