package io.chronik.config;

import io.chronik.cluster.MetadataStateMachine;
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

    @Bean(destroyMethod = "close")
    GroupCoordinator groupCoordinator(ChronikProperties props, LogManager logs) throws IOException {
        ChronikProperties.Group group = props.getGroup();
        // After storage (LogManager is a dependency), so the data directory has been checked and recovered first.
        OffsetStore offsets = new OffsetStore(props.getDataDir());
        if (group.getMinSessionTimeout().compareTo(group.getMaxSessionTimeout()) > 0) {
            throw new InvalidConfigurationException("chronik.group.min-session-timeout", group.getMinSessionTimeout().toString(),
                    "must not be greater than chronik.group.max-session-timeout (" + group.getMaxSessionTimeout() + ")");
        }
        return new GroupCoordinator(offsets, new GroupCoordinator.Settings(group.getInitialRebalanceDelay().toMillis(),
                group.getOffsetsRetention().toMillis(), (int) group.getMinSessionTimeout().toMillis(),
                (int) group.getMaxSessionTimeout().toMillis(), (int) group.getConsumerSessionTimeout().toMillis(),
                (int) group.getConsumerHeartbeatInterval().toMillis()));
    }

    /** Alone, this broker coordinates every group; in a cluster (chronik.cluster.voters), the image places them. */
    @Bean
    CoordinatorPlacement coordinatorPlacement(ChronikProperties props, BrokerIdentity broker,
                                              ObjectProvider<MetadataStateMachine> stateMachine) {
        MetadataStateMachine machine = stateMachine.getIfAvailable();
        return machine == null ? CoordinatorPlacement.alone(broker)
                : CoordinatorPlacement.inCluster(broker, machine::image, props.getGroup().getOffsetsTopicPartitions());
    }

    @Bean
    GroupHandler groupHandler(GroupCoordinator coordinator, CoordinatorPlacement placement, Scheduler ioScheduler) {
        return new GroupHandler(coordinator, placement, ioScheduler);
    }

    @Bean
    ConsumerGroupHeartbeatHandler consumerGroupHeartbeatHandler(GroupCoordinator coordinator, TopicAdmin topicAdmin,
                                                                CoordinatorPlacement placement) {
        return new ConsumerGroupHeartbeatHandler(coordinator.consumerGroups(), topicAdmin, placement);
    }

    @Bean
    OffsetsHandler offsetsHandler(GroupCoordinator coordinator, TopicAdmin topicAdmin, CoordinatorPlacement placement) {
        return new OffsetsHandler(coordinator, topicAdmin, placement);
    }
}
