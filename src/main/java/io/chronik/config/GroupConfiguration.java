package io.chronik.config;

import io.chronik.cluster.MetadataStateMachine;
import io.chronik.group.OffsetsTopicStore;
import io.chronik.handler.OffsetsTopicCreator;
import io.chronik.replica.ReplicaManager;
import io.chronik.group.GroupCoordinator;
import io.chronik.group.LocalOffsetsTopic;
import io.chronik.handler.BrokerIdentity;
import io.chronik.handler.ConsumerGroupHeartbeatHandler;
import io.chronik.handler.CoordinatorPlacement;
import io.chronik.handler.GroupHandler;
import io.chronik.handler.OffsetsHandler;
import io.chronik.handler.TopicAdmin;
import io.chronik.handler.TxnOffsetCommitHandler;
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
     * Committed offsets live in {@code __consumer_offsets}. In a cluster (chronik.cluster.voters) the topic is
     * replicated; this store loads the partitions this broker leads (it hears of them from the metadata publisher)
     * and serves their groups. Alone, the topic is in local storage: created at startup when missing (an older data
     * directory's {@code __chronik_offsets} moved into it once), every partition led by this broker. After storage
     * (LogManager is a dependency), so the data directory has been checked and recovered first.
     */
    @Bean(destroyMethod = "close")
    OffsetsTopicStore offsetsTopicStore(ChronikProperties props, BrokerIdentity broker, LogManager logs,
                                        ObjectProvider<ReplicaManager> replicas,
                                        ObjectProvider<MetadataStateMachine> stateMachine) throws IOException {
        int partitions = props.getGroup().getOffsetsTopicPartitions();
        MetadataStateMachine machine = stateMachine.getIfAvailable();
        if (machine != null) {
            return new OffsetsTopicStore(broker.nodeId(), logs, replicas.getObject(), machine::image, partitions,
                    OFFSETS_COMMIT_TIMEOUT_MS);
        }
        OffsetsTopicStore store = OffsetsTopicStore.alone(broker.nodeId(), logs, partitions, OFFSETS_COMMIT_TIMEOUT_MS);
        LocalOffsetsTopic.start(logs, store, partitions);
        return store;
    }

    @Bean(destroyMethod = "close")
    GroupCoordinator groupCoordinator(ChronikProperties props, OffsetsTopicStore offsets) {
        ChronikProperties.Group group = props.getGroup();
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
                new OffsetsTopicCreator(topicAdmin::getObject, machine::image, partitions, defaults::replicationFactor));
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
    TxnOffsetCommitHandler txnOffsetCommitHandler(GroupCoordinator coordinator, TopicAdmin topicAdmin,
                                                  CoordinatorPlacement placement,
                                                  ObjectProvider<io.chronik.handler.TxnOffsetEnrolment> enrolment) {
        return new TxnOffsetCommitHandler(coordinator, topicAdmin, placement, enrolment.getIfAvailable());
    }

    @Bean
    OffsetsHandler offsetsHandler(GroupCoordinator coordinator, TopicAdmin topicAdmin, CoordinatorPlacement placement) {
        return new OffsetsHandler(coordinator, topicAdmin, placement);
    }
}
