package io.chronik.config;

import io.chronik.cluster.ClusterSettings;
import io.chronik.cluster.MetadataStateMachine;
import io.chronik.group.GroupStateStore;
import io.chronik.group.OffsetsTopicStore;
import io.chronik.handler.OffsetsTopicCreator;
import io.chronik.replica.ReplicaManager;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import io.chronik.group.GroupCoordinator;
import io.chronik.group.OffsetStore;
import io.chronik.handler.BrokerIdentity;
import io.chronik.handler.ConsumerGroupHeartbeatHandler;
import io.chronik.handler.CoordinatorPlacement;
import io.chronik.handler.GroupHandler;
import io.chronik.handler.OffsetsHandler;
import io.chronik.handler.TopicAdmin;
import io.chronik.log.LogManager;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.scheduler.Scheduler;

import java.io.IOException;

/** The group coordinator, its durable offsets and the group APIs. */
@Configuration(proxyBeanMethods = false)
public class GroupConfiguration {

    /** How long a commit waits for the offsets partition's ISR (Kafka's offsets.commit.timeout.ms default). */
    private static final long OFFSETS_COMMIT_TIMEOUT_MS = 5_000;

    /**
     * In a cluster, committed offsets live in the replicated {@code __consumer_offsets} topic; this store loads the
     * partitions this broker leads (it hears of them from the metadata publisher) and serves their groups.
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnProperty(prefix = "chronik.cluster", name = "voters")
    OffsetsTopicStore offsetsTopicStore(ChronikProperties props, ClusterSettings cluster, LogManager logs,
                                        ReplicaManager replicas, MetadataStateMachine stateMachine) {
        return new OffsetsTopicStore(cluster.nodeId(), logs, replicas, stateMachine::image,
                props.getGroup().getOffsetsTopicPartitions(), OFFSETS_COMMIT_TIMEOUT_MS);
    }

    @Bean(destroyMethod = "close")
    GroupCoordinator groupCoordinator(ChronikProperties props, LogManager logs,
                                      ObjectProvider<OffsetsTopicStore> replicated) throws IOException {
        ChronikProperties.Group group = props.getGroup();
        // Alone, the broker-local store as always. After storage (LogManager is a dependency), so the data directory
        // has been checked and recovered first.
        OffsetsTopicStore inCluster = replicated.getIfAvailable();
        GroupStateStore offsets = inCluster != null ? inCluster : new OffsetStore(props.getDataDir());
        if (group.getMinSessionTimeout().compareTo(group.getMaxSessionTimeout()) > 0) {
            throw new InvalidConfigurationException("chronik.group.min-session-timeout", group.getMinSessionTimeout().toString(),
                    "must not be greater than chronik.group.max-session-timeout (" + group.getMaxSessionTimeout() + ")");
        }
        return new GroupCoordinator(offsets, new GroupCoordinator.Settings(group.getInitialRebalanceDelay().toMillis(),
                group.getOffsetsRetention().toMillis(), (int) group.getMinSessionTimeout().toMillis(),
                (int) group.getMaxSessionTimeout().toMillis(), (int) group.getConsumerSessionTimeout().toMillis(),
                (int) group.getConsumerHeartbeatInterval().toMillis()));
    }

    /**
     * Alone, this broker coordinates every group; in a cluster (chronik.cluster.voters), the leader of the group's
     * {@code __consumer_offsets} partition does, and the topic is created on the first lookup that finds it missing.
     */
    @Bean
    CoordinatorPlacement coordinatorPlacement(ChronikProperties props, BrokerIdentity broker,
                                              ObjectProvider<MetadataStateMachine> stateMachine,
                                              ObjectProvider<TopicAdmin> topicAdmin, ReplicationDefaults defaults) {
        MetadataStateMachine machine = stateMachine.getIfAvailable();
        if (machine == null) {
            return CoordinatorPlacement.alone(broker);
        }
        int partitions = props.getGroup().getOffsetsTopicPartitions();
        return CoordinatorPlacement.inCluster(broker, machine::image, partitions,
                new OffsetsTopicCreator(topicAdmin::getObject, machine::image, partitions, defaults.replicationFactor()));
    }

    @Bean
    GroupHandler groupHandler(GroupCoordinator coordinator, CoordinatorPlacement placement, Scheduler ioScheduler) {
        return new GroupHandler(coordinator, placement, ioScheduler);
    }

    @Bean
    ConsumerGroupHeartbeatHandler consumerGroupHeartbeatHandler(GroupCoordinator coordinator, TopicAdmin topicAdmin,
                                                                CoordinatorPlacement placement) {
        return new ConsumerGroupHeartbeatHandler(coordinator.consumerGroups(), topicAdmin, placement,
                coordinator.offsetManager()::availability);
    }

    @Bean
    OffsetsHandler offsetsHandler(GroupCoordinator coordinator, TopicAdmin topicAdmin, CoordinatorPlacement placement) {
        return new OffsetsHandler(coordinator, topicAdmin, placement);
    }
}
