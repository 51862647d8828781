package io.chronik.config;

import io.chronik.cluster.MetadataStateMachine;
import io.chronik.cluster.QuorumServer;
import io.chronik.metrics.ClusterMetrics;
import io.chronik.metrics.IsrChangeMetrics;
import io.chronik.replica.ReplicaManager;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Replication metrics, only in a cluster: ISR changes, under-replicated / offline partitions, follower lag. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "chronik.cluster", name = "voters")
public class ClusterMetricsConfiguration {

    @Bean
    IsrChangeMetrics isrChangeMetrics(MeterRegistry registry, MetadataStateMachine stateMachine) {
        return new IsrChangeMetrics(registry, stateMachine::image);
    }

    @Bean
    ClusterMetrics clusterMetrics(MeterRegistry registry, ReplicaManager replicas, MetadataStateMachine stateMachine,
                                  ObjectProvider<QuorumServer> quorum) {
        return new ClusterMetrics(registry, replicas, stateMachine::image, () -> {
            QuorumServer server = quorum.getIfAvailable();
            return server != null && server.isLeader();
        });
    }
}
