package io.chronik.config;

import io.chronik.log.LogManager;
import io.chronik.group.GroupCoordinator;
import io.chronik.metrics.BrokerMetrics;
import io.chronik.metrics.ConsumerLagMetrics;
import io.chronik.metrics.KafkaListenerHealthIndicator;
import io.chronik.server.KafkaServer;
import io.chronik.metrics.LogSizeMetrics;
import io.chronik.metrics.MetricsRefresher;
import io.chronik.metrics.StorageMetrics;
import io.micrometer.core.instrument.MeterRegistry;
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

    @Bean
    LogSizeMetrics logSizeMetrics(MeterRegistry registry, LogManager logs, MetricsProperties props) {
        return new LogSizeMetrics(registry, logs, props.isPerPartition());
    }

    @Bean(destroyMethod = "close")
    MetricsRefresher metricsRefresher(java.util.List<MetricsRefresher.Refreshable> gauges, MetricsProperties props) {
        if (props.getLogSizeRefresh().toMillis() <= 0) {
            throw new InvalidConfigurationException("chronik.metrics.log-size-refresh", props.getLogSizeRefresh(), "must be positive");
        }
        return new MetricsRefresher(gauges, props.getLogSizeRefresh().toMillis());
    }
}
