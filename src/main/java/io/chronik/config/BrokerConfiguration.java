package io.chronik.config;

import io.chronik.cluster.ClusterView;
import io.chronik.cluster.ProducerIdBlocks;
import io.chronik.cluster.MetadataStateMachine;
import io.chronik.cluster.QuorumController;
import io.chronik.handler.ApiVersionsHandler;
import io.chronik.handler.BrokerConfigs;
import io.chronik.handler.BrokerIdentity;
import io.chronik.handler.ConfigsHandler;
import io.chronik.handler.DeleteRecordsHandler;
import io.chronik.handler.DescribeClusterHandler;
import io.chronik.handler.DescribeLogDirsHandler;
import io.chronik.handler.FetchHandler;
import io.chronik.handler.InitProducerIdHandler;
import io.chronik.handler.LocalTopicAdmin;
import io.chronik.handler.QuorumTopicAdmin;
import io.chronik.handler.TopicAdmin;
import io.chronik.handler.ListOffsetsHandler;
import io.chronik.handler.MetadataHandler;
import io.chronik.handler.OffsetForLeaderEpochHandler;
import io.chronik.handler.ProduceHandler;
import io.chronik.handler.RequestHandler;
import io.chronik.handler.TopicAdminHandler;
import io.chronik.handler.WriteTxnMarkersHandler;
import io.chronik.group.OffsetsTopicStore;
import io.chronik.log.LogConfig;
import io.chronik.log.LogManager;
import io.chronik.metrics.BrokerMetrics;
import io.chronik.replica.Leadership;
import io.chronik.server.KafkaServer;
import io.chronik.server.RequestDispatcher;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import reactor.core.scheduler.Scheduler;

import java.util.List;

/** Wires the handlers, the dispatcher and the Kafka listener. */
@Configuration(proxyBeanMethods = false)
public class BrokerConfiguration {

    @Bean
    BrokerIdentity brokerIdentity(ChronikProperties props, ObjectProvider<KafkaServer> server) {
        // Resolved on use: the advertised port may be the ephemeral one the listener binds later.
        return new BrokerIdentity(props, () -> server.getObject().advertisedPort());
    }

    @Bean
    ApiVersionsHandler apiVersionsHandler(ObjectProvider<RequestDispatcher> dispatcher, BrokerIdentity broker,
                                          TransactionProperties transactions) {
        return new ApiVersionsHandler(() -> dispatcher.getObject().apiTable(), broker, (short) transactions.getVersion());
    }

    @Bean
    MetadataHandler metadataHandler(LogManager logs, BrokerIdentity broker, ChronikProperties props, Scheduler ioScheduler,
                                    ObjectProvider<MetadataStateMachine> stateMachine, ObjectProvider<ClusterView> cluster,
                                    TopicAdmin topicAdmin) {
        MetadataStateMachine machine = stateMachine.getIfAvailable();
        return machine == null ? new MetadataHandler(logs, broker, props, ioScheduler)
                : new MetadataHandler(logs, broker, props, ioScheduler, machine::image, cluster.getObject(), topicAdmin);
    }

    /**
     * How long an admin request naming a topic this broker does not know waits for it to catch up with the metadata
     * quorum before answering that the topic is unknown: the quorum's round trip plus applying, well under the
     * clients' request timeout.
     */
    private static final java.time.Duration METADATA_CATCH_UP = java.time.Duration.ofSeconds(5);

    /** Alone, storage administers topics; in a cluster (chronik.cluster.voters), the metadata quorum does. */
    @Bean
    TopicAdmin topicAdmin(LogManager logs, LogConfig brokerTopicDefaults, ChronikProperties props, Scheduler ioScheduler,
                          ReplicationDefaults replication, ObjectProvider<QuorumController> controller,
                          ObjectProvider<MetadataStateMachine> stateMachine) {
        QuorumController quorum = controller.getIfAvailable();
        return quorum == null ? new LocalTopicAdmin(logs, props.getNodeId(), props.getDefaultPartitions(), ioScheduler)
                : new QuorumTopicAdmin(quorum, stateMachine.getObject()::image,
                        new io.chronik.cluster.MetadataCatchUp(quorum, stateMachine.getObject(), METADATA_CATCH_UP)::catchUp,
                        brokerTopicDefaults, props.getDefaultPartitions(), replication::replicationFactor);
    }

    /** ElectLeaders: alone, no election is ever needed; in a cluster, elections go through the metadata quorum. */
    @Bean
    RequestHandler electLeadersHandler(TopicAdmin topicAdmin, ObjectProvider<QuorumController> controller,
                                       ObjectProvider<MetadataStateMachine> stateMachine) {
        QuorumController quorum = controller.getIfAvailable();
        return quorum == null ? new io.chronik.handler.LocalElectLeadersHandler(topicAdmin)
                : new io.chronik.handler.ElectLeadersHandler(quorum, stateMachine.getObject()::image);
    }

