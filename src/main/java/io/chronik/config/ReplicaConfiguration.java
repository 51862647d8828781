package io.chronik.config;

import io.chronik.cluster.ClusterSettings;
import io.chronik.cluster.MetadataStateMachine;
import io.chronik.cluster.ProducerIdBlocks;
import io.chronik.cluster.QuorumController;
import io.chronik.log.LogManager;
import io.chronik.replica.ReplicaManager;
import io.chronik.replica.ReplicationSettings;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Data replication, only in a cluster: the replica manager makes local partitions leaders or followers as the
 * metadata says, runs the follower fetchers and answers the handlers' leadership questions. Followers make what
 * they fetch durable before reporting it whenever acks=all waits for fsync on the leader
 * ({@code chronik.storage.fsync-on-acks-all}), so an acknowledged acks=all record is on every ISR member's disk.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "chronik.cluster", name = "voters")
public class ReplicaConfiguration {

    /** Producer ids unique across the cluster, in blocks from the controller. */
    @Bean
    ProducerIdBlocks producerIdBlocks(ClusterSettings cluster, ObjectProvider<QuorumController> controller) {
        return new ProducerIdBlocks(cluster.nodeId(), command -> controller.getObject().submit(command));
    }

    @Bean(destroyMethod = "close")
    ReplicaManager replicaManager(ChronikProperties props, ReplicationProperties replication, ClusterSettings cluster,
                                  LogManager logs, MetadataStateMachine stateMachine,
                                  ObjectProvider<QuorumController> controller, ReplicationDefaults defaults,
                                  io.chronik.metrics.IsrChangeMetrics isrChanges) {
        ReplicationSettings settings = new ReplicationSettings(cluster.nodeId(), replication.getLagTimeMax(),
                replication.getFetchWaitMax(), replication.getFetchMaxBytes(), replication.getFetchPartitionMaxBytes(),
                replication.getFetchBackoff(), replication.getRequestTimeout(), props.getStorage().isFsyncOnAcksAll());
        return new ReplicaManager(settings, logs, stateMachine::image, isrChanges.counting(change -> controller.getObject().submit(change)),
                defaults.minInsyncReplicas());
    }
}
