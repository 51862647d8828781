package io.chronik.config;

import io.chronik.cluster.QuorumVoters;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Replication defaults, checked at startup whether the broker runs alone or in a cluster. */
@Configuration(proxyBeanMethods = false)
public class ReplicationConfiguration {

    @Bean
    ReplicationDefaults replicationDefaults(ChronikProperties props, ClusterProperties cluster) {
        int brokers = cluster.getVoters() == null ? 0 : QuorumVoters.parse(cluster.getVoters()).size();
        return ReplicationDefaults.resolve(props, brokers);
    }
}
