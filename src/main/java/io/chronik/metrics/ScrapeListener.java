package io.chronik.metrics;

/**
 * Told right before each Prometheus scrape, so gauges whose series follow broker state (one per topic, group, ...)
 * have registered the series that exist now. Values are never computed here: every gauge reads live state itself.
 */
public interface ScrapeListener {
    void beforeScrape();
}
