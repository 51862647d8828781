package io.chronik.metrics;

import io.chronik.log.LogManager;
import io.chronik.server.KafkaServer;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/** Ready only once log recovery has finished and the Kafka listener is bound (part of the readiness group). */
public final class KafkaListenerHealthIndicator implements HealthIndicator {
    private final LogManager logs;
    private final KafkaServer server;

    public KafkaListenerHealthIndicator(LogManager logs, KafkaServer server) {
        this.logs = logs;
        this.server = server;
    }

    @Override
    public Health health() {
        boolean recovered = logs.isReady();
        boolean bound = server.isRunning();
        Health.Builder health = recovered && bound ? Health.up() : Health.outOfService();
        return health.withDetail("logRecovery", recovered ? "finished" : "running")
                .withDetail("listener", bound ? "bound to port " + server.port() : "not bound")
                .withDetail("inFlightRequests", server.inFlightRequests())
                .build();
    }
}
