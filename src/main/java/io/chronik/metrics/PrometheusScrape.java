package io.chronik.metrics;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusOutputFormat;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusScrapeEndpoint;

import java.util.Properties;
import java.util.Set;

/**
 * {@code /actuator/prometheus}: Spring Boot's scrape endpoint, which first tells the {@link ScrapeListener}s, so
 * per-topic and per-group gauges have the series that exist now; the gauges read their values during the scrape.
 * Nothing is refreshed in the background.
 */
public class PrometheusScrape extends PrometheusScrapeEndpoint {
    private final ObjectProvider<ScrapeListener> listeners;

    public PrometheusScrape(PrometheusRegistry registry, Properties exporterProperties, ObjectProvider<ScrapeListener> listeners) {
        super(registry, exporterProperties);
        this.listeners = listeners;
    }

    @Override
    @ReadOperation(producesFrom = PrometheusOutputFormat.class)
    public WebEndpointResponse<byte[]> scrape(PrometheusOutputFormat format, @Nullable Set<String> includedNames) {
        listeners.orderedStream().forEach(ScrapeListener::beforeScrape);
        return super.scrape(format, includedNames);
    }
}