    @Bean
    DescribeClusterHandler describeClusterHandler(BrokerIdentity broker, ObjectProvider<ClusterView> cluster) {
        return new DescribeClusterHandler(broker, cluster.getIfAvailable());
    }

    @Bean
    DescribeLogDirsHandler describeLogDirsHandler(LogManager logs, Scheduler ioScheduler) {
        return new DescribeLogDirsHandler(logs, ioScheduler);
    }

    @Bean
    ProduceHandler produceHandler(LogManager logs, BrokerMetrics metrics, ObjectProvider<Leadership> leadership,
                                  ObjectProvider<io.chronik.handler.TransactionVerification> verification) {
        return new ProduceHandler(logs, metrics, leadership.getIfAvailable(() -> Leadership.ALONE),
                verification.getIfAvailable());
    }

    @Bean
    FetchHandler fetchHandler(LogManager logs, Scheduler ioScheduler, BrokerMetrics metrics,
                              ObjectProvider<Leadership> leadership) {
        return new FetchHandler(logs, ioScheduler, metrics, leadership.getIfAvailable(() -> Leadership.ALONE));
    }

    @Bean
    ListOffsetsHandler listOffsetsHandler(LogManager logs, Scheduler ioScheduler, ObjectProvider<Leadership> leadership) {
        return new ListOffsetsHandler(logs, ioScheduler, leadership.getIfAvailable(() -> Leadership.ALONE));
    }

    @Bean
    WriteTxnMarkersHandler writeTxnMarkersHandler(LogManager logs, ObjectProvider<Leadership> leadership,
                                                  OffsetsTopicStore offsets) {
        // Markers on __consumer_offsets commit or drop the transactional offsets pending there.
        return new WriteTxnMarkersHandler(logs, leadership.getIfAvailable(() -> Leadership.ALONE), offsets::markerWritten);
    }

    @Bean
    OffsetForLeaderEpochHandler offsetForLeaderEpochHandler(LogManager logs, ObjectProvider<Leadership> leadership) {
        return new OffsetForLeaderEpochHandler(logs, leadership.getIfAvailable(() -> Leadership.ALONE));
    }

    @Bean
    InitProducerIdHandler initProducerIdHandler(LogManager logs, Scheduler ioScheduler, ObjectProvider<ProducerIdBlocks> blocks,
                                                io.chronik.txn.TransactionCoordinator transactions,
                                                TransactionConfiguration.TransactionPlacement transactionPlacement) {
        ProducerIdBlocks cluster = blocks.getIfAvailable();
        return new InitProducerIdHandler(logs, ioScheduler, cluster == null ? null : cluster::nextProducerId, transactions,
                transactionPlacement.placement());
    }

    @Bean
    TopicAdminHandler topicAdminHandler(TopicAdmin topicAdmin, LogConfig brokerTopicDefaults) {
        return new TopicAdminHandler(topicAdmin, brokerTopicDefaults);
    }

    @Bean
    ConfigsHandler configsHandler(TopicAdmin topicAdmin, LogConfig brokerTopicDefaults, ChronikProperties props, Scheduler ioScheduler,
                                  BrokerIdentity broker, Environment environment) {
        return new ConfigsHandler(topicAdmin, brokerTopicDefaults, props, ioScheduler,
                new BrokerConfigs(props, brokerTopicDefaults, broker, new ExplicitSettings(environment)));
    }

    @Bean
    DeleteRecordsHandler deleteRecordsHandler(LogManager logs, ObjectProvider<Leadership> leadership) {
        return new DeleteRecordsHandler(logs, leadership.getIfAvailable(() -> Leadership.ALONE));
    }

    @Bean
    io.chronik.handler.DescribeProducersHandler describeProducersHandler(LogManager logs, ObjectProvider<Leadership> leadership) {
        return new io.chronik.handler.DescribeProducersHandler(logs, leadership.getIfAvailable(() -> Leadership.ALONE));
    }

    @Bean
    RequestDispatcher requestDispatcher(List<RequestHandler> handlers) {
        return new RequestDispatcher(handlers);
    }

    @Bean
    KafkaServer kafkaServer(ChronikProperties props, RequestDispatcher dispatcher, LogManager logs, BrokerMetrics metrics) {
        // Depends on LogManager so storage is recovered before the listener opens and closed after it stops.
        return new KafkaServer(props, dispatcher, metrics);
    }
}
