package io.chronik.config;

import io.chronik.log.LogManager;
import io.chronik.group.GroupCoordinator;
import io.chronik.metrics.BrokerMetrics;
import io.chronik.cluster.BrokerLifecycle;
import io.chronik.cluster.MetadataPublisher;
import io.chronik.metrics.ClusterMembershipHealthIndicator;
import io.chronik.metrics.ConsumerLagMetrics;
import io.chronik.metrics.KafkaListenerHealthIndicator;
import io.chronik.server.KafkaServer;
import io.chronik.metrics.LogSizeMetrics;
import io.chronik.metrics.PrometheusScrape;
import io.chronik.metrics.ScrapeListener;
import io.chronik.metrics.StorageMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Micrometer meters for the broker and its storage, exported at /actuator/prometheus. */
@Configuration(proxyBeanMethods = false)
public class MetricsConfiguration {

    @Bean
    BrokerMetrics brokerMetrics(MeterRegistry registry) {
        return new BrokerMetrics(registry);
    }

    @Bean
    StorageMetrics storageMetrics(MeterRegistry registry) {
        return new StorageMetrics(registry);
    }

    @Bean
    ConsumerLagMetrics consumerLagMetrics(MeterRegistry registry, LogManager logs, GroupCoordinator groups) {
        return new ConsumerLagMetrics(registry, logs, groups.offsets());
    }

    @Bean
    KafkaListenerHealthIndicator kafkaListenerHealthIndicator(LogManager logs, KafkaServer server) {
        return new KafkaListenerHealthIndicator(logs, server);
    }

    /** Readiness in a cluster: registered, unfenced, and the local logs follow the metadata (UP for a single broker). */
    @Bean
    ClusterMembershipHealthIndicator clusterMembershipHealthIndicator(ObjectProvider<BrokerLifecycle> lifecycle,
                                                                      ObjectProvider<MetadataPublisher> publisher) {
        return new ClusterMembershipHealthIndicator(lifecycle::getIfAvailable, publisher::getIfAvailable);
    }

    @Bean
    LogSizeMetrics logSizeMetrics(MeterRegistry registry, LogManager logs, MetricsProperties props) {
        if (props.getLogSizeRefresh() != null) {
            throw new InvalidConfigurationException("chronik.metrics.log-size-refresh", props.getLogSizeRefresh(),
                    "no longer used: log sizes and consumer lag are computed at each scrape; remove the setting");
        }
        return new LogSizeMetrics(registry, logs, props.isPerPartition());
    }

    /** The Prometheus scrape endpoint, which brings per-topic and per-group series up to date before each scrape. */
    @Bean
    PrometheusScrape prometheusEndpoint(PrometheusRegistry registry, PrometheusConfig config,
                                        ObjectProvider<ScrapeListener> listeners) {
        return new PrometheusScrape(registry, config.prometheusProperties(), listeners);
    }
}
