package io.chronik.metrics;

import io.chronik.cluster.BrokerLifecycle;
import io.chronik.cluster.MetadataPublisher;
import io.chronik.cluster.MetadataQuery.BrokerState;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

import java.util.function.Supplier;

/**
 * In a cluster, ready only once this broker has registered with the controller, been unfenced and published an
 * image holding its registration (its logs follow the cluster metadata). Part of the readiness group; a single
 * broker has no cluster membership and is always UP here.
 */
public final class ClusterMembershipHealthIndicator implements HealthIndicator {
    private final Supplier<BrokerLifecycle> lifecycles;
    private final Supplier<MetadataPublisher> publishers;

    /** The suppliers answer null for a single broker; they are asked at each check, never at startup. */
    public ClusterMembershipHealthIndicator(Supplier<BrokerLifecycle> lifecycle, Supplier<MetadataPublisher> publisher) {
        this.lifecycles = lifecycle;
        this.publishers = publisher;
    }

    @Override
    public Health health() {
        BrokerLifecycle lifecycle = lifecycles.get();
        MetadataPublisher publisher = publishers.get();
        if (lifecycle == null || publisher == null) {
            return Health.up().withDetail("mode", "single broker").build();
        }
        BrokerState state = lifecycle.state();
        boolean published = publisher.hasPublished();
        Health.Builder health = state == BrokerState.UNFENCED && published ? Health.up() : Health.outOfService();
        return health.withDetail("broker", switch (state) {
                    case UNKNOWN -> "not registered";
                    case FENCED -> "registered, fenced";
                    case UNFENCED -> "registered, unfenced";
                }).withDetail("metadata", published ? "published" : "not yet published")
                .build();
    }
}
